"""Message filters the store applies while reading a queue (ExpressionMessageFilter.java): the tag filter
matches on the consume-queue tags code and then checks the tag string itself; the SQL92 filter evaluates
the expression on the message's properties."""
from __future__ import annotations

from store import message as m

SUB_ALL = "*"


def parse_tags(sub_string: str | None) -> tuple[str, list[str], list[int]]:
    """FilterAPI.buildSubscriptionData: '' / '*' means all; else tags split on '||', trimmed."""
    if not sub_string or sub_string.strip() in ("", SUB_ALL):
        return SUB_ALL, [], []
    tags = [t.strip() for t in sub_string.split("||") if t.strip()]
    return sub_string, tags, [m.java_string_hash(t) for t in tags]


class TagFilter:
    def __init__(self, sub_string: str, tags: list[str], codes: list[int]) -> None:
        self.all = sub_string.strip() == SUB_ALL
        self.tags = set(tags)
        self.codes = {c & 0xFFFFFFFF for c in codes}

    def is_matched_by_consume_queue(self, tags_code: int) -> bool:
        return self.all or (tags_code & 0xFFFFFFFF) in self.codes

    def is_matched_by_commit_log(self, record) -> bool:
        if self.all:
            return True
        # the consume queue holds only a hash: confirm the tag itself (collisions would reach the client)
        return m.decode(record, check_crc=False).tags in self.tags


class SqlFilter:
    def __init__(self, expression) -> None:
        self.expression = expression

    def is_matched_by_consume_queue(self, tags_code: int) -> bool:
        return True

    def is_matched_by_commit_log(self, record) -> bool:
        from .sql92 import matches
        return matches(self.expression, m.decode(record, check_crc=False).props)

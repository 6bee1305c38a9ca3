"""Committed consumer offsets (ConsumerOffsetManager.java): key `topic@group`, queueId -> next offset,
persisted to config/consumerOffset.json (integer map keys unquoted, as Java writes them)."""
from __future__ import annotations

import logging
import os
from typing import Callable

from remoting import fastjson
from remoting.config import read_config_file, write_file_atomically

log = logging.getLogger("broker")


def offsets_from_json(data: dict | None) -> dict[str, dict[int, int]]:
    """ConsumerOffsetSerializeWrapper (consumerOffset.json, GET_ALL_CONSUMER_OFFSET body): its offsetTable."""
    return {str(key): {int(q): int(o) for q, o in (offsets or {}).items()}
            for key, offsets in ((data or {}).get("offsetTable") or {}).items()}


class ConsumerOffsetManager:
    def __init__(self, store_root: str, persist: Callable[[Callable[[], None]], None]) -> None:
        self.path = os.path.join(store_root, "config", "consumerOffset.json")
        self.table: dict[str, dict[int, int]] = {}
        self._persist = persist

    def load(self) -> None:
        text = read_config_file(self.path)
        if text is None:
            return
        self.table.update(offsets_from_json(fastjson.loads(text)))

    def merge_all(self, table: dict[str, dict[int, int]]) -> None:
        """A slave merges its master's offsets (SlaveSynchronize, Java's putAll): each `topic@group` the master
        has replaces ours whole, keys only we have stay; then the file is rewritten."""
        for key, offsets in table.items():
            self.table[key] = dict(offsets)
        self.persist()

    def commit(self, group: str, topic: str, queue_id: int, offset: int) -> None:
        self.table.setdefault(f"{topic}@{group}", {})[queue_id] = offset

    def query(self, group: str, topic: str, queue_id: int) -> int:
        return self.table.get(f"{topic}@{group}", {}).get(queue_id, -1)

    def topics_of_group(self, group: str) -> list[str]:
        return sorted({k.split("@", 1)[0] for k in self.table if k.split("@", 1)[1] == group})

    def topics_by_group(self) -> dict[str, list[str]]:
        """topics_of_group for every group at once: one pass over the table (GET_BROKER_CONSUME_STATS asks for
        all groups, and a pass per group is groups x offsets)."""
        out: dict[str, list[str]] = {}
        for k in self.table:
            topic, _, group = k.partition("@")
            out.setdefault(group, []).append(topic)
        for topics in out.values():
            topics.sort()
        return out

    def groups_of_topic(self, topic: str) -> set[str]:
        return {k.split("@", 1)[1] for k in self.table if k.split("@", 1)[0] == topic}

    def clone_offset(self, src_group: str, dest_group: str, topic: str) -> None:
        """cloneOffset: the destination group gets a copy of the source group's offsets of `topic` (replacing
        its own); nothing happens when the source has none."""
        offsets = self.table.get(f"{topic}@{src_group}")
        if offsets is not None:
            self.table[f"{topic}@{dest_group}"] = dict(offsets)

    def offsets_of(self, group: str, topic: str) -> dict[int, int]:
        return dict(self.table.get(f"{topic}@{group}", {}))

    def remove_group(self, group: str) -> None:
        """removeOffset: the group's offsets of every topic (a "topic@group" key whose group part is `group`)."""
        for key in [k for k in self.table if k.split("@", 1)[1:] == [group]]:
            del self.table[key]
            log.warning("clean group offset %s", key)

    def to_json(self) -> dict:
        return {"offsetTable": {k: dict(v) for k, v in self.table.items()}}

    def persist(self) -> None:
        content = fastjson.dumps_pretty(self.to_json())
        path = self.path
        self._persist(lambda: write_file_atomically(path, content))

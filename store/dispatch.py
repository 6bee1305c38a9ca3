"""Dispatch (reput): from a commit-log offset onward, turn each stored record into its ConsumeQueue entry
and Index entries. The same code serves normal appends, recovery and a replicating slave.

Extra dispatchers (e.g. the broker's long-polling wake-up) are plain callables added to `listeners`; the
store never imports the broker (CommitLogDispatcher / MessageArrivingListener in Java).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import message as m
from .message import PROPERTY_DELAY_TIME_LEVEL, PROPERTY_KEYS, PROPERTY_TAGS, PROPERTY_UNIQ_KEY, tags_code

SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX"


@dataclass(slots=True, init=False)
class DispatchRequest:
    topic: str
    queue_id: int
    commit_log_offset: int
    msg_size: int
    tags_code: int
    store_timestamp: int
    consume_queue_offset: int
    keys: str | None
    uniq_key: str | None
    sys_flag: int
    prepared_transaction_offset: int
    properties: dict[str, str]

    # written out: a generated dataclass __init__ is interpreted bytecode even in the compiled module
    def __init__(self, topic: str, queue_id: int, commit_log_offset: int, msg_size: int, tags_code: int,
                 store_timestamp: int, consume_queue_offset: int, keys: str | None, uniq_key: str | None,
                 sys_flag: int, prepared_transaction_offset: int, properties: dict[str, str]) -> None:
        self.topic = topic
        self.queue_id = queue_id
        self.commit_log_offset = commit_log_offset
        self.msg_size = msg_size
        self.tags_code = tags_code
        self.store_timestamp = store_timestamp
        self.consume_queue_offset = consume_queue_offset
        self.keys = keys
        self.uniq_key = uniq_key
        self.sys_flag = sys_flag
        self.prepared_transaction_offset = prepared_transaction_offset
        self.properties = properties


def dispatch_request(msg: m.StoredMessage, offset: int, delay_levels: dict[int, int]) -> DispatchRequest:
    # a writer that built the properties string from a map may hand the map over (extra["props"]): no re-parse
    props = msg.extra.get("props") or msg.props
    tags = props.get(PROPERTY_TAGS)
    code = tags_code(tags)
    if msg.topic == SCHEDULE_TOPIC and PROPERTY_DELAY_TIME_LEVEL in props:
        # the schedule topic's tags code is the delivery time (ScheduleMessageService.computeDeliverTimestamp)
        try:
            level = int(props[PROPERTY_DELAY_TIME_LEVEL])
        except ValueError:
            level = 0
        if delay_levels:
            level = min(level, max(delay_levels))
        code = msg.store_timestamp + delay_levels.get(level, 1000)
    return DispatchRequest(msg.topic, msg.queue_id, offset, msg.store_size, code, msg.store_timestamp,
                           msg.queue_offset, props.get(PROPERTY_KEYS), props.get(PROPERTY_UNIQ_KEY),
                           msg.sys_flag, msg.prepared_transaction_offset, props)


Listener = Callable[[DispatchRequest], None]

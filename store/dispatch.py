"""Dispatch (reput): from a commit-log offset onward, turn each stored record into its ConsumeQueue entry
and Index entries. The same code serves normal appends, recovery and a replicating slave.

Extra dispatchers (e.g. the broker's long-polling wake-up) are plain callables added to `listeners`; the
store never imports the broker (CommitLogDispatcher / MessageArrivingListener in Java).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from . import message as m
from .message import (PROPERTY_DELAY_TIME_LEVEL, PROPERTY_KEYS, PROPERTY_TAGS, PROPERTY_UNIQ_KEY,
                      TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE, TRANSACTION_ROLLBACK_TYPE, tags_code)

if TYPE_CHECKING:
    from .message_store import MessageStore

SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX"
# the transaction types as module names: compiled, dispatch.pxd makes them C integers
_TX_NOT = TRANSACTION_NOT_TYPE
_TX_COMMIT = TRANSACTION_COMMIT_TYPE
_TX_ROLLBACK = TRANSACTION_ROLLBACK_TYPE


class DispatchRequest:
    """One stored record as the dispatchers and listeners see it (DispatchRequest.java). Compiled it is a C
    type (dispatch.pxd): the put path fills and reads its fields as struct slots. Fields: topic, queue_id,
    commit_log_offset, msg_size, tags_code, store_timestamp, consume_queue_offset, keys, uniq_key, sys_flag,
    prepared_transaction_offset, properties (the record's property map)."""

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

    def __repr__(self) -> str:
        return (f"DispatchRequest(topic={self.topic!r}, queue_id={self.queue_id}, "
                f"commit_log_offset={self.commit_log_offset}, msg_size={self.msg_size}, tags_code={self.tags_code}, "
                f"store_timestamp={self.store_timestamp}, consume_queue_offset={self.consume_queue_offset}, "
                f"keys={self.keys!r}, uniq_key={self.uniq_key!r}, sys_flag={self.sys_flag}, "
                f"prepared_transaction_offset={self.prepared_transaction_offset})")


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
    # filled field by field on a bare instance: compiled, a C allocation and struct stores instead of a
    # 12-argument __init__ call
    req = DispatchRequest.__new__(DispatchRequest)
    req.topic = msg.topic
    req.queue_id = msg.queue_id
    req.commit_log_offset = offset
    req.msg_size = msg.store_size
    req.tags_code = code
    req.store_timestamp = msg.store_timestamp
    req.consume_queue_offset = msg.queue_offset
    req.keys = props.get(PROPERTY_KEYS)
    req.uniq_key = props.get(PROPERTY_UNIQ_KEY)
    req.sys_flag = msg.sys_flag
    req.prepared_transaction_offset = msg.prepared_transaction_offset
    req.properties = props
    return req


def dispatch(store: "MessageStore", req: DispatchRequest) -> None:
    """The dispatcher chain for one record: its consume-queue entry (not for half and rollback records), its
    index keys (not for rollbacks), then the store's listeners (long polling's arrival notice, ...)."""
    tx = req.sys_flag & 0xC     # transaction_type
    if tx == _TX_NOT or tx == _TX_COMMIT:
        key = (req.topic, req.queue_id)
        cq = store.consume_queues.get(key)
        if cq is None:
            cq = store.consume_queue(req.topic, req.queue_id, create=True)
        cq.put(req.consume_queue_offset, req.commit_log_offset, req.msg_size, req.tags_code)
        table = store.topic_queue_table
        if table.get(key, 0) <= req.consume_queue_offset:
            table[key] = req.consume_queue_offset + 1
    if store.config.messageIndexEnable and tx != _TX_ROLLBACK:
        store.index.build(req.topic, req.uniq_key, req.keys, req.commit_log_offset, req.store_timestamp)
    for listener in store.listeners:
        listener(req)


def dispatch_message(store: "MessageStore", msg: m.StoredMessage, offset: int, delay_levels: dict[int, int]) -> None:
    """dispatch(store, dispatch_request(...)) as one call (compiled: the two are C calls)."""
    dispatch(store, dispatch_request(msg, offset, delay_levels))


Listener = Callable[[DispatchRequest], None]

"""Transactional messages, the 4.9.7 design: half messages in RMQ_SYS_TRANS_HALF_TOPIC (invisible to
consumers), END_TRANSACTION commit / rollback writing an op record to RMQ_SYS_TRANS_OP_HALF_TOPIC, and (in
check.py) the periodic check-back. All state lives in those two topics and the check group's offsets."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from remoting.codes import ResponseCode
from store import message as m
from store.message_store import MessageStore
from store.results import PutResult, PutStatus

from ..consumer_offset import ConsumerOffsetManager
from ..schedule import BadDelayLevel, divert_to_schedule
from ..timer_hook import TimerRefused, divert_to_timer
from . import messages as tx
from .ledger import TransactionLedger, transaction_key

log = logging.getLogger("broker.transaction")

TRANSACTION_NOT_TYPE = m.TRANSACTION_NOT_TYPE
TRANSACTION_COMMIT_TYPE = m.TRANSACTION_COMMIT_TYPE
TRANSACTION_ROLLBACK_TYPE = m.TRANSACTION_ROLLBACK_TYPE

# EndTransactionProcessor#sendFinalMessage's answers to a failed put of the committed message
_FINAL_PUT_ERRORS = {
    PutStatus.CREATE_MAPEDFILE_FAILED: (ResponseCode.SYSTEM_ERROR, "Create mapped file failed."),
    PutStatus.SERVICE_NOT_AVAILABLE: (ResponseCode.SERVICE_NOT_AVAILABLE, "Service not available now."),
    PutStatus.OS_PAGECACHE_BUSY: (ResponseCode.SYSTEM_ERROR, "OS page cache busy, please try another machine"),
    PutStatus.UNKNOWN_ERROR: (ResponseCode.SYSTEM_ERROR, "UNKNOWN_ERROR"),
}
_ILLEGAL = (PutStatus.MESSAGE_ILLEGAL, PutStatus.PROPERTIES_SIZE_EXCEEDED)
FIND_FAILED = "Find prepared transaction message failed"


@dataclass(slots=True)
class Decision:
    """What END_TRANSACTION answers: a code and remark, and (a commit) the put to wait for when it waits."""
    code: int
    remark: str | None = None
    put: PutResult | None = None
    wait: bool = False
    topic: str | None = None    # the transaction's topic, when it was committed or rolled back (metrics)


class TransactionalMessageService:
    def __init__(self, store: MessageStore, offsets: ConsumerOffsetManager, store_host: tuple[str, int],
                 clock: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.store = store
        self.offsets = offsets
        self.store_host = store_host
        self.clock = clock
        self.ledger = TransactionLedger()

    # ------------------------------------------------------------ offsets of the check group
    def check_offset(self, topic: str, queue_id: int) -> int:
        """fetchConsumeOffset: the check group's offset, or the queue's minimum when it has none."""
        offset = self.offsets.query(tx.CHECK_GROUP, topic, queue_id)
        return offset if offset >= 0 else self.store.min_offset_in_queue(topic, queue_id)

    def commit_check_offset(self, topic: str, queue_id: int, offset: int) -> None:
        self.offsets.commit(tx.CHECK_GROUP, topic, queue_id, offset)
        if topic == tx.HALF_TOPIC:
            self.ledger.advance_floor(offset)

    # ------------------------------------------------------------ reading the two topics
    def message_in_queue(self, topic: str, queue_id: int, offset: int) -> m.StoredMessage | None:
        cq = self.store.consume_queue(topic, queue_id)
        entry = cq.entry(offset) if cq is not None else None
        return self.store.look_message_by_offset(entry[0]) if entry is not None else None

    def rebuild(self) -> None:
        """The open transactions, from the half queue (from the check's offset on) and the op queue."""
        ledger = self.ledger = TransactionLedger()
        floor = self.check_offset(tx.HALF_TOPIC, 0)
        ledger.floor = floor
        for offset in range(floor, self.store.max_offset_in_queue(tx.HALF_TOPIC, 0)):
            half = self.message_in_queue(tx.HALF_TOPIC, 0, offset)
            if half is not None:
                ledger.half_stored(transaction_key(half), offset)
        for offset in range(self.check_offset(tx.OP_TOPIC, 0), self.store.max_offset_in_queue(tx.OP_TOPIC, 0)):
            op = self.message_in_queue(tx.OP_TOPIC, 0, offset)
            if op is not None and op.tags == tx.REMOVE_TAG:
                half_offset = tx.java_long(op.body.decode("utf-8", "replace"))
                if half_offset >= 0:
                    ledger.op_seen(half_offset)
        ledger.settle_decided()
        if ledger.open:
            log.info("transactions still open after start: %d", len(ledger.open))

    # ------------------------------------------------------------ half messages
    def prepare(self, msg: m.StoredMessage, props: dict[str, str], max_delay_level: int) -> PutResult:
        """asyncPrepareMessage: store the send as a half message (the delay branch applies to it as to any
        untyped message, as in Java)."""
        tx.to_half(msg, props)
        divert_to_schedule(msg, props, max_delay_level)
        result = self.store.put_message(msg)
        if result.ok and msg.topic == tx.HALF_TOPIC:
            self.ledger.half_stored(transaction_key(msg, props), msg.queue_offset)
        return result

    # ------------------------------------------------------------ END_TRANSACTION
    def end(self, commit_log_offset: int, producer_group: str, tran_state_table_offset: int, commit: bool,
            max_delay_level: int) -> Decision:
        """commitMessage / rollbackMessage with checkPrepareMessage, then the committed message and the op
        record (one append, so a crash cannot keep one without the other)."""
        half = self.store.look_message_by_offset(commit_log_offset) if commit_log_offset >= 0 else None
        if half is None or half.topic != tx.HALF_TOPIC:
            return Decision(ResponseCode.SYSTEM_ERROR, FIND_FAILED)
        props = half.props
        if props.get(tx.PROPERTY_PRODUCER_GROUP) != producer_group:
            return Decision(ResponseCode.SYSTEM_ERROR, "The producer group wrong")
        if half.queue_offset != tran_state_table_offset:
            return Decision(ResponseCode.SYSTEM_ERROR, "The transaction state table offset wrong")
        if half.physical_offset != commit_log_offset:
            return Decision(ResponseCode.SYSTEM_ERROR, "The commit log offset wrong")
        key = transaction_key(half, props)
        targets = self.ledger.decision_targets(key, half.queue_offset)
        if targets is None:
            log.warning("END_TRANSACTION for a transaction already decided or discarded: half offset %d, key %s",
                        half.queue_offset, key)
            return Decision(ResponseCode.SYSTEM_ERROR, FIND_FAILED)
        now = self.clock()
        ops = [tx.op_record(off, half.queue_id, self.store_host, now) for off in targets]
        wait = False
        if commit:
            final, final_props = tx.committed(half, props)
            try:
                # the committed message is an ordinary put: the 5.x timer hook and the delay branch apply
                divert_to_timer(final, final_props, self.store.config, now, self.store.timer)
                divert_to_schedule(final, final_props, max_delay_level)
            except TimerRefused as e:
                return Decision(e.code, e.remark)
            except BadDelayLevel:
                pass                                   # left undelayed (Java fails the request on it)
            wait = final_props.get(tx.PROPERTY_WAIT, "true").lower() == "true"
            result = self.store.put_messages([final, *ops])
            if not result.ok:
                if result.status in _ILLEGAL:
                    return Decision(ResponseCode.MESSAGE_ILLEGAL,
                                    "The message is illegal, maybe msg body or properties length not matched. msg "
                                    f"body length limit {self.store.config.maxMessageSize}B, msg properties "
                                    "length limit 32KB.")
                code, remark = _FINAL_PUT_ERRORS.get(result.status, (ResponseCode.SYSTEM_ERROR, "UNKNOWN_ERROR DEFAULT"))
                return Decision(code, remark)
        else:
            result = self.store.put_messages(ops)
            if not result.ok:
                log.error("transaction op record write failed: %s", result.status.value)
        self.ledger.decided_now(key, targets)
        return Decision(ResponseCode.SUCCESS, None, result if commit else None, wait,
                        props.get(tx.PROPERTY_REAL_TOPIC) or half.topic)

    # ------------------------------------------------------------ RESUME_CHECK_HALF_MESSAGE
    def resume(self, msg_id: str | None) -> Decision:
        """A half message (usually one discarded to TRANS_CHECK_MAX_TIME_TOPIC), named by its offset message
        id, goes back into the half queue with TRANSACTION_CHECK_TIMES 0: it is checked again."""
        failed = "Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC."
        try:
            _host, phys = m.decode_offset_msg_id(msg_id or "")
        except (ValueError, IndexError, TypeError):
            return Decision(ResponseCode.SYSTEM_ERROR, failed)
        msg = self.store.look_message_by_offset(phys)
        if msg is None:
            return Decision(ResponseCode.SYSTEM_ERROR, failed)
        props = msg.props
        props[tx.PROPERTY_CHECK_TIMES] = "0"
        copy = tx.resumed(msg, props)
        result = self.store.put_message(copy)
        if not result.ok:
            log.error("Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed.")
            return Decision(ResponseCode.SYSTEM_ERROR, "Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed.")
        log.info("Put message back to RMQ_SYS_TRANS_HALF_TOPIC. real topic=%s", props.get(tx.PROPERTY_REAL_TOPIC))
        self.ledger.half_stored(transaction_key(copy), copy.queue_offset)
        return Decision(ResponseCode.SUCCESS)

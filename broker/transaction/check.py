"""TransactionalMessageCheckService + TransactionalMessageServiceImpl#check (4.9.7): every
`transactionCheckInterval` the half queue is walked from the check group's offset; a half message nobody
decided, older than its immunity time, is copied to the end of the half queue (TRANSACTION_CHECK_TIMES + 1)
and CHECK_TRANSACTION_STATE goes to a live producer of its group, whose END_TRANSACTION decides it. A
message checked `transactionCheckMax` times (or older than the commit log is kept) goes to
TRANS_CHECK_MAX_TIME_TOPIC. The walk stops at the first message still too young, so offsets only move over
settled messages."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from remoting.codes import RequestCode
from remoting.command import make_request
from remoting.headers import CheckTransactionStateRequestHeader
from remoting.runtime import cancel_and_wait
from store import message as m

from ..client_manager import ProducerManager
from ..config import BrokerConfig
from ..topic_config import TopicConfigManager
from . import messages as tx
from .ledger import transaction_key
from .service import TransactionalMessageService

log = logging.getLogger("broker.transaction")

MAX_PROCESS_TIME_LIMIT_MS = 60_000      # per queue and run
MAX_RETRY_COUNT_WHEN_HALF_NULL = 1
YIELD_EVERY = 64                         # the walk runs on the event loop: let sends in between


def need_discard(props: dict[str, str], check_max: int) -> bool:
    """needDiscard: True at the limit; otherwise the map gets the count this check makes (1 the first time)."""
    raw = props.get(tx.PROPERTY_CHECK_TIMES)
    times = 1
    if raw is not None:
        times = tx.java_long(raw)
        if times >= check_max:
            return True
        times += 1
    props[tx.PROPERTY_CHECK_TIMES] = str(times)
    return False


def immunity_ms(props: dict[str, str], timeout_ms: int) -> int | None:
    """getImmunityTime: the message's own first-check delay (seconds; -1 or garbage means the broker's
    transactionTimeOut), None when the message sets none."""
    raw = props.get(tx.PROPERTY_CHECK_IMMUNITY_SECONDS)
    if raw is None:
        return None
    value = tx.java_long(raw)
    return timeout_ms if value == -1 else value * 1000


class TransactionCheckService:
    def __init__(self, config: BrokerConfig, service: TransactionalMessageService, topics: TopicConfigManager,
                 producers: ProducerManager, file_reserved_hours: int,
                 clock: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.config = config
        self.service = service
        self.store = service.store
        self.topics = topics
        self.producers = producers
        self.file_reserved_ms = file_reserved_hours * 3600 * 1000
        self.clock = clock
        self._task: asyncio.Task | None = None
        self.checks_sent = 0
        self.discarded = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="transaction-check")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.config.transactionCheckInterval / 1000)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - one failed run must not end the service (Java logs and goes on)
                log.exception("transaction check failed")

    # ------------------------------------------------------------ one run
    async def check(self) -> None:
        tc = self.topics.create_in_send_back(tx.HALF_TOPIC, 1, 6)   # fetchMessageQueues creates it on demand
        for queue_id in range(tc.readQueueNums):
            await self._check_queue(queue_id)

    async def _read_ops(self, op_offset: int, half_offset: int, remove: dict[int, int], done: list[int]) -> None:
        """fillOpRemoveMap over every op record from `op_offset` on: half offsets decided at or above the
        walk's start go to `remove` (half offset -> op offset), those below it are done. (Java reads them 32 at
        a time as the walk needs them, on a thread of its own; here they are read up front, yielding to the
        loop as the walk does.)"""
        end = self.store.max_offset_in_queue(tx.OP_TOPIC, 0)
        for op_off in range(op_offset, end):
            if (op_off - op_offset) % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            op = self.service.message_in_queue(tx.OP_TOPIC, 0, op_off)
            if op is None:
                continue
            if op.tags != tx.REMOVE_TAG:
                log.error("op record with an illegal tag at %d: %s", op_off, op.tags)
                continue
            half_off = tx.java_long(op.body.decode("utf-8", "replace"))
            if half_off < half_offset:
                done.append(op_off)
            else:
                remove[half_off] = op_off

    async def _check_queue(self, queue_id: int) -> None:
        svc = self.service
        start = self.clock()
        half_offset = svc.check_offset(tx.HALF_TOPIC, queue_id)
        op_offset = svc.check_offset(tx.OP_TOPIC, queue_id)
        if half_offset < 0 or op_offset < 0:
            log.error("illegal check offsets on half queue %d: %d, op %d", queue_id, half_offset, op_offset)
            return
        remove: dict[int, int] = {}
        done: list[int] = []
        await self._read_ops(op_offset, half_offset, remove, done)
        timeout = self.config.transactionTimeOut
        null_count = 1
        new_offset = i = half_offset
        walked = 0
        while True:
            if self.clock() - start > MAX_PROCESS_TIME_LIMIT_MS:
                log.info("half queue %d: check time limit reached", queue_id)
                break
            walked += 1
            if walked % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            if i in remove:
                done.append(remove.pop(i))
                new_offset = i = i + 1
                continue
            half = svc.message_in_queue(tx.HALF_TOPIC, queue_id, i)
            if half is None:
                if null_count > MAX_RETRY_COUNT_WHEN_HALF_NULL:
                    break
                null_count += 1
                low = self.store.min_offset_in_queue(tx.HALF_TOPIC, queue_id)
                if i >= self.store.max_offset_in_queue(tx.HALF_TOPIC, queue_id) or i >= low:
                    break                      # no new message (or a hole): look again next run
                new_offset = i = low           # cleaned up below the queue's minimum: jump
                continue
            props = half.props
            key = transaction_key(half, props)
            newest = svc.ledger.open.get(key)
            if newest is None or newest > i:
                # decided meanwhile, or an older copy of a transaction the check copied already (a restart
                # with an older check offset): nothing to ask (Java would ask again)
                new_offset = i = i + 1
                continue
            now = self.clock()
            if need_discard(props, self.config.transactionCheckMax) or now - half.born_timestamp > self.file_reserved_ms:
                self._discard(half, props)
                svc.ledger.discarded(key)
                new_offset = i = i + 1
                continue
            if half.store_timestamp >= start:
                break                          # stored after this run began: next run
            age = now - half.born_timestamp
            immunity = immunity_ms(props, timeout)
            if immunity is not None:
                if age < immunity and self._immunity_settled(half, props, remove, done, key):
                    new_offset = i = i + 1
                    continue
            elif 0 <= age < timeout:
                break                          # too young to ask about: the rest is younger still
            if not (age > (timeout if immunity is None else immunity) or age <= -1):
                # Java pulls more op records here and comes back to the same message, spinning until its
                # time limit when none come: the next run looks again instead
                break
            if not self._put_back_and_check(half, props, key):
                continue                       # the copy failed: try this one again (until the time limit)
            new_offset = i = i + 1
        if new_offset != half_offset:
            svc.commit_check_offset(tx.HALF_TOPIC, queue_id, new_offset)
        new_op = op_offset
        for off in sorted(done):
            if off != new_op:
                break
            new_op += 1
        if new_op != op_offset:
            svc.commit_check_offset(tx.OP_TOPIC, queue_id, new_op)

    def _immunity_settled(self, half: m.StoredMessage, props: dict[str, str], remove: dict[int, int],
                          done: list[int], key: str) -> bool:
        """checkPrepareQueueOffset: a message inside its own immunity time is either decided (its first copy
        has an op record) or copied forward to wait there; True when the walk may move past it."""
        raw = props.get(tx.PROPERTY_PREPARED_QUEUE_OFFSET)
        if raw is not None:
            first = tx.java_long(raw)
            if first == -1:
                return False
            if first in remove:
                done.append(remove.pop(first))
                return True
        return self._put(tx.immunity_renewed(half, props), key)

    def _put(self, copy: m.StoredMessage, key: str) -> bool:
        result = self.store.put_message(copy)
        if not result.ok:
            log.error("half message copy failed: %s", result.status.value)
            return False
        self.service.ledger.half_stored(key, copy.queue_offset)
        return True

    def _put_back_and_check(self, half: m.StoredMessage, props: dict[str, str], key: str) -> bool:
        """putBackHalfMsgQueue + resolveHalfMsg: the copy is the one the producer is asked about."""
        copy = tx.renewed(half, props)
        if not self._put(copy, key):
            return False
        half.queue_offset, half.physical_offset = copy.queue_offset, copy.physical_offset
        self._send_check(half, props)
        return True

    def _send_check(self, half: m.StoredMessage, props: dict[str, str]) -> None:
        group = props.get(tx.PROPERTY_PRODUCER_GROUP, "")
        conn = self.producers.available_channel(group)
        if conn is None:
            log.warning("Check transaction failed, channel is null. groupId=%s", group)
            return
        msg_id = props.get(m.PROPERTY_UNIQ_KEY)
        header = CheckTransactionStateRequestHeader(
            tranStateTableOffset=half.queue_offset, commitLogOffset=half.physical_offset, msgId=msg_id,
            transactionId=msg_id, offsetMsgId=m.offset_msg_id(half.store_host, half.physical_offset))
        request = make_request(RequestCode.CHECK_TRANSACTION_STATE, header.encode(), tx.check_body(half, props),
                               oneway=True)
        try:
            conn.oneway(request)
            self.checks_sent += 1
        except Exception as e:  # noqa: BLE001 - a dead channel is cleaned up by its close event
            log.warning("check transaction state of %s on %s failed: %s", msg_id, getattr(conn, "remote_addr", "?"), e)

    def _discard(self, half: m.StoredMessage, props: dict[str, str]) -> None:
        """resolveDiscardMsg: checked too often (or too old): kept in TRANS_CHECK_MAX_TIME_TOPIC, never asked again."""
        log.error("half message %s checked too many times, moved to %s", props.get(m.PROPERTY_UNIQ_KEY),
                  tx.CHECK_MAX_TIME_TOPIC)
        self.topics.create_in_send_back(tx.CHECK_MAX_TIME_TOPIC, 1, 6)
        result = self.store.put_message(tx.discarded(half, props, 0))
        if result.ok:
            self.discarded += 1
        else:
            log.error("moving a half message to %s failed: %s", tx.CHECK_MAX_TIME_TOPIC, result.status.value)

"""The timer service (TimerMessageStore.java in 5.x), on the store's event loop.

Enqueue: the send hook stores a timed message in topic rmq_sys_wheel_timer (queue 0) with TIMER_OUT_MS; a
task reads that consume queue from the checkpointed offset and appends one timer-log unit per message,
linking it into the wheel slot of its time (a message already due goes straight back to its topic).
Dequeue: a task walks the wheel one tick (timerPrecisionMs) at a time once the tick is over, reads the slot's
units (newest to oldest through their prev pointers, then in arrival order) and puts each message back into
its real topic, in slices so sends keep their turn. A time beyond the roll window (timerRollWindowSlot ticks)
is parked at an intermediate slot and re-put into the timer topic when that comes (a roll), as 5.x does.

Memory stays flat with the number of pending timers: wheel and log live in mmap files; only one slot's units
are in memory while that slot is delivered. After a SIGKILL the mapped pages survive in the page cache, so the
restart resumes at the checkpoint's read time (a slot cut off mid-delivery goes again: at least once) and its
queue offset (entries past the timer log's last unit are enqueued again, none twice).
"""
from __future__ import annotations

import asyncio
import logging
import mmap
import os
import random
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, Iterator

from .. import message as m
from ..dispatch import DispatchRequest
from ..results import PutStatus
from . import convert as c
from .checkpoint import TimerCheckpoint
from .log import MAGIC_DEFAULT, MAGIC_DELETE, MAGIC_ROLL, UNIT_SIZE, TimerLog, Unit, decode_unit, encode_unit
from .wheel import EMPTY, SLOTS_TOTAL, Slot, TimerWheel

if TYPE_CHECKING:
    from ..message_store import MessageStore

log = logging.getLogger("store")

TIMER_BLANK_SLOTS = 60
ENQUEUE_BATCH = 256
DELIVER_SLICE = 64          # messages put back per turn of the loop
CLEAN_INTERVAL = 30.0       # s between looks for timer-log files whose messages all expired (as 5.x)
STOP_GRACE = 10.0           # s a stop waits for the tick being put back
_RETRYABLE = {PutStatus.SERVICE_NOT_AVAILABLE, PutStatus.FLUSH_DISK_TIMEOUT, PutStatus.FLUSH_SLAVE_TIMEOUT,
              PutStatus.OS_PAGECACHE_BUSY, PutStatus.CREATE_MAPEDFILE_FAILED, PutStatus.SLAVE_NOT_AVAILABLE,
              PutStatus.UNKNOWN_ERROR}


def wheel_path(root: str) -> str:
    return os.path.join(root, "timerwheel")


def log_path(root: str) -> str:
    return os.path.join(root, "timerlog")


def checkpoint_path(root: str) -> str:
    return os.path.join(root, "config", "timercheck")     # BrokerPathConfigHelper.getTimerCheckPath


def roll_window_slots(configured: int, slots_total: int = SLOTS_TOTAL) -> int:
    if configured > slots_total - TIMER_BLANK_SLOTS or configured < 2:
        return slots_total - TIMER_BLANK_SLOTS
    return configured


def placement(delayed_ms: int, write_ms: int, window_slots: int, precision_ms: int) -> tuple[int, bool]:
    """doEnqueue's roll rule: (the time whose slot takes the unit, whether it is a roll). A time at least a
    window ahead of the write time parks half a window ahead when it is less than a third of a window beyond
    the window (so the next roll has time), else a whole window ahead."""
    window = window_slots * precision_ms
    if delayed_ms - write_ms < window:
        return delayed_ms, False
    if delayed_ms - write_ms - window < window_slots // 3 * precision_ms:
        return write_ms + window_slots // 2 * precision_ms, True
    return write_ms + window, True


def precision_of(configured: int) -> int:
    """setTimerPrecisionMs: the largest of 100, 200, 500, 1000 not above the configured value (100 below)."""
    candidates = (100, 200, 500, 1000)
    return max([x for x in candidates if x <= configured] or [100])


class TimerMessageStore:
    def __init__(self, store: "MessageStore", clock: Callable[[], int] | None = None) -> None:
        cfg = store.config
        self.store = store
        self.config = cfg
        self.root = cfg.storePathRootDir
        self.precision = precision_of(cfg.timerPrecisionMs)
        self.clock = clock or store.clock
        self.window_slots = roll_window_slots(cfg.timerRollWindowSlot)
        self.wheel: TimerWheel | None = None
        self.log: TimerLog | None = None
        self.checkpoint: TimerCheckpoint | None = None
        self.curr_read_ms = 0          # the next tick to deliver; every earlier tick is delivered
        self.curr_write_ms = 0         # ticks before this take no more units (those times go out at once)
        self.queue_offset = 0          # the next timer-topic consume-queue entry to enqueue
        self.pending = 0               # units in the wheel from curr_read_ms on (timerCongestNum)
        self.enqueued = 0
        self.dequeued = 0
        self.last_lag_ms = 0           # how late the last put-back was after its tick ended
        self._tps = (0.0, 0.0)
        self._marks = (0, 0)           # enqueued, dequeued at the last flush (the TPS figures)
        self._committed = (0, 0)       # read time, queue offset at the last flush (the data version)
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task] = []
        self._io: ThreadPoolExecutor | None = None
        self._read_file = None         # the commit-log file read last (read_message)
        self._delivering = False       # a tick is being put back (stop lets it finish)
        self.running = False

    def tick(self, ms: int) -> int:
        return ms // self.precision * self.precision

    # ------------------------------------------------------------ load and recovery
    def load(self) -> None:
        """Open (or create) the wheel, log and checkpoint and recover them; blocking, run off the loop."""
        cfg = self.config
        self.wheel = TimerWheel(wheel_path(self.root), self.precision)
        self.log = TimerLog(log_path(self.root), cfg.mappedFileSizeTimerLog)
        self.log.load()
        self.checkpoint = TimerCheckpoint(checkpoint_path(self.root))
        self._recover()

    def _recover(self) -> None:
        cp = self.checkpoint
        fresh = not cp.existed and not self.log.queue.files
        end, found = self.log.recover(cp.last_timer_log_flush_pos if cp.existed else 0)
        for pos, delayed in found:
            self.wheel.revise_slot(delayed, pos)
        offset = cp.last_timer_queue_offset
        after_last = self._queue_offset_after_unit(end - UNIT_SIZE) if end >= UNIT_SIZE else None
        if after_last is not None:
            offset = max(offset, after_last)
        cq = self.store.consume_queue(c.TIMER_TOPIC, 0)
        if cq is not None:
            offset = min(max(offset, cq.min_offset()), cq.max_offset())
        self.queue_offset = offset
        now = self.tick(self.clock())
        earliest = now - SLOTS_TOTAL * self.precision + TIMER_BLANK_SLOTS * self.precision
        self.curr_read_ms = now if fresh else max(cp.last_read_time_ms, earliest)
        self.curr_write_ms = now
        if not fresh:
            self.pending = self.wheel.count_from(self.curr_read_ms)
            self.wheel.mm.madvise(mmap.MADV_DONTNEED)   # the scan's pages need not stay resident
        cp.last_timer_log_flush_pos = end
        self._commit()
        log.info("timer recovered: read time %d, queue offset %d, timer log end %d, %d units revised, %d pending",
                 self.curr_read_ms, self.queue_offset, end, len(found), self.pending)

    def _queue_offset_after_unit(self, pos: int) -> int | None:
        """reviseQueueOffset: the consume-queue offset after the message of the timer log's last unit."""
        unit = self.log.unit_at(pos)
        if unit is None:
            return None
        msg = self.store.commitlog.message_at(unit.offset_py)
        if msg is None or msg.topic != c.TIMER_TOPIC:
            return None
        return msg.queue_offset + 1

    def _commit(self) -> None:
        cp = self.checkpoint
        cp.last_read_time_ms = self.curr_read_ms
        cp.last_timer_queue_offset = cp.master_timer_queue_offset = self.queue_offset
        cp.write()

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.running = True
        self._wake = asyncio.Event()
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="timer-flush")
        self.store.listeners.append(self._arrived)
        self._tasks = [asyncio.create_task(self._enqueue_loop(), name="timer-enqueue"),
                       asyncio.create_task(self._dequeue_loop(), name="timer-dequeue"),
                       asyncio.create_task(self._flush_loop(), name="timer-flush")]

    async def stop(self) -> None:
        if self.running:
            self.running = False
            if self._arrived in self.store.listeners:
                self.store.listeners.remove(self._arrived)
            # a tick being put back is finished first (bounded), so a clean restart delivers each timer once
            dequeue = self._tasks[1]
            if self._delivering:
                await asyncio.wait([dequeue], timeout=STOP_GRACE)
            for t in self._tasks:
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks.clear()
            flushed = await asyncio.get_running_loop().run_in_executor(self._io, self._flush_files)
            self._io.shutdown(wait=True)
            self.checkpoint.last_timer_log_flush_pos = flushed
        self.close()

    def close(self) -> None:
        if self.checkpoint is not None:
            self.checkpoint.flush()
            self.checkpoint.close()
        if self.wheel is not None:
            self.wheel.close()
        if self.log is not None:
            self.log.close()
        self.wheel = self.log = self.checkpoint = None

    def _arrived(self, req: DispatchRequest) -> None:
        if req.topic == c.TIMER_TOPIC and self._wake is not None:
            self._wake.set()

    def maybe_move_write_time(self) -> None:
        now = self.tick(self.clock())
        if now > self.curr_write_ms:
            self.curr_write_ms = now

    # ------------------------------------------------------------ enqueue
    async def _enqueue_loop(self) -> None:
        while True:
            try:
                n = await self.enqueue_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad entry must not end the service
                log.exception("timer enqueue failed")
                n = 0
                await asyncio.sleep(0.05)
            if n:
                await asyncio.sleep(0)
                continue
            self._wake.clear()
            try:
                async with asyncio.timeout(1.0):     # woken by the next dispatch to the timer topic
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def enqueue_once(self, limit: int = ENQUEUE_BATCH) -> int:
        """Enqueue up to `limit` timer-topic entries from the queue offset; returns how many were taken."""
        cq = self.store.consume_queue(c.TIMER_TOPIC, 0)
        if cq is None:
            return 0
        if self.queue_offset < cq.min_offset():
            log.warning("timer queue offset %d below the queue's minimum %d", self.queue_offset, cq.min_offset())
            self.queue_offset = cq.min_offset()
        count, entries = cq.entries(self.queue_offset, limit)
        if not count:
            return 0
        self.maybe_move_write_time()
        done = 0
        for phys, size, _tags in entries:
            text = self.read_properties(phys, size)
            raw = c.property_of(text, c.PROPERTY_TIMER_OUT_MS) if text is not None else None
            delayed = int(raw) if raw is not None and raw.isdigit() else None
            if delayed is None:
                log.error("timer entry %d at commit log %d has no message or TIMER_OUT_MS, skipped",
                          self.queue_offset, phys)
            elif delayed < self.curr_write_ms:
                stored = self.read_message(phys, size)
                out = c.put_back(stored, stored.props, c.NEVER_ENQUEUED, False, self.clock()) if stored else None
                if out is not None:
                    await self._put_back([out])
                    self.dequeued += 1
            else:
                self._do_enqueue(phys, size, delayed, c.property_of(text, c.PROPERTY_REAL_TOPIC) or "",
                                 c.property_of(text, c.PROPERTY_TIMER_DEL_UNIQKEY) is not None)
            self.queue_offset += 1
            done += 1
        self._commit()
        return done

    def _do_enqueue(self, phys: int, size: int, delayed: int, real_topic: str, delete: bool) -> None:
        write = self.curr_write_ms
        at, roll = placement(delayed, write, self.window_slots, self.precision)
        magic = MAGIC_DEFAULT | (MAGIC_ROLL if roll else 0) | (MAGIC_DELETE if delete else 0)
        slot = self.wheel.get_slot(at)
        topic_hash = m.java_string_hash(real_topic)
        pos = self.log.append(encode_unit(slot.last_pos, magic, write, at, phys, size, topic_hash))
        self.wheel.put_slot(at, pos if slot.first_pos == -1 else slot.first_pos, pos, slot.num + 1, slot.magic)
        self.pending += 1
        self.enqueued += 1

    def is_reject(self, deliver_ms: int) -> bool:
        """Flow control per slot (timerCongestNumEachSlot): refuse above twice the limit, at random between."""
        limit = self.config.timerCongestNumEachSlot
        if self.wheel is None or limit >= 2**31 - 1:
            return False
        num = self.wheel.get_slot(deliver_ms).num
        if num <= limit:
            return False
        if num >= limit * 2:
            return True
        return random.randrange(1000) > 1000 * (num - limit) / (limit + 0.1)

    # ------------------------------------------------------------ dequeue
    async def _dequeue_loop(self) -> None:
        turns = 0
        while self.running:
            try:
                progressed = await self.dequeue_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the tick is tried again
                log.exception("timer delivery of tick %d failed; retried", self.curr_read_ms)
                await asyncio.sleep(0.5)
                continue
            if not progressed:
                # the next tick ends at curr_write_ms + precision: wake right then
                await asyncio.sleep(max(0.001, (self.curr_write_ms + self.precision - self.clock()) / 1000))
                continue
            turns += 1
            if turns % 4096 == 0:      # a long stretch of empty ticks (after a downtime) yields now and then
                await asyncio.sleep(0)

    async def dequeue_once(self) -> bool:
        """Deliver the tick at the read time if that tick is over; False when none is due yet."""
        self.maybe_move_write_time()
        if self.curr_read_ms >= self.curr_write_ms:
            return False
        slot = self.wheel.get_slot(self.curr_read_ms)
        if slot is not EMPTY:
            self._delivering = True
            try:
                await self._deliver_slot(slot)
            finally:
                self._delivering = False
        self._move_read_time()
        return True

    def _move_read_time(self) -> None:
        self.curr_read_ms += self.precision
        self.checkpoint.last_read_time_ms = self.curr_read_ms
        self.checkpoint.write()

    async def slot_units(self, slot: Slot) -> list[Unit]:
        """The slot's units in arrival order (the list runs newest to oldest); a long list is read in turns of
        the loop (100,000 units take a few hundred ms)."""
        units: list[Unit] = []
        queue = self.log.queue
        mf = None
        pos = slot.last_pos
        while pos != -1:
            if mf is None or not mf.file_from_offset <= pos < mf.file_from_offset + mf.size:
                mf = queue.find(pos)
                if mf is None:
                    log.error("timer log position %d of tick %d is gone", pos, slot.time_ms)
                    break
            unit = decode_unit(mf.mm, pos - mf.file_from_offset)
            if unit is None:
                log.error("timer log position %d of tick %d is not a unit", pos, slot.time_ms)
                break
            units.append(unit)
            pos = unit.prev_pos
            if len(units) % 4096 == 0:
                await asyncio.sleep(0)
        units.reverse()
        return units

    def _record_at(self, offset: int, size: int):
        """(mapped file, position) of the written record at `offset`, or None. The file is looked up once per
        file, not per record: a due burst reads thousands of neighbouring records."""
        mf = self._read_file
        if mf is None or not mf.file_from_offset <= offset < mf.file_from_offset + mf.size or mf.mm.closed:
            mf = self._read_file = self.store.commitlog.queue.find(offset)
            if mf is None:
                return None
        pos = offset - mf.file_from_offset
        return (mf, pos) if pos + size <= mf.wrote_position else None

    def read_message(self, offset: int, size: int) -> m.StoredMessage | None:
        """The timer-topic record at `offset`, decoded straight from its mapped file."""
        at = self._record_at(offset, size)
        if at is None:
            return None
        try:
            return m.decode(at[0].mm, at[1], check_crc=False)
        except (m.RecordError, ValueError):
            return None

    def read_properties(self, offset: int, size: int) -> str | None:
        at = self._record_at(offset, size)
        return c.record_properties(at[0].mm, at[1]) if at is not None else None

    async def _deliver_slot(self, slot: Slot) -> None:
        units = await self.slot_units(slot)
        due = slot.time_ms + self.precision
        for start in range(0, len(units), DELIVER_SLICE):
            now = self.clock()
            out = []
            for unit in units[start:start + DELIVER_SLICE]:
                if unit.magic & MAGIC_DELETE and not unit.magic & MAGIC_ROLL:
                    continue                      # delete markers (5.x recall) are not delivered
                stored = self.read_message(unit.offset_py, unit.size_py)
                if stored is None:
                    log.warning("timer message at commit log %d is gone (expired?), skipped", unit.offset_py)
                    continue
                msg = c.put_back(stored, stored.props, unit.enqueue_ms, bool(unit.magic & MAGIC_ROLL), now)
                if msg is None:
                    log.error("timer message at %d has no real topic/queue, discarded", unit.offset_py)
                    continue
                out.append(msg)
            if out:
                await self._put_back(out)
                self.dequeued += len(out)
                self.last_lag_ms = self.clock() - due
            await asyncio.sleep(0)           # sends and pulls take their turn between slices
        self.pending = max(0, self.pending - slot.num)

    async def _put_back(self, msgs: list[m.StoredMessage]) -> None:
        """Store due messages; a transient failure is retried (never dropped), a message the store refuses
        for good (illegal) is logged and dropped, as 5.x's PUT_NO_RETRY."""
        while True:
            result = self.store.put_messages(msgs)
            if result.ok:
                return
            if result.status in _RETRYABLE:
                log.warning("timer put back failed (%s), retrying", result.status.value)
                await asyncio.sleep(0.5 * self.precision / 1000)
                continue
            if len(msgs) > 1:
                for one in msgs:
                    await self._put_back([one])
                return
            log.error("timer message for %s refused by the store (%s), dropped", msgs[0].topic, result.status.value)
            return

    # ------------------------------------------------------------ flush and metrics
    def _flush_files(self) -> int:
        flushed = self.log.flush() if self.log is not None else 0
        if self.wheel is not None:
            self.wheel.flush()
        return flushed

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.config.timerFlushIntervalMs / 1000
        next_clean = loop.time() + CLEAN_INTERVAL
        while True:
            await asyncio.sleep(interval)
            try:
                if loop.time() >= next_clean:
                    next_clean = loop.time() + CLEAN_INTERVAL
                    gone = self.log.detach_expired(self.store.commitlog.min_offset())
                    for mf in gone:
                        log.info("timer log file %s points only below the commit log's minimum: deleted", mf.path)
                    if gone:
                        await loop.run_in_executor(self._io, lambda: [mf.destroy() for mf in gone])
                flushed = await loop.run_in_executor(self._io, self._flush_files)
                cp = self.checkpoint
                if cp is None:
                    return
                progress = (cp.last_read_time_ms, cp.last_timer_queue_offset)
                if progress != self._committed:
                    cp.next_version(self.clock())
                    self._committed = progress
                cp.last_timer_log_flush_pos = flushed
                await loop.run_in_executor(self._io, cp.flush)
                self._sample_tps(interval)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.exception("timer flush failed")

    def _sample_tps(self, seconds: float) -> None:
        enq, deq = self._marks
        self._tps = ((self.enqueued - enq) / seconds, (self.dequeued - deq) / seconds)
        self._marks = (self.enqueued, self.dequeued)

    def offset_behind(self) -> int:
        cq = self.store.consume_queue(c.TIMER_TOPIC, 0)
        return max(0, cq.max_offset() - self.queue_offset) if cq is not None else 0

    def runtime_info(self) -> dict[str, str]:
        """AdminBrokerProcessor.prepareRuntimeInfo's timer keys (5.x), plus the pending count (units in the
        wheel and entries not yet enqueued) and the lag of the last put-back after its tick ended."""
        if not self.running:
            return {"timerReadBehind": "0", "timerOffsetBehind": "0", "timerCongestNum": "0",
                    "timerEnqueueTps": "0.0", "timerDequeueTps": "0.0", "timerPendingNum": "0",
                    "timerDeliverLagMs": "0"}
        behind = self.offset_behind()
        return {"timerReadBehind": str(max(0, self.clock() - self.curr_read_ms) // 1000),
                "timerOffsetBehind": str(behind),
                "timerCongestNum": str(self.pending),
                "timerEnqueueTps": repr(round(self._tps[0], 1)),
                "timerDequeueTps": repr(round(self._tps[1], 1)),
                "timerPendingNum": str(self.pending + behind),
                "timerDeliverLagMs": str(max(0, self.last_lag_ms))}

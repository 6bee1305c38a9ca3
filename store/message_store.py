"""MessageStore: the facade the broker uses (DefaultMessageStore.java). Put, get, look-ups, stats; owns the
commit log, consume queues, index, checkpoint, flush and cleanup services, and the load/recover/shutdown
order. No network code.
"""
from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, Protocol

from . import message as m
from .message import MAX_PROPERTIES_LENGTH, MAX_TOPIC_LENGTH, TRANSACTION_PREPARED_TYPE, TRANSACTION_ROLLBACK_TYPE
from .allocate import Allocator
from .checkpoint import Checkpoint
from .cleanup import CleanupService
from .commitlog import CommitLog, MessageSizeExceeded
from .config import MessageStoreConfig
from .consume_queue import ConsumeQueue, select
from .dispatch import Listener, dispatch_message
from .flush import FlushService
from .ha.service import HAService
from .index_file import IndexService
from .recovery import recover_commitlog
from .reput import ReputService
from .results import GetResult, GetStatus, PutResult, PutStatus
from .stats_service import StoreStatsService, java_double

if TYPE_CHECKING:
    from .timer.service import TimerMessageStore

log = logging.getLogger("store")

_PUT_OK = PutStatus.PUT_OK     # read once: a member read off its Enum class costs ~900 instructions in 3.11


class MessageFilter(Protocol):
    def is_matched_by_consume_queue(self, tags_code: int) -> bool: ...
    def is_matched_by_commit_log(self, record: memoryview) -> bool: ...


# what consume_queue.select found -> the status of the get (Enum members read once: see broker/processors/pull.py)
_SELECT_STATUS = (GetStatus.NO_MATCHED_MESSAGE, GetStatus.MESSAGE_WAS_REMOVING, GetStatus.FOUND)


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 8 << 30


class MessageStore:
    def __init__(self, config: MessageStoreConfig, store_host: tuple[str, int] = ("127.0.0.1", 10911),
                 clock: Callable[[], int] | None = None) -> None:
        self.config = config
        self.store_host = store_host
        self.clock = clock or (lambda: int(time.time() * 1000))
        self.root = config.storePathRootDir
        self.io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-io")
        self.allocator = Allocator(self.io, warm=config.warmMapedFileEnable)
        self.commitlog = CommitLog(config.commitlog_dir, config.mappedFileSizeCommitLog, self.allocator.get)
        self.consume_queues: dict[tuple[str, int], ConsumeQueue] = {}
        self.index = IndexService(config.index_dir, config.maxHashSlotNum, config.maxIndexNum, self.clock)
        self.checkpoint: Checkpoint | None = None
        self.topic_queue_table: dict[tuple[str, int], int] = {}   # next queue offset per topic/queue
        self.listeners: list[Listener] = []
        self.append_listeners: list[Callable[[], None]] = []   # once per successful put (HA wakes its senders)
        self.dispatched_offset = 0    # commit-log offset up to which records went to consume queues and index
        self.delay_levels = config.delay_levels_ms()
        self.flush = FlushService(self)
        self.cleanup = CleanupService(self)
        self._cleanup_task: asyncio.Task | None = None
        self._stats_task: asyncio.Task | None = None
        self.last_exit_ok = True
        self.recovered_from: int | None = None   # where the re-dispatch of the last load started
        self.writeable = True
        self.disk_full = False
        self.shutting_down = False
        self._lock_fd: int | None = None
        self.memory_limit = _physical_memory() * config.accessMessageInMemoryMaxRatio // 100
        # the put/get totals (StoreStatsService's counters): get_messages = messages transferred, get_calls =
        # every get, get_found = the gets that found messages; the figures over them are in stats_service
        self.stats = {"put_messages": 0, "put_bytes": 0, "put_failed": 0, "get_messages": 0, "get_bytes": 0,
                      "get_calls": 0, "get_found": 0}
        self.stats_service = StoreStatsService(self.stats, self.clock)
        self.ha = HAService(self)
        self.reputer = ReputService(self)
        self.timer: TimerMessageStore | None = None   # the 5.x timer on a master (getTimerMessageStore)

    # ------------------------------------------------------------ lifecycle
    def _path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def load(self) -> None:
        began = time.monotonic()
        os.makedirs(self.root, exist_ok=True)
        self._take_lock()
        self.last_exit_ok = not os.path.exists(self._path("abort"))
        self.recovered_from = None
        self.commitlog.load()
        self._load_consume_queues()
        self.checkpoint = Checkpoint(self._path("checkpoint"))
        if self.config.messageIndexEnable:
            self.index.load(self.last_exit_ok, self.checkpoint.index_ts)
        self.index.on_file_full = self._index_file_full
        self._recover()
        with open(self._path("abort"), "a"):
            pass
        # the recovery result, one line (WARNING after a crash)
        log.log(logging.INFO if self.last_exit_ok else logging.WARNING,
                "store recovered from %s: %s recovery (last exit %s), commit log [%d, %d) in %d files%s, "
                "%d consume queues, took %d ms", self.root, "normal" if self.last_exit_ok else "abnormal",
                "OK" if self.last_exit_ok else "ABNORMAL", self.commitlog.min_offset(), self.commitlog.max_offset(),
                len(self.commitlog.queue.files),
                f", re-dispatched from {self.recovered_from}" if self.recovered_from is not None else "",
                len(self.consume_queues), (time.monotonic() - began) * 1000)

    def _take_lock(self) -> None:
        fd = os.open(self._path("lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        except OSError:
            os.close(fd)
            raise RuntimeError("Lock failed,MQ already started") from None
        os.pwrite(fd, b"lock", 0)
        self._lock_fd = fd

    def _load_consume_queues(self) -> None:
        root = self.config.consume_queue_dir
        if not os.path.isdir(root):
            return
        for topic in os.listdir(root):
            tdir = os.path.join(root, topic)
            if not os.path.isdir(tdir):
                continue
            for qid in os.listdir(tdir):
                if not qid.lstrip("-").isdigit():
                    continue
                cq = ConsumeQueue(root, topic, int(qid), self.config.cq_file_size)
                cq.load()
                self.consume_queues[(topic, int(qid))] = cq

    def _recover(self) -> None:
        cfg = self.config
        for cq in self.consume_queues.values():
            cq.recover()
        cp = self.checkpoint
        safe = cp.min_timestamp_index() if cfg.messageIndexEnable and cfg.messageIndexSafe else cp.min_timestamp()
        if not self.commitlog.queue.files:
            for cq in self.consume_queues.values():
                cq.destroy()
            self.consume_queues.clear()
            return
        start, end = recover_commitlog(self.commitlog, self.last_exit_ok, safe, cfg.checkCRCOnRecover)
        for cq in self.consume_queues.values():
            if cq.max_physic_offset > end:
                cq.truncate_dirty_logic_files(end)
        # re-dispatch: after a crash from the safe file; always anything the queues have not seen
        self.dispatched_offset = start if not self.last_exit_ok else self._max_dispatched(self.commitlog.min_offset())
        self.recovered_from = self.dispatched_offset
        self.reput()
        cl_min = self.commitlog.min_offset()
        for key, cq in self.consume_queues.items():
            self.topic_queue_table[key] = cq.max_offset()
            cq.correct_min_offset(cl_min)

    def _max_dispatched(self, default: int) -> int:
        best = default
        for cq in self.consume_queues.values():
            best = max(best, cq.max_physic_offset)
        return best

    def start(self) -> None:
        self.flush.start()
        self.reputer.start()
        self._cleanup_task = asyncio.create_task(self._periodic_cleanup(self.config.cleanResourceInterval / 1000))
        self._stats_task = asyncio.create_task(self._periodic_stats())

    async def _periodic_stats(self) -> None:
        while True:
            self.stats_service.sample()
            await asyncio.sleep(1)

    async def _periodic_cleanup(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.clean_expired_files()

    async def clean_expired_files(self) -> int:
        removed, destroy = self.cleanup.run_once(self.clock())
        await asyncio.get_running_loop().run_in_executor(self.io, destroy)
        return removed

    async def shutdown(self) -> None:
        """Stop background work, flush everything, write the checkpoint, then remove `abort`."""
        self.shutting_down = True
        for task in (self._cleanup_task, self._stats_task):
            if task is not None:
                task.cancel()
        await self.ha.stop()
        await self.reputer.stop()
        await self.flush.stop()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.io, self.flush_all)
        self.io.shutdown(wait=True)
        self.close(clean=True)

    def flush_all(self) -> None:
        self.commitlog.queue.total_flush()
        for cq in list(self.consume_queues.values()):
            cq.flush()
        self.index.flush()
        last = self.commitlog.queue.last()
        if self.checkpoint is not None and last is not None:
            self.checkpoint.physic_ts = max(self.checkpoint.physic_ts, last.store_timestamp)
            self.checkpoint.logics_ts = max(self.checkpoint.logics_ts, last.store_timestamp)
            self.checkpoint.flush()

    def close(self, clean: bool) -> None:
        self.allocator.discard()
        files = self.commitlog.queue.files
        if clean and len(files) > 1 and files[-1].wrote_position == 0:
            files.pop().destroy()   # a pre-created next file is deleted at a clean shutdown, as Java does
        behind = self.commitlog.max_offset() - self.dispatched_offset
        if clean and behind:
            log.warning("shutdown with %d bytes not yet dispatched: the next start recovers them", behind)
        if clean and self.writeable and not behind:
            try:
                os.remove(self._path("abort"))
            except FileNotFoundError:
                pass
        self.commitlog.queue.close()
        for cq in self.consume_queues.values():
            cq.close()
        self.index.close()
        if self.checkpoint:
            self.checkpoint.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ------------------------------------------------------------ put
    def put_message(self, msg: m.StoredMessage) -> PutResult:
        return self.put_messages([msg])

    def put_messages(self, msgs: list[m.StoredMessage]) -> PutResult:
        """Append one message, or a batch as consecutive records in one file. Synchronous: the records are in
        the page cache and dispatched when this returns; `wait_stored` adds the SYNC_FLUSH / SYNC_MASTER guarantees."""
        if not msgs:
            return PutResult(PutStatus.MESSAGE_ILLEGAL)
        cfg = self.config
        # the store's state: the same answer for every message of the put (checks inline, not in helper
        # methods: a method call costs more than the checks)
        if self.shutting_down or not self.writeable or cfg.is_slave or self.disk_full:
            return PutResult(PutStatus.SERVICE_NOT_AVAILABLE)
        max_body = cfg.maxMessageSize
        topics = []
        props = []
        for msg in msgs:
            # each message's own checks, and the UTF-8 of its topic and properties (the record is encoded from them)
            topic = msg.topic.encode("utf-8")
            if len(topic) > MAX_TOPIC_LENGTH:
                return PutResult(PutStatus.MESSAGE_ILLEGAL)
            prop = msg.properties.encode("utf-8")
            if len(prop) > MAX_PROPERTIES_LENGTH:
                return PutResult(PutStatus.PROPERTIES_SIZE_EXCEEDED)
            if len(msg.body) > max_body:
                return PutResult(PutStatus.MESSAGE_ILLEGAL)
            topics.append(topic)
            props.append(prop)
        now = self.clock()
        store_host = self.store_host
        table = self.topic_queue_table
        offsets = []
        next_offsets: dict[tuple[str, int], int] = {}
        for msg in msgs:
            tx = msg.sys_flag & 0xC     # transaction_type
            if tx == TRANSACTION_PREPARED_TYPE or tx == TRANSACTION_ROLLBACK_TYPE:
                offsets.append(0)   # half/rollback records get no consume-queue entry
            else:
                key = (msg.topic, msg.queue_id)
                cur = next_offsets.get(key)
                if cur is None:
                    cur = table.get(key, 0)
                offsets.append(cur)
                next_offsets[key] = cur + 1
            msg.store_host = store_host
            msg.store_timestamp = now
        try:
            result = self.commitlog.append_messages(msgs, topics, props, offsets, now, store_host)
        except (MessageSizeExceeded, m.MessageTooLarge):
            self.stats["put_failed"] += 1
            return PutResult(PutStatus.MESSAGE_ILLEGAL)
        except OSError as e:
            log.error("append failed: %s", e)
            self.stats["put_failed"] += 1
            return PutResult(PutStatus.CREATE_MAPEDFILE_FAILED)
        table.update(next_offsets)
        delay_levels = self.delay_levels
        for msg in msgs:
            dispatch_message(self, msg, msg.physical_offset, delay_levels)
        self.dispatched_offset = result.wrote_offset + result.wrote_bytes
        for notify in self.append_listeners:
            notify()
        stats = self.stats
        stats["put_messages"] += len(msgs)
        stats["put_bytes"] += result.wrote_bytes
        # putMessageEntireTimeMax and the latency distribution: one list item per put (the append and the
        # dispatch; a SYNC_FLUSH / SYNC_MASTER wait comes after and is not in it, unlike Java's future)
        elapsed = self.clock() - now
        ss = self.stats_service
        ss.put_latency[(elapsed if elapsed < 10001 else 10001) if elapsed > 0 else 0] += 1
        if elapsed > ss.put_time_max:
            ss.put_time_max = elapsed
        return PutResult(PutStatus.PUT_OK, result)

    def must_wait(self, result: PutResult, wait: bool = True) -> bool:
        """Whether the answer to this put waits: for the disk (SYNC_FLUSH) and/or a slave (SYNC_MASTER), only
        for messages whose WAIT property is not "false" (isWaitStoreMsgOK)."""
        cfg = self.config
        return result.status is _PUT_OK and wait and (cfg.sync_flush or cfg.sync_master)

    async def wait_stored(self, result: PutResult, wait: bool = True) -> PutResult:
        """The put's final status once the flush (FLUSH_DISK_TIMEOUT after syncFlushTimeout) and the slave
        acknowledgement (SLAVE_NOT_AVAILABLE at once, FLUSH_SLAVE_TIMEOUT after slaveTimeout) are known; both
        run together and a replication failure wins over a flush failure, as Java's thenCombine."""
        if not self.must_wait(result, wait):
            return result
        end = result.append.wrote_offset + result.append.wrote_bytes
        cfg = self.config
        flush_ok = replica = None
        if cfg.sync_master:
            replica = self.ha.wait_for_slave(end, cfg.slaveTimeout / 1000)
        if cfg.sync_flush:
            flush_ok = self.flush.group_commit(end, cfg.syncFlushTimeout / 1000)
        if flush_ok is not None and replica is not None:
            flushed, replicated = await asyncio.gather(flush_ok, replica)
        else:
            flushed = await flush_ok if flush_ok is not None else True
            replicated = await replica if replica is not None else PutStatus.PUT_OK
        status = PutStatus.PUT_OK if flushed else PutStatus.FLUSH_DISK_TIMEOUT
        if replicated != PutStatus.PUT_OK:
            status = replicated
        return result if status == PutStatus.PUT_OK else PutResult(status, result.append)

    async def put_message_async(self, msg: m.StoredMessage) -> PutResult:
        return await self.wait_stored(self.put_message(msg))

    # ------------------------------------------------------------ replication (slave side)
    def append_replica(self, offset: int, data: bytes | bytearray | memoryview) -> bool:
        """appendToCommitLog: raw bytes from the master at exactly `offset`. Dispatch into consume queues and
        index follows behind, on the reput service (as Java's slave: it copies and acknowledges at the speed of
        the link, and dispatchBehindBytes says how far reads lag). False when the bytes do not continue this
        log (the HA client then drops the connection)."""
        if self.shutting_down:
            return False
        was_empty = self.commitlog.max_offset() == 0
        if not self.commitlog.append_data(offset, data):
            log.error("HA: append of %d bytes at %d refused: the commit log ends at %d", len(data), offset,
                      self.commitlog.max_offset())
            return False
        if was_empty:
            self.dispatched_offset = offset   # an empty slave starts where the master's stream starts
        self.reputer.wake()
        return True

    def reput(self, limit: int | None = None) -> int:
        """Dispatch the complete records between the dispatched offset and the end of the commit log, at most
        `limit` of them; a record still arriving (partial) waits for the next call. Returns how many."""
        count = 0
        last_ts = 0
        for offset, msg, nxt in self.commitlog.records(self.dispatched_offset):
            if msg is not None:
                if limit is not None and count == limit:
                    break
                dispatch_message(self, msg, offset, self.delay_levels)
                last_ts = msg.store_timestamp
                count += 1
            self.dispatched_offset = nxt
        if count:
            self.commitlog.queue.last().store_timestamp = last_ts   # for the checkpoint, as a slave's reput sets it
        return count

    # ------------------------------------------------------------ dispatch (store.dispatch.dispatch: CQ, index, listeners)
    def _index_file_full(self, end_ts: int) -> None:
        if self.checkpoint is not None:
            self.checkpoint.index_ts = end_ts

    def consume_queue(self, topic: str, queue_id: int, create: bool = False) -> ConsumeQueue | None:
        cq = self.consume_queues.get((topic, queue_id))
        if cq is None and create:
            cq = ConsumeQueue(self.config.consume_queue_dir, topic, queue_id, self.config.cq_file_size)
            self.consume_queues[(topic, queue_id)] = cq
        return cq

    # ------------------------------------------------------------ get
    def get_message(self, topic: str, queue_id: int, offset: int, max_msgs: int,
                    msg_filter: MessageFilter | None = None, max_total_bytes: int | None = None,
                    body: list[bytes] | None = None) -> GetResult:
        """DefaultMessageStore.getMessage: the stored records of a queue from `offset`, as memoryviews into the
        commit log (no copies), with Java's status and next-offset rules (master: offsets are corrected).
        With `body` (the pull's answer), each record is appended to it as bytes instead, and result.buffers and
        result.offsets stay empty: a copy costs less than a view to make and release, and nothing sent holds
        the map open."""
        stats = self.stats
        stats["get_calls"] += 1
        cq = self.consume_queues.get((topic, queue_id))
        if cq is None:
            return GetResult(GetStatus.NO_MATCHED_LOGIC_QUEUE, 0, 0, 0)
        lo, hi = cq.min_offset(), cq.max_offset()
        if hi == 0:
            return GetResult(GetStatus.NO_MESSAGE_IN_QUEUE, 0, lo, hi)
        if offset < lo:
            return GetResult(GetStatus.OFFSET_TOO_SMALL, lo, lo, hi)
        if offset == hi:
            return GetResult(GetStatus.OFFSET_OVERFLOW_ONE, offset, lo, hi)
        if offset > hi:
            return GetResult(GetStatus.OFFSET_OVERFLOW_BADLY, lo if lo == 0 else hi, lo, hi)
        begin = self.clock()
        buf, n_entries = cq.window(offset, max(16000, max_msgs * 20) // 20)  # maxFilterMessageCount: CQ bytes
        if not n_entries:
            return GetResult(GetStatus.OFFSET_FOUND_NULL, self._roll_next_cq_file(cq, offset), lo, hi)
        result = GetResult(GetStatus.NO_MATCHED_MESSAGE, offset, lo, hi)
        queue = self.commitlog.queue
        max_phy = queue.max_offset()
        cfg = self.config
        if max_total_bytes is None:
            in_memory, in_disk = cfg.maxTransferBytesOnMessageInMemory, cfg.maxTransferBytesOnMessageInDisk
        else:
            in_memory = in_disk = max_total_bytes
        found, result.next_begin_offset, max_pulling, total, count = select(
            buf, n_entries, offset, queue, queue.min_offset(), max_phy, self.memory_limit, max_msgs,
            in_memory, cfg.maxTransferCountOnMessageInMemory, in_disk, cfg.maxTransferCountOnMessageInDisk,
            msg_filter, result.buffers, result.offsets, body)
        result.status = _SELECT_STATUS[found]
        result.suggest_pulling_from_slave = (max_phy - max_pulling) > self.memory_limit
        stats["get_messages"] += count
        stats["get_bytes"] += total
        if count:
            stats["get_found"] += 1
        elapsed = self.clock() - begin
        ss = self.stats_service
        if elapsed > ss.get_time_max:
            ss.get_time_max = elapsed
        return result

    def _roll_next_cq_file(self, cq: ConsumeQueue, offset: int) -> int:
        per_file = self.config.cq_file_size // 20
        return offset + per_file - offset % per_file

    # ------------------------------------------------------------ look-ups
    def look_message_by_offset(self, phys: int) -> m.StoredMessage | None:
        return self.commitlog.message_at(phys)

    def select_one_message_by_offset(self, phys: int, size: int | None = None) -> memoryview | None:
        size = size or self.commitlog.record_size_at(phys)
        return self.commitlog.view(phys, size) if size > 0 else None

    def query_message(self, topic: str, key: str, max_num: int, begin: int, end: int) -> tuple[list[m.StoredMessage], int, int]:
        offsets, last_ts, last_phy = self.index.query(topic, key, min(max_num, self.config.maxMsgsNumBatch), begin, end)
        out = []
        for phys in offsets:
            msg = self.commitlog.message_at(phys)
            if msg is not None and msg.topic == topic:
                out.append(msg)
        return out, last_ts, last_phy

    def min_offset_in_queue(self, topic: str, queue_id: int) -> int:
        cq = self.consume_queue(topic, queue_id)
        return cq.min_offset() if cq else 0

    def max_offset_in_queue(self, topic: str, queue_id: int) -> int:
        cq = self.consume_queue(topic, queue_id)
        return cq.max_offset() if cq else 0

    def commit_log_offset_in_queue(self, topic: str, queue_id: int, cq_offset: int) -> int:
        cq = self.consume_queue(topic, queue_id)
        e = cq.entry(cq_offset) if cq else None
        return e[0] if e else 0

    def offset_in_queue_by_time(self, topic: str, queue_id: int, timestamp: int) -> int:
        """Binary search of the consume queue by store time (ConsumeQueue.getOffsetInQueueByTime)."""
        cq = self.consume_queue(topic, queue_id)
        if cq is None:
            return 0
        lo, hi = cq.min_offset(), cq.max_offset() - 1
        if hi < lo:
            return 0
        best = None
        while lo <= hi:
            mid = (lo + hi) // 2
            e = cq.entry(mid)
            msg = self.commitlog.message_at(e[0]) if e else None
            if msg is None:
                lo = mid + 1
                continue
            if msg.store_timestamp < timestamp:
                lo = mid + 1
            else:
                best = mid
                hi = mid - 1
        return best if best is not None else cq.max_offset()

    def earliest_message_time(self, topic: str, queue_id: int) -> int:
        cq = self.consume_queue(topic, queue_id)
        if cq is None:
            return -1
        e = cq.entry(cq.min_offset())
        msg = self.commitlog.message_at(e[0]) if e else None
        return msg.store_timestamp if msg else -1

    def runtime_info(self) -> dict[str, str]:
        """The store's part of GET_BROKER_RUNTIME_INFO (DefaultMessageStore.getRuntimeInfo), Java's keys."""
        from .cleanup import disk_used_ratio
        info = self.stats_service.runtime_info()
        cl_dir = self.config.commitlog_dir
        cl_ratio = java_double(disk_used_ratio(cl_dir) if os.path.exists(cl_dir) else -1.0)
        info.update({f"commitLogDiskRatio_{cl_dir}": cl_ratio, "commitLogDiskRatio": cl_ratio,
                     "consumeQueueDiskRatio": java_double(disk_used_ratio(self.config.consume_queue_dir)),
                     "commitLogMinOffset": str(self.commitlog.min_offset()),
                     "commitLogMaxOffset": str(self.commitlog.max_offset()),
                     "dispatchBehindBytes": str(max(0, self.commitlog.max_offset() - self.dispatched_offset)),
                     "earliestMessageTimeStamp": str(self._earliest_commitlog_time())})
        info.update(self.ha.runtime_info())
        if self.timer is not None:
            info.update(self.timer.runtime_info())
        return info

    def _earliest_commitlog_time(self) -> int:
        msg = self.commitlog.message_at(self.commitlog.min_offset())
        return msg.store_timestamp if msg else -1

"""Flushing: ASYNC_FLUSH (a periodic msync of the commit log and consume queues) and SYNC_FLUSH group commit
(a put completes only when a flush covering it has finished). Every msync runs on the store's I/O thread,
never on the event loop; the loop only schedules and collects.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .message_store import MessageStore

log = logging.getLogger("store")


class FlushService:
    def __init__(self, store: "MessageStore") -> None:
        self.store = store
        self.flushed_offset = 0
        self._waiters: list[tuple[int, asyncio.Future]] = []
        self._commit_task: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.flushed_offset = self.store.commitlog.queue.total_flush()
        cfg = self.store.config
        self._tasks.append(asyncio.create_task(self._periodic(
            cfg.flushIntervalCommitLog / 1000, cfg.flushCommitLogThoroughInterval / 1000,
            self._flush_commitlog_round, cfg.flushCommitLogLeastPages, "commit log")))
        self._tasks.append(asyncio.create_task(self._periodic(
            cfg.flushIntervalConsumeQueue / 1000, cfg.flushConsumeQueueThoroughInterval / 1000,
            self._flush_consume_queues, cfg.flushConsumeQueueLeastPages, "consume queue")))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except asyncio.CancelledError:
                pass
        self._tasks.clear()
        if self._commit_task is not None:
            await asyncio.wait([self._commit_task], timeout=5)

    # ------------------------------------------------------------ blocking work, on the I/O thread
    def _flush_commitlog(self, least_pages: int) -> int:
        where = self.store.commitlog.queue.total_flush(least_pages)
        last = self.store.commitlog.queue.last()
        cp = self.store.checkpoint
        if cp is not None and last is not None and last.flushed_position == last.wrote_position:
            cp.physic_ts = max(cp.physic_ts, last.store_timestamp)
        return where

    def _flush_commitlog_round(self, least_pages: int, thorough: bool) -> None:
        self.flushed_offset = self._flush_commitlog(least_pages)

    def _flush_consume_queues(self, least_pages: int, thorough: bool) -> None:
        store = self.store
        last = store.commitlog.queue.last()
        ts = last.store_timestamp if last is not None else 0
        for cq in list(store.consume_queues.values()):
            cq.flush(least_pages)
        cp = store.checkpoint
        if cp is not None:
            cp.logics_ts = max(cp.logics_ts, ts)
            if thorough:
                cp.flush()

    # ------------------------------------------------------------ async flush
    async def _periodic(self, interval: float, thorough_every: float, job, least_pages: int, what: str) -> None:
        """Every `interval`, run `job(least_pages, thorough)` on the I/O thread; a thorough round (any dirty
        page counts) every `thorough_every` seconds."""
        loop = asyncio.get_running_loop()
        last_thorough = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            thorough = time.monotonic() - last_thorough >= thorough_every
            if thorough:
                last_thorough = time.monotonic()
            try:
                await loop.run_in_executor(self.store.io, job, 0 if thorough else least_pages, thorough)
            except Exception:  # noqa: BLE001 - a flush error is logged and retried next round
                log.exception("%s flush failed", what)

    # ------------------------------------------------------------ sync flush (group commit)
    async def group_commit(self, offset: int, timeout: float) -> bool:
        """Wait until the commit log is flushed up to `offset`; False on timeout (FLUSH_DISK_TIMEOUT)."""
        if self.flushed_offset >= offset:
            return True
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._waiters.append((offset, fut))
        if self._commit_task is None or self._commit_task.done():
            self._commit_task = asyncio.create_task(self._run_group_commit())
        # a timer handle per waiter, not wait_for(shield(...)) (two more futures and callbacks per send); the
        # round that covers the offset sets True, the timer False, whichever comes first
        timer = loop.call_later(timeout, _expire, fut)
        try:
            return await fut
        finally:
            timer.cancel()

    async def _run_group_commit(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiters:
            try:
                # one flush covers every put that reached the page cache before it started
                self.flushed_offset = await loop.run_in_executor(self.store.io, self._flush_commitlog, 0)
            except Exception:  # noqa: BLE001
                log.exception("group commit flush failed")
                await asyncio.sleep(0.01)
                continue
            still = []
            for off, fut in self._waiters:
                if off <= self.flushed_offset:
                    if not fut.done():
                        fut.set_result(True)
                else:
                    still.append((off, fut))
            self._waiters = still


def _expire(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(False)     # FLUSH_DISK_TIMEOUT: the flush did not cover the put within syncFlushTimeout

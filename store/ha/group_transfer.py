"""SYNC_MASTER waits (GroupTransferService): a put's answer waits until some slave acknowledged past the put's
end offset, or its deadline passes. One heap of waiters, released by acks; one timer per waiter."""
from __future__ import annotations

import asyncio
import heapq
import itertools


class GroupTransfer:
    def __init__(self) -> None:
        self.acked = 0     # push2SlaveMaxOffset: the highest offset any slave acknowledged
        self._heap: list[tuple[int, int, asyncio.Future]] = []
        self._seq = itertools.count()
        self._expired = 0

    def ack(self, offset: int) -> None:
        """notifyTransferSome: a slave reported `offset`; wake every waiter it covers."""
        if offset <= self.acked:
            return
        self.acked = offset
        heap = self._heap
        while heap and heap[0][0] <= offset:
            _, _, fut = heapq.heappop(heap)
            if not fut.done():
                fut.set_result(True)
            else:
                self._expired -= 1

    async def wait(self, offset: int, timeout: float) -> bool:
        """True once a slave acknowledged `offset`; False after `timeout` seconds."""
        if self.acked >= offset:
            return True
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        heapq.heappush(self._heap, (offset, next(self._seq), fut))
        timer = loop.call_later(timeout, self._expire, fut)
        try:
            return await fut
        finally:
            timer.cancel()

    def _expire(self, fut: asyncio.Future) -> None:
        if fut.done():
            return
        fut.set_result(False)
        # a timed-out waiter stays in the heap until an ack passes it: drop them when they pile up (a slave
        # that is connected but does not acknowledge)
        self._expired += 1
        if self._expired > 1024 and self._expired > len(self._heap) // 2:
            self._heap = [w for w in self._heap if not w[2].done()]
            heapq.heapify(self._heap)
            self._expired = 0

    def fail_all(self) -> None:
        """At shutdown: every waiter is answered (as a timeout) rather than left hanging."""
        for _, _, fut in self._heap:
            if not fut.done():
                fut.set_result(False)
        self._heap.clear()
        self._expired = 0

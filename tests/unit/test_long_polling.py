"""PullRequestHoldService: what a held pull returns (woken by a matching arrival, by shutdown, or its time up),
which arrivals wake it (past its offset, passing its filter), and that nothing stays held afterwards."""
from __future__ import annotations

import asyncio

from broker.long_polling import PullRequestHoldService


class Req:
    def __init__(self, topic: str, queue_id: int, cq_offset: int, tags_code: int) -> None:
        self.topic = topic
        self.queue_id = queue_id
        self.consume_queue_offset = cq_offset
        self.tags_code = tags_code


class OnlyCode:
    def __init__(self, code: int) -> None:
        self.code = code

    def is_matched_by_consume_queue(self, tags_code: int) -> bool:
        return tags_code == self.code


def test_woken_by_a_matching_arrival_only():
    async def main() -> None:
        s = PullRequestHoldService()
        held = asyncio.ensure_future(s.hold("T", 0, 5, OnlyCode(7), 30))
        await asyncio.sleep(0)
        assert len(s.held[("T", 0)]) == 1
        s.message_arrived(Req("T", 1, 9, 7))      # another queue
        s.message_arrived(Req("T", 0, 4, 7))      # max offset 5: not past the pull's offset
        s.message_arrived(Req("T", 0, 9, 8))      # filtered out
        await asyncio.sleep(0)
        assert not held.done()
        s.message_arrived(Req("T", 0, 5, 7))
        assert await held is True
        assert s.held == {}
    asyncio.run(main())


def test_time_up_and_shutdown():
    async def main() -> None:
        s = PullRequestHoldService()
        assert await s.hold("T", 0, 0, None, 0.01) is False
        assert await s.hold("T", 0, 0, None, 0) is False
        assert s.held == {}
        held = [asyncio.ensure_future(s.hold("T", q, 0, None, 30)) for q in (0, 0, 1)]
        await asyncio.sleep(0)
        s.wake_all()
        assert await asyncio.gather(*held) == [True, True, True]   # woken: the caller pulls again at once
        assert s.held == {}
    asyncio.run(main())


def test_a_cancelled_hold_leaves_nothing_behind():
    async def main() -> None:
        s = PullRequestHoldService()
        held = asyncio.ensure_future(s.hold("T", 0, 0, None, 30))
        await asyncio.sleep(0)
        held.cancel()
        try:
            await held
        except asyncio.CancelledError:
            pass
        assert s.held == {}
        s.notify_arriving("T", 0, 10, 0)     # nothing to wake, no error
    asyncio.run(main())

"""Held PULL_MESSAGE requests (PullRequestHoldService + NotifyMessageArrivingListener): a pull that found
nothing waits here until a message for its topic/queue is dispatched (and passes its filter) or its time is up."""
from __future__ import annotations

import asyncio


class HeldPull:
    __slots__ = ("queue_offset", "msg_filter", "future")

    def __init__(self, queue_offset: int, msg_filter: object | None, future: asyncio.Future) -> None:
        # written out: a dataclass's generated __init__ (default_factory included) runs as interpreted bytecode
        self.queue_offset = queue_offset
        self.msg_filter = msg_filter
        self.future = future


def _time_up(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)     # None: the time ran out; an arrival or shutdown sets a bool


class PullRequestHoldService:
    def __init__(self) -> None:
        self.held: dict[tuple[str, int], list[HeldPull]] = {}

    async def hold(self, topic: str, queue_id: int, queue_offset: int, msg_filter, timeout: float) -> bool:
        """Wait for a matching arrival; True when woken by one (or by shutdown), False when the time ran out.
        The pull's own future with a timer handle: wait_for(shield(...)) cost two more futures and a task."""
        if timeout <= 0:
            return False                # wait_for's rule: no time at all is an immediate timeout
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        pull = HeldPull(queue_offset, msg_filter, future)
        key = (topic, queue_id)
        waiting = self.held.get(key)
        if waiting is None:
            waiting = self.held[key] = []
        waiting.append(pull)
        timer = loop.call_later(timeout, _time_up, future)
        try:
            return await future is not None
        finally:
            timer.cancel()
            waiting = self.held.get(key)
            if waiting is not None:
                try:
                    waiting.remove(pull)
                except ValueError:
                    pass
                if not waiting:
                    del self.held[key]

    def message_arrived(self, req) -> None:  # noqa: ANN001 - a store DispatchRequest
        """The store's dispatch listener (NotifyMessageArrivingListener): called for every stored message, so
        the common case (nobody holds a pull on that queue) is one dict lookup. Short polling holds too: they
        just wake earlier than their timeout."""
        if self.held.get((req.topic, req.queue_id)):
            self.notify_arriving(req.topic, req.queue_id, req.consume_queue_offset + 1, req.tags_code)

    def notify_arriving(self, topic: str, queue_id: int, max_offset: int, tags_code: int) -> None:
        waiting = self.held.get((topic, queue_id))
        if not waiting:
            return
        for pull in waiting:
            if pull.future.done() or max_offset <= pull.queue_offset:
                continue
            f = pull.msg_filter
            if f is not None and not f.is_matched_by_consume_queue(tags_code):
                continue
            pull.future.set_result(True)

    def wake_all(self) -> None:
        """At shutdown: answer every held pull now."""
        for waiting in self.held.values():
            for pull in waiting:
                if not pull.future.done():
                    pull.future.set_result(False)

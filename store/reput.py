"""ReputMessageService for bytes that arrive without a put (a slave's replicated commit log): dispatch runs
behind the copy, in slices, yielding to the event loop between them, so a slave copying a large backlog keeps
answering pulls and heartbeats. A master's puts dispatch inline and never need it."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .message_store import MessageStore

log = logging.getLogger("store")

SLICE = 64                  # records per turn of the loop
SHUTDOWN_BUDGET = 5.0       # seconds to finish dispatching at a clean stop (Java waits up to 5 s as well)


class ReputService:
    def __init__(self, store: "MessageStore") -> None:
        self.store = store
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while self.store.reput(SLICE) == SLICE:
                    await asyncio.sleep(0)
            except Exception:  # noqa: BLE001 - logged; the next append wakes it again
                log.exception("reput failed at offset %d", self.store.dispatched_offset)

    async def stop(self) -> None:
        """Stop the task, then dispatch what is left, for at most SHUTDOWN_BUDGET seconds."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        deadline = time.monotonic() + SHUTDOWN_BUDGET
        while self.store.reput(SLICE * 16) and time.monotonic() < deadline:
            pass

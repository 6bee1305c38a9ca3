"""Running a daemon until SIGTERM/SIGINT: start it, print its boot line, wait, stop it in order."""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Awaitable, Callable


async def run_until_signal(start: Callable[[], Awaitable[str]], stop: Callable[[], Awaitable[None]],
                           log: logging.Logger, stopped_line: str) -> None:
    """`start` returns the boot line, which goes to stdout (scripts and tests wait for it) and the log."""
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    boot_line = await start()
    log.info(boot_line)
    print(boot_line, flush=True)
    await done.wait()
    log.info("shutting down")
    await stop()
    log.info(stopped_line)

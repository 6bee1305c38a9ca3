"""Running a daemon until SIGTERM/SIGINT: start it, print its boot line, wait, stop it in order; and stopping
one from outside (stop_process, for the launchers, benchmarks and tests that start them)."""
from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
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


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15.0) -> bool:
    """Signal a child and wait for it; a child still running after `timeout` is killed. False when it had to be."""
    if proc.poll() is not None:
        return True
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
        return False

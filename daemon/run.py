"""Running a daemon until SIGTERM/SIGINT: start it, print its boot line, wait, stop it in order; and stopping
one from outside (stop_process, for the launchers, benchmarks and tests that start them)."""
from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import signal
import subprocess
import time
from typing import Awaitable, Callable


def version() -> str:
    """This project's version (the installed distribution's) and the protocol version it announces."""
    from remoting.codes import CURRENT_VERSION, MQVersion
    try:
        ours = importlib.metadata.version("rocketmq-py")
    except importlib.metadata.PackageNotFoundError:
        ours = "unknown"
    return f"rocketmq-py {ours} ({MQVersion(CURRENT_VERSION).name})"


async def run_until_signal(start: Callable[[], Awaitable[str]], stop: Callable[[], Awaitable[None]],
                           log: logging.Logger, stopped_line: str, facts: Callable[[], str] | None = None) -> None:
    """`start` returns the boot line, which goes to stdout as it is (scripts and tests wait for it) and to the
    log with `facts()` (version, listen address, store, role) after it: one line. Then one line when the
    signal comes, and `stopped_line` with the uptime once `stop` has returned."""
    done = asyncio.Event()
    received: list[str] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda s=sig: (received.append(s.name), done.set()))
    boot_line = await start()
    started = time.monotonic()
    if facts is not None:
        log.info("%s; %s", boot_line, facts())
    else:
        log.info(boot_line)
    print(boot_line, flush=True)
    await done.wait()
    log.info("shutting down on %s", received[0] if received else "request")
    await stop()
    log.info("%s, uptime %.1f s", stopped_line, time.monotonic() - started)


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

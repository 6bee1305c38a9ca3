"""Message-trace helpers: run our `mqadmin queryMsgTraceById` until the asynchronously written records show."""
from __future__ import annotations

import subprocess
import time

from .admin import mqadmin


def trace_rows(out: subprocess.CompletedProcess) -> list[list[str]]:
    """The data rows (Pub / Sub) of a queryMsgTraceById output, split on whitespace."""
    return [line.split() for line in out.stdout.splitlines() if line and not line.startswith("#")]


def wait_trace(namesrv: str, msg_id: str, done, trace_topic: str | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess:
    """Query until `done(rows)` holds or the deadline passes (clients and the broker write traces in the
    background, so there is no event to await); the last output either way."""
    args = ["queryMsgTraceById", "-i", msg_id, "-n", namesrv] + (["-t", trace_topic] if trace_topic else [])
    deadline = time.monotonic() + timeout
    while True:
        out = mqadmin(*args)
        if (out.returncode == 0 and done(trace_rows(out))) or time.monotonic() > deadline:
            return out
        time.sleep(0.3)

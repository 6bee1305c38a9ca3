"""Message-trace helpers: C++ 2.1 clients with trace on (tests/interop/scripts/cpp21_trace.py), and our
`mqadmin queryMsgTraceById` run until the asynchronously written records show."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from .admin import mqadmin
from .clientenv import cpp21_env, cpp21_python
from .consumer_proc import ConsumerProcess
from .daemons import ROOT

SCRIPT = ROOT / "tests" / "interop" / "scripts" / "cpp21_trace.py"


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


class TracedClient(ConsumerProcess):
    """cpp21_trace.py: a traced producer (its sends done when it is ready, results in .messages) or consumer;
    both stay up until stop(), so the records they trace in the background reach the broker."""

    def __init__(self, home: Path, *args: str) -> None:
        home.mkdir(parents=True, exist_ok=True)
        super().__init__([str(cpp21_python()), str(SCRIPT), *args], cpp21_env(home), home, start_timeout=90)


def traced_producer(home: Path, namesrv: str, group: str, msgs: list[dict]) -> TracedClient:
    home.mkdir(parents=True, exist_ok=True)
    (home / "msgs.jsonl").write_text("".join(json.dumps(x) + "\n" for x in msgs))
    p = TracedClient(home, "produce", namesrv, group, str(home / "msgs.jsonl"))
    assert len(p.messages) == len(msgs) and all(x.get("status") == 0 for x in p.messages), p.messages
    return p

"""Message-trace helpers: C++ 2.1 clients with trace on (tests/interop/scripts/cpp21_trace.py), and our
`mqadmin queryMsgTraceById` run until the asynchronously written records show."""
from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

from remoting import trace
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from store import message as m

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


async def _query(broker: str, topic: str, key: str, unique: bool) -> list[m.StoredMessage]:
    ext = {"topic": topic, "key": key, "maxNum": "64", "beginTimestamp": "0", "endTimestamp": str(2**63 - 1)}
    if unique:
        ext["_UNIQUE_KEY_QUERY"] = "true"
    client = RemotingClient()
    try:
        resp = await client.invoke(broker, make_request(RequestCode.QUERY_MESSAGE, ext), 10)
    finally:
        await client.close()
    return m.decode_all(resp.body or b"") if resp.code == ResponseCode.SUCCESS else []


def records_about(broker: str, trace_topic: str, msg_id: str) -> list[trace.TraceRecord]:
    """The decoded trace records about `msg_id` in the trace messages the broker's index finds by it."""
    out = []
    for msg in asyncio.run(_query(broker, trace_topic, msg_id, False)):
        assert msg_id in (msg.props.get("KEYS") or "").split(" "), msg.props
        out += [r for r in trace.decode(msg.body.decode())[0] if r.msg_id == msg_id]
    return out


def stored(broker: str, topic: str, msg_id: str) -> m.StoredMessage:
    """The traced message itself, by its UNIQ_KEY."""
    (msg,) = [x for x in asyncio.run(_query(broker, topic, msg_id, True)) if x.props.get("UNIQ_KEY") == msg_id]
    return msg


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

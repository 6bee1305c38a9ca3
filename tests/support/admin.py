"""Run our `mqadmin` as an operator would."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

from remoting.client import RemotingClient
from remoting.codes import RequestCode
from remoting.command import make_request


def mqadmin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.mqadmin", *args], capture_output=True, text=True, timeout=60)


def mqadmin_lines(*args: str, count: int = 0, until=None, then=None, timeout: float = 30.0) -> list[str]:
    """The first `count` stdout lines (or those up to the one `until(line)` holds for) of a subcommand that runs
    until killed (clusterRT, startMonitoring). After the first line, `then()` runs, to cause what the command
    should report. Killed at the end, or at `timeout` (the caller's assertion then fails)."""
    proc = subprocess.Popen([sys.executable, "-m", "tools.mqadmin", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        lines = [proc.stdout.readline().rstrip("\n")]
        if then is not None:
            then()
        while (until is None and len(lines) < count) or (until is not None and not until(lines[-1])):
            line = proc.stdout.readline()
            assert line, f"{args} ended after {lines}: {proc.stderr.read()[-2000:]}"
            lines.append(line.rstrip("\n"))
        return lines
    finally:
        killer.cancel()
        proc.kill()
        proc.communicate()


def found_offset_ids(out: subprocess.CompletedProcess) -> list[str]:
    """The OffsetID lines of a queryMsgBy* output."""
    return [line.split()[-1] for line in out.stdout.splitlines() if line.startswith("OffsetID:")]


def request(addr: str, code: int, ext: dict | None = None, body: bytes | None = None, timeout: float = 10.0):
    """One request on a fresh connection, its answer returned (for a call no mqadmin subcommand makes, such as a
    consumer's CONSUMER_SEND_MSG_BACK)."""
    async def run():
        client = RemotingClient()
        try:
            return await client.invoke(addr, make_request(code, ext, body), timeout)
        finally:
            await client.close()
    return asyncio.run(run())


def create_topic(broker_addr: str, topic: str, queues: int = 4, perm: int = 6) -> None:
    """UPDATE_AND_CREATE_TOPIC on one broker, as `mqadmin updateTopic -b` sends it."""
    resp = request(broker_addr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
        "perm": str(perm), "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"})
    assert resp.code == 0, resp


def java_json(text: str) -> dict:
    """JSON as fastjson prints it (topicRoute): integer map keys unquoted, `{0:"addr"}`."""
    import json
    import re
    return json.loads(re.sub(r"([{,]\s*)(-?\d+):", r'\1"\2":', text))


def consumer_client_ids(text: str) -> list[str]:
    """The client ids of a consumerConnection output (the rows under its #ClientId header)."""
    lines = text.splitlines()
    out = []
    for line in lines[1:]:
        if not line.strip():
            break
        out.append(line.split()[0])
    return out

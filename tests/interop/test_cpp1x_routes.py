"""The real C++ 1.x client (PyPI rocketmq==0.4.4) resolves routes from our NameServer.

Two broker groups register as Java brokers do (broker-a master + slave, broker-b master). The client sends
version 63 (< V4_9_4), so it receives fastjson's unquoted-key route form, exactly as from a Java namesrv.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from remoting.bodies import PERM_WRITE, TopicConfig
from tests.support.brokers import register
from tests.support.clientenv import client_env, cpp1x_python
from tests.support.daemons import ROOT

pytestmark = pytest.mark.interop
SCRIPT = ROOT / "tests" / "interop" / "scripts" / "cpp1x_routes.py"


@pytest.fixture(scope="module")
def cpp1x():
    return cpp1x_python()


async def test_cpp1x_client_resolves_registered_topics_and_reports_unknown(cpp1x, namesrv, client, tmp_path):
    both = TopicConfig("InteropBoth", readQueueNums=4, writeQueueNums=2, perm=6)
    await register(client, namesrv.addr, "DefaultCluster", "broker-a", 0, "127.0.0.1:30911",
                   [both, TopicConfig("InteropA", 3, 3, 6)])
    await register(client, namesrv.addr, "DefaultCluster", "broker-a", 1, "127.0.0.1:31911", [both])
    await register(client, namesrv.addr, "DefaultCluster", "broker-b", 0, "127.0.0.1:32911",
                   [TopicConfig("InteropBoth", 2, 2, 6), TopicConfig("WriteOnly", 4, 4, PERM_WRITE)])

    out = subprocess.run([str(cpp1x), str(SCRIPT), namesrv.addr, "InteropGroup",
                          "InteropBoth", "InteropA", "WriteOnly", "NoSuchTopic"],
                         capture_output=True, text=True, timeout=90, env=client_env(tmp_path), cwd=tmp_path)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 5, (out.stdout, out.stderr)
    got = {d["topic"]: d for d in lines if "topic" in d}
    # readable queues of every master's queue data: broker-a 4 read queues, broker-b 2
    assert got["InteropBoth"]["queues"] == [["broker-a", i] for i in range(4)] + [["broker-b", i] for i in range(2)]
    assert got["InteropA"]["queues"] == [["broker-a", i] for i in range(3)]
    assert got["WriteOnly"].get("queues", []) == []  # no read permission: no queues to pull from
    assert got["NoSuchTopic"] == {"topic": "NoSuchTopic", "queues": []}  # the pull API's answer to no route
    assert "No route info" in lines[-1]["send_error"]

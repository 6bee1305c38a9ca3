"""The other two third-party clients install from scratch and talk to our NameServer.

- rocketmq-client-python 2.0.0 driving the C++ 2.1 core (librocketmq.so from rocketmq-python-cvs 2.1.0.3)
- ali-ons 3.12.0 (npm, pure JS)

Each sends to a topic the NameServer does not know and to one registered on a broker address nobody listens
on. The unknown topic's error text alone does not prove much for the C++ 2.1 client: it reports the same
"No route info" when no NameServer answers at all. What proves the round trip is the client's own log
(TOPIC_NOT_EXIST is the NameServer's answer code; with no NameServer it logs "Null Response") and the
registered topic's broker name/address, which only our NameServer could have told it.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from remoting.bodies import TopicConfig
from tests.support.brokers import register
from tests.support.clientenv import alions_dir, cpp21_env, cpp21_python, node_env
from tests.support.daemons import ROOT, free_port

pytestmark = pytest.mark.interop
SCRIPTS = ROOT / "tests" / "interop" / "scripts"
RUN_TIMEOUT = 90


@pytest.fixture(scope="module")
def cpp21():
    return cpp21_python()


@pytest.fixture(scope="module")
def alions():
    return alions_dir()


async def _register_dead_broker(client, namesrv) -> str:
    """Register RoutedTopic on broker-dead at a loopback port with no listener; the client connection
    must stay open meanwhile (the NameServer drops a broker whose registering channel closes)."""
    dead = f"127.0.0.1:{free_port()}"
    await register(client, namesrv.addr, "DefaultCluster", "broker-dead", 0, dead,
                   [TopicConfig("RoutedTopic", 4, 4, 6)])
    return dead


def _json_lines(out: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_cpp21_env_loads_the_21_core(cpp21, tmp_path):
    out = subprocess.run([str(cpp21), "-c", "import rocketmq.client, rocketmq.ffi as f; print(f._DYLIB_PATH)"],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT, env=cpp21_env(tmp_path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(cpp21.parents[1])), out.stdout  # the copied .so, not a system one


async def test_cpp21_client_gets_no_route_from_our_namesrv(cpp21, namesrv, client, tmp_path):
    dead = await _register_dead_broker(client, namesrv)
    out = subprocess.run([str(cpp21), str(SCRIPTS / "cpp21_no_route.py"), namesrv.addr, "PID_cpp21",
                          "NoSuchTopic21", "RoutedTopic"],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT, env=cpp21_env(tmp_path), cwd=tmp_path)
    lines = _json_lines(out)
    assert out.returncode == 0 and len(lines) == 3, (out.returncode, out.stdout, out.stderr)
    assert lines[0]["core"].startswith("CPP CORE VERSION: 2.1.0"), lines[0]
    unknown, routed = lines[1], lines[2]
    assert unknown["topic"] == "NoSuchTopic21"
    assert unknown["send_error"].startswith("No route info of this topic: NoSuchTopic21,error:-1,"), unknown
    assert "DefaultMQProducerImpl.cpp" in unknown["send_error"]
    # broker unreachable: after its retries the client reports the same text, but its log shows it got the route
    assert routed["send_error"].startswith("No route info of this topic: RoutedTopic,"), routed

    logs = sorted((tmp_path / "logs" / "rocketmq-client").glob("*rocketmq-cpp.log*"))
    assert logs, list(tmp_path.rglob("*"))
    log = "".join(p.read_text(errors="replace") for p in logs)
    assert f"nameserveraddr:{namesrv.addr}" in log
    assert "Get topic[NoSuchTopic21] route failed [TOPIC_NOT_EXIST]" in log
    assert "Get topic[TBW102] route failed [TOPIC_NOT_EXIST]" in log  # the default-topic fallback, also asked
    assert "Null Response" not in log
    assert "updateTopicRouteInfoFromNameServer changed with broker name:broker-dead" in log
    assert f"can not connect to server:{dead}" in log


def test_alions_env_loads(alions, tmp_path):
    out = subprocess.run(["node", "-e", "const o = require('ali-ons'); "
                          "console.log(require('ali-ons/package.json').version, Object.keys(o).sort().join(','))"],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=alions)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3.12.0", "Consumer,Message,Producer"]


async def test_alions_client_gets_no_route_from_our_namesrv(alions, namesrv, client, tmp_path):
    await _register_dead_broker(client, namesrv)
    out = subprocess.run(["node", str(SCRIPTS / "alions_no_route.js"), namesrv.addr, "PID_alions",
                          "NoSuchTopicJs", "RoutedTopic"],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT, env=node_env(tmp_path), cwd=tmp_path)
    lines = _json_lines(out)
    assert out.returncode == 0 and len(lines) == 3, (out.returncode, out.stdout, out.stderr)
    assert lines[0] == {"version": "3.12.0"}
    # ali-ons maps the NameServer's TOPIC_NOT_EXIST to this; with no NameServer it reports ECONNREFUSED instead
    assert lines[1] == {"topic": "NoSuchTopicJs", "name": "MQClientException",
                        "send_error": "No topic route info in name server for the topic: NoSuchTopicJs\n"
                                      "See http://rocketmq.apache.org/docs/faq/ for further details."}
    assert "get Topic [NoSuchTopicJs] RouteInfoFromNameServer is not exist value" in out.stderr
    # the registered topic resolves to broker-dead (a name only our NameServer knew); sending there fails
    assert lines[2]["topic"] == "RoutedTopic"
    assert lines[2]["send_error"].startswith("Send [4] times, still failed, cost ["), lines[2]
    assert lines[2]["send_error"].endswith('Topic: RoutedTopic, BrokersSent: ["broker-dead"]'), lines[2]

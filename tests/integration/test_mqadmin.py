"""`mqadmin` NameServer subcommands against the real namesrv process."""
from __future__ import annotations

import json
import subprocess
import sys

from remoting.bodies import TopicConfig
from tests.support.brokers import register


def mqadmin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.mqadmin", *args], capture_output=True, text=True, timeout=60)


async def test_mqadmin_namesrv_commands(namesrv, client):
    await register(client, namesrv.addr, "DefaultCluster", "broker-a", 0, "127.0.0.1:40911",
                   [TopicConfig("AdminT", 4, 4, 6)])
    n = ["-n", namesrv.addr]
    out = mqadmin("clusterList", *n)
    assert out.returncode == 0 and "broker-a" in out.stdout and "127.0.0.1:40911" in out.stdout
    assert mqadmin("topicList", *n).stdout.split() == ["AdminT"]
    route = json.loads(mqadmin("topicRoute", "-t", "AdminT", *n).stdout)
    assert route["brokerDatas"][0]["brokerAddrs"] == {"0": "127.0.0.1:40911"}
    missing = mqadmin("topicRoute", "-t", "Nope", *n)
    assert missing.returncode == 1 and "CODE: 17" in missing.stderr
    wipe = mqadmin("wipeWritePerm", "-b", "broker-a", *n)
    assert wipe.returncode == 0 and wipe.stdout.strip().endswith("OK, 1")
    assert route_perm(namesrv) == 4
    assert mqadmin("addWritePerm", "-b", "broker-a", *n).returncode == 0
    assert route_perm(namesrv) == 6
    assert mqadmin("updateKvConfig", "-s", "ns", "-k", "k", "-v", "v", *n).returncode == 0
    assert json.loads((namesrv.workdir / "kvConfig.json").read_text()) == {"configTable": {"ns": {"k": "v"}}}
    assert mqadmin("deleteKvConfig", "-s", "ns", "-k", "k", *n).returncode == 0
    assert mqadmin("updateNamesrvConfig", "-k", "orderMessageEnable", "-v", "true", *n).returncode == 0
    cfg = mqadmin("getNamesrvConfig", *n).stdout
    assert any(line.startswith("orderMessageEnable") and line.endswith("true") for line in cfg.splitlines())


def route_perm(namesrv) -> int:
    return json.loads(mqadmin("topicRoute", "-t", "AdminT", "-n", namesrv.addr).stdout)["queueDatas"][0]["perm"]

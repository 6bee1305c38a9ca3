"""`mqadmin` NameServer subcommands against the real namesrv process."""
from __future__ import annotations

import json
import re

import pytest

from remoting.bodies import TopicConfig
from tests.support.admin import mqadmin
from tests.support.brokers import register


async def test_mqadmin_namesrv_commands(namesrv, client):
    await register(client, namesrv.addr, "DefaultCluster", "broker-a", 0, "127.0.0.1:40911",
                   [TopicConfig("AdminT", 4, 4, 6)])
    n = ["-n", namesrv.addr]
    out = mqadmin("clusterList", *n)
    assert out.returncode == 0 and "broker-a" in out.stdout and "127.0.0.1:40911" in out.stdout
    assert mqadmin("topicList", *n).stdout.split() == ["AdminT"]
    route = route_json(namesrv)
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


def route_json(namesrv) -> dict:
    """topicRoute prints fastjson's pretty form, whose integer map keys are unquoted ({0:"addr"})."""
    text = mqadmin("topicRoute", "-t", "AdminT", "-n", namesrv.addr).stdout
    return json.loads(re.sub(r"\{(\d+):", r'{"\1":', text))


def route_perm(namesrv) -> int:
    return route_json(namesrv)["queueDatas"][0]["perm"]


async def test_mqadmin_message_lookups(namesrv, client, tmp_path):
    from remoting.codes import RequestCode, ResponseCode
    from remoting.command import make_request
    from tests.support.daemons import BrokerProcess
    with BrokerProcess(tmp_path / "broker", namesrv.addr) as br:
        ids = []
        for i in range(3):
            props = f"KEYS\x01order-{i} shared\x02UNIQ_KEY\x01AC11000100002A9F0000000000000{i:03d}\x02TAGS\x01TagA\x02"
            resp = await client.invoke(br.addr, make_request(RequestCode.SEND_MESSAGE, {
                "producerGroup": "PID_admin", "topic": "AdminMsgs", "defaultTopic": "TBW102",
                "defaultTopicQueueNums": "4", "queueId": "0", "sysFlag": "0", "bornTimestamp": "1700000000000",
                "flag": "0", "properties": props}, f"body-{i}-é".encode()), 5)
            assert resp.code == ResponseCode.SUCCESS
            ids.append(resp.ext("msgId"))
        n = ["-n", namesrv.addr]
        out = mqadmin("queryMsgById", "-i", ",".join(ids[:2]), *n)
        assert out.returncode == 0, out.stderr
        assert out.stdout.count("OffsetID:") == 2 and f"OffsetID:            {ids[1]}" in out.stdout
        assert "Keys:                [order-1 shared]" in out.stdout and "Queue Offset:        1" in out.stdout
        path = [x for x in out.stdout.splitlines() if x.startswith("Message Body Path:")][1].split()[-1]
        assert open(path, "rb").read() == "body-1-é".encode()
        out = mqadmin("queryMsgByUniqueKey", "-i", "AC11000100002A9F0000000000000002", "-t", "AdminMsgs", *n)
        # (Apache's queryMsgByUniqueKey prints no OffsetID line)
        assert out.returncode == 0 and "Keys:                [order-2 shared]" in out.stdout, out.stderr
        assert "Queue Offset:        2" in out.stdout and "OffsetID:" not in out.stdout
        out = mqadmin("queryMsgByKey", "-k", "shared", "-t", "AdminMsgs", *n)
        rows = out.stdout.splitlines()[1:]
        assert sorted(r.split()[0] for r in rows) == [f"AC11000100002A9F0000000000000{i:03d}" for i in range(3)]
        assert len(mqadmin("queryMsgByKey", "-k", "order-1", "-t", "AdminMsgs", *n).stdout.splitlines()) == 2
        bad = mqadmin("queryMsgByUniqueKey", "-i", "00", "-t", "AdminMsgs", *n)
        assert bad.returncode == 1 and "no message" in bad.stderr


def test_mqadmin_broker_config(namesrv, tmp_path):
    from tests.support.daemons import BrokerProcess
    with BrokerProcess(tmp_path / "broker", namesrv.addr, someUnknownKey="kept") as br:
        n = ["-n", namesrv.addr]
        out = mqadmin("getBrokerConfig", "-b", br.addr, *n)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"============{br.addr}============\n") and out.stdout.endswith("\n\n")
        lines = {line.split("=")[0].strip(): line.split("=", 1)[1].strip()
                 for line in out.stdout.splitlines()[1:] if line}
        assert lines["brokerName"] == "broker-a" and lines["flushDiskType"] == "ASYNC_FLUSH"
        assert lines["listenPort"] == str(br.port) and lines["someUnknownKey"] == "kept"
        upd = mqadmin("updateBrokerConfig", "-c", "DefaultCluster", "-k", "maxMessageSize", "-v", "2048", *n)
        assert upd.returncode == 0 and upd.stdout.strip() == f"update broker config success, {br.addr}", upd.stderr
        assert "maxMessageSize=2048" in br.conf.read_text()          # persisted to the -c file
        out = mqadmin("getBrokerConfig", "-c", "DefaultCluster", *n)
        assert any(x.split() == ["maxMessageSize", "=", "2048"] for x in out.stdout.splitlines())
        refused = mqadmin("updateBrokerConfig", "-b", br.addr, "-k", "storePathRootDir", "-v", "/tmp/x", *n)
        assert refused.returncode == 1 and "CODE: 16" in refused.stderr
        bad = mqadmin("updateBrokerConfig", "-b", br.addr, "-k", "maxMessageSize", "-v", "lots", *n)
        assert bad.returncode == 1 and "CODE: 1" in bad.stderr

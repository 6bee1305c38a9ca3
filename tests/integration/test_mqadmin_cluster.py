"""`mqadmin` topic, group, broker, cluster and export/import subcommands against a real cluster: one NameServer
and two broker groups (broker-a, broker-b) of one cluster, plus a second, empty cluster for importMetadata.
The layouts checked are Apache 4.9.7's printf formats (the Java command classes)."""
from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.support.admin import mqadmin
from tests.support.daemons import BrokerProcess, NamesrvProcess

CLUSTER = "AdminCluster"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("mqadmin-cluster")
    with NamesrvProcess(root / "ns") as ns, NamesrvProcess(root / "ns2") as ns2:
        with BrokerProcess(root / "a", ns.addr, brokerName="broker-a", brokerClusterName=CLUSTER) as a, \
                BrokerProcess(root / "b", ns.addr, brokerName="broker-b", brokerClusterName=CLUSTER) as b, \
                BrokerProcess(root / "c", ns2.addr, brokerName="broker-c", brokerClusterName="Other") as c:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:   # both groups registered
                out = run("clusterList", ns=ns).stdout
                if "broker-a" in out and "broker-b" in out:
                    break
                time.sleep(0.2)
            yield {"ns": ns, "ns2": ns2, "a": a, "b": b, "c": c, "root": root}


def run(*args: str, ns) -> "subprocess.CompletedProcess":  # noqa: F821
    return mqadmin(*args, "-n", ns.addr)


def ok(*args: str, ns) -> str:
    out = run(*args, ns=ns)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    return out.stdout


def fails(*args: str, ns, needle: str) -> None:
    out = run(*args, ns=ns)
    assert out.returncode == 1, (args, out.stdout, out.stderr)
    assert needle in out.stderr and "Traceback" not in out.stderr, out.stderr


def send(addr: str, topic: str, queue_id: int, count: int) -> None:
    async def go() -> None:
        client = RemotingClient()
        try:
            for i in range(count):
                resp = await client.invoke(addr, make_request(RequestCode.SEND_MESSAGE, {
                    "producerGroup": "PID_admin", "topic": topic, "defaultTopic": "TBW102",
                    "defaultTopicQueueNums": "4", "queueId": str(queue_id), "sysFlag": "0",
                    "bornTimestamp": str(int(time.time() * 1000)), "flag": "0", "properties": ""},
                    f"m{i}".encode()), 5)
                assert resp.code == ResponseCode.SUCCESS, resp.remark
        finally:
            await client.close()
    asyncio.run(go())


def test_topic_lifecycle(cluster):
    ns, a, b = cluster["ns"], cluster["a"], cluster["b"]
    out = ok("updateTopic", "-c", CLUSTER, "-t", "AdmT", "-r", "8", "-w", "8", ns=ns)
    lines = out.split("\n")
    assert sorted(lines[:2]) == sorted([f"create topic to {a.addr} success.", f"create topic to {b.addr} success."])
    assert lines[2] == ("TopicConfig [topicName=AdmT, readQueueNums=8, writeQueueNums=8, perm=RW-, "
                        "topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]")     # no newline, as Java

    route = ok("topicRoute", "-t", "AdmT", ns=ns)
    assert route.startswith('{\n\t"brokerDatas":[\n\t\t{\n\t\t\t"brokerAddrs":{0:"')
    assert sorted(re.findall(r'"brokerName":"(broker-\w)",\n\t\t\t"cluster"', route)) == ["broker-a", "broker-b"]
    listed = ok("topicRoute", "-t", "AdmT", "-l", ns=ns).splitlines()
    assert listed[0] == f"{'#ClusterName':<45} {'#BrokerName':<32} {'#BrokerAddrs':<50} #ReadQueue #WriteQueue #Perm"
    assert listed[1].split() == [CLUSTER, "broker-a", "{0=" + a.addr + "}", "8", "8", "6"]
    assert listed[-1].split() == ["Total:", "2", "16", "16"]

    send(a.addr, "AdmT", 3, 2)
    send(b.addr, "AdmT", 5, 3)
    status = ok("topicStatus", "-t", "AdmT", ns=ns).splitlines()
    assert status[0] == f"{'#Broker Name':<32}  {'#QID':<4}  {'#Min Offset':<20}  {'#Max Offset':<20}    #Last Updated"
    rows = [r.split() for r in status[1:]]
    assert len(rows) == 16 and [r[:2] for r in rows[:2]] == [["broker-a", "0"], ["broker-a", "1"]]
    assert rows[3][:4] == ["broker-a", "3", "0", "2"] and rows[13][:4] == ["broker-b", "5", "0", "3"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", " ".join(rows[3][4:]))
    assert len(rows[0]) == 4                                     # nothing stored: no "last updated"
    assert status[4].startswith("broker-a" + " " * 26 + "3     0" + " " * 21 + "2" + " " * 23)

    assert ok("topicClusterList", "-t", "AdmT", ns=ns) == f"{CLUSTER}\n"
    assert "AdmT" in ok("topicList", ns=ns).split()
    tl = ok("topicList", "-c", ns=ns).splitlines()
    assert tl[0] == f"{'#Cluster Name':<20}  {'#Topic':<48}  {'#Consumer Group':<48}"
    assert any(r.split() == [CLUSTER, "AdmT"] for r in tl[1:])

    # permissions: one broker, then the cluster
    out = ok("updateTopicPerm", "-t", "AdmT", "-p", "4", "-b", a.addr, ns=ns)
    assert out.startswith(f"update topic perm from 6 to 4 in {a.addr} success.\nTopicConfig [topicName=AdmT, ")
    assert ok("updateTopicPerm", "-t", "AdmT", "-p", "4", "-b", a.addr, ns=ns) == "new perm equals to the old one!\n"
    ok("updateTopicPerm", "-t", "AdmT", "-p", "6", "-c", CLUSTER, ns=ns)
    assert all(q["perm"] == 6 for q in route_json(ns, "AdmT")["queueDatas"])

    # write permission of a broker in the NameServer
    assert ok("wipeWritePerm", "-b", "broker-b", ns=ns).startswith(f"wipe write perm of broker[broker-b] in name "
                                                                     f"server[{ns.addr}] OK, ")
    assert {q["brokerName"]: q["perm"] for q in route_json(ns, "AdmT")["queueDatas"]}["broker-b"] == 4
    ok("addWritePerm", "-b", "broker-b", ns=ns)
    assert {q["brokerName"]: q["perm"] for q in route_json(ns, "AdmT")["queueDatas"]}["broker-b"] == 6

    # order conf in the NameServer's KV store
    ok("updateOrderConf", "-t", "AdmT", "-m", "put", "-v", "broker-a:8;broker-b:8", ns=ns)
    assert ok("updateOrderConf", "-t", "AdmT", "-m", "get", ns=ns) == \
        "get orderConf success. topic=[AdmT], orderConf=[broker-a:8;broker-b:8] "
    assert ok("updateOrderConf", "-t", "AdmT", "-m", "delete", ns=ns) == "delete orderConf success. topic=[AdmT]"

    out = ok("deleteTopic", "-c", CLUSTER, "-t", "AdmT", ns=ns)
    assert out == (f"delete topic [AdmT] from cluster [{CLUSTER}] success.\n"
                   f"delete topic [AdmT] from NameServer success.\n")
    fails("topicRoute", "-t", "AdmT", ns=ns, needle="CODE: 17")
    fails("topicStatus", "-t", "AdmT", ns=ns, needle="CODE: 17")


def route_json(ns, topic: str) -> dict:
    text = ok("topicRoute", "-t", topic, ns=ns)
    return json.loads(re.sub(r"\{(\d+):", r'{"\1":', text))       # fastjson's unquoted integer keys


def test_subscription_groups(cluster):
    ns, a, b = cluster["ns"], cluster["a"], cluster["b"]
    out = ok("updateSubGroup", "-c", CLUSTER, "-g", "GID_adm", "-r", "5", "-q", "2", ns=ns).split("\n")
    assert sorted(out[:2]) == sorted(f"create subscription group to {x.addr} success." for x in (a, b))
    assert out[2] == ("SubscriptionGroupConfig [groupName=GID_adm, consumeEnable=true, consumeFromMinEnable=false, "
                      "consumeBroadcastEnable=false, retryQueueNums=2, retryMaxTimes=5, brokerId=0, "
                      "whichBrokerWhenConsumeSlowly=1, notifyConsumerIdsChangedEnable=true]")
    cfg = ok("getConsumerConfig", "-g", "GID_adm", ns=ns).splitlines()
    # brokers in the order of Java's HashMap of broker names: broker-b hashes before broker-a
    assert cfg[0] == f"============================={CLUSTER}:broker-b============================="
    assert cfg[1] == f"{'groupName':<40}=  GID_adm" and cfg[6] == f"{'retryMaxTimes':<40}=  5"
    assert len(cfg) == 20 and cfg[10].endswith(f"{CLUSTER}:broker-a=============================")
    out = ok("deleteSubGroup", "-b", b.addr, "-g", "GID_adm", "-r", "true", ns=ns)
    assert out == f"delete subscription group [GID_adm] from broker [{b.addr}] success.\n"
    assert len(ok("getConsumerConfig", "-g", "GID_adm", ns=ns).splitlines()) == 10
    fails("deleteSubGroup", "-b", b.addr, "-g", "GID_adm", ns=ns, needle="does not exist")
    fails("getConsumerConfig", "-g", "GID_nope", ns=ns, needle="GID_nope")


def test_cluster_and_broker_views(cluster):
    ns, a, b = cluster["ns"], cluster["a"], cluster["b"]
    rows = ok("clusterList", ns=ns).splitlines()
    assert rows[0] == ("#Cluster Name     #Broker Name            #BID  #Addr                  #Version        "
                       "        #InTPS(LOAD)       #OutTPS(LOAD) #PCWait(ms) #Hour #SPACE")
    assert [r.split()[:5] for r in rows[1:]] == [[CLUSTER, "broker-a", "0", a.addr, "V4_9_7"],
                                                  [CLUSTER, "broker-b", "0", b.addr, "V4_9_7"]]
    assert re.search(r"\d+\.\d\d\(\d+,\d+ms\)", rows[1])
    more = ok("clusterList", "-m", ns=ns).splitlines()
    assert more[0] == f"{'#Cluster Name':<16}  {'#Broker Name':<32} {'#InTotalYest':>14} {'#OutTotalYest':>14} " \
                      f"{'#InTotalToday':>14} {'#OutTotalToday':>14}"
    assert [r.split()[:2] for r in more[1:]] == [[CLUSTER, "broker-a"], [CLUSTER, "broker-b"]]

    status = ok("brokerStatus", "-b", a.addr, ns=ns).splitlines()
    keys = [line.split(":")[0].rstrip() for line in status]
    assert keys == sorted(keys) and {"brokerVersionDesc", "putTps", "msgPutTotalTodayNow"} <= set(keys)
    assert f"{'brokerVersionDesc':<32}: V4_9_7" in status
    both = ok("brokerStatus", "-c", CLUSTER, ns=ns).splitlines()
    assert {line.split()[0] for line in both} == {a.addr, b.addr}

    conf = ok("getBrokerConfig", "-b", b.addr, ns=ns).splitlines()
    assert conf[0] == f"============{b.addr}============" and f"{'brokerName':<50}=  broker-b" in conf
    assert conf[-1] == ""
    conf = ok("getBrokerConfig", "-c", CLUSTER, ns=ns)
    assert f"============Master: {a.addr}============" in conf and f"============Master: {b.addr}============" in conf
    out = ok("updateBrokerConfig", "-c", CLUSTER, "-k", "maxMessageSize", "-v", "1048576", ns=ns)
    assert sorted(out.splitlines()) == sorted(f"update broker config success, {x.addr}" for x in (a, b))


def test_bad_input_is_a_clear_failure(cluster):
    ns, a = cluster["ns"], cluster["a"]
    fails("brokerStatus", "-b", "127.0.0.1:1", ns=ns, needle="connect to 127.0.0.1:1 failed")
    fails("updateTopic", "-c", "NoSuchCluster", "-t", "T1", ns=ns, needle="cluster [NoSuchCluster] not found")
    fails("updateTopic", "-b", a.addr, "-t", "T1", "-r", "abc", ns=ns, needle='For input string: "abc" (option -r)')
    fails("clusterList", "-i", "soon", ns=ns, needle='"soon"')
    fails("updateTopic", "-b", a.addr, "-t", "TBW102", ns=ns, needle="conflict with system topic")
    fails("deleteTopic", "-c", CLUSTER, "-t", "NoSuchTopic", ns=ns, needle="NoSuchTopic")
    fails("getAclConfig", "-b", a.addr, ns=ns, needle="CODE: 3")      # our broker has no ACL yet
    usage = run("updateTopic", "-t", "T1", ns=ns)                       # neither -b nor -c: Apache's usage, exit 1
    assert usage.returncode == 1 and usage.stdout.startswith("usage: mqadmin updateTopic -b <arg> | -c <arg>  [-h]")


def test_export_then_import_into_another_cluster(cluster):
    ns, ns2, c, root = cluster["ns"], cluster["ns2"], cluster["c"], cluster["root"]
    ok("updateTopic", "-c", CLUSTER, "-t", "ExpT", "-r", "4", "-w", "4", ns=ns)
    ok("updateSubGroup", "-c", CLUSTER, "-g", "GID_exp", ns=ns)
    out = ok("exportMetadata", "-c", CLUSTER, "-f", str(root / "export"), ns=ns)
    path = root / "export" / "metadata.json"
    assert out == f"export {path} success\n"
    meta = json.loads(path.read_text())
    assert set(meta) == {"exportTime", "topicConfigTable", "subscriptionGroupTable"}
    assert meta["topicConfigTable"]["ExpT"]["writeQueueNums"] == 8           # summed over the two masters
    assert "TBW102" not in meta["topicConfigTable"] and "GID_exp" in meta["subscriptionGroupTable"]
    assert "TOOLS_CONSUMER" not in meta["subscriptionGroupTable"]

    first = run("importMetadata", "-c", "Other", "-f", str(path), ns=ns2)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert f"{'topic':<6} {'ExpT':<48} {c.addr:<22} created" in lines
    assert f"{'group':<6} {'GID_exp':<48} {c.addr:<22} created" in lines
    assert lines[-1].endswith(" 0 already exist, 0 refused")
    second = run("importMetadata", "-c", "Other", "-f", str(path), ns=ns2)
    assert second.returncode == 0 and "created" not in second.stdout.replace(" 0 created", "")
    assert f"{'topic':<6} {'ExpT':<48} {c.addr:<22} already exists" in second.stdout.splitlines()
    assert route_json(ns2, "ExpT")["queueDatas"][0]["writeQueueNums"] == 8
    assert "GID_exp" in ok("getConsumerConfig", "-g", "GID_exp", ns=ns2)

    bad = root / "bad.json"
    bad.write_text(json.dumps({"topicConfigTable": {"TBW102": {"topicName": "TBW102"}, "a/b": {"topicName": "a/b"}},
                               "subscriptionGroupTable": {}}))
    refused = run("importMetadata", "-b", c.addr, "-f", str(bad), ns=ns2)
    assert refused.returncode == 1 and "refused: system topic" in refused.stdout
    assert "refused: invalid topic name" in refused.stdout and "2 refused" in refused.stdout

    assert ok("exportConfigs", "-c", CLUSTER, "-f", str(root / "export"), ns=ns) == \
        f"export {root / 'export' / 'configs.json'} success"
    configs = json.loads((root / "export" / "configs.json").read_text())
    assert configs["clusterScale"] == {"namesrvSize": 1, "masterBrokerSize": 2, "slaveBrokerSize": 0}
    assert configs["brokerConfigs"]["broker-a"]["brokerClusterName"] == CLUSTER
    ok("exportMetrics", "-c", CLUSTER, "-f", str(root / "export"), ns=ns)
    metrics = json.loads((root / "export" / "metrics.json").read_text())
    assert set(metrics["evaluateReport"]) == {"broker-a", "broker-b"}
    assert set(metrics["totalData"]) == {"totalTps", "totalOneDayNum"}

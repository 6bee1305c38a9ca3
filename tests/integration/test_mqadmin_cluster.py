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
from tests.support.admin import mqadmin, mqadmin_lines
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


def send(addr: str, topic: str, queue_id: int, count: int, tags: str = "", size: int = 2) -> None:
    async def go() -> None:
        client = RemotingClient()
        try:
            for i in range(count):
                resp = await client.invoke(addr, make_request(RequestCode.SEND_MESSAGE, {
                    "producerGroup": "PID_admin", "topic": topic, "defaultTopic": "TBW102",
                    "defaultTopicQueueNums": "4", "queueId": str(queue_id), "sysFlag": "0",
                    "bornTimestamp": str(int(time.time() * 1000)), "flag": "0",
                    "properties": f"TAGS\x01{tags}\x02" if tags else ""},
                    f"m{i}".encode().ljust(size, b".")), 5)
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
    # ACL off: Java has no validator, the edit fails with its code (the reads would never answer)
    fails("updateAclConfig", "-b", a.addr, "-a", "newuser77", "-s", "newsecret77", ns=ns, needle="CODE: 209")
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


def test_message_and_queue_commands(cluster):
    ns, a = cluster["ns"], cluster["a"]
    ok("updateTopic", "-c", CLUSTER, "-t", "PqT", "-r", "2", "-w", "2", ns=ns)
    send(a.addr, "PqT", 1, 3, tags="TagA")
    send(a.addr, "PqT", 1, 2, tags="TagB")
    send(a.addr, "PqT", 1, 1)
    base = ("printMsgByQueue", "-t", "PqT", "-a", "broker-a", "-i", "1")
    assert ok(*base, ns=ns) == ""              # neither -p nor -f: Java walks the queue and prints nothing
    lines = ok(*base, "-p", "true", "-f", "true", ns=ns).splitlines()
    assert len(lines) == 8
    for offset, line in enumerate(lines[:6]):
        assert re.fullmatch(rf"MSGID: [0-9A-F]{{32}} MessageExt \[brokerName=broker-a, queueId=1, storeSize=\d+, "
                            rf"queueOffset={offset}, sysFlag=0, .*, toString\(\)=Message\{{topic='PqT', flag=0, "
                            rf"properties=\{{MIN_OFFSET=0, MAX_OFFSET=6, CLUSTER={CLUSTER}.*\}}, body=\[\d+, \d+\], "
                            rf"transactionId='null'\}}\] BODY: NOT PRINT BODY", line), line
    assert [("TAGS=TagA" in x, "TAGS=TagB" in x) for x in lines[:6]] == \
        [(True, False)] * 3 + [(False, True)] * 2 + [(False, False)]
    assert lines[6:] == [f"Tag: {'TagA':<30} Count: 3", f"Tag: {'TagB':<30} Count: 2"]   # most frequent first
    bodies = ok(*base, "-p", "true", "-d", "true", ns=ns).splitlines()
    assert [x.rsplit(" BODY: ", 1)[1] for x in bodies] == ["m0", "m1", "m2", "m0", "m1", "m0"]
    later = str(int(time.time() * 1000) + 3_600_000)         # -b after every message: an empty window
    assert ok(*base, "-p", "true", "-b", later, ns=ns) == ""
    fails(*base[:4], "nope", "-i", "1", ns=ns, needle="The broker[nope] not exist")

    # allocateMQ: AllocateMessageQueueAveragely over the HashSet order of the 4 read queues (b1 a0 a1 b0, as
    # Java 17 iterates them when the route lists broker-b first, as Java's NameServer does), HashMap order of ips
    out = ok("allocateMQ", "-t", "PqT", "-i", "10.0.0.1,10.0.0.2,10.0.0.3", ns=ns)
    q = '{{"brokerName":"broker-{}","queueId":{},"topic":"PqT"}}'.format
    assert out == ('{"result":{"10.0.0.3":[' + q("b", 0) + '],"10.0.0.2":[' + q("a", 1) + '],"10.0.0.1":['
                   + q("b", 1) + "," + q("a", 0) + "]}}\n")
    out = json.loads(ok("allocateMQ", "-t", "PqT", "-i", "10.0.0.9", ns=ns))["result"]
    assert len(out["10.0.0.9"]) == 4
    fails("allocateMQ", "-t", "NoSuchTopic", "-i", "1.1.1.1", ns=ns, needle="CODE: 17")


def max_offset(addr: str, topic: str, queue_id: int) -> int:
    async def go() -> int:
        client = RemotingClient()
        try:
            resp = await client.invoke(addr, make_request(RequestCode.GET_MAX_OFFSET,
                                                          {"topic": topic, "queueId": str(queue_id)}), 5)
            return int(resp.ext("offset"))
        finally:
            await client.close()
    return asyncio.run(go())


def test_send_rt_commands(cluster):
    ns, a, b = cluster["ns"], cluster["a"], cluster["b"]
    # sendMsgStatus: to the broker's own topic, a 16-byte warm-up then -c messages of "hello jodie"s
    before = max_offset(a.addr, "broker-a", 0)
    lines = ok("sendMsgStatus", "-b", "broker-a", "-c", "3", "-s", "20", ns=ns).splitlines()
    port_hex = f"7F000001{a.port:08X}"
    offsets = []
    for line in lines:
        hit = re.fullmatch(r"rt=\d+ms, SendResult=SendResult \[sendStatus=SEND_OK, msgId=[0-9A-F]{32}, "
                           r"offsetMsgId=([0-9A-F]{32}), messageQueue=MessageQueue \[topic=broker-a, "
                           r"brokerName=broker-a, queueId=0\], queueOffset=(\d+)\]", line)
        assert hit and hit[1].startswith(port_hex), line
        offsets.append(int(hit[2]))
    assert offsets == [before + 1, before + 2, before + 3]
    assert max_offset(a.addr, "broker-a", 0) == before + 4

    # checkMsgSendRT: message i to queue i % 4 of the publish list (brokers by name)
    ok("updateTopic", "-c", CLUSTER, "-t", "RtT", "-r", "2", "-w", "2", ns=ns)
    lines = ok("checkMsgSendRT", "-t", "RtT", "-a", "5", "-s", "10", ns=ns).splitlines()
    assert lines[0] == f"{'#Broker Name':<32}  {'#QID':<4}  {'#Send Result':<20}    #RT"
    assert [x.split()[:3] for x in lines[1:6]] == [["broker-a", "0", "true"], ["broker-a", "1", "true"],
                                                    ["broker-b", "0", "true"], ["broker-b", "1", "true"],
                                                    ["broker-a", "0", "true"]]
    assert lines[1].startswith(f"{'broker-a':<32}  {'0':<4}  {'true':<20}    ")
    assert re.fullmatch(r"Avg RT: \d+\.\d\d", lines[6]) and len(lines) == 7
    assert [max_offset(x.addr, "RtT", q) for x in (a, b) for q in (0, 1)] == [2, 1, 1, 1]

    # clusterRT runs until killed: its first round, as a table and as tlog lines
    head, *rows = streamed(["clusterRT", "-a", "3", "-i", "1"], ns, 3)
    assert head == f"{'#Cluster Name':<24}  {'#Broker Name':<24}  {'#RT':<4}  {'#successCount':<8}  {'#failCount':<8}"
    assert sorted(r.split()[1] for r in rows) == ["broker-a", "broker-b"]
    for r in rows:
        assert re.fullmatch(rf"{CLUSTER:<24}  broker-[ab]{' ' * 16}  \d+\.\d\d +  3 {' ' * 14}  0 {' ' * 14}", r), r
    for r in streamed(["clusterRT", "-a", "2", "-p", "true", "-m", "roomA", "-i", "1"], ns, 2):
        assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\|roomA\|{CLUSTER}\|broker-[ab]\|\d+", r), r


def streamed(args: list[str], ns, count: int, then=None) -> list[str]:
    return mqadmin_lines(*args, "-n", ns.addr, count=count, then=then)


def pull_beyond_end(addr: str, group: str, topic: str) -> int:
    """A pull far past a queue's end: the broker corrects the offset and writes an OFFSET_MOVED_EVENT."""
    async def go() -> int:
        client = RemotingClient()
        try:
            resp = await client.invoke(addr, make_request(RequestCode.PULL_MESSAGE, {
                "consumerGroup": group, "topic": topic, "queueId": "0", "queueOffset": "100", "maxMsgNums": "1",
                "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0", "subscription": "*",
                "subVersion": "0"}), 5)
            return resp.code
        finally:
            await client.close()
    return asyncio.run(go())


def test_start_monitoring(cluster):
    ns, a = cluster["ns"], cluster["a"]
    ok("updateTopic", "-b", a.addr, "-t", "MonT", "-r", "1", "-w", "1", ns=ns)
    ok("updateTopic", "-b", a.addr, "-t", "%RETRY%GID_mon", "-r", "1", "-w", "1", ns=ns)
    ok("updateSubGroup", "-b", a.addr, "-g", "GID_mon", ns=ns)
    send(a.addr, "MonT", 0, 3)
    moved = []
    lines = streamed(["startMonitoring"], ns, 3,
                     then=lambda: moved.append(pull_beyond_end(a.addr, "GID_mon", "MonT")))
    assert moved == [ResponseCode.PULL_OFFSET_MOVED]
    # an offline group (no connection) is not reported: the round is empty; the event may come within it
    events = [x for x in lines if "reportDeleteMsgsEvent" in x]
    assert [x for x in lines if x not in events] == ["[MONITOR] =========================================beginRound",
                                                     "[MONITOR] =========================================endRound"]
    assert len(events) == 1 and re.fullmatch(
        r"\[MONITOR\] reportDeleteMsgsEvent: DeleteMsgsEvent \[offsetMovedEvent=OffsetMovedEvent \[consumerGroup="
        r"GID_mon, messageQueue=MessageQueue \[topic=MonT, brokerName=broker-a, queueId=0\], offsetRequest=100, "
        r"offsetNew=0\], eventTimestamp=\d{13}\]", events[0]), events


def test_store_maintenance_commands(cluster):
    """deleteExpiredCommitLog, cleanExpiredCQ and cleanUnusedTopic on a broker of their own (cluster Maint, on the
    second NameServer): 64 KiB commit-log files kept 0 hours, deleted only when asked (the deletion hour is
    12 hours away and the disk limit out of reach)."""
    ns2, root = cluster["ns2"], cluster["root"]
    m_root = root / "m"
    props = {"brokerName": "broker-m", "brokerClusterName": "Maint", "mappedFileSizeCommitLog": 65536,
             "fileReservedTime": 0, "deleteWhen": f"{(time.localtime().tm_hour + 12) % 24:02d}",
             "diskMaxUsedSpaceRatio": 95, "cleanResourceInterval": 200}
    broker = BrokerProcess(m_root, ns2.addr, **props)
    with broker:
        for topic in ("OldT", "NewT", "KeepT"):
            ok("updateTopic", "-b", broker.addr, "-t", topic, "-r", "1", "-w", "1", ns=ns2)
        send(broker.addr, "OldT", 0, 100, size=1000)      # ~110 KB: files 0 and 1
        send(broker.addr, "NewT", 0, 70, size=1000)       # on into file 2
        send(broker.addr, "KeepT", 0, 1)
        commitlog, cq = m_root / "store" / "commitlog", m_root / "store" / "consumequeue"
        def files() -> set[int]:                          # the next file may be there already, allocated ahead
            return {int(p.name) for p in commitlog.iterdir()} - {3 * 65536}
        assert files() == {0, 65536, 2 * 65536}
        assert ok("deleteExpiredCommitLog", "-b", broker.addr, ns=ns2) == "success"
        deadline = time.monotonic() + 20
        while len(files()) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)                                 # the cleanup passes run every 200 ms
        assert files() == {2 * 65536}                       # every file but the one being written
        status = ok("brokerStatus", "-b", broker.addr, ns=ns2)
        assert f"{'commitLogMinOffset':<32}: {2 * 65536}" in status.splitlines()

        # OldT's entries all point into deleted files: its consume queue goes; NewT's and KeepT's stay
        assert (cq / "OldT" / "0").is_dir()
        assert ok("cleanExpiredCQ", "-c", "Maint", ns=ns2) == "success"
        assert not (cq / "OldT" / "0").exists() and (cq / "NewT" / "0").is_dir() and (cq / "KeepT" / "0").is_dir()
        assert ok("cleanExpiredCQ", "-c", "NoSuchCluster", ns=ns2) == "false"     # no broker asked
    # NewT leaves the broker's topic configs while it is down: its consume queue is unused after the restart
    topics_json = m_root / "store" / "config" / "topics.json"
    table = json.loads(topics_json.read_text())
    del table["topicConfigTable"]["NewT"]
    topics_json.write_text(json.dumps(table))
    with broker:
        assert (cq / "NewT" / "0").is_dir()
        assert ok("cleanUnusedTopic", "-c", "Maint", ns=ns2) == "success"
        assert not (cq / "NewT" / "0").exists() and (cq / "KeepT" / "0").is_dir()
        assert max_offset(broker.addr, "KeepT", 0) == 1
        fails("cleanUnusedTopic", "-b", "127.0.0.1:1", ns=ns2, needle="connect to 127.0.0.1:1 failed")

"""Our mqadmin's message and consumer subcommands against our daemons, with a real client (the C++ 1.x core,
rocketmq==0.4.4) producing and consuming: the lines operators and scripts read (lag per queue, connections,
message look-ups, offset resets with the consumer offline) and clean failures on bad input."""
from __future__ import annotations

import re
import time

import pytest

from remoting import fastjson
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.support.admin import mqadmin, mqadmin_lines
from tests.support.cpp1x import PushConsumer, message, produce

pytestmark = pytest.mark.interop

TOPIC = "AdmT"


def run(*args: str, ns) -> str:
    out = mqadmin(*args, "-n", ns.addr)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    return out.stdout


def newer(*args: str, ns) -> str:
    """A subcommand served by the newer admin request codes: it must succeed."""
    return run(*args, ns=ns)


def progress(ns, group: str) -> tuple[list[list[str]], int]:
    """consumerProgress -g: the queue rows (split on blanks) and the Diff Total."""
    lines = run("consumerProgress", "-g", group, ns=ns).splitlines()
    assert lines[0].split()[:3] == ["#Topic", "#Broker", "Name"] and lines[-1].startswith("Diff Total: ")
    rows = [x.split() for x in lines[1:] if x.startswith(TOPIC + " ")]
    return rows, int(lines[-1].split()[-1])


def wait_diff(ns, group: str, want: int, timeout: float = 30) -> list[list[str]]:
    """Until the group's Diff Total is `want` (a consumer commits its offsets every few seconds; before the
    first commit the group has no offsets and consumerProgress fails, as Java's does)."""
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            rows, total = progress(ns, group)
            assert total == want, rows
            return rows
        if mqadmin("consumerProgress", "-g", group, "-n", ns.addr).returncode == 0:
            rows, total = progress(ns, group)
            if total == want:
                return rows
        time.sleep(0.5)


async def test_mqadmin_with_a_live_cpp_client(cluster, tmp_path):
    ns, br = cluster
    msgs = [message(TOPIC, f"body-{i}".encode(), tags="TagA" if i % 2 else "TagB", keys=f"key-{i} shared")
            for i in range(6)]
    sent = produce(tmp_path, ns.addr, "PID_adm", "sync", msgs)
    assert all(r.get("status") == 0 for r in sent), sent

    # sendMessage: Java's header and one SEND_OK row
    out = run("sendMessage", "-t", TOPIC, "-p", "from-mqadmin", "-c", "TagC", "-k", "key-x", ns=ns).splitlines()
    assert out[0].split() == ["#Broker", "Name", "#QID", "#Send", "Result", "#MsgId"]
    broker, qid, status, uniq = out[1].split()
    assert (broker, status) == ("broker-a", "SEND_OK")

    # printMsg: every queue, every message, with the body
    text = run("printMsg", "-t", TOPIC, ns=ns)
    found = re.findall(r"^MSGID: (\S+) .*?msgId=(\w+),.* BODY: (.*)$", text, re.M)
    assert sorted(b for _, _, b in found) == sorted([f"body-{i}" for i in range(6)] + ["from-mqadmin"])
    assert text.count("minOffset=0, ") == 4 and text.count("-" * 56 + "\n") == 4
    offset_ids = {body: oid for _, oid, body in found}

    # look-ups by offset id, unique key, key, queue offset
    out = run("queryMsgById", "-i", offset_ids["from-mqadmin"], ns=ns)
    assert f"OffsetID:            {offset_ids['from-mqadmin']}" in out and "Tags:                [TagC]" in out
    out = run("queryMsgByUniqueKey", "-i", uniq, "-t", TOPIC, ns=ns)
    assert "Keys:                [key-x]" in out and "OffsetID" not in out
    rows = run("queryMsgByKey", "-t", TOPIC, "-k", "shared", ns=ns).splitlines()
    assert rows[0].split() == ["#Message", "ID", "#QID", "#Offset"] and len(rows) == 7
    out = run("queryMsgByOffset", "-t", TOPIC, "-b", broker, "-i", qid, "-o", "0", ns=ns)
    assert out.startswith("OffsetID:") and "Queue Offset:        0" in out

    # a live producer (heartbeat held open) shows in producerConnection
    client = RemotingClient()
    try:
        hb = {"clientID": "10.9.8.7@live", "consumerDataSet": [], "producerDataSet": [{"groupName": "PID_live"}]}
        resp = await client.invoke(br.addr, make_request(RequestCode.HEART_BEAT, {}, fastjson.dumpb(hb)), 5)
        assert resp.code == ResponseCode.SUCCESS
        line = run("producerConnection", "-g", "PID_live", "-t", TOPIC, ns=ns).splitlines()[0]
        assert line.split()[:2] == ["0001", "10.9.8.7@live"] and line.split()[-1] == "V4_9_7"
        out = newer("producer", "-b", br.addr, ns=ns)
        assert "producer group (PID_live) instance : clientId=10.9.8.7@live," in out
    finally:
        await client.close()

    # a push consumer: its connection, then its lag going to 0
    consumer = PushConsumer(tmp_path / "c", ns.addr, "CID_adm", TOPIC, seconds=90)
    try:
        assert consumer.wait_for(lambda got: len(got) >= 7, 30), consumer.messages
        out = run("consumerConnection", "-g", "CID_adm", ns=ns).splitlines()
        assert out[0].split() == ["#ClientId", "#ClientAddr", "#Language", "#Version"]
        assert out[1].split()[2] == "CPP" and f"{TOPIC} " in "\n".join(out)
        assert out[-3:-1] == ["ConsumeType: CONSUME_PASSIVELY", "MessageModel: CLUSTERING"]
        rows = wait_diff(ns, "CID_adm", 0)
        assert [r[2] for r in rows] == ["0", "1", "2", "3"] and sum(int(r[3]) for r in rows) == 7
        assert all(r[3] == r[4] and r[5] == "0" for r in rows)
        groups = run("consumerProgress", ns=ns).splitlines()
        row = next(x.split() for x in groups if x.startswith("CID_adm "))
        assert row[1] == "1" and row[3:5] == ["PUSH", "CLUSTERING"] and row[-1] == "0"
        # with the client's running info (GET_CONSUMER_RUNNING_INFO through the broker) when the broker has it
        client_id = out[1].split()[0]
        ips = run("consumerProgress", "-g", "CID_adm", "-s", "true", ns=ns).splitlines()
        assert ips[0].split()[-4:] == ["#Client", "IP", "#Diff", "#LastTime"] and len(ips) >= 8
        status = newer("consumerStatus", "-g", "CID_adm", "-i", client_id, ns=ns)
        assert status.startswith("#Consumer Properties#\n") and "#Consumer MQ Detail#" in status
        assert all(client_id.split("@")[0] in x for x in ips[1:5])
        stats = newer("brokerConsumeStats", "-b", br.addr, ns=ns)
        assert stats.splitlines()[-1] == "Diff Total: 0"
        # startMonitoring's first round: the online group is reported per topic (all consumed: nothing undone,
        # no delay); its client answers running info with one subscription and no blocked queue: no NOTIFY
        mon = mqadmin_lines("startMonitoring", "-n", ns.addr, until=lambda x: x.endswith("endRound"))
        undone = [x for x in mon if "consumerGroup=CID_adm, topic=" + TOPIC + "," in x]
        assert mon[0] == "[MONITOR] =========================================beginRound", mon
        assert undone == [f"[MONITOR] reportUndoneMsgs: UndoneMsgs [consumerGroup=CID_adm, topic={TOPIC}, "
                          f"undoneMsgsTotal=0, undoneMsgsSingleMQ=0, undoneMsgsDelayTimeMills=0]"], mon
        assert not any("[NOTIFY]" in x for x in mon)
    finally:
        consumer.stop()

    # offline: copy its offsets, roll it back to the start, skip everything again
    out = run("cloneGroupOffset", "-s", "CID_adm", "-d", "CID_clone", "-t", TOPIC, ns=ns)
    assert out == f"clone group offset success. srcGroup[CID_adm], destGroup=[CID_clone], topic[{TOPIC}]"
    client = RemotingClient()
    try:   # the clone has no retry topic, so no consumerProgress: its offsets straight from the broker
        for r in rows:
            resp = await client.invoke(br.addr, make_request(RequestCode.QUERY_CONSUMER_OFFSET, {
                "consumerGroup": "CID_clone", "topic": TOPIC, "queueId": r[2]}), 5)
            assert resp.code == ResponseCode.SUCCESS and resp.ext("offset") == r[4], (r, resp)
    finally:
        await client.close()
    out = run("resetOffsetByTime", "-g", "CID_adm", "-t", TOPIC, "-s", "0", ns=ns).splitlines()
    assert out[0].startswith("rollback consumer offset by specified ") and "timestamp(long)[0]" in out[0]
    assert wait_diff(ns, "CID_adm", 7, timeout=1)
    out = run("skipAccumulatedMessage", "-g", "CID_adm", "-t", TOPIC, ns=ns).splitlines()
    assert out[0].split()[0] == "#brokerName" and len(out) == 5
    assert wait_diff(ns, "CID_adm", 0, timeout=1)

    cq = newer("queryCq", "-t", TOPIC, "-q", qid, "-i", "0", ns=ns)
    assert "idx: 0\nConsumeQueueData{physicOffset=" in cq
    stats = newer("statsAll", "-t", TOPIC, ns=ns)
    assert stats.startswith("#Topic")

    # consumeMessage: at most three messages (Java's count of what is left under-counts by one per queue)
    out = run("consumeMessage", "-t", TOPIC, "-c", "3", ns=ns)
    assert 1 <= out.count("MSGID: ") <= 3 and "Consume ok" in out
    out = run("consumeMessage", "-t", TOPIC, "-b", broker, "-i", qid, "-o", "0", ns=ns)
    assert "BODY: from-mqadmin" in out and "print msg finished. status=NO_NEW_MSG" in out


@pytest.mark.parametrize("args, says", [
    (("consumerProgress", "-g", "NoSuchGroup"), "No topic route info"),
    (("consumerConnection", "-g", "NoSuchGroup"), "ConsumerConnectionSubCommand command failed"),
    (("queryMsgByOffset", "-t", TOPIC, "-b", "broker-a", "-i", "x", "-o", "0"), 'For input string: "x"'),
    (("resetOffsetByTime", "-g", "G", "-t", TOPIC, "-s", "yesterday"), "timestamp invalid"),
    (("producer", "-b", "127.0.0.1:1"), "127.0.0.1:1"),
    (("queryMsgByUniqueKey", "-i", "00", "-t", "TBW102"), "no message"),
])
def test_bad_input_is_one_line_and_exit_1(cluster, args, says):
    ns, _ = cluster
    out = mqadmin(*args, "-n", ns.addr)
    assert out.returncode == 1 and says in out.stderr and "Traceback" not in out.stderr, out.stderr

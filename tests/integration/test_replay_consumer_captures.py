"""The wire broker's life replayed against ours: FixtureA created, the two producer captures, the three consumer
captures (push concurrent JSON/ROCKETMQ, orderly), then mqadmin consumerProgress, each byte for byte in capture
order (tests/support/replay.py keeps the causal order: held pulls stay outstanding, everything else is
answered before the next frame). The Java broker's answers are the oracle: code, flag, serialization, version,
remark, every extFields key **and value**, broker-initiated NOTIFY_CONSUMER_IDS_CHANGED, and bodies as data
(pull bodies record by record: offsets, queue offsets, flags, CRC, properties, body).

Our broker runs the wire broker's conf (conf/wire-broker-b.conf: 1 MiB commit-log files, 30-entry queues,
accessMessageInMemoryMaxRatio=0, property filter on), so commit-log offsets match Java's and the replayed
CONSUMER_SEND_MSG_BACK offsets name the same messages. Normalised explicitly, because they cannot match between
two runs:
- time: suspendTimeoutMillis of replayed pulls is cut from 15000 to 4000 ms, and every delay level is 1 s
  (Java's level 3 was 3 s), so a capture replays in seconds; held pulls still time out and wake up as in Java;
- in pull bodies, a record's store timestamp, the born host's port (the producer's client port) and the store
  host (127.0.0.2:40931 there) are not compared; ORIGIN_MESSAGE_ID (an offset msgId: store host + offset) is
  compared by its commit-log offset;
- the "wire-wakeup" message, which Java's capture got from a client outside the proxy, is sent by the test at
  the point where the capture shows the held pull it woke;
- list bodies whose order is a Java hash order (consumerIdList, lockOKMQSet) are compared as sets;
  ConsumeStats' consumeTps and lastTimestamp by type.
"""
from __future__ import annotations

import asyncio

import pytest

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_request
from store import message as m
from tests.integration.test_replay_broker_captures import assert_same_broker_answer
from tests.integration.test_replay_java_captures import body_of
from tests.support.captures import frames
from tests.support.daemons import BrokerProcess
from tests.support.replay import HELD_AFTER_MS, Replay, with_ext

WIRE_CONF = dict(brokerClusterName="DefaultCluster", brokerName="broker-a", brokerRole="ASYNC_MASTER",
                 flushDiskType="SYNC_FLUSH", autoCreateTopicEnable=True, enablePropertyFilter=True,
                 mappedFileSizeCommitLog=1048576, mappedFileSizeConsumeQueue=600, maxHashSlotNum=64,
                 maxIndexNum=256, accessMessageInMemoryMaxRatio=0, messageDelayLevel=" ".join(["1s"] * 18))
SUSPEND_MS = "4000"


# ---------------------------------------------------------------- comparison

def normalised_record(msg: m.StoredMessage) -> dict:
    props = msg.props
    if "ORIGIN_MESSAGE_ID" in props:
        props["ORIGIN_MESSAGE_ID"] = m.decode_offset_msg_id(props["ORIGIN_MESSAGE_ID"])[1]
    return {"topic": msg.topic, "queue_id": msg.queue_id, "queue_offset": msg.queue_offset,
            "physical_offset": msg.physical_offset, "sys_flag": msg.sys_flag, "flag": msg.flag,
            "born_timestamp": msg.born_timestamp, "born_ip": msg.born_host[0], "store_size": msg.store_size,
            "body_crc": msg.body_crc, "reconsume_times": msg.reconsume_times, "body": msg.body,
            "prepared": msg.prepared_transaction_offset, "props": props,
            "properties_order": list(props)}


def _normalise_body(code_of_request: int, data):
    if code_of_request == RequestCode.GET_CONSUMER_LIST_BY_GROUP:
        return {**data, "consumerIdList": sorted(data["consumerIdList"])}
    if code_of_request == RequestCode.LOCK_BATCH_MQ:
        return {**data, "lockOKMQSet": sorted(data["lockOKMQSet"], key=lambda q: sorted(q.items()))}
    if code_of_request == RequestCode.GET_CONSUME_STATS:
        table = {k: {**v, "lastTimestamp": type(v["lastTimestamp"]).__name__} for k, v in data["offsetTable"].items()}
        return {**data, "consumeTps": type(data["consumeTps"]).__name__, "offsetTable": table}
    return data


class Oracle:
    def __init__(self, name: str) -> None:
        fs = [f for f in frames(name) if f["peer"] == "broker"]
        self.request_code = {(f["conn"], f["header"]["opaque"]): f["header"]["code"]
                             for f in fs if f["dir"] == "c2s" and f["rpc"] == "request"}

    def __call__(self, ours: RemotingCommand, java: dict, what: str) -> None:
        jh = java["header"]
        assert (ours.code, ours.flag, int(ours.serialize_type)) == (jh["code"], jh["flag"], java["serialize_type"]), what
        language = jh.get("languageName", jh.get("language"))
        assert (ours.version, ours.language, ours.remark) == (jh["version"], language, jh.get("remark")), what
        assert (ours.ext_fields or {}) == (jh.get("extFields") or {}), what
        if java["serialize_type"] == 0:
            assert (ours.ext_fields is None) == (jh.get("extFields") is None), f"{what}: extFields presence differs"
        java_body = body_of(java)
        ours_body = bytes(ours.body) if ours.body is not None else None
        if java_body is None:
            assert ours_body is None, what
            return
        assert ours_body is not None, what
        code = self.request_code.get((java["conn"], jh["opaque"]))
        if code == RequestCode.PULL_MESSAGE:
            mine, theirs = m.decode_all(ours_body), m.decode_all(java_body)
            assert len(mine) == len(theirs), what
            for k, (a, b) in enumerate(zip(mine, theirs)):
                a, b = normalised_record(a), normalised_record(b)
                assert a == b, f"{what}: record {k} differs in {[f for f in a if a[f] != b[f]]}: {a} != {b}"
        else:
            assert _normalise_body(code, fastjson.loads(ours_body)) == \
                _normalise_body(code, fastjson.loads(java_body)), what


# ---------------------------------------------------------------- the replay

def shorter_pull_suspension(frame: dict, raw: bytes) -> bytes:
    if frame["header"]["code"] == RequestCode.PULL_MESSAGE:
        return with_ext(raw, suspendTimeoutMillis=SUSPEND_MS)
    return raw


def wakeup_injections(name: str, client, addr: str) -> dict:
    """At the capture frame where a held pull returned the "wire-wakeup" message, send that message."""
    out = {}
    fs = [f for f in frames(name) if f["peer"] == "broker"]
    sent_at = {(f["conn"], f["header"]["opaque"]): f["t"] for f in fs if f["dir"] == "c2s"}
    for i, f in enumerate(fs):
        body = body_of(f) if f["dir"] == "s2c" and f["rpc"] == "response" else None
        if not body or b"wire-wakeup" not in body:
            continue
        if f["t"] - sent_at[(f["conn"], f["header"]["opaque"])] <= HELD_AFTER_MS:
            continue        # an earlier capture's wake-up message, read back by a plain pull
        for rec in m.decode_all(body):
            if rec.props.get("KEYS") == "wire-wakeup":
                out[i] = _sender(client, addr, rec)
    assert out, f"{name}: no wake-up message found"
    return out


def _sender(client, addr: str, rec: m.StoredMessage):
    props = {k: v for k, v in rec.props.items() if k != "CLUSTER"}

    async def send() -> None:
        req = make_request(RequestCode.SEND_MESSAGE, {
            "producerGroup": "wire-injector", "topic": rec.topic, "defaultTopic": "TBW102",
            "defaultTopicQueueNums": "4", "queueId": str(rec.queue_id), "sysFlag": str(rec.sys_flag),
            "bornTimestamp": str(rec.born_timestamp), "flag": str(rec.flag),
            "properties": m.properties_to_string(props), "reconsumeTimes": "0"}, rec.body)
        assert (await client.invoke(addr, req, 5)).code == ResponseCode.SUCCESS
    return send


async def scheduled_messages_delivered(client, addr: str, timeout: float = 10.0) -> None:
    """Wait until every message in SCHEDULE_TOPIC_XXXX has been delivered (the Java captures were minutes
    apart; a delayed message of one capture was delivered before the next capture started)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        resp = await client.invoke(addr, make_request(RequestCode.GET_ALL_DELAY_OFFSET), 5)
        delivered = {int(k): v for k, v in fastjson.loads(resp.body)["offsetTable"].items()}
        pending = False
        for level in range(1, 19):
            req = make_request(RequestCode.GET_MAX_OFFSET, {"topic": "SCHEDULE_TOPIC_XXXX", "queueId": str(level - 1)})
            if int((await client.invoke(addr, req, 5)).ext("offset")) > delivered.get(level, 0):
                pending = True
        if not pending:
            return
        assert loop.time() < deadline, "scheduled messages not delivered in time"
        await asyncio.sleep(0.05)


@pytest.fixture
def wire_broker(namesrv, tmp_path):
    with BrokerProcess(tmp_path / "broker", namesrv.addr, **WIRE_CONF) as br:
        yield br


async def test_wire_broker_life_replayed_gets_java_answers(wire_broker, client):
    addr = wire_broker.addr
    create = make_request(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": "FixtureA", "defaultTopic": "TBW102", "readQueueNums": "4", "writeQueueNums": "4", "perm": "6",
        "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"})
    assert (await client.invoke(addr, create, 5)).code == ResponseCode.SUCCESS
    for name in ["producer-json", "producer-rocketmq"]:
        replay = Replay(name, addr, assert_same_broker_answer)
        await replay.run()
        assert replay.checked >= 10
        await scheduled_messages_delivered(client, addr)
    for name in ["consumer-json", "consumer-rocketmq", "consumer-orderly"]:
        before = wakeup_injections(name, client, addr) if name != "consumer-orderly" else {}
        replay = Replay(name, addr, Oracle(name), before=before, rewrite=shorter_pull_suspension)
        await replay.run()
        assert replay.checked > 20, name
    replay = Replay("admin-consumerProgress", addr, Oracle("admin-consumerProgress"))
    await replay.run()
    assert replay.checked == 2

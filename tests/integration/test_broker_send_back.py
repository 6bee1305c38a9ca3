"""CONSUMER_SEND_MSG_BACK against the broker daemon: retry through the schedule topic, the dead-letter queue
when the reconsume limit is reached, the Java errors; a pull whose offset is out of range leaves an
OFFSET_MOVED_EVENT record, as the Java broker does."""
from __future__ import annotations

import asyncio

import pytest

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from store import message as m
from tests.support.daemons import BrokerProcess


@pytest.fixture
def broker(namesrv, tmp_path):
    with BrokerProcess(tmp_path / "broker", namesrv.addr, messageDelayLevel=" ".join(["1s"] * 18)) as br:
        yield br


async def send(client, addr: str, topic: str, body: bytes, props: str = "TAGS\x01TagA\x02KEYS\x01k1\x02") -> int:
    resp = await client.invoke(addr, make_request(RequestCode.SEND_MESSAGE, {
        "producerGroup": "PID_sb", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
        "queueId": "0", "sysFlag": "0", "bornTimestamp": "1700000000000", "flag": "7", "properties": props}, body), 5)
    assert resp.code == ResponseCode.SUCCESS, resp
    return m.decode_offset_msg_id(resp.ext("msgId"))[1]


async def send_back(client, addr: str, offset: int, group: str, delay: int, max_times: int | None = None):
    ext = {"offset": str(offset), "group": group, "delayLevel": str(delay), "originMsgId": "X", "originTopic": "T"}
    if max_times is not None:
        ext["maxReconsumeTimes"] = str(max_times)
    return await client.invoke(addr, make_request(RequestCode.CONSUMER_SEND_MSG_BACK, ext), 5)


async def max_offset(client, addr: str, topic: str, queue: int) -> int:
    resp = await client.invoke(addr, make_request(RequestCode.GET_MAX_OFFSET, {"topic": topic, "queueId": str(queue)}), 5)
    return int(resp.ext("offset"))


async def wait_max_offset(client, addr: str, topic: str, queue: int, want: int, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await max_offset(client, addr, topic, queue) < want:
        assert loop.time() < deadline, f"{topic}/{queue} never reached {want}"
        await asyncio.sleep(0.05)


async def stored(client, addr: str, topic: str, queue: int, offset: int) -> m.StoredMessage:
    """Read one record back with a subscription-carrying pull (no heartbeat needed)."""
    resp = await client.invoke(addr, make_request(RequestCode.PULL_MESSAGE, {
        "consumerGroup": "CID_reader", "topic": topic, "queueId": str(queue), "queueOffset": str(offset),
        "maxMsgNums": "1", "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0", "subscription": "*",
        "subVersion": "0", "expressionType": "TAG"}), 5)
    assert resp.code == ResponseCode.SUCCESS, resp
    return m.decode(resp.body)


async def test_send_back_retries_after_the_delay_then_dead_letters(broker, client):
    addr = broker.addr
    phys = await send(client, addr, "SbTopic", b"payload")
    assert (await send_back(client, addr, phys, "CID_sb", 2)).code == ResponseCode.SUCCESS
    assert await max_offset(client, addr, "SCHEDULE_TOPIC_XXXX", 1) == 1        # level 2 -> queue 1
    await wait_max_offset(client, addr, "%RETRY%CID_sb", 0, 1)                   # delivered after ~1 s
    retry = await stored(client, addr, "%RETRY%CID_sb", 0, 0)
    assert (retry.body, retry.flag, retry.reconsume_times) == (b"payload", 7, 1)
    p = retry.props
    assert (p["RETRY_TOPIC"], p["DELAY"], p["REAL_TOPIC"], p["REAL_QID"], p["WAIT"]) == (
        "SbTopic", "2", "%RETRY%CID_sb", "0", "false")
    assert m.decode_offset_msg_id(p["ORIGIN_MESSAGE_ID"])[1] == phys
    # the retried message refused again with a limit of 1: straight to %DLQ%, no delay
    again = await send_back(client, addr, retry.physical_offset, "CID_sb", 0, max_times=1)
    assert again.code == ResponseCode.SUCCESS
    assert await max_offset(client, addr, "%DLQ%CID_sb", 0) == 1
    dead = await stored(client, addr, "%DLQ%CID_sb", 0, 0)
    assert dead.reconsume_times == 2 and dead.props["DELAY"] == "0" and dead.props["RETRY_TOPIC"] == "SbTopic"
    assert dead.props["ORIGIN_MESSAGE_ID"] == p["ORIGIN_MESSAGE_ID"]
    topics = fastjson.loads((await client.invoke(addr, make_request(RequestCode.GET_ALL_TOPIC_CONFIG), 5)).body)
    dlq = topics["topicConfigTable"]["%DLQ%CID_sb"]
    assert (dlq["readQueueNums"], dlq["writeQueueNums"], dlq["perm"]) == (1, 1, 6)
    # a negative delay level means "dead-letter now"
    assert (await send_back(client, addr, phys, "CID_sb", -1)).code == ResponseCode.SUCCESS
    assert await max_offset(client, addr, "%DLQ%CID_sb", 0) == 2
    delays = fastjson.loads((await client.invoke(addr, make_request(RequestCode.GET_ALL_DELAY_OFFSET), 5)).body)
    assert delays == {"offsetTable": {2: 1}}


async def test_send_back_errors(broker, client):
    bad = await send_back(client, broker.addr, 987654321, "CID_sb", 0)
    assert (bad.code, bad.remark) == (ResponseCode.SYSTEM_ERROR, "look message by offset failed, 987654321")
    missing = await client.invoke(broker.addr, make_request(RequestCode.CONSUMER_SEND_MSG_BACK, {"offset": "0"}), 5)
    assert missing.code == ResponseCode.SYSTEM_ERROR


async def test_out_of_range_pull_writes_an_offset_moved_event(broker, client):
    addr = broker.addr
    await send(client, addr, "MovedTopic", b"one")
    resp = await client.invoke(addr, make_request(RequestCode.PULL_MESSAGE, {
        "consumerGroup": "CID_moved", "topic": "MovedTopic", "queueId": "0", "queueOffset": "1000",
        "maxMsgNums": "32", "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0", "subscription": "*",
        "subVersion": "0", "expressionType": "TAG"}), 5)
    # OFFSET_OVERFLOW_BADLY with min offset 0: the consumer is sent back to 0 (Java's rule)
    assert resp.code == ResponseCode.PULL_OFFSET_MOVED and resp.ext("nextBeginOffset") == "0"
    event = await stored(client, addr, "OFFSET_MOVED_EVENT", 0, 0)
    assert fastjson.loads(event.body) == {"consumerGroup": "CID_moved", "offsetNew": 0, "offsetRequest": 1000,
                                          "messageQueue": {"brokerName": "broker-a", "queueId": 0, "topic": "MovedTopic"}}
    assert event.props == {"TAGS": "CID_moved", "KEYS": "CID_moved", "DELAY": "0"}
    assert event.born_host == event.store_host == ("127.0.0.1", broker.port)

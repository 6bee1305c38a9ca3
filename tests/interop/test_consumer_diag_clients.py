"""Consumer diagnostics against real consumers: the C++ 1.x core (rocketmq==0.4.4) answers running info and
takes a broker-pushed offset reset; ali-ons (3.12) never answers broker->client requests, so asking it for
running info times out after Java's 10 s while the broker keeps answering everything else."""
from __future__ import annotations

import asyncio
import time

import pytest

from remoting import fastjson
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.interop.conftest import bodies
from tests.support.alions import NodeConsumer
from tests.support.cpp1x import PushConsumer, message, produce

pytestmark = pytest.mark.interop


async def ask(client, addr, code, ext, language="JAVA", timeout=15.0):
    req = make_request(code, ext)
    req.language = language
    return await client.invoke(addr, req, timeout)


async def client_ids(client, addr, group, timeout=30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = await ask(client, addr, RequestCode.GET_CONSUMER_CONNECTION_LIST, {"consumerGroup": group})
        if r.code == ResponseCode.SUCCESS:
            return [c["clientId"] for c in fastjson.loads(r.body)["connectionSet"]]
        await asyncio.sleep(0.3)
    raise AssertionError(f"{group} never came online")


async def offsets_caught_up(client, addr, group, topic, timeout=30.0) -> dict:
    """Waits until the group committed every queue up to its max offset; returns the consume stats table."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = await ask(client, addr, RequestCode.GET_CONSUME_STATS, {"consumerGroup": group, "topic": topic})
        table = fastjson.loads(r.body)["offsetTable"] if r.code == 0 else {}
        if table and all(w["consumerOffset"] == w["brokerOffset"] for w in table.values()):
            return table
        await asyncio.sleep(0.5)
    raise AssertionError(f"offsets of {group} never caught up: {table}")


async def test_cpp1x_running_info_reset_offset_and_gone(cluster, tmp_path):
    ns, br = cluster
    topic, group = "DiagCpp", "CID_diag_cpp"
    msgs = [message(topic, f"d{i}".encode()) for i in range(8)]
    produce(tmp_path, ns.addr, "PID_diag", "sync", msgs)
    c = PushConsumer(tmp_path / "c", ns.addr, group, topic)
    client = RemotingClient()
    try:
        want = set(bodies(msgs))
        assert c.wait_for(lambda got: want <= set(bodies(got)), 60)
        (cid,) = await client_ids(client, br.addr, group)
        r = await ask(client, br.addr, RequestCode.GET_CONSUMER_RUNNING_INFO, {"consumerGroup": group, "clientId": cid})
        assert r.code == ResponseCode.SUCCESS, (r.code, r.remark)
        info = fastjson.loads(r.body)      # the core's own pretty JSON, MessageQueue object keys included
        assert {s["topic"] for s in info["subscriptionSet"]} >= {topic}
        assert {dict(k)["topic"] for k in info["mqTable"]} == {topic}

        await offsets_caught_up(client, br.addr, group, topic)
        before = len(c.messages)
        r = await ask(client, br.addr, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
                      {"topic": topic, "group": group, "timestamp": "0", "isForce": "true"}, language="CPP")
        assert r.code == ResponseCode.SUCCESS, (r.code, r.remark)
        assert set(fastjson.loads(r.body)["offsetTable"].values()) == {0}
        again = c.wait_for(lambda got: len(got) >= before + len(msgs), 30)
        assert again and want <= set(bodies(c.messages[before:]))

        # what a Java broker does for a Java admin: the 220 body with fastjson's object keys, which the C++ 1.x
        # core cannot parse, so it keeps its offsets and nothing is consumed again (hence resetOffset's CPP form)
        await offsets_caught_up(client, br.addr, group, topic)
        before = len(c.messages)
        r = await ask(client, br.addr, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
                      {"topic": topic, "group": group, "timestamp": "0", "isForce": "true"})
        assert r.code == ResponseCode.SUCCESS
        assert not c.wait_for(lambda got: len(got) > before, 5)
        # the C++ 1.x core answers neither GET_CONSUMER_STATUS_FROM_CLIENT nor CONSUME_MESSAGE_DIRECTLY: the
        # status is an empty table after Java's 5 s (and 309 would end in CONSUME_MSG_TIMEOUT after 10 s)
        started = time.monotonic()
        r = await ask(client, br.addr, RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
                      {"topic": topic, "group": group}, timeout=10)
        assert 4.5 <= time.monotonic() - started < 8
        assert (r.code, fastjson.loads(r.body)) == (0, {"consumerTable": {}, "messageQueueTable": {}})
    finally:
        c.stop()
    try:
        # the consumer is gone: Java's remark (its channel closed, so it is no longer in the group)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = await ask(client, br.addr, RequestCode.GET_CONSUMER_RUNNING_INFO,
                          {"consumerGroup": group, "clientId": cid})
            if r.code != ResponseCode.SUCCESS:
                break
            await asyncio.sleep(0.5)
        assert (r.code, r.remark) == (ResponseCode.SYSTEM_ERROR, f"The Consumer <{group}> <{cid}> not online")
    finally:
        await client.close()


async def test_alions_never_answers_running_info_and_times_out(cluster, tmp_path):
    ns, br = cluster
    topic, group = "DiagNode", "CID_diag_node"
    produce(tmp_path, ns.addr, "PID_diag_node", "sync", [message(topic, b"warm-up")])
    c = NodeConsumer(tmp_path / "n", ns.addr, group, topic, "TAG", "*")
    client = RemotingClient()
    try:
        (cid,) = await client_ids(client, br.addr, group)
        started = time.monotonic()
        slow = asyncio.ensure_future(ask(client, br.addr, RequestCode.GET_CONSUMER_RUNNING_INFO,
                                         {"consumerGroup": group, "clientId": cid}, timeout=20))
        await asyncio.sleep(1)
        # meanwhile the broker answers other requests at once
        r = await ask(client, br.addr, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, {"topic": topic}, timeout=2)
        assert r.code == 0 and group in fastjson.loads(r.body)["groupList"]
        assert not slow.done()
        r = await slow
        took = time.monotonic() - started
        assert r.code == ResponseCode.CONSUME_MSG_TIMEOUT, (r.code, r.remark)
        assert r.remark.startswith(f"consumer <{group}> <{cid}> Timeout: org.apache.rocketmq.remoting.exception."
                                   "RemotingTimeoutException: wait response on the channel <")
        assert 9.5 <= took < 15
    finally:
        c.stop()
        await client.close()

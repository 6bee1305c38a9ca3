"""Produce and consume through our NameServer and Broker with ali-ons@3.12.0 (pure JS): sends with tags, keys
and user properties, tag filtering, and SQL92 filtering (broker started with enablePropertyFilter=true)."""
from __future__ import annotations

import asyncio
import base64

import pytest

from remoting.client import RemotingClient
from remoting.codes import RequestCode
from remoting.command import make_request

from tests.support.admin import found_offset_ids, mqadmin
from tests.support.alions import NodeConsumer, produce
from tests.support.cpp1x import message

pytestmark = pytest.mark.interop


BROKER_PROPS = dict(enablePropertyFilter=True)


def create_topic(broker_addr: str, topic: str, queues: int = 4) -> None:
    """ali-ons does not auto-create topics through TBW102: create them as an operator would (updateTopic)."""
    async def run():
        c = RemotingClient()
        try:
            resp = await c.invoke(broker_addr, make_request(RequestCode.UPDATE_AND_CREATE_TOPIC, {
                "topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
                "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}), 10)
            assert resp.code == 0, resp
        finally:
            await c.close()
    asyncio.run(run())


def body_set(msgs):
    return {base64.b64decode(x["body_b64"]) for x in msgs}


def test_send_and_consume_round_trip_with_properties(cluster, tmp_path):
    ns, br = cluster
    topic = "JsRoundTrip"
    create_topic(br.addr, topic)
    msgs = [message(topic, f"js-{i}-значение-😀".encode() + bytes(range(256)), tags="TagA", keys=f"k{i} other{i}",
                    props={"color": "red", "nonAscii": "中文-é"}) for i in range(10)]
    results = produce(tmp_path, ns.addr, "PID_js", msgs)
    assert all(r.get("status") == "SEND_OK" for r in results), results
    # the msgId ali-ons returns is the broker's offset msgId: mqadmin queryMsgById finds the message
    for r, sent in list(zip(results, msgs))[:3]:
        out = mqadmin("queryMsgById", "-i", r["msg_id"], "-n", ns.addr)
        assert out.returncode == 0 and found_offset_ids(out) == [r["msg_id"]], out.stderr
        assert f"Keys:                [{sent['keys']}]" in out.stdout
    c = NodeConsumer(tmp_path / "c", ns.addr, "CID_js_rt", topic, "TAG", "*")
    try:
        assert c.wait_for(lambda got: body_set(msgs) <= body_set(got), 60), (len(c.messages), c.errors)
        for g in c.messages:
            assert g["tags"] == "TagA" and g["props"]["color"] == "red" and g["props"]["nonAscii"] == "中文-é"
    finally:
        c.stop()


def test_tag_and_sql92_filters_deliver_exactly_the_matching_messages(cluster, tmp_path):
    ns, br = cluster
    topic = "JsFilter"
    create_topic(br.addr, topic)
    msgs = [message(topic, f"f{i}".encode(), tags=["TagA", "TagB"][i % 2], props={"n": str(i), "color": ["red", "blue", "green"][i % 3]})
            for i in range(30)]
    produce(tmp_path, ns.addr, "PID_js_filter", msgs)
    tag = NodeConsumer(tmp_path / "tag", ns.addr, "CID_js_tag", topic, "TAG", "TagB")
    sql = NodeConsumer(tmp_path / "sql", ns.addr, "CID_js_sql", topic, "SQL92", "n BETWEEN 5 AND 20 AND color <> 'blue'")
    try:
        want_tag = {f"f{i}".encode() for i in range(30) if i % 2 == 1}
        want_sql = {f"f{i}".encode() for i in range(30) if 5 <= i <= 20 and i % 3 != 1}
        assert tag.wait_for(lambda got: want_tag <= body_set(got), 60), tag.errors
        assert sql.wait_for(lambda got: want_sql <= body_set(got), 60), sql.errors
        # a catch-all marker sent last proves the filters had their chance at everything before it
        produce(tmp_path, ns.addr, "PID_js_filter", [message(topic, b"last", tags="TagB", props={"n": "10", "color": "red"})])
        assert tag.wait_for(lambda got: b"last" in body_set(got), 60)
        assert sql.wait_for(lambda got: b"last" in body_set(got), 60)
        assert body_set(tag.messages) == want_tag | {b"last"}
        assert body_set(sql.messages) == want_sql | {b"last"}
    finally:
        tag.stop()
        sql.stop()


def test_broadcasting_consumers_each_get_everything(cluster, tmp_path):
    ns, br = cluster
    topic = "JsBroadcast"
    create_topic(br.addr, topic)
    a = NodeConsumer(tmp_path / "a", ns.addr, "CID_js_bc", topic, "TAG", "*", mode="broadcast")
    b = NodeConsumer(tmp_path / "b", ns.addr, "CID_js_bc", topic, "TAG", "*", mode="broadcast")
    try:
        msgs = [message(topic, f"bc{i}".encode(), tags="TagA") for i in range(12)]
        assert all(r.get("status") == "SEND_OK" for r in produce(tmp_path, ns.addr, "PID_js_bc", msgs))
        for c in (a, b):
            assert c.wait_for(lambda got: body_set(msgs) <= body_set(got), 60), (len(c.messages), c.errors)
    finally:
        a.stop()
        b.stop()

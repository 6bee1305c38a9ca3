"""Produce and consume through our NameServer and Broker with the real C++ 1.x client (rocketmq==0.4.4)."""
from __future__ import annotations

import base64
import os
from collections import Counter

import pytest

from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from store import message as m
from tests.interop.conftest import bodies
from tests.support.cpp1x import PushConsumer, message, produce, pull_all

pytestmark = pytest.mark.interop





async def test_sync_async_oneway_and_batch_sends_round_trip_byte_exact(cluster, tmp_path):
    ns, br = cluster
    topic = "CppRoundTrip"
    sent = []
    for mode, n in (("sync", 4), ("async", 4), ("oneway", 3), ("batch", 5)):
        # 0.4.4 passes bodies as C strings: no NUL bytes, every other byte value
        msgs = [message(topic, f"{mode}-{i}-значение-😀".encode() + bytes(range(1, 256)), tags=f"Tag{i % 2}",
                        keys=f"key-{mode}-{i} second-{i}", props={"color": "red", "nonAscii": "中文-é"})
                for i in range(n)]
        results = produce(tmp_path, ns.addr, f"PID_{mode}", mode, msgs)
        if mode != "oneway":
            assert all(r.get("status") == 0 for r in results), results
        sent += msgs
    got = pull_all(tmp_path, ns.addr, "CID_roundtrip", topic)
    assert Counter(bodies(got)) == Counter(bodies(sent))
    by_body = {base64.b64decode(x["body_b64"]): x for x in got}
    for s in sent:
        g = by_body[base64.b64decode(s["body_b64"])]
        assert (g["tags"], g["keys"], g["props"]["color"], g["props"]["nonAscii"]) == (
            s["tags"], s["keys"], "red", "中文-é")
        assert g["props"]["CLUSTER"] == "DefaultCluster"
    # the offset message id a Java producer gets finds the very record with VIEW_MESSAGE_BY_ID
    client = RemotingClient()
    try:
        for g in got[:5]:
            resp = await client.invoke(br.addr, make_request(RequestCode.VIEW_MESSAGE_BY_ID,
                                                             {"offset": str(g["commit_log_offset"])}), 5)
            assert resp.code == ResponseCode.SUCCESS
            rec = m.decode(resp.body)
            assert rec.body == base64.b64decode(g["body_b64"]) and rec.props["UNIQ_KEY"] == g["id"]
            host, off = m.decode_offset_msg_id(m.offset_msg_id(rec.store_host, rec.physical_offset))
            assert (host, off) == (("127.0.0.1", br.port), g["commit_log_offset"])
    finally:
        await client.close()


def test_pull_consumer_walks_every_queue_from_zero_to_max(cluster, tmp_path):
    ns, _ = cluster
    topic = "CppPull"
    msgs = [message(topic, f"p{i}".encode()) for i in range(40)]
    produce(tmp_path, ns.addr, "PID_pull", "sync", msgs)
    got = pull_all(tmp_path, ns.addr, "CID_pull", topic)
    assert sorted(bodies(got)) == sorted(bodies(msgs))
    per_queue: dict[int, list[int]] = {}
    for g in got:
        per_queue.setdefault(g["queue_id"], []).append(g["queue_offset"])
    assert all(offs == list(range(len(offs))) for offs in per_queue.values())
    assert len(per_queue) == 4   # auto-created with the client's 4 default queues


def test_broadcasting_consumers_each_get_everything(cluster, tmp_path):
    ns, _ = cluster
    topic, group = "CppBroadcast", "CID_broadcast"
    produce(tmp_path, ns.addr, "PID_bc_init", "sync", [message(topic, b"warm-up")])
    a = PushConsumer(tmp_path / "a", ns.addr, group, topic, model="BROADCASTING")
    b = PushConsumer(tmp_path / "b", ns.addr, group, topic, model="BROADCASTING")
    try:
        msgs = [message(topic, f"b{i}".encode()) for i in range(20)]
        produce(tmp_path, ns.addr, "PID_bc", "sync", msgs)
        want = set(bodies(msgs))
        for x in (a, b):
            assert x.wait_for(lambda got: want <= set(bodies(got)), 60), len(x.messages)
    finally:
        a.stop()
        b.stop()


def test_tag_filter_delivers_only_matching_tags(cluster, tmp_path):
    ns, _ = cluster
    topic = "CppTags"
    msgs = [message(topic, f"t{i}".encode(), tags=["TagA", "TagB", "TagC"][i % 3]) for i in range(30)]
    produce(tmp_path, ns.addr, "PID_tags", "sync", msgs)
    c = PushConsumer(tmp_path / "c", ns.addr, "CID_tags", topic, expression="TagA || TagC")
    try:
        want = {base64.b64decode(x["body_b64"]) for x in msgs if x["tags"] in ("TagA", "TagC")}
        assert c.wait_for(lambda got: want <= set(bodies(got)), 60)
        assert {g["tags"] for g in c.messages} <= {"TagA", "TagC"}
    finally:
        c.stop()
    assert len(want) == 20 and os.environ.get("HOME")


def test_orderly_send_keeps_each_shard_in_one_queue_in_order(cluster, tmp_path):
    ns, _ = cluster
    topic = "CppOrderly"
    msgs = [dict(message(topic, f"shard{i % 3}-{i}".encode()), shard=i % 3) for i in range(24)]
    results = produce(tmp_path, ns.addr, "PID_orderly", "orderly", msgs)
    assert all(r.get("status") == 0 for r in results), results
    got = pull_all(tmp_path, ns.addr, "CID_orderly", topic)
    by_shard: dict[int, list[dict]] = {}
    for g in got:
        body = base64.b64decode(g["body_b64"]).decode()
        by_shard.setdefault(int(body[5]), []).append(g)
    assert sorted(by_shard) == [0, 1, 2]
    for shard, items in by_shard.items():
        assert len({g["queue_id"] for g in items}) == 1          # one queue per shard
        in_queue_order = [base64.b64decode(g["body_b64"]).decode() for g in sorted(items, key=lambda g: g["queue_offset"])]
        assert in_queue_order == [f"shard{shard}-{i}" for i in range(shard, 24, 3)]   # in send order

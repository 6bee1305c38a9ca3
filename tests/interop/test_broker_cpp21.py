"""Produce and consume through our NameServer and Broker with rocketmq-client-python 2.0.0 on the C++ 2.1 core
(it sends SEND_MESSAGE_V2 for everything and language CPP, version 333)."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.interop.conftest import bodies
from tests.support.admin import mqadmin
from tests.support.cpp1x import PushConsumer, message, produce

pytestmark = pytest.mark.interop





def test_sync_oneway_orderly_sends_and_clustering_consumers(cluster, tmp_path):
    ns, _ = cluster
    topic, group = "Cpp21Topic", "CID_cpp21"
    warm = produce(tmp_path, ns.addr, "PID_21", "sync", [message(topic, b"warm-up")], core="2.1")
    assert warm[0].get("status") == 0, warm
    a = PushConsumer(tmp_path / "a", ns.addr, group, topic, "TagA || TagB", core="2.1")
    b = PushConsumer(tmp_path / "b", ns.addr, group, topic, "TagA || TagB", core="2.1")
    try:
        sent = []
        for mode in ("sync", "oneway", "orderly"):
            msgs = [message(topic, f"{mode}-{i}-значение".encode() + bytes(range(1, 256)), tags=["TagA", "TagB", "TagC"][i % 3],
                            keys=f"key{i % 2}", props={"color": "red", "nonAscii": "中文-é"}) for i in range(9)]
            res = produce(tmp_path, ns.addr, f"PID_21_{mode}", mode, msgs, core="2.1")
            assert all("error" not in r for r in res), res
            sent += msgs
        want = Counter(b for b, x in zip(bodies(sent), sent) if x["tags"] != "TagC")

        def together():
            return Counter(bodies(a.messages) + bodies(b.messages))
        assert a.wait_for(lambda _: together() == want, 90) or together() == want, want - together()
        assert together() == want      # exactly once across the group, TagC filtered out
        for g in a.messages + b.messages:
            assert g["props"] == {"color": "red", "nonAscii": "中文-é"} and g["tags"] in ("TagA", "TagB")
        # the msgId the 2.1 producer returns is the client's UNIQ_KEY: mqadmin queryMsgByUniqueKey finds it
        res = produce(tmp_path, ns.addr, "PID_21_id", "sync", [message(topic, b"find me", keys="findme")], core="2.1")
        out = mqadmin("queryMsgByUniqueKey", "-i", res[0]["msg_id"], "-t", topic, "-n", ns.addr)
        assert out.returncode == 0 and out.stdout.count("Topic:  ") == 1, out.stderr
        assert "Keys:                [findme]" in out.stdout
    finally:
        a.stop()
        b.stop()


def test_broadcasting_with_the_21_core(cluster, tmp_path):
    ns, _ = cluster
    topic = "Cpp21Broadcast"
    produce(tmp_path, ns.addr, "PID_21b", "sync", [message(topic, b"warm-up")], core="2.1")
    a = PushConsumer(tmp_path / "a", ns.addr, "CID_21b", topic, model="BROADCASTING", core="2.1")
    b = PushConsumer(tmp_path / "b", ns.addr, "CID_21b", topic, model="BROADCASTING", core="2.1")
    try:
        msgs = [message(topic, f"bc{i}".encode()) for i in range(15)]
        produce(tmp_path, ns.addr, "PID_21b", "sync", msgs, core="2.1")
        for x in (a, b):
            assert x.wait_for(lambda got: set(bodies(msgs)) <= set(bodies(got)), 60), len(x.messages)
    finally:
        a.stop()
        b.stop()

"""Pub records written by the broker (brokerTraceEnable=true, ours) for a producer that does not trace
(rocketmq 0.4.4, the C++ 1.x core), found by `mqadmin queryMsgTraceById` in the default and in a custom
trace topic; a producer that traces itself (the C++ 2.1 core) gets no second record from the broker."""
from __future__ import annotations

import pytest

from tests.support.cpp1x import message, produce
from tests.support.daemons import BrokerProcess, NamesrvProcess
from tests.support.trace import trace_rows, traced_producer, wait_trace

pytestmark = pytest.mark.interop

BROKER_PROPS = dict(brokerTraceEnable=True)


def has_pub(rows) -> bool:
    return any(r[0] == "Pub" for r in rows)


def test_broker_writes_pub_records_for_a_client_that_does_not_trace(cluster, tmp_path):
    ns, broker = cluster
    topic, group = "BrokerTraced", "PID_untraced"
    sent = produce(tmp_path, ns.addr, group, "sync",
                   [message(topic, f"m{i}".encode(), tags="TagA", keys=f"bk{i}") for i in range(3)])
    assert all(s["status"] == 0 for s in sent), sent
    for s in sent:
        out = wait_trace(ns.addr, s["msg_id"], has_pub)
        assert out.returncode == 0, out.stderr
        rows = trace_rows(out)
        # exactly one Pub: the producer group, the broker as the trace's host, stored
        assert [(r[0], r[1], r[2], r[-1]) for r in rows] == [("Pub", group, "127.0.0.1", "success")], out.stdout
        assert out.stdout.splitlines()[0].split() == ["#Type", "#ProducerGroup", "#ClientHost", "#SendTime",
                                                      "#CostTimes", "#Status"]


def test_a_tracing_producer_gets_no_broker_record(cluster, tmp_path):
    ns, _ = cluster
    topic = "BrokerTracedToo"
    p = traced_producer(tmp_path / "p21", ns.addr, "PID_traces", [message(topic, b"own trace")])
    try:
        own = p.messages[0]["msg_id"]
        # its own record arrives in the 2.1 core's topic (rmq_sys_TRACE_DATA_<regionId>)
        out = wait_trace(ns.addr, own, has_pub, "rmq_sys_TRACE_DATA_DefaultRegion")
        assert has_pub(trace_rows(out)), (out.stdout, out.stderr)
        # a later untraced send: once the broker wrote its record, it had decided on the earlier one too
        (tmp_path / "p1x").mkdir()
        later = produce(tmp_path / "p1x", ns.addr, "PID_untraced2", "sync", [message(topic, b"after")])
        assert has_pub(trace_rows(wait_trace(ns.addr, later[0]["msg_id"], has_pub)))
        out = wait_trace(ns.addr, own, lambda rows: True, timeout=0)
        assert not has_pub(trace_rows(out)), out.stdout
    finally:
        p.stop()


def test_custom_trace_topic(tmp_path):
    with NamesrvProcess(tmp_path / "ns") as ns, \
            BrokerProcess(tmp_path / "broker", ns.addr, brokerTraceEnable=True, msgTraceTopicName="OpsTrace"):
        sent = produce(tmp_path, ns.addr, "PID_custom", "sync", [message("CustomTraced", b"x", keys="ck")])
        out = wait_trace(ns.addr, sent[0]["msg_id"], has_pub, "OpsTrace")
        assert [r[:2] for r in trace_rows(out)] == [["Pub", "PID_custom"]], (out.stdout, out.stderr)
        # the default topic does not exist on this broker: Java's answer, and a failure exit
        out = wait_trace(ns.addr, sent[0]["msg_id"], lambda rows: True, timeout=0)
        assert out.returncode == 1 and "The topic[RMQ_SYS_TRACE_TOPIC] not matched route info" in out.stderr
        # a msgId nobody traced: Java's answer, and a failure exit
        out = wait_trace(ns.addr, "0A0000010000000000000000000000FF", lambda rows: True, "OpsTrace", timeout=0)
        assert out.returncode == 1 and "query message by key finished, but no message." in out.stderr, out

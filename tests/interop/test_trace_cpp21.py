"""Message trace with rocketmq-client-python 2.0.0 on the C++ 2.1 core, trace switched on (cpp21_trace.py):
its records are stored, indexed by msgId and shown by our `mqadmin queryMsgTraceById`.

The 2.1 core writes each record as its own message to `rmq_sys_TRACE_DATA_<regionId>` (the CLOUD-style
topic), not to RMQ_SYS_TRACE_TOPIC: the producer takes the region from the send answer's MSG_REGION (the
broker's regionId), the consumer from the message's MSG_REGION property, which a 4.9.7 broker does not store,
so "DEFAULT_REGION". The broker here runs with regionId=DEFAULT_REGION so both land in one topic, which is
then the -t of queryMsgTraceById."""
from __future__ import annotations

import pytest

from tests.interop.conftest import bodies
from tests.support.cpp1x import message
from remoting import trace
from store import message as m
from tests.support.trace import TracedClient, records_about, stored, trace_rows, traced_producer, wait_trace

pytestmark = pytest.mark.interop

REGION = "DEFAULT_REGION"
TRACE_TOPIC = f"rmq_sys_TRACE_DATA_{REGION}"
BROKER_PROPS = dict(traceTopicEnable=True, regionId=REGION)


def test_cpp21_traced_send_and_consume_show_in_query_msg_trace_by_id(cluster, tmp_path):
    ns, broker = cluster
    topic, producer, consumer = "TraceTopic21", "PID_trace21", "CID_trace21"
    traced_producer(tmp_path / "p0", ns.addr, producer, [message(topic, b"warm-up")]).stop()
    c = TracedClient(tmp_path / "c", "push", ns.addr, consumer, topic, "*", "CLUSTERING", "120")
    msgs = [message(topic, f"traced-{i}".encode(), tags="TagA", keys=f"tk{i}") for i in range(3)]
    p = traced_producer(tmp_path / "p", ns.addr, producer, msgs)
    try:
        assert c.wait_for(lambda got: set(bodies(msgs)) <= set(bodies(got)), 60), c.messages
        for s in p.messages:
            out = wait_trace(ns.addr, s["msg_id"], lambda rows: {r[0] for r in rows} == {"Pub", "Sub"}, TRACE_TOPIC)
            rows = trace_rows(out)
            assert out.returncode == 0, out.stderr
            # who sent it, from where, and that the send succeeded
            pubs = [r for r in rows if r[0] == "Pub"]
            assert len(pubs) == 1 and pubs[0][1:3] == [producer, "127.0.0.1"] and pubs[0][-1] == "success", \
                out.stdout
            # which group consumed it and that it succeeded
            subs = [r for r in rows if r[0] == "Sub"]
            assert subs and all(r[1] == consumer and r[2] == "127.0.0.1" and r[-1] == "success" for r in subs), \
                out.stdout
            # where and when it was stored: the Pub record's store host and offsetMsgId are the broker's, and
            # the store time lies within the send the record times
            (pub,) = [r for r in records_about(broker.addr, TRACE_TOPIC, s["msg_id"]) if isinstance(r, trace.Pub)]
            msg = stored(broker.addr, topic, s["msg_id"])
            assert pub.store_host == broker.addr and pub.topic == topic and pub.keys == msg.props["KEYS"]
            assert pub.offset_msg_id == m.offset_msg_id(msg.store_host, msg.physical_offset)
            assert pub.timestamp <= msg.store_timestamp <= pub.timestamp + pub.cost_time, (pub, msg.store_timestamp)
    finally:
        p.stop()
        c.stop()

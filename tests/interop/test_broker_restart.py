"""Broker restart in the middle of consumption (SIGTERM, then SIGKILL): each client's push consumer resumes from
committed offsets and every message the producer had acknowledged is delivered (SYNC_FLUSH broker; the
producer is the C++ 1.x client, which also creates the topic through TBW102)."""
from __future__ import annotations

import base64
import signal

import pytest

from tests.support.consumers import CLIENTS, push_consumer
from tests.support.cpp1x import message, produce
from tests.support.daemons import BrokerProcess, NamesrvProcess

pytestmark = pytest.mark.interop


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_consumer_resumes_after_broker_restart_and_nothing_acknowledged_is_lost(tmp_path, sig, client):
    topic, group = "RestartTopic", "CID_restart"
    with NamesrvProcess(tmp_path / "ns") as ns:
        broker = BrokerProcess(tmp_path / "broker", ns.addr, flushDiskType="SYNC_FLUSH").start()
        port = broker.port
        consumer = None
        try:
            first = [message(topic, f"before-{i}".encode()) for i in range(50)]
            acks = produce(tmp_path, ns.addr, "PID_restart", "sync", first)
            assert all(a.get("status") == 0 for a in acks)
            consumer = push_consumer(client, tmp_path / "c", ns.addr, group, topic)
            assert consumer.wait_for(lambda got: len(got) >= 10, 60)
            rc = broker.stop(sig)
            assert rc == (0 if sig == signal.SIGTERM else -9)
            if sig == signal.SIGTERM:
                assert not (tmp_path / "broker" / "store" / "abort").exists()
            broker = BrokerProcess(tmp_path / "broker", ns.addr, flushDiskType="SYNC_FLUSH", listenPort=port).start()
            second = [message(topic, f"after-{i}".encode()) for i in range(50)]
            acks2 = produce(tmp_path, ns.addr, "PID_restart", "sync", second)
            acked = {base64.b64decode(x["body_b64"]) for x, a in zip(first + second, acks + acks2)
                     if a.get("status") == 0}
            assert len(acked) >= 90

            def delivered(got):
                return acked <= {base64.b64decode(g["body_b64"]) for g in got}
            assert consumer.wait_for(delivered, 120), len(acked - {base64.b64decode(g["body_b64"]) for g in consumer.messages})
        finally:
            if consumer is not None:
                consumer.stop()
            if broker.alive():
                broker.stop()

"""A master dies during consumption: a real push consumer keeps consuming from the slave (nothing the
producer got SEND_OK for goes missing); the master comes back: producers resume, the slave catches up and
the consumer reads the new messages from the master again."""
from __future__ import annotations

import signal

import pytest

from tests.interop.conftest import bodies
from tests.support import ha
from tests.support.consumers import push_consumer
from tests.support.cpp1x import message, produce
from tests.support.daemons import NamesrvProcess

pytestmark = pytest.mark.interop


def _gets(broker) -> int:
    return int(ha.runtime_info(broker.addr)["msgGetTotalTodayNow"])


@pytest.mark.timeout(400)
@pytest.mark.parametrize("client", ["1.x", "2.1", "ali-ons"])
def test_consumer_fails_over_to_the_slave_and_back(tmp_path, client):
    topic, group = "HaFailover", "CID_ha_failover"
    with NamesrvProcess(tmp_path / "ns") as ns:
        master, slave = ha.start_group(tmp_path, ns.addr, "ha-f")
        consumer = None
        try:
            ha.wait_slave_connected(master)
            first = [message(topic, f"before-{i}".encode(), keys=f"b{i}") for i in range(400)]
            sent = produce(tmp_path, ns.addr, "PID_ha_failover", "sync", first)
            assert [r.get("status") for r in sent] == [0] * len(first)
            ha.wait_caught_up(master, slave)
            ha.wait_topic_synced(slave, topic)     # as with Java, a slave serves topics it has synced

            consumer = push_consumer(client, tmp_path / "consumer", ns.addr, group, topic)
            assert consumer.wait_for(lambda got: set(bodies(first)) <= set(bodies(got)), 90), \
                "the consumer never read the first messages from the master"
            # Messages only the slave can serve: the consumer is frozen while they are written, so the master
            # can answer at most the one pull per queue it already holds (32 messages each); the rest must be
            # pulled from the slave once the master is dead.
            consumer.pause()
            middle = [message(topic, f"middle-{i}".encode(), keys=f"m{i}") for i in range(400)]
            sent = produce(tmp_path, ns.addr, "PID_ha_failover", "sync", middle)
            assert [r.get("status") for r in sent] == [0] * len(middle)
            ha.wait_caught_up(master, slave)
            master.stop(signal.SIGKILL)
            consumer.resume()
            want = set(bodies(first + middle))
            assert consumer.wait_for(lambda got: want <= set(bodies(got)), 150), \
                f"missing after the master died: {len(want - set(bodies(consumer.messages)))}"
            queues = 4                         # the topic the C++ producer created
            assert _gets(slave) >= len(middle) - queues * 32     # the slave served what the master could not
            # while the master is gone the consumer reports its progress to the slave
            ha.wait_until(lambda: sum(max(0, o) for o in ha.consumer_offsets(slave.addr, group, topic, queues))
                          == len(first) + len(middle), 30, interval=0.5, what="offsets reported to the slave")

            master.start()                     # same store, same ports
            ha.wait_slave_connected(master)
            second = [message(topic, f"after-{i}".encode()) for i in range(100)]
            sent = produce(tmp_path, ns.addr, "PID_ha_failover", "sync", second)
            assert [r.get("status") for r in sent] == [0] * len(second)     # producers resume
            ha.wait_caught_up(master, slave)                                # the slave catches up
            want = set(bodies(second))
            assert consumer.wait_for(lambda got: want <= set(bodies(got)), 120), "new messages not consumed"
            # the client goes back to the master when its route shows the master again (it polls the
            # NameServer every 30 s) or when the slave's answer suggests brokerId 0: new messages are then
            # read from the master
            rounds = iter(range(1000))

            def read_from_master() -> bool:
                more = [message(topic, f"later-{next(rounds)}-{i}".encode()) for i in range(10)]
                assert [r.get("status") for r in produce(tmp_path, ns.addr, "PID_ha_failover", "sync", more)] \
                    == [0] * len(more)
                assert consumer.wait_for(lambda got: set(bodies(more)) <= set(bodies(got)), 60)
                return _gets(master) > 0
            ha.wait_until(read_from_master, 90, interval=2, what="consumption moves back to the master")
            # and the progress made on the slave is the master's again: no queue restarts from an old offset
            ha.wait_until(lambda: sum(ha.consumer_offsets(master.addr, group, topic, queues)) >= len(first) +
                          len(middle) + len(second), 30, interval=0.5, what="offsets handed back to the master")
        finally:
            if consumer is not None:
                consumer.stop()
            for proc in (slave, master):
                if proc.alive():
                    proc.stop()

"""Two broker groups (master + slave each) on one NameServer, traffic from the C++ 1.x client: the routes
show both brokers of a group under their ids; the slave's commit log is byte-identical to the master's, its
consume queues equal the master's and agree with its own commit log, and its index finds every key."""
from __future__ import annotations

import pytest

from store import message as m
from tests.support import ha
from tests.support.brokers import route
from tests.support.cpp1x import message, produce
from tests.support.daemons import NamesrvProcess

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    root = tmp_path_factory.mktemp("ha_groups")
    with NamesrvProcess(root / "ns") as ns:
        a = ha.start_group(root, ns.addr, "ha-a")
        b = ha.start_group(root, ns.addr, "ha-b", role="SYNC_MASTER")
        try:
            for master, _ in (a, b):
                ha.wait_slave_connected(master)
            yield ns, a, b
        finally:
            for proc in (*a, *b):
                if proc.alive():
                    proc.stop()


def _route(ns_addr: str, topic: str):
    import asyncio

    from remoting.client import RemotingClient

    async def go():
        client = RemotingClient()
        try:
            return await route(client, ns_addr, topic)
        finally:
            await client.close()
    return asyncio.run(go())


@pytest.mark.timeout(300)
def test_routes_show_both_brokers_and_slaves_copy_byte_for_byte(groups, tmp_path):
    ns, (ma, sa), (mb, sb) = groups
    topic = "HaGroupTopic"
    body = lambda i: (f"ha-{i}-" + "x" * (300 + i % 700)).encode()  # noqa: E731 - sizes vary so files roll
    msgs = [message(topic, body(i), tags=f"t{i % 3}", keys=f"key-{i}") for i in range(12000)]
    results = produce(tmp_path, ns.addr, "PID_ha_group", "sync", msgs, timeout=240)
    ok = [r for r in results if r.get("status") == 0]
    assert len(ok) == len(msgs), [r for r in results if r.get("status") != 0][:5]

    rd = _route(ns.addr, topic)
    addrs = {bd.brokerName: bd.brokerAddrs for bd in rd.brokerDatas}
    assert addrs == {"ha-a": {0: ma.addr, 1: sa.addr}, "ha-b": {0: mb.addr, 1: sb.addr}}

    for master, slave in ((ma, sa), (mb, sb)):
        end = ha.wait_caught_up(master, slave)
        assert end > 2 * ha.COMMITLOG_FILE            # several files rolled
        mfiles, sfiles = ha.commitlog_files(master), ha.commitlog_files(slave)
        assert list(sfiles) == list(mfiles)
        for name in mfiles:
            assert sfiles[name] == mfiles[name], f"{slave.addr} commit log {name} differs"
        info = ha.runtime_info(slave.addr)
        assert info["dispatchBehindBytes"] == "0"
        assert info["haMasterAddress"] == f"127.0.0.1:{master.port + 1}"
        assert ha.runtime_info(master.addr)["slaveFallBehindMuch"] == "0"

    sent_keys = {f"key-{i}" for i in range(len(msgs))}
    found_keys: set[str] = set()
    for master, slave in ((ma, sa), (mb, sb)):
        slave.stop()
        master.stop()
        mstore = ha.open_store(master)
        sstore = ha.open_store(slave)
        try:
            for (t, qid), cq in sstore.consume_queues.items():
                mcq = mstore.consume_queue(t, qid)
                assert mcq is not None and cq.max_offset() == mcq.max_offset(), (t, qid)
                for off in range(cq.min_offset(), cq.max_offset()):
                    entry = cq.entry(off)
                    assert entry == mcq.entry(off)
                    phys, size, tags_code = entry
                    rec = sstore.commitlog.message_at(phys, check_crc=True)
                    assert (rec.topic, rec.queue_id, rec.queue_offset, rec.store_size) == (t, qid, off, size)
                    assert tags_code == m.tags_code(rec.props.get(m.PROPERTY_TAGS))
                    if t == topic:
                        key = rec.props[m.PROPERTY_KEYS]
                        hits, _, _ = sstore.query_message(topic, key, 32, 0, 2 ** 62)
                        assert [h.physical_offset for h in hits] == [phys], key
                        found_keys.add(key)
        finally:
            mstore.close(clean=True)
            sstore.close(clean=True)
    assert found_keys == sent_keys

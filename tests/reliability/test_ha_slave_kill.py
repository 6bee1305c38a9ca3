"""A slave SIGKILLed while it copies (a block half-written, a record cut at its tail): restarted on its store,
it recovers to its last whole record, asks the master for the rest and ends byte-identical, with consume
queues equal to the master's."""
from __future__ import annotations

import signal
import threading

import pytest

from tests.support import ha
from tests.support.cpp1x import message, produce
from tests.support.daemons import NamesrvProcess

pytestmark = pytest.mark.interop


@pytest.mark.timeout(300)
def test_a_killed_slave_resumes_where_its_log_ends(tmp_path):
    topic = "HaSlaveKill"
    with NamesrvProcess(tmp_path / "ns") as ns:
        master, slave = ha.start_group(tmp_path, ns.addr, "sk")
        try:
            ha.wait_slave_connected(master)
            msgs = [message(topic, f"sk-{i}-".encode() + b"y" * (200 + i % 900)) for i in range(6000)]
            results: list[dict] = []
            writer = threading.Thread(target=lambda: results.extend(
                produce(tmp_path, ns.addr, "PID_slave_kill", "sync", msgs, timeout=240)))
            writer.start()
            ha.wait_until(lambda: ha.max_offset(slave) > ha.COMMITLOG_FILE, 120, what="slave past its first file")
            slave.stop(signal.SIGKILL)
            slave.start()                               # same store: abnormal recovery
            writer.join(timeout=240)
            assert [r.get("status") for r in results] == [0] * len(msgs)
            ha.wait_caught_up(master, slave)
            assert "ABNORMAL" in (slave.workdir / "logs" / "broker.log").read_text()
            mfiles, sfiles = ha.commitlog_files(master), ha.commitlog_files(slave)
            assert list(sfiles) == list(mfiles) and all(sfiles[n] == mfiles[n] for n in mfiles)
        finally:
            for proc in (slave, master):
                if proc.alive():
                    proc.stop()
        mstore, sstore = ha.open_store(master), ha.open_store(slave)
        try:
            for key, cq in mstore.consume_queues.items():
                scq = sstore.consume_queue(*key)
                assert scq is not None and scq.max_offset() == cq.max_offset(), key
                assert all(scq.entry(o) == cq.entry(o) for o in range(cq.min_offset(), cq.max_offset())), key
        finally:
            mstore.close(clean=True)
            sstore.close(clean=True)

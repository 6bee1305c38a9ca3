"""kill -9 under SYNC_FLUSH: a child process appends and prints each acknowledged offset; it is SIGKILLed at
random moments, 20 rounds; after each restart every acknowledged message is readable with identical bytes
and CRC, exactly once per queue offset, and the consume queue and index agree with the commit log."""
from __future__ import annotations

import importlib.util
import random
import selectors
import subprocess
import sys
import time

from store import message as m
from store.message_store import MessageStore
from tests.support.daemons import ROOT

WRITER = ROOT / "tests" / "reliability" / "scripts" / "store_writer.py"
_spec = importlib.util.spec_from_file_location("store_writer", WRITER)
writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(writer)


def run_writer_until_killed(root, acks_wanted: int) -> list[tuple[int, int, int]]:
    proc = subprocess.Popen([sys.executable, str(WRITER), str(root)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    acks = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    try:
        while len(acks) < acks_wanted and time.monotonic() < deadline:
            if not sel.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("ACK"):
                _, seq, off, size = line.split()
                acks.append((int(seq), int(off), int(size)))
    finally:
        proc.kill()   # SIGKILL at whatever point the writer is
        proc.wait(timeout=10)
        sel.close()
        proc.stdout.close()
    assert proc.returncode == -9
    return acks


def verify(root, acked: dict[int, tuple[int, int]]) -> int:
    s = MessageStore(writer.config(str(root)), ("127.0.0.1", 10911))
    s.load()
    try:
        assert not s.last_exit_ok
        n = s.max_offset_in_queue("Crash", 0)
        assert n >= len(acked)
        cq = s.consume_queue("Crash", 0)
        seen_phys = set()
        for seq in range(n):
            phys, size, tags = cq.entry(seq)
            assert phys not in seen_phys
            seen_phys.add(phys)
            msg = s.commitlog.message_at(phys, check_crc=True)
            assert msg is not None, f"queue offset {seq} points at no valid record"
            assert msg.queue_offset == seq and msg.store_size == size and msg.body == writer.body_for(seq)
            assert tags == m.tags_code(f"t{seq % 4}")
            if seq in acked:
                assert (phys, size) == acked[seq]
        # every record in the commit log is in the queue exactly once, in order
        scanned = [(off, r.queue_offset) for off, r in s.commitlog.scan(s.commitlog.min_offset(), check_crc=True)]
        assert [q for _, q in scanned] == list(range(n))
        for seq in random.Random(n).sample(sorted(acked), min(10, len(acked))):
            hits, _, _ = s.query_message("Crash", f"seq-{seq}", 4, 0, 2**62)
            assert acked[seq][0] in [h.physical_offset for h in hits]
        return n
    finally:
        s.close(clean=False)   # leave `abort`: the next writer recovers abnormally, as after a crash


def test_sigkill_during_sync_flush_sends_loses_nothing_acknowledged(tmp_path):
    rnd = random.Random(20261121)
    root = tmp_path / "store"
    acked: dict[int, tuple[int, int]] = {}
    for _round in range(20):
        for seq, off, size in run_writer_until_killed(root, rnd.randint(1, 80)):
            assert seq not in acked or acked[seq] == (off, size)
            acked[seq] = (off, size)
        verify(root, acked)
    assert len(acked) >= 20

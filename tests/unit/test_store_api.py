"""The MessageStore facade: Java's GetMessageStatus rules, filters, look-ups, SYNC_FLUSH group commit and its
timeout, runtime figures, clean shutdown."""
from __future__ import annotations

import asyncio
import os
import threading

from store import message as m
from store.results import GetStatus, PutStatus
from tests.support.stores import open_store, small_config

HOST = ("127.0.0.1", 10911)


def put(s, i: int, tag: str = "A", queue: int = 0, topic: str = "T", born: int | None = None):
    props = m.properties_to_string({"TAGS": tag, "KEYS": f"key{i}", "UNIQ_KEY": f"U{i}"})
    r = s.put_message(m.StoredMessage(topic=topic, body=f"body{i}".encode(), queue_id=queue,
                                      born_timestamp=born or i, properties=props))
    assert r.ok
    return r


class TagFilter:
    def __init__(self, tag: str) -> None:
        self.code = m.tags_code(tag)
        self.tag = tag

    def is_matched_by_consume_queue(self, tags_code: int) -> bool:
        return tags_code == self.code

    def is_matched_by_commit_log(self, record) -> bool:
        return m.decode(record).tags == self.tag


def test_get_message_statuses_and_next_offsets(tmp_path):
    s = open_store(small_config(tmp_path / "s"))
    assert s.get_message("T", 0, 0, 32).status == GetStatus.NO_MATCHED_LOGIC_QUEUE
    for i in range(10):
        put(s, i, tag="A" if i % 2 else "B")
    res = s.get_message("T", 0, 0, 4)
    assert (res.status, res.offsets, res.next_begin_offset, res.min_offset, res.max_offset) == (
        GetStatus.FOUND, [0, 1, 2, 3], 4, 0, 10)
    assert [m.decode(b).body for b in res.buffers] == [b"body0", b"body1", b"body2", b"body3"]
    res.release()
    assert (lambda r: (r.status, r.next_begin_offset))(s.get_message("T", 0, 10, 4)) == (GetStatus.OFFSET_OVERFLOW_ONE, 10)
    assert (lambda r: (r.status, r.next_begin_offset))(s.get_message("T", 0, 50, 4)) == (GetStatus.OFFSET_OVERFLOW_BADLY, 0)
    only_a = s.get_message("T", 0, 0, 32, msg_filter=TagFilter("A"))
    assert only_a.offsets == [1, 3, 5, 7, 9] and only_a.next_begin_offset == 10
    none = s.get_message("T", 0, 0, 32, msg_filter=TagFilter("Z"))
    assert (none.status, none.next_begin_offset) == (GetStatus.NO_MATCHED_MESSAGE, 10)
    s.close(clean=True)


def test_lookups_by_offset_key_and_time(tmp_path):
    s = open_store(small_config(tmp_path / "s"))
    clock = {"t": 1_000_000}
    s.clock = lambda: clock["t"]
    results = []
    for i in range(6):
        clock["t"] += 1000
        results.append(put(s, i, born=5))
    phys = results[3].append.wrote_offset
    assert s.look_message_by_offset(phys).body == b"body3"
    assert m.decode(s.select_one_message_by_offset(phys)).queue_offset == 3
    hits, _, last_phy = s.query_message("T", "key4", 32, 0, 2**62)
    assert [h.body for h in hits] == [b"body4"] and last_phy == results[-1].append.wrote_offset
    assert s.query_message("T", "U2", 32, 0, 2**62)[0][0].body == b"body2"
    assert s.query_message("Other", "key4", 32, 0, 2**62)[0] == []
    assert s.offset_in_queue_by_time("T", 0, 1_003_500) == 3      # first message stored at or after
    assert s.offset_in_queue_by_time("T", 0, 0) == 0
    assert s.offset_in_queue_by_time("T", 0, 9_999_999) == 6
    assert s.earliest_message_time("T", 0) == 1_001_000
    assert s.commit_log_offset_in_queue("T", 0, 3) == phys
    s.close(clean=True)


def test_sync_flush_waits_for_the_flush_and_times_out_when_it_cannot(tmp_path):
    async def scenario():
        s = open_store(small_config(tmp_path / "s", flushDiskType="SYNC_FLUSH", syncFlushTimeout=200))
        s.start()
        r = await s.put_message_async(m.StoredMessage(topic="T", body=b"x"))
        assert r.status == PutStatus.PUT_OK and s.flush.flushed_offset >= r.append.wrote_bytes
        gate = threading.Event()
        s.io.submit(gate.wait)          # the I/O thread is stuck: no flush can finish
        r2 = await s.put_message_async(m.StoredMessage(topic="T", body=b"y"))
        assert r2.status == PutStatus.FLUSH_DISK_TIMEOUT and r2.append is not None   # stored, not yet durable
        gate.set()
        await s.shutdown()
        assert not os.path.exists(tmp_path / "s" / "abort")
    asyncio.run(scenario())


def test_runtime_info_and_clean_shutdown_remove_prepared_file(tmp_path):
    async def scenario():
        s = open_store(small_config(tmp_path / "s"))
        s.start()
        s.stats_service.sample(0)
        for i in range(30):
            put(s, i)
        s.stats_service.sample(10_000)
        info = s.runtime_info()
        assert info["putTps"].split()[0] == "3.0" and info["putMessageTimesTotal"] == "30"   # Double.toString
        assert int(info["commitLogMaxOffset"]) == s.commitlog.max_offset()
        assert 0 <= float(info["commitLogDiskRatio"]) <= 1
        await asyncio.sleep(0.05)   # let the next-file pre-allocation finish on the I/O thread
        await s.shutdown()
        names = sorted(os.listdir(tmp_path / "s" / "commitlog"))
        last = names[-1]
        assert os.path.getsize(tmp_path / "s" / "commitlog" / last) == 4096
        s2 = open_store(small_config(tmp_path / "s"))
        assert s2.last_exit_ok and s2.max_offset_in_queue("T", 0) == 30
        assert s2.commitlog.queue.last().wrote_position > 0   # no empty pre-created file left behind
        s2.close(clean=True)
    asyncio.run(scenario())


def test_second_store_on_the_same_directory_is_refused(tmp_path):
    s = open_store(small_config(tmp_path / "s"))
    other = None
    try:
        import subprocess
        import sys
        code = ("import sys; sys.path.insert(0, %r)\n"
                "from store.message_store import MessageStore\nfrom tests.support.stores import small_config\n"
                "from pathlib import Path\n"
                "try:\n    MessageStore(small_config(Path(%r))).load()\nexcept RuntimeError as e:\n    print(e)\n")
        from tests.support.daemons import ROOT
        other = subprocess.run([sys.executable, "-c", code % (str(ROOT), str(tmp_path / "s"))], capture_output=True,
                               text=True, timeout=60)
        assert "Lock failed,MQ already started" in other.stdout
    finally:
        s.close(clean=True)
    assert (tmp_path / "s" / "lock").read_bytes() == b"lock"


def test_async_flush_flushes_in_the_background_and_moves_the_checkpoint(tmp_path):
    async def scenario():
        s = open_store(small_config(tmp_path / "s", flushIntervalCommitLog=20, flushIntervalConsumeQueue=20,
                                    flushCommitLogThoroughInterval=40, flushConsumeQueueThoroughInterval=40))
        s.start()
        for i in range(20):
            put(s, i)
        target = s.commitlog.max_offset()
        for _ in range(200):                       # bounded: 200 x 20 ms
            if s.flush.flushed_offset >= target and s.checkpoint.logics_ts > 0:
                break
            await asyncio.sleep(0.02)
        assert s.flush.flushed_offset == target
        assert s.checkpoint.physic_ts == s.commitlog.queue.last().store_timestamp
        await s.shutdown()
    asyncio.run(scenario())

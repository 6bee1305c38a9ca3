"""Store files with tiny sizes: rolling with BLANK padding, batches never split, torn tails, cleanup."""
from __future__ import annotations

import asyncio
import os
import struct
import time

from store import message as m
from store.consume_queue import CQ_UNIT
from store.results import GetStatus, PutStatus
from tests.support.stores import open_store, small_config

HOST = ("127.0.0.1", 10911)


def msg(i: int, size: int = 100, topic: str = "T", queue: int = 0, keys: str | None = None) -> m.StoredMessage:
    props = {"TAGS": f"tag{i % 3}", "UNIQ_KEY": f"U{i:08d}"}
    if keys:
        props["KEYS"] = keys
    return m.StoredMessage(topic=topic, body=bytes([i % 251]) * size, queue_id=queue, born_timestamp=1000 + i,
                           born_host=("10.0.0.9", 5000), properties=m.properties_to_string(props))


def all_records(store):
    return list(store.commitlog.scan(store.commitlog.min_offset(), check_crc=True))


def test_rolling_writes_blank_markers_and_never_splits_a_record(tmp_path):
    s = open_store(small_config(tmp_path / "s"))
    sizes = []
    for i in range(60):
        r = s.put_message(msg(i, size=50 + (i * 37) % 400))
        assert r.ok
        sizes.append(r.append.wrote_bytes)
    files = s.commitlog.queue.files
    assert len(files) > 5
    for mf in files[:-1]:
        # every full file ends with a BLANK marker whose size field is the rest of the file
        pos = 0
        while True:
            size, magic = struct.unpack_from(">ii", mf.mm, pos)
            if magic == m.BLANK_MAGIC_CODE:
                assert size == mf.size - pos and size >= 8
                break
            assert magic == m.MESSAGE_MAGIC_CODE
            assert pos + size <= mf.size
            pos += size
    recs = all_records(s)
    assert [r.store_size for _, r in recs] == sizes
    assert [r.queue_offset for _, r in recs] == list(range(60))
    assert [r.body for _, r in recs] == [bytes([i % 251]) * (50 + (i * 37) % 400) for i in range(60)]
    s.close(clean=True)


def test_batch_stays_in_one_file_across_a_roll(tmp_path):
    s = open_store(small_config(tmp_path / "s"))
    s.put_message(msg(0, size=3000))
    batch = [msg(i, size=300) for i in range(1, 5)]   # ~1.6 KiB: does not fit in the 1st file's rest
    r = s.put_messages(batch)
    assert r.ok and r.append.wrote_offset == 4096
    assert r.append.queue_offsets == [1, 2, 3, 4]
    assert len(r.append.msg_ids) == 4
    res = s.get_message("T", 0, 1, 32)
    assert res.status == GetStatus.FOUND and res.offsets == [1, 2, 3, 4]
    assert all(m.decode(b).physical_offset // 4096 == 1 for b in res.buffers)
    res.release()
    s.close(clean=True)


def test_oversized_records_are_refused(tmp_path):
    s = open_store(small_config(tmp_path / "s", maxMessageSize=3000))
    assert s.put_message(msg(0, size=3001)).status == PutStatus.MESSAGE_ILLEGAL
    assert s.put_message(m.StoredMessage(topic="x" * 128, body=b"1")).status == PutStatus.MESSAGE_ILLEGAL
    big_props = m.StoredMessage(topic="T", body=b"1", properties="k\x01" + "v" * 40000)
    assert s.put_message(big_props).status == PutStatus.PROPERTIES_SIZE_EXCEEDED
    s2 = open_store(small_config(tmp_path / "s2", maxMessageSize=10000))
    assert s2.put_message(msg(0, size=4100)).status == PutStatus.MESSAGE_ILLEGAL  # cannot fit any 4 KiB file
    assert s.commitlog.max_offset() == 0
    s.close(clean=True)
    s2.close(clean=True)


def _tail(store) -> tuple[str, int]:
    last = store.commitlog.queue.last()
    return last.path, last.file_from_offset + last.wrote_position


def test_torn_tail_is_cut_and_appends_continue_after_the_last_good_message(tmp_path):
    root = tmp_path / "s"
    s = open_store(small_config(root))
    for i in range(20):
        assert s.put_message(msg(i, size=120)).ok
    good_end = s.commitlog.max_offset()
    path, _ = _tail(s)
    last_file_start = s.commitlog.queue.last().file_from_offset
    s.close(clean=False)   # as after kill -9: abort stays
    half = bytes(m.encode(msg(99, size=500)))[:300]
    with open(path, "r+b") as f:
        f.seek(good_end - last_file_start)
        f.write(half + os.urandom(64))
    s = open_store(small_config(root))
    assert not s.last_exit_ok
    assert s.commitlog.max_offset() == good_end
    with open(path, "rb") as f:
        f.seek(good_end - last_file_start)
        assert f.read(400) == bytes(400)   # the garbage is gone
    assert s.max_offset_in_queue("T", 0) == 20
    r = s.put_message(msg(20, size=120))
    assert r.ok and r.append.wrote_offset == good_end and r.append.queue_offsets == [20]
    assert [x.queue_offset for _, x in all_records(s)] == list(range(21))
    s.close(clean=True)


def test_corrupt_record_in_the_middle_ends_valid_data_and_consume_queue_follows(tmp_path):
    root = tmp_path / "s"
    s = open_store(small_config(root))
    offsets = [s.put_message(msg(i, size=200)).append.wrote_offset for i in range(10)]
    s.close(clean=False)
    victim = offsets[6]
    mf_path = root / "commitlog" / f"{victim - victim % 4096:020d}"
    with open(mf_path, "r+b") as f:
        f.seek(victim % 4096 + 100)   # a body byte: CRC no longer matches
        b = f.read(1)
        f.seek(victim % 4096 + 100)
        f.write(bytes([b[0] ^ 0xFF]))
    s = open_store(small_config(root))
    assert s.commitlog.max_offset() == victim
    assert s.max_offset_in_queue("T", 0) == 6
    assert s.get_message("T", 0, 6, 1).status == GetStatus.OFFSET_OVERFLOW_ONE
    s.close(clean=True)


def test_cleanup_with_a_fake_clock_moves_min_offsets(tmp_path):
    root = tmp_path / "s"
    cfg = small_config(root, fileReservedTime=1, deleteWhen="04", mappedFileSizeConsumeQueue=CQ_UNIT * 4)
    s = open_store(cfg)
    for i in range(40):
        assert s.put_message(msg(i, size=300, keys=f"k{i}")).ok
    n_files = len(s.commitlog.queue.files)
    hour_ms = 3600 * 1000
    now = int(time.time() * 1000)
    while time.localtime(now / 1000).tm_hour != 4:   # a moment in the 04 o'clock deletion hour
        now += hour_ms // 2
    s.cleanup.disk_ratio = lambda path: 0.10

    def age_files(age_ms: int) -> None:
        for mf in s.commitlog.queue.files:
            os.utime(mf.path, ((now - age_ms) / 1000, (now - age_ms) / 1000))

    async def run(now_ms: int) -> int:
        s.clock = lambda: now_ms
        return await s.clean_expired_files()

    age_files(hour_ms // 2)                       # younger than fileReservedTime=1h
    assert asyncio.run(run(now)) == 0
    age_files(2 * hour_ms)
    assert asyncio.run(run(now + 3 * hour_ms)) == 0    # expired, but 07 is not a deletion hour
    assert asyncio.run(run(now)) == min(10, n_files - 1)  # at most 10 per run
    while len(s.commitlog.queue.files) > 1:
        assert asyncio.run(run(now)) > 0           # the newest file always stays
    cl_min = s.commitlog.min_offset()
    assert cl_min == s.commitlog.queue.files[0].file_from_offset > 0
    lo = s.min_offset_in_queue("T", 0)
    assert lo > 0
    first = s.consume_queue("T", 0).entry(lo)
    assert first[0] >= cl_min
    res = s.get_message("T", 0, 0, 32)
    assert (res.status, res.next_begin_offset) == (GetStatus.OFFSET_TOO_SMALL, lo)
    found = s.get_message("T", 0, lo, 32)
    assert found.status == GetStatus.FOUND and found.offsets[0] == lo
    found.release()
    # the index no longer returns deleted messages
    hits, _, _ = s.query_message("T", "k0", 32, 0, 2**62)
    assert hits == []
    s.close(clean=True)


def test_disk_full_refuses_writes_and_forced_cleaning_ignores_age(tmp_path):
    s = open_store(small_config(tmp_path / "s", deleteWhen="99"))
    for i in range(30):
        s.put_message(msg(i, size=300))
    s.cleanup.disk_ratio = lambda path: 0.95
    before = len(s.commitlog.queue.files)
    removed = asyncio.run(s.clean_expired_files())
    assert removed > 0 and len(s.commitlog.queue.files) == before - removed   # forced: age does not matter
    assert s.put_message(msg(99)).status == PutStatus.SERVICE_NOT_AVAILABLE
    assert s.get_message("T", 0, s.max_offset_in_queue("T", 0) - 1, 1).status == GetStatus.FOUND  # reads go on
    s.cleanup.disk_ratio = lambda path: 0.20
    asyncio.run(s.clean_expired_files())
    assert s.put_message(msg(100)).ok
    s.close(clean=True)

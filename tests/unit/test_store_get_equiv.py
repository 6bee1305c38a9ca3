"""MessageStore.get_message against a plain reference reading (struct-unpacked consume-queue entries, commit-log
bytes sliced from the map, the batch limits spelled out) on random queues: random tags and filters, random
transfer limits and memory limit, files removed at the head and in the middle, entries past the written end.
Statuses, next offsets, bounds, the records' bytes, their queue offsets and suggest_pulling_from_slave must agree,
with the records as views (result.buffers) and as copies (the pull's `body` list).
"""
from __future__ import annotations

import bisect
import random
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import message as m
from store.results import GetStatus
from tests.support.stores import open_store, small_config

_ENTRY = struct.Struct(">qiq")


def ref_find(queue, offset: int):
    files = queue.files
    if not files:
        return None
    i = bisect.bisect_right([f.file_from_offset for f in files], offset) - 1
    if i < 0:
        return None
    mf = files[i]
    return mf if offset < mf.file_from_offset + queue.file_size else None


def ref_get(store, topic: str, queue_id: int, offset: int, max_msgs: int, msg_filter=None,
            max_total_bytes: int | None = None):
    """(status, next, min, max, [record bytes], [queue offsets], suggest) the way Java's getMessage reads."""
    cq = store.consume_queues.get((topic, queue_id))
    if cq is None:
        return GetStatus.NO_MATCHED_LOGIC_QUEUE, 0, 0, 0, [], [], False
    lo, hi = cq.min_logic_offset // 20, cq.queue.max_offset() // 20
    if hi == 0:
        return GetStatus.NO_MESSAGE_IN_QUEUE, 0, lo, hi, [], [], False
    if offset < lo:
        return GetStatus.OFFSET_TOO_SMALL, lo, lo, hi, [], [], False
    if offset == hi:
        return GetStatus.OFFSET_OVERFLOW_ONE, offset, lo, hi, [], [], False
    if offset > hi:
        return GetStatus.OFFSET_OVERFLOW_BADLY, lo if lo == 0 else hi, lo, hi, [], [], False
    pos = offset * 20
    cmf = ref_find(cq.queue, pos)
    n = 0
    if cmf is not None:
        p = pos - cmf.file_from_offset
        n = max(0, min(max(16000, max_msgs * 20) // 20, (cmf.wrote_position - p) // 20))
    if not n:
        per_file = store.config.cq_file_size // 20
        return GetStatus.OFFSET_FOUND_NULL, offset + per_file - offset % per_file, lo, hi, [], [], False
    cfg = store.config
    cl = store.commitlog.queue
    cl_min = cl.files[0].file_from_offset if cl.files else 0
    max_phy = cl.files[-1].file_from_offset + cl.files[-1].wrote_position if cl.files else 0
    status = GetStatus.NO_MATCHED_MESSAGE
    records: list[bytes] = []
    offsets: list[int] = []
    total = 0
    nxt = offset
    max_pulling = 0
    stopped = False
    for i in range(n):
        phys, size, tags = _ENTRY.unpack_from(cmf.mm, p + i * 20)
        nxt = offset + i
        if size == 0x7FFFFFFF:
            continue
        max_pulling = phys
        in_disk = max_phy - phys > store.memory_limit
        if total and records:
            if len(records) >= max_msgs:
                stopped = True
                break
            limit_bytes = cfg.maxTransferBytesOnMessageInDisk if in_disk else cfg.maxTransferBytesOnMessageInMemory
            limit_count = cfg.maxTransferCountOnMessageInDisk if in_disk else cfg.maxTransferCountOnMessageInMemory
            if max_total_bytes is not None:
                limit_bytes = max_total_bytes
            if total + size > limit_bytes or len(records) >= limit_count:
                stopped = True
                break
        if phys < cl_min:
            continue
        if msg_filter is not None and not msg_filter.is_matched_by_consume_queue(tags):
            continue
        mf = ref_find(cl, phys)
        if mf is None or phys - mf.file_from_offset + size > mf.wrote_position:
            if status != GetStatus.FOUND:
                status = GetStatus.MESSAGE_WAS_REMOVING
            continue
        rec = bytes(mf.mm[phys - mf.file_from_offset:phys - mf.file_from_offset + size])
        if msg_filter is not None and not msg_filter.is_matched_by_commit_log(memoryview(rec)):
            continue
        records.append(rec)
        offsets.append(offset + i)
        status = GetStatus.FOUND
        total += size
        nxt = offset + i + 1
    if not stopped:
        nxt = offset + n
    return status, nxt, lo, hi, records, offsets, (max_phy - max_pulling) > store.memory_limit


class RandomFilter:
    """Accepts some tags codes by the consume queue and some bodies by the commit log."""

    def __init__(self, codes: set[int], body_parity: int | None) -> None:
        self.codes = codes
        self.body_parity = body_parity

    def is_matched_by_consume_queue(self, tags_code: int) -> bool:
        return tags_code in self.codes

    def is_matched_by_commit_log(self, record) -> bool:
        return self.body_parity is None or len(m.decode(record, check_crc=False).body) % 2 == self.body_parity


TAGS = ["A", "B", "C", "D"]


def _result_tuple(res):
    out = (res.status, res.next_begin_offset, res.min_offset, res.max_offset, [bytes(b) for b in res.buffers],
           list(res.offsets), res.suggest_pulling_from_slave)
    res.release()
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_get_message_matches_the_reference(tmp_path_factory, seed):
    rnd = random.Random(seed)
    root = tmp_path_factory.mktemp("get")
    cfg = small_config(root, maxTransferBytesOnMessageInMemory=rnd.choice([300, 2000, 262144]),
                       maxTransferCountOnMessageInMemory=rnd.choice([1, 5, 32]),
                       maxTransferBytesOnMessageInDisk=rnd.choice([200, 1000, 65536]),
                       maxTransferCountOnMessageInDisk=rnd.choice([1, 3, 8]))
    s = open_store(cfg)
    queues = rnd.randint(1, 3)
    for i in range(rnd.randint(0, 120)):
        props = m.properties_to_string({"TAGS": rnd.choice(TAGS), "UNIQ_KEY": f"U{i}"})
        body = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 300)))
        assert s.put_message(m.StoredMessage(topic="T", body=body, queue_id=rnd.randrange(queues),
                                             properties=props)).ok
    s.memory_limit = rnd.choice([0, 500, 5000, 10 ** 9])
    files = s.commitlog.queue.files
    damage = rnd.randrange(4)
    if damage == 1 and len(files) > 2:
        del files[:rnd.randint(1, len(files) - 2)]        # expired head files (consume queues not corrected)
    elif damage == 2 and len(files) > 2:
        files.pop(rnd.randint(1, len(files) - 2))          # a hole: MESSAGE_WAS_REMOVING
    elif damage == 3 and files:
        files[-1].wrote_position = rnd.randrange(files[-1].wrote_position + 1)   # entries past the written end
    try:
        for _ in range(25):
            q = rnd.randrange(queues) if rnd.random() < 0.9 else queues
            top = s.max_offset_in_queue("T", q)
            offset = rnd.randint(-1, top + 2)
            max_msgs = rnd.choice([1, 2, 7, 32, 40])
            kind = rnd.randrange(3)
            f = None if kind == 0 else RandomFilter({m.tags_code(t) for t in rnd.sample(TAGS, rnd.randint(0, 4))},
                                                     None if kind == 1 else rnd.randrange(2))
            mtb = rnd.choice([None, None, 100, 1500])
            want = ref_get(s, "T", q, offset, max_msgs, f, mtb)
            assert _result_tuple(s.get_message("T", q, offset, max_msgs, f, mtb)) == want
            body: list[bytes] = []     # the pull's form: copies in `body`, no views
            res = s.get_message("T", q, offset, max_msgs, f, mtb, body)
            assert res.buffers == res.offsets == [] and all(type(b) is bytes for b in body)
            assert (res.status, res.next_begin_offset, res.min_offset, res.max_offset, body,
                    res.suggest_pulling_from_slave) == want[:5] + want[6:]
    finally:
        s.close(clean=False)

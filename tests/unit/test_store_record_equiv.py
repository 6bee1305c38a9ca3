"""The send path's store writers against straightforward reference versions (the encoder and commit-log
patching, property helpers and offset ids as they were written before they were tuned): random messages must
give the same record bytes, the same commit log and consume queue files, the same strings and orders."""
from __future__ import annotations

import ipaddress
import random
import struct
import zlib

from store import message as m
from tests.support.stores import open_store, small_config

_HOSTS = [("127.0.0.1", 10911), ("10.0.0.9", 50123), ("::1", 7), ("fe80::1:2", 65535), ("192.168.1.200", 0)]


# ------------------------------------------------------------------ references
def ref_encode(msg: m.StoredMessage, queue_offset: int, phys: int, store_ts: int) -> bytes:
    def host(h):
        return ipaddress.ip_address(h[0]).packed + struct.pack(">i", h[1])
    topic, props = msg.topic.encode(), msg.properties.encode()
    born, store = host(msg.born_host), host(msg.store_host)
    sys_flag = (msg.sys_flag & ~0x30) | (0x10 if len(born) == 20 else 0) | (0x20 if len(store) == 20 else 0)
    body = msg.body
    out = (struct.pack(">iiiiiqqiq", 0, m.MESSAGE_MAGIC_CODE, zlib.crc32(body) & 0x7FFFFFFF, msg.queue_id,
                       msg.flag, queue_offset, phys, sys_flag, msg.born_timestamp)
           + born + struct.pack(">q", store_ts) + store
           + struct.pack(">iqi", msg.reconsume_times, msg.prepared_transaction_offset, len(body)) + body
           + struct.pack(">B", len(topic)) + topic + struct.pack(">h", len(props)) + props)
    return struct.pack(">i", len(out)) + out[4:]


def ref_properties_to_string(props: dict) -> str:
    return "\x02".join(f"{k}\x01{v}" for k, v in props.items() if v is not None)


def ref_string_to_properties(s: str) -> dict:
    out = {}
    if not s:
        return out
    for item in s.split("\x02"):
        key, _sep, value = item.partition("\x01")
        if key and value:
            out[key] = value
    return out


def ref_reorder(props: dict, max_size: int | None = None) -> dict:
    def jhash(k: str) -> int:
        h = 0
        data = k.encode("utf-16-be")
        for i in range(0, len(data), 2):
            h = (h * 31 + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
        return h ^ (h >> 16)
    keys = list(props)
    n = max(len(keys), max_size or 0)
    cap = 16
    while n > cap * 3 // 4:
        cap *= 2
    order = sorted(range(len(keys)), key=lambda i: (jhash(keys[i]) & (cap - 1), i))
    return {keys[i]: props[keys[i]] for i in order}


def ref_offset_msg_id(host, phys: int) -> str:
    return (ipaddress.ip_address(host[0]).packed + struct.pack(">i", host[1]) + struct.pack(">q", phys)).hex().upper()


# ------------------------------------------------------------------ random inputs
def _word(rnd: random.Random, n: int) -> str:
    alphabet = "abcXYZ019_-%#" + "\u00e9\u4e2d\U0001f600 \x01"
    return "".join(rnd.choice(alphabet) for _ in range(n))


def _props(rnd: random.Random) -> dict:
    out = {}
    for _ in range(rnd.randrange(0, 12)):
        out[rnd.choice(["TAGS", "KEYS", "UNIQ_KEY", "WAIT", "CLUSTER", "DELAY", "a", "", _word(rnd, 5)])] = \
            rnd.choice(["", "x", "true", _word(rnd, rnd.randrange(1, 30)), None])
    return out


def _msg(rnd: random.Random) -> m.StoredMessage:
    props = {k: v for k, v in _props(rnd).items() if k and v}
    return m.StoredMessage(topic=rnd.choice(["T", "TopicTest", "%RETRY%g", _word(rnd, rnd.randrange(1, 40))]),
                           body=rnd.randbytes(rnd.randrange(0, 700)), queue_id=rnd.randrange(0, 8),
                           flag=rnd.randrange(-5, 1 << 20), sys_flag=rnd.choice([0, 1, 2, 0x8, 0x30, 0x13]),
                           born_timestamp=rnd.randrange(0, 1 << 45), born_host=rnd.choice(_HOSTS),
                           reconsume_times=rnd.randrange(0, 17), prepared_transaction_offset=rnd.randrange(0, 1 << 40),
                           properties=m.properties_to_string(props))


# ------------------------------------------------------------------ tests
def test_encode_matches_the_reference_on_random_messages():
    rnd = random.Random(7)
    for _ in range(400):
        msg = _msg(rnd)
        msg.store_host = rnd.choice(_HOSTS)
        msg.queue_offset, msg.physical_offset = rnd.randrange(0, 1 << 40), rnd.randrange(0, 1 << 50)
        msg.store_timestamp = rnd.randrange(0, 1 << 45)
        assert bytes(m.encode(msg)) == ref_encode(msg, msg.queue_offset, msg.physical_offset, msg.store_timestamp)


def test_put_messages_writes_the_reference_records_and_queue_entries(tmp_path):
    rnd = random.Random(11)
    host = ("10.1.2.3", 10911)
    store = open_store(small_config(tmp_path / "s", mappedFileSizeCommitLog=1 << 16), host)
    now = [1_700_000_000_000]
    store.clock = lambda: now[0]
    expected: list[tuple[int, bytes]] = []      # (physical offset, record)
    next_q: dict[tuple[str, int], int] = {}
    for _ in range(120):
        batch = [_msg(rnd) for _ in range(rnd.choice([1, 1, 1, 3, 9]))]
        for msg in batch:
            msg.topic = rnd.choice(["A", "B"])
            msg.sys_flag &= ~0xC
        now[0] += rnd.randrange(0, 5)
        r = store.put_messages(batch)
        assert r.ok
        phys = r.append.wrote_offset
        ids = []
        for msg, qoff in zip(batch, r.append.queue_offsets):
            key = (msg.topic, msg.queue_id)
            assert qoff == next_q.get(key, 0) and msg.queue_offset == qoff and msg.physical_offset == phys
            next_q[key] = qoff + 1
            rec = ref_encode(msg, qoff, phys, now[0])
            assert msg.store_size == len(rec)
            expected.append((phys, rec))
            ids.append(ref_offset_msg_id(host, phys))
            phys += len(rec)
        assert r.append.msg_ids == ids and r.append.wrote_bytes == phys - r.append.wrote_offset
    # the records, where the reference says, across file switches (a BLANK closes a file)
    assert len(store.commitlog.queue.files) > 1
    for phys, rec in expected:
        view = store.commitlog.view(phys, len(rec))
        assert bytes(view) == rec
        view.release()
    # the consume queues: one (phys, size, tags code) entry per message, in order
    by_queue: dict[tuple[str, int], list] = {}
    for phys, rec in expected:
        msg = m.decode(rec)
        by_queue.setdefault((msg.topic, msg.queue_id), []).append((phys, len(rec), m.tags_code(msg.tags)))
    for (topic, qid), entries in by_queue.items():
        cq = store.consume_queue(topic, qid)
        assert [cq.entry(i) for i in range(len(entries))] == entries
    store.close(clean=True)


def test_refused_puts_change_nothing(tmp_path):
    store = open_store(small_config(tmp_path / "s"))
    ok = m.StoredMessage(topic="T", body=b"x", properties="TAGS\x01a")
    long_topic = m.StoredMessage(topic="t" * 128, body=b"x")
    long_props = m.StoredMessage(topic="T", body=b"x", properties="K\x01" + "v" * 32767)
    before = store.commitlog.max_offset()
    assert store.put_messages([ok, long_topic]).status.name == "MESSAGE_ILLEGAL"
    assert store.put_messages([ok, long_props, long_topic]).status.name == "PROPERTIES_SIZE_EXCEEDED"
    big = m.StoredMessage(topic="T", body=bytes(store.config.maxMessageSize + 1))
    assert store.put_messages([big]).status.name == "MESSAGE_ILLEGAL"
    assert store.commitlog.max_offset() == before and ok.queue_offset == 0 and ok.store_size == 0
    store.close(clean=True)


def test_property_helpers_match_the_references():
    rnd = random.Random(3)
    for _ in range(2000):
        props = _props(rnd)
        assert m.properties_to_string(props) == ref_properties_to_string(props)
        s = ref_properties_to_string(props)
        assert m.string_to_properties(s) == ref_string_to_properties(s)
        raw = "".join(rnd.choice("ab\x01\x02") for _ in range(rnd.randrange(0, 12)))
        assert m.string_to_properties(raw) == ref_string_to_properties(raw)
        peak = rnd.choice([None, 0, len(props), len(props) + 1, 13, 30])
        got = m.reorder_properties_like_java(props, peak)
        want = ref_reorder(props, peak)
        assert got == want and list(got) == list(want)
        assert m.properties_to_string_like_java(props, peak) == ref_properties_to_string(want)


def test_reorder_cache_is_bounded():
    for i in range(m._ORDER_MAX + 10):
        m.reorder_properties_like_java({f"k{i}": "v", "TAGS": "t"})
    assert len(m._ORDER) <= m._ORDER_MAX


def test_offset_msg_id_matches_the_reference():
    rnd = random.Random(5)
    for _ in range(300):
        host = rnd.choice(_HOSTS)
        phys = rnd.choice([0, 1, (1 << 63) - 1, rnd.randrange(0, 1 << 50), -1, -rnd.randrange(1, 1 << 40)])
        assert m.offset_msg_id(host, phys) == ref_offset_msg_id(host, phys)
    for i in range(m._ID_PREFIX_MAX + 5):
        m.offset_msg_id(("10.0.0.1", i), 5)
    assert len(m._ID_PREFIX) <= m._ID_PREFIX_MAX


def ref_java_hash(s: str) -> int:
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (h * 31 + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def test_tags_codes_and_index_hashes_match_the_reference():
    rnd = random.Random(9)
    prefix = "TopicTest#7F0000010D8C18B4AAC2"      # long ASCII keys share a cached prefix hash
    for _ in range(3000):
        s = rnd.choice([_word(rnd, rnd.randrange(1, 60)), prefix + _word(rnd, 12), prefix[:rnd.randrange(30)],
                        "".join(rnd.choice("0123456789ABCDEF") for _ in range(rnd.randrange(20, 80)))])
        assert m.java_string_hash(s) == ref_java_hash(s)
        assert m.tags_code(s) == ref_java_hash(s)
    assert m.tags_code("") == 0 and m.tags_code(None) == 0


class RefIndexFile:
    """The index file as the struct-based writer wrote it (before the byte writes through a typed view)."""

    def __init__(self, slot_num: int, max_index: int) -> None:
        self.slot_num, self.max_index = slot_num, max_index
        self.buf = bytearray(40 + slot_num * 4 + max_index * 20)
        self.begin_ts = self.end_ts = self.begin_phy = self.end_phy = self.slot_count = 0
        self.index_count = 1
        self.write_header()

    def write_header(self) -> None:
        struct.pack_into(">qqqqii", self.buf, 0, self.begin_ts, self.end_ts, self.begin_phy, self.end_phy,
                         self.slot_count, self.index_count)

    def put(self, key: str, phy: int, ts: int) -> bool:
        if self.index_count >= self.max_index:
            return False
        h = abs(ref_java_hash(key))
        h = 0 if h > 0x7FFFFFFF else h
        slot_pos = 40 + (h % self.slot_num) * 4
        (prev,) = struct.unpack_from(">i", self.buf, slot_pos)
        if prev <= 0 or prev > self.index_count:
            prev = 0
        diff = min(max((ts - self.begin_ts) // 1000, 0), 0x7FFFFFFF) if self.begin_ts > 0 else 0
        struct.pack_into(">iqii", self.buf, 40 + self.slot_num * 4 + self.index_count * 20, h, phy, diff, prev)
        struct.pack_into(">i", self.buf, slot_pos, self.index_count)
        if self.index_count <= 1:
            self.begin_phy, self.begin_ts = phy, ts
        if prev == 0:
            self.slot_count += 1
        self.index_count += 1
        self.end_phy, self.end_ts = phy, ts
        self.write_header()
        return True


def test_index_file_writes_the_reference_bytes(tmp_path):
    from store.index_file import IndexFile
    rnd = random.Random(12)
    slot_num, max_index = 7, 400      # few slots: long chains and slots reused
    ours = IndexFile(str(tmp_path / "00000000000000000000"), slot_num, max_index)
    ref = RefIndexFile(slot_num, max_index)
    phy, ts = rnd.randrange(1 << 40), 1_700_000_000_000
    for i in range(max_index + 5):     # past full: both refuse
        key = rnd.choice(["T#" + _word(rnd, rnd.randrange(1, 30)), "TopicTest#7F0000010D8C18B4AAC2" + _word(rnd, 12),
                          "T#\u00e9\u4e2d" + _word(rnd, 3)])
        phy += rnd.randrange(1, 1 << 20)
        ts += rnd.choice([0, 1, 999, 1000, 123456, -5000])       # store times may step back (clock, replay)
        assert ours.put(key, phy, ts) == ref.put(key, phy, ts), i
        assert bytes(ours.mm[:]) == bytes(ref.buf), i
    assert ours.is_full()
    ours.close()


def test_send_path_message_constructor_matches_the_keyword_one():
    from broker.processors import send
    rnd = random.Random(21)
    for _ in range(200):
        args = dict(topic=_word(rnd, 8), body=rnd.randbytes(rnd.randrange(0, 40)), queue_id=rnd.randrange(16),
                    flag=rnd.randrange(-5, 5), sys_flag=rnd.randrange(0, 64), born_timestamp=rnd.randrange(1 << 41),
                    born_host=rnd.choice(_HOSTS), reconsume_times=rnd.randrange(3),
                    properties=ref_properties_to_string(_props(rnd)))
        assert send._new_message(*args.values()) == m.StoredMessage(**args)

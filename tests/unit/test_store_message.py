"""The stored record layout, byte for byte, written out by hand from the facts sheet (message.md)."""
from __future__ import annotations

import struct
import zlib

import pytest

from store import message as m


def _hand_layout(born: bytes, store: bytes, sys_flag: int) -> bytes:
    body, topic, props = b"hello", b"TopicT", "TAGS\x01TagA\x02KEYS\x01k1 k2".encode()
    fields = (struct.pack(">i", m.MESSAGE_MAGIC_CODE) + struct.pack(">i", zlib.crc32(body) & 0x7FFFFFFF)
              + struct.pack(">i", 3)                # queue id
              + struct.pack(">i", 7)                # flag
              + struct.pack(">q", 42)               # queue offset
              + struct.pack(">q", 1000)             # physical offset
              + struct.pack(">i", sys_flag)
              + struct.pack(">q", 1700000000000)    # born timestamp
              + born
              + struct.pack(">q", 1700000000123)    # store timestamp
              + store
              + struct.pack(">i", 2)                # reconsume times
              + struct.pack(">q", 0)                # prepared transaction offset
              + struct.pack(">i", len(body)) + body
              + bytes([len(topic)]) + topic
              + struct.pack(">h", len(props)) + props)
    return struct.pack(">i", 4 + len(fields)) + fields


def _msg(born_host, store_host) -> m.StoredMessage:
    return m.StoredMessage(topic="TopicT", body=b"hello", queue_id=3, flag=7, queue_offset=42, physical_offset=1000,
                           born_timestamp=1700000000000, born_host=born_host, store_timestamp=1700000000123,
                           store_host=store_host, reconsume_times=2,
                           properties="TAGS\x01TagA\x02KEYS\x01k1 k2")


@pytest.mark.parametrize("born_host,store_host,born,store,flag,size", [
    (("10.0.0.1", 5555), ("127.0.0.1", 10911),
     bytes([10, 0, 0, 1]) + struct.pack(">i", 5555), bytes([127, 0, 0, 1]) + struct.pack(">i", 10911), 0, 91),
    (("fd00::2", 5555), ("127.0.0.1", 10911),
     bytes.fromhex("fd000000000000000000000000000002") + struct.pack(">i", 5555),
     bytes([127, 0, 0, 1]) + struct.pack(">i", 10911), 0x10, 103),
    (("fd00::2", 5555), ("::1", 10911),
     bytes.fromhex("fd000000000000000000000000000002") + struct.pack(">i", 5555),
     bytes.fromhex("00000000000000000000000000000001") + struct.pack(">i", 10911), 0x30, 115),
])
def test_encode_equals_hand_layout_and_decodes_back(born_host, store_host, born, store, flag, size):
    expected = _hand_layout(born, store, flag)
    msg = _msg(born_host, store_host)
    got = bytes(m.encode(msg))
    assert got == expected
    assert len(got) == size + len(b"hello") + len(b"TopicT") + len("TAGS\x01TagA\x02KEYS\x01k1 k2")
    back = m.decode(got)
    assert (back.topic, back.body, back.queue_id, back.flag, back.queue_offset, back.physical_offset, back.sys_flag,
            back.born_timestamp, back.born_host, back.store_timestamp, back.store_host, back.reconsume_times,
            back.properties, back.store_size) == (
        "TopicT", b"hello", 3, 7, 42, 1000, flag, 1700000000000, born_host, 1700000000123, store_host, 2,
        "TAGS\x01TagA\x02KEYS\x01k1 k2", len(expected))
    assert m.store_timestamp_position(flag) == (68 if flag & 0x10 else 56)


def test_decode_rejects_corruption():
    good = bytes(m.encode(_msg(("1.2.3.4", 1), ("5.6.7.8", 2))))
    flipped = bytearray(good)
    flipped[88] ^= 1  # a body byte: CRC mismatch
    with pytest.raises(m.RecordError, match="CRC"):
        m.decode(flipped)
    m.decode(flipped, check_crc=False)
    with pytest.raises(m.RecordError):
        m.decode(good[:-1])                     # truncated
    bad_magic = bytearray(good)
    bad_magic[4:8] = b"\x00\x00\x00\x00"
    with pytest.raises(m.RecordError, match="magic"):
        m.decode(bad_magic)


def test_java_helpers():
    assert m.java_string_hash("TagA") == 2598919
    assert m.java_string_hash("标签Ω-1") == _java_hash_by_hand("标签Ω-1")
    assert m.java_string_hash("😀") == 31 * 0xD83D + 0xDE00  # surrogate pairs count as two code units
    assert m.tags_code(None) == 0
    assert m.string_to_properties("a\x011\x02\x01x\x02b\x01\x02c\x013\x02") == {"a": "1", "c": "3"}
    assert m.properties_to_string({"a": "1", "b": "2"}) == "a\x011\x02b\x012"
    mid = m.offset_msg_id(("127.0.0.1", 40911), 0x136074)
    assert mid == "7F00000100009FCF0000000000136074"
    assert m.decode_offset_msg_id(mid) == (("127.0.0.1", 40911), 0x136074)
    assert len(m.offset_msg_id(("::1", 1), 5)) == 56


def _java_hash_by_hand(s: str) -> int:
    h = 0
    for unit in struct.unpack(f">{len(s.encode('utf-16-be')) // 2}H", s.encode("utf-16-be")):
        h = (h * 31 + unit) % 2**32
    return h - 2**32 if h >= 2**31 else h

"""SEND_BATCH_MESSAGE bodies (MessageDecoder.encodeMessages): the send path's decoder against a struct-based
reading of the same format, on well-formed batches and on every kind of damage."""
from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from broker.processors.send import BatchBodyError, decode_batch_body


def _reference(body: bytes) -> list[tuple[int, bytes, str]]:
    out, pos = [], 0
    while pos < len(body):
        if pos + 20 > len(body):
            raise BatchBodyError("truncated batch record")
        total, _magic, _crc, flag, body_len = struct.unpack_from(">iiiii", body, pos)
        if total < 22 or pos + total > len(body) or body_len < 0 or 20 + body_len + 2 > total:
            raise BatchBodyError("bad batch record length")
        (plen,) = struct.unpack_from(">h", body, pos + 20 + body_len)
        if plen < 0 or 22 + body_len + plen != total:
            raise BatchBodyError("bad batch properties length")
        out.append((flag, body[pos + 20:pos + 20 + body_len], body[pos + 22 + body_len:pos + total].decode()))
        pos += total
    return out


def _record(flag: int, payload: bytes, props: str) -> bytes:
    pb = props.encode()
    total = 22 + len(payload) + len(pb)
    return struct.pack(">iiiii", total, -626843481, 0, flag, len(payload)) + payload + struct.pack(">h", len(pb)) + pb


def _outcome(fn, body):  # noqa: ANN001, ANN202
    try:
        return fn(body)
    except (BatchBodyError, UnicodeDecodeError) as e:
        return type(e).__name__, str(e)


records = st.builds(_record, st.integers(-2**31, 2**31 - 1), st.binary(max_size=40), st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=5), st.data())
def test_batch_decoder_agrees_with_the_format_on_good_and_damaged_bodies(recs, data):
    body = b"".join(recs)
    assert decode_batch_body(body) == _reference(body)
    if body:   # damage: cut it, or overwrite bytes anywhere (lengths, flags, properties)
        cut = data.draw(st.integers(0, len(body) - 1))
        assert _outcome(decode_batch_body, body[:cut]) == _outcome(_reference, body[:cut])
        at = data.draw(st.integers(0, len(body) - 1))
        junk = data.draw(st.binary(min_size=1, max_size=4))
        bad = body[:at] + junk + body[at + len(junk):]
        assert _outcome(decode_batch_body, bad) == _outcome(_reference, bad)


def test_negative_flag_and_empty_properties_survive():
    body = _record(-1, b"abc", "") + _record(7, b"", "KEYS\x01k\x02")
    assert decode_batch_body(body) == [(-1, b"abc", ""), (7, b"", "KEYS\x01k\x02")]

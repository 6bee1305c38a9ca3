"""The HA stream's pure parts: reports split anywhere by TCP still give the newest complete one; where an
empty or a returning slave starts; the SYNC_MASTER waiter heap."""
from __future__ import annotations

import asyncio

from hypothesis import given, strategies as st

from store.ha import protocol as p
from store.ha.group_transfer import GroupTransfer


@given(st.lists(st.integers(0, 2 ** 62), min_size=1, max_size=20), st.data())
def test_reports_split_anywhere_yield_the_newest_complete_one(offsets, data):
    stream = b"".join(p.encode_report(o) for o in offsets)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    buf = bytearray()
    seen = []
    pos = 0
    for cut in cuts + [len(stream)]:
        buf += stream[pos:cut]
        pos = cut
        got = p.take_last_report(buf)
        assert len(buf) < p.REPORT_SIZE          # complete reports are consumed, a partial one stays
        if got is not None:
            seen.append(got)
    assert seen and seen[-1] == offsets[-1]
    assert all(s in offsets for s in seen)


def test_no_report_until_eight_bytes():
    buf = bytearray(b"\x00" * 7)
    assert p.take_last_report(buf) is None and len(buf) == 7


def test_header_round_trip_is_big_endian():
    h = p.encode_header(0x0102030405060708, 32768)
    assert h == bytes.fromhex("0102030405060708") + (32768).to_bytes(4, "big")
    assert p.decode_header(h) == (0x0102030405060708, 32768)


def test_where_the_transfer_starts():
    gib = 1 << 30
    assert p.first_transfer_offset(0, 0, gib) == 0
    assert p.first_transfer_offset(0, 3 * gib + 5, gib) == 3 * gib      # empty slave: the master's last file
    assert p.first_transfer_offset(gib + 17, 3 * gib + 5, gib) == gib + 17


async def test_acks_release_only_the_waiters_they_cover():
    gt = GroupTransfer()
    a = asyncio.ensure_future(gt.wait(100, 5))
    b = asyncio.ensure_future(gt.wait(200, 5))
    await asyncio.sleep(0)
    gt.ack(150)
    assert await a is True
    await asyncio.sleep(0)
    assert not b.done()
    gt.ack(120)                 # an older ack changes nothing
    assert gt.acked == 150 and not b.done()
    gt.ack(200)
    assert await b is True
    assert await gt.wait(180, 5) is True      # already covered: no wait


async def test_a_waiter_times_out_and_expired_waiters_do_not_pile_up():
    gt = GroupTransfer()
    assert await gt.wait(10, 0.01) is False
    waits = [asyncio.ensure_future(gt.wait(1000 + i, 0.01)) for i in range(3000)]
    assert await asyncio.gather(*waits) == [False] * 3000
    assert len(gt._heap) < 3000                # compacted
    gt.ack(10 ** 9)
    assert gt._heap == []
    last = asyncio.ensure_future(gt.wait(10 ** 10, 5))
    await asyncio.sleep(0)
    gt.fail_all()
    assert await last is False

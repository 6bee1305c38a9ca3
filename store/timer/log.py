"""The timerlog files (TimerLog.java in 5.x): an append-only queue of 52-byte units under <root>/timerlog,
files named by start offset like the commit log (mappedFileSizeTimerLog each).

A unit is size i32 (52), prev pos i64 (the slot's previous last unit, -1 for the first), magic i32
(1 = default, |2 = roll, |4 = delete), enqueue time i64, delayed time as i32 delta from the enqueue time,
commit-log offset i64, size i32, hash of the real topic i32, reserved i64. A file too full for one more unit
plus a 16-byte blank gets a blank record (its remaining length, 0, BLANK_MAGIC_CODE) and the next unit starts
the next file. The units of one slot form a list from the wheel slot's last pos backwards.
"""
from __future__ import annotations

import logging
import struct
from typing import NamedTuple

from ..mapped_file_queue import MappedFileQueue

log = logging.getLogger("store")

UNIT = struct.Struct(">iqiqiqiiq")
UNIT_SIZE = UNIT.size               # 52
BLANK = struct.Struct(">iqi")
MIN_BLANK_LEN = BLANK.size          # 16
BLANK_MAGIC_CODE = ((0xBBCCDDEE ^ (1880681586 + 8)) + 2**31) % 2**32 - 2**31   # as Java's int expression
MAGIC_DEFAULT = 1
MAGIC_ROLL = 1 << 1
MAGIC_DELETE = 1 << 2


class Unit(NamedTuple):
    prev_pos: int
    magic: int
    enqueue_ms: int
    delayed_ms: int
    offset_py: int
    size_py: int
    topic_hash: int


def encode_unit(prev_pos: int, magic: int, enqueue_ms: int, delayed_ms: int, offset_py: int, size_py: int,
                topic_hash: int) -> bytes:
    return UNIT.pack(UNIT_SIZE, prev_pos, magic, enqueue_ms, delayed_ms - enqueue_ms, offset_py, size_py,
                     topic_hash, 0)


def decode_unit(buf, pos: int = 0) -> Unit | None:
    """The unit at `pos`; None for anything that is not a whole valid unit (blank, torn, never written)."""
    if pos + UNIT_SIZE > len(buf):
        return None
    size, prev, magic, enq, delta, off, sz, th, _r = UNIT.unpack_from(buf, pos)
    if size != UNIT_SIZE or not is_magic_ok(magic) or magic == 0 or sz <= 0 or off < 0:
        return None
    return Unit(prev, magic, enq, enq + delta, off, sz, th)


def is_magic_ok(magic: int) -> bool:
    return (magic | 0xF) == 0xF


class TimerLog:
    def __init__(self, directory: str, file_size: int) -> None:
        self.file_size = file_size
        self.queue = MappedFileQueue(directory, file_size)

    def load(self) -> None:
        self.queue.load()

    def append(self, unit: bytes) -> int:
        """Append one unit; returns its global position."""
        mf = self.queue.get_last(0)
        if len(unit) + MIN_BLANK_LEN > mf.free:
            mf.append(BLANK.pack(mf.free, 0, BLANK_MAGIC_CODE))
            mf.wrote_position = mf.size
            mf = self.queue.get_last(0)
        return mf.file_from_offset + mf.append(unit)

    def unit_at(self, pos: int) -> Unit | None:
        mf = self.queue.find(pos)
        if mf is None:
            return None
        return decode_unit(mf.mm, pos - mf.file_from_offset)

    def max_offset(self) -> int:
        return self.queue.max_offset()

    def recover(self, from_pos: int) -> tuple[int, list[tuple[int, int]]]:
        """Find the end of the valid units from `from_pos` (rounded down to a unit boundary of its file) and
        cut the rest; returns (end, [(pos, delayed time) of each unit from `from_pos`]) for the wheel to be
        revised with. Files before the one holding `from_pos` are taken as written."""
        files = self.queue.files
        if not files:
            return 0, []
        start = next((i for i, mf in enumerate(files) if mf.file_from_offset <= from_pos < mf.file_from_offset
                      + self.file_size), None)
        if start is None:
            start = 0 if from_pos < files[0].file_from_offset else len(files) - 1
            from_pos = files[start].file_from_offset
        pos_in = max(0, from_pos - files[start].file_from_offset)
        pos_in -= pos_in % UNIT_SIZE
        found: list[tuple[int, int]] = []
        end = files[start].file_from_offset + pos_in
        for mf in files[start:]:
            p = pos_in
            pos_in = 0
            full = False
            while p + MIN_BLANK_LEN <= mf.size:
                size, _prev, magic = BLANK.unpack_from(mf.mm, p)
                if magic == BLANK_MAGIC_CODE and size == mf.size - p:
                    full = True             # only a blank record ends a file: the next unit is in the next one
                    break
                unit = decode_unit(mf.mm, p)
                if unit is None:
                    break
                found.append((mf.file_from_offset + p, unit.delayed_ms))
                p += UNIT_SIZE
            if full:
                end = mf.file_from_offset + mf.size
                continue
            end = mf.file_from_offset + p
            break
        self.queue.truncate_dirty(end)
        last = self.queue.last()
        if last is not None and end >= last.file_from_offset + last.size:
            last.wrote_position = last.size
        return end, found

    def last_unit_position(self) -> int:
        """getOffsetForLastUnit: where the last unit of a full file sits (a unit needs room for a blank after it)."""
        return self.file_size - (self.file_size - MIN_BLANK_LEN) % UNIT_SIZE - MIN_BLANK_LEN - UNIT_SIZE

    def detach_expired(self, commitlog_min: int) -> list:
        """deleteExpiredFileByOffsetForTimerLog: the leading files (never the last) whose last unit points below
        the commit log's minimum offset: every message they point at is gone. The caller destroys them."""
        gone = []
        files = self.queue.files
        pos = self.last_unit_position()
        while len(files) > 1:
            unit = decode_unit(files[0].mm, pos)
            if unit is None or unit.offset_py >= commitlog_min:
                break
            gone.append(files.pop(0))
        return gone

    def flush(self) -> int:
        return self.queue.total_flush()

    def close(self) -> None:
        self.queue.close()

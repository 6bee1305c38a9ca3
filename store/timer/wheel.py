"""The timerwheel file (TimerWheel.java, Slot.java in 5.x): a fixed array of 32-byte slots kept in one mmap.

A slot is (delayed time / precisionMs : i64, first unit pos : i64, last unit pos : i64, num : i32, magic : i32),
big-endian. The wheel has 2 * slotsTotal slots, slotsTotal = 7 days of seconds regardless of precision (as
5.x), and a time's slot is (timeMs / precisionMs) mod (2 * slotsTotal). A slot whose stored time is not the
time asked for is empty for that time (it belongs to an older turn of the wheel).
"""
from __future__ import annotations

import mmap
import os
import struct
from typing import NamedTuple

from ..mapped_file import close_map, sync_file

SLOT = struct.Struct(">qqqii")
SLOT_SIZE = SLOT.size               # 32
DAY_SECS = 24 * 3600
TIMER_WHEEL_TTL_DAY = 7
SLOTS_TOTAL = TIMER_WHEEL_TTL_DAY * DAY_SECS
BLANK = -1


class Slot(NamedTuple):
    time_ms: int
    first_pos: int
    last_pos: int
    num: int = 0
    magic: int = 0


EMPTY = Slot(-1, -1, -1, 0, 0)


class WheelLengthError(RuntimeError):
    pass


class TimerWheel:
    def __init__(self, path: str, precision_ms: int, slots_total: int = SLOTS_TOTAL) -> None:
        self.path = path
        self.precision_ms = precision_ms
        self.slots_total = slots_total
        self.length = slots_total * 2 * SLOT_SIZE
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size not in (0, self.length):
                raise WheelLengthError(f"Timer wheel length:{size} != expected:{self.length}")
            if size == 0:
                os.ftruncate(fd, self.length)    # sparse: pages exist only for slots ever written
            self.mm = mmap.mmap(fd, self.length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)

    def slot_index(self, time_ms: int) -> int:
        return time_ms // self.precision_ms % (self.slots_total * 2)

    def raw_slot(self, time_ms: int) -> Slot:
        t, first, last, num, magic = SLOT.unpack_from(self.mm, self.slot_index(time_ms) * SLOT_SIZE)
        return Slot(t * self.precision_ms, first, last, num, magic)

    def get_slot(self, time_ms: int) -> Slot:
        slot = self.raw_slot(time_ms)
        if slot.time_ms != time_ms // self.precision_ms * self.precision_ms:
            return EMPTY
        return slot

    def put_slot(self, time_ms: int, first_pos: int, last_pos: int, num: int, magic: int = 0) -> None:
        SLOT.pack_into(self.mm, self.slot_index(time_ms) * SLOT_SIZE, time_ms // self.precision_ms,
                       first_pos, last_pos, num, magic)

    def revise_slot(self, time_ms: int, last_pos: int) -> None:
        """Recovery (reviseSlot with force): a unit found in the timer log past the slot's last position
        becomes the slot's last one; its prev pointer chains back to the older units."""
        slot = self.get_slot(time_ms)
        if slot is EMPTY:
            self.put_slot(time_ms, last_pos, last_pos, 1)
        elif last_pos > slot.last_pos:
            self.put_slot(time_ms, slot.first_pos, last_pos, slot.num + 1, slot.magic)

    def count_from(self, start_ms: int) -> int:
        """getAllNum: units in the slots at or after `start_ms` within one turn (a startup scan; the service
        keeps the figure up to date afterwards)."""
        start_tick = start_ms // self.precision_ms
        end_tick = start_tick + self.slots_total * 2
        return sum(num for t, _f, _l, num, _m in SLOT.iter_unpack(self.mm) if start_tick <= t < end_tick)

    def flush(self) -> None:
        sync_file(self.path)

    def close(self) -> None:
        close_map(self.mm)

"""config/timercheck (TimerCheckpoint.java in 5.x): one mapped OS page holding seven big-endian i64s:
lastReadTimeMs, lastTimerLogFlushPos, lastTimerQueueOffset, masterTimerQueueOffset, then the DataVersion
(stateVersion, timestamp, counter).

Values are written into the page as they change (a SIGKILL keeps the page-cache copy, so a restart resumes
from the last delivered slot and the last enqueued consume-queue entry); `flush` makes them durable.
"""
from __future__ import annotations

import mmap
import os
import struct

from ..mapped_file import close_map, sync_file

FIELDS = struct.Struct(">7q")
PAGE = 4096


class TimerCheckpoint:
    def __init__(self, path: str) -> None:
        self.path = path
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        existed = os.path.exists(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < PAGE:
                os.ftruncate(fd, PAGE)
            self.mm = mmap.mmap(fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self.existed = existed
        (self.last_read_time_ms, self.last_timer_log_flush_pos, self.last_timer_queue_offset,
         self.master_timer_queue_offset, self.state_version, self.timestamp, self.counter) = FIELDS.unpack_from(self.mm)

    def values(self) -> tuple[int, ...]:
        return (self.last_read_time_ms, self.last_timer_log_flush_pos, self.last_timer_queue_offset,
                self.master_timer_queue_offset, self.state_version, self.timestamp, self.counter)

    def write(self) -> None:
        FIELDS.pack_into(self.mm, 0, *self.values())

    def next_version(self, now_ms: int) -> None:
        """DataVersion.nextVersion: a new timestamp and the counter plus one."""
        self.timestamp = now_ms
        self.counter += 1

    def flush(self) -> None:
        self.write()
        sync_file(self.path)

    def close(self) -> None:
        close_map(self.mm)


def encode(values: tuple[int, ...]) -> bytes:
    """TimerCheckpoint.encode: the 56-byte form GET_TIMER_CHECK_POINT answers with."""
    return FIELDS.pack(*values)


def decode(data: bytes) -> tuple[int, ...]:
    if len(data) >= FIELDS.size:
        return FIELDS.unpack_from(data)
    return struct.unpack_from(">4q", data) + (0, 0, 0)

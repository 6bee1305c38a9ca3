"""The HA stream's two message shapes (pure functions, no I/O). All integers big-endian.

slave -> master: an 8-byte report, the slave's commit-log max offset (the next byte it needs);
master -> slave: a 12-byte header (offset of the first data byte, data length) and that many raw commit-log
bytes; a zero length is a heartbeat.
"""
from __future__ import annotations

import struct

REPORT = struct.Struct(">q")
HEADER = struct.Struct(">qi")
REPORT_SIZE = REPORT.size      # 8
HEADER_SIZE = HEADER.size      # 12
# Java's slave reads into a 4 MiB buffer: a block that does not fit in it can never be completed there
MAX_BLOCK_SIZE = 4 * 1024 * 1024 - HEADER_SIZE


def encode_report(offset: int) -> bytes:
    return REPORT.pack(offset)


def encode_header(offset: int, size: int) -> bytes:
    return HEADER.pack(offset, size)


def decode_header(buf: bytes | bytearray | memoryview) -> tuple[int, int]:
    return HEADER.unpack_from(buf)


def take_last_report(buf: bytearray) -> int | None:
    """Consume every complete 8-byte report in `buf` (in place) and return the last one, or None when there is
    no complete report yet. The master only cares about the newest (ReadSocketService keeps the last value at
    an 8-aligned position); the bytes of an incomplete report stay for the next read."""
    whole = len(buf) - len(buf) % REPORT_SIZE
    if whole == 0:
        return None
    (offset,) = REPORT.unpack_from(buf, whole - REPORT_SIZE)
    del buf[:whole]
    return offset


def first_transfer_offset(requested: int, master_max: int, file_size: int) -> int:
    """Where the master starts sending: an empty slave (0) gets the beginning of the master's last commit-log
    file, any other slave what it asked for (WriteSocketService)."""
    if requested == 0:
        return max(0, master_max - master_max % file_size)
    return requested

"""The checkpoint file: 4096 bytes, the first 24 holding physicMsgTimestamp, logicsMsgTimestamp,
indexMsgTimestamp (StoreCheckpoint.java)."""
from __future__ import annotations

import mmap
import os
import struct

_CP = struct.Struct(">qqq")
SIZE = 4096


class Checkpoint:
    def __init__(self, path: str) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)
            self.mm = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)
        self.physic_ts, self.logics_ts, self.index_ts = _CP.unpack_from(self.mm, 0)

    def min_timestamp(self) -> int:
        """min(physic, logics) - 3 s: records stored before this were flushed everywhere."""
        return max(0, min(self.physic_ts, self.logics_ts) - 3000)

    def min_timestamp_index(self) -> int:
        return min(self.min_timestamp(), self.index_ts)

    def flush(self) -> None:
        _CP.pack_into(self.mm, 0, self.physic_ts, self.logics_ts, self.index_ts)
        self.mm.flush()

    def close(self) -> None:
        self.mm.close()

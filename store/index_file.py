"""IndexFile and IndexService: query messages by key (IndexFile.java, IndexHeader.java, IndexService.java).

File: 40-byte header (beginTimestamp, endTimestamp, beginPhyOffset, endPhyOffset i64; hashSlotCount,
indexCount i32, indexCount starting at 1), hashSlotNum i32 slots (1-based index of the newest entry of the
bucket), maxIndexNum 20-byte entries (keyHash i32, phyOffset i64, timeDiff seconds i32, prevIndex i32).
Key = topic#key, hash = abs(String.hashCode), slot = hash % hashSlotNum. Names are local creation times.
"""
from __future__ import annotations

import logging
import os
import struct
import time

from .mapped_file import MappedFile
from .message import java_string_hash

log = logging.getLogger("store")

HEADER_SIZE = 40
SLOT_SIZE = 4
ENTRY_SIZE = 20
_HEADER = struct.Struct(">qqqqii")
_ENTRY = struct.Struct(">iqii")
_I32 = struct.Struct(">i")
INT_MAX = 0x7FFFFFFF


def key_hash(key: str) -> int:
    h = abs(java_string_hash(key))
    return 0 if h > INT_MAX else h  # abs(Integer.MIN_VALUE) stays negative in Java -> 0


# as names: compiled, index_file.pxd makes them C integers (a literal this large stays a Python int in Cython)
_SIGN32 = 0x80000000
_WRAP32 = 0x100000000


def _get32(buf, pos: int) -> int:
    """A big-endian Java int read from the map (compiled: byte loads from a typed view, no struct call)."""
    v = (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]
    return v - _WRAP32 if v >= _SIGN32 else v


def _put32(buf, pos: int, v: int) -> None:
    """Write the low 32 bits of `v` big-endian (two's complement, as struct's ">i" for an int in range)."""
    buf[pos] = (v >> 24) & 0xFF
    buf[pos + 1] = (v >> 16) & 0xFF
    buf[pos + 2] = (v >> 8) & 0xFF
    buf[pos + 3] = v & 0xFF


def _put64(buf, pos: int, v: int) -> None:
    _put32(buf, pos, v >> 32)
    _put32(buf, pos + 4, v)


def file_name_for(ms: int) -> str:
    t = time.localtime(ms / 1000)
    return time.strftime("%Y%m%d%H%M%S", t) + f"{ms % 1000:03d}"


class IndexFile:
    def __init__(self, path: str, slot_num: int, max_index: int, end_phy: int = 0, end_ts: int = 0) -> None:
        self.path = path
        self.slot_num = slot_num
        self.max_index = max_index
        self.size = HEADER_SIZE + slot_num * SLOT_SIZE + max_index * ENTRY_SIZE
        fresh = not os.path.exists(path)
        # MappedFile derives a start offset from a numeric name; index names are timestamps, which is harmless
        self.file = MappedFile(path, self.size)
        self.mm = self.file.mm
        # the put path writes entries, slots and the header byte by byte through this view (compiled: C stores,
        # instead of three struct calls per key and a header pack per message); dropped before the map closes
        self.buf = memoryview(self.mm)
        if fresh:
            # a new file continues from the previous file's end values
            self._write_header(end_ts, end_ts, end_phy, end_phy, 0, 1)
        (self.begin_ts, self.end_ts, self.begin_phy, self.end_phy,
         self.slot_count, self.index_count) = _HEADER.unpack_from(self.mm, 0)

    def _write_header(self, bts: int, ets: int, bphy: int, ephy: int, slots: int, count: int) -> None:
        _HEADER.pack_into(self.mm, 0, bts, ets, bphy, ephy, slots, count)

    def is_full(self) -> bool:
        return self.index_count >= self.max_index

    def put(self, key: str, phy_offset: int, store_ts: int, write_header: bool = True) -> bool:
        if self.is_full():
            return False
        buf = self.buf
        h = key_hash(key)
        slot = h % self.slot_num
        slot_pos = HEADER_SIZE + slot * SLOT_SIZE
        prev = _get32(buf, slot_pos)
        if prev <= 0 or prev > self.index_count:
            prev = 0
        diff = 0
        if self.begin_ts > 0:
            diff = min(max((store_ts - self.begin_ts) // 1000, 0), INT_MAX)
        pos = HEADER_SIZE + self.slot_num * SLOT_SIZE + self.index_count * ENTRY_SIZE
        # the entry (keyHash i32, phyOffset i64, timeDiff i32, prevIndex i32), then the slot
        _put32(buf, pos, h)
        _put64(buf, pos + 4, phy_offset)
        _put32(buf, pos + 12, diff)
        _put32(buf, pos + 16, prev)
        _put32(buf, slot_pos, self.index_count)
        if self.index_count <= 1:
            self.begin_phy = phy_offset
            self.begin_ts = store_ts
        if prev == 0:
            self.slot_count += 1
        self.index_count += 1
        self.end_phy = phy_offset
        self.end_ts = store_ts
        if write_header:
            self.write_header()
        return True

    def write_header(self) -> None:
        # the _HEADER layout, written through the view (once per stored message)
        buf = self.buf
        _put64(buf, 0, self.begin_ts)
        _put64(buf, 8, self.end_ts)
        _put64(buf, 16, self.begin_phy)
        _put64(buf, 24, self.end_phy)
        _put32(buf, 32, self.slot_count)
        _put32(buf, 36, self.index_count)

    def overlaps(self, begin: int, end: int) -> bool:
        return not (end < self.begin_ts or begin > self.end_ts) or (begin <= self.begin_ts and end >= self.end_ts)

    def select(self, key: str, max_num: int, begin: int, end: int, out: list[int]) -> None:
        h = key_hash(key)
        slot_pos = HEADER_SIZE + (h % self.slot_num) * SLOT_SIZE
        (idx,) = _I32.unpack_from(self.mm, slot_pos)
        if idx <= 0 or idx > self.index_count or self.index_count <= 1:
            return
        base = HEADER_SIZE + self.slot_num * SLOT_SIZE
        seen = 0
        while idx > 0 and len(out) < max_num and seen <= self.max_index:
            seen += 1
            kh, phy, diff, prev = _ENTRY.unpack_from(self.mm, base + idx * ENTRY_SIZE)
            ts = self.begin_ts + diff * 1000
            if diff < 0:
                break
            if kh == h and begin <= ts <= end:
                out.append(phy)
            if prev <= 0 or prev > self.index_count or prev == idx or ts < begin:
                break
            idx = prev

    def flush(self) -> None:
        self.mm.flush()

    def close(self) -> None:
        self.buf = None     # the view pins the map: an mmap with an exported buffer cannot close
        self.file.close()

    def destroy(self) -> None:
        self.buf = None
        self.file.destroy()


class IndexService:
    def __init__(self, directory: str, slot_num: int, max_index: int,
                 clock=lambda: int(time.time() * 1000)) -> None:
        self.directory = directory
        self.slot_num = slot_num
        self.max_index = max_index
        self.files: list[IndexFile] = []
        self.clock = clock
        self.on_file_full = None  # callback(end_timestamp) -> checkpoint

    def load(self, last_exit_ok: bool, checkpoint_index_ts: int) -> None:
        os.makedirs(self.directory, exist_ok=True)
        for name in sorted(os.listdir(self.directory)):
            path = os.path.join(self.directory, name)
            if not name.isdigit():
                continue
            expected = HEADER_SIZE + self.slot_num * SLOT_SIZE + self.max_index * ENTRY_SIZE
            if os.path.getsize(path) != expected:
                log.warning("index file %s has the wrong size, ignored", path)
                continue
            f = IndexFile(path, self.slot_num, self.max_index)
            if not last_exit_ok and f.end_ts > checkpoint_index_ts:
                # written after the last safe point: rebuilt by re-dispatch
                f.destroy()
                continue
            self.files.append(f)

    def _writable(self) -> IndexFile:
        last = self.files[-1] if self.files else None
        if last is not None and not last.is_full():
            return last
        end_phy = last.end_phy if last else 0
        end_ts = last.end_ts if last else 0
        if last is not None:
            last.flush()
            if self.on_file_full:
                self.on_file_full(last.end_ts)
        name = file_name_for(self.clock())
        while os.path.exists(os.path.join(self.directory, name)):
            name = str(int(name) + 1)
        f = IndexFile(os.path.join(self.directory, name), self.slot_num, self.max_index, end_phy, end_ts)
        self.files.append(f)
        return f

    def build(self, topic: str, uniq_key: str | None, keys: str | None, phy_offset: int, store_ts: int) -> None:
        f = self._writable()
        if phy_offset < f.end_phy:
            return  # already indexed (re-dispatch during recovery)
        # the header is written once per message, after all its keys (not once per key); the unique key first,
        # then each non-empty space-separated key
        if uniq_key:
            f = self._put(f, f"{topic}#{uniq_key}", phy_offset, store_ts)
        if keys:
            for key in keys.split(" "):
                if key:
                    f = self._put(f, f"{topic}#{key}", phy_offset, store_ts)
        f.write_header()

    def _put(self, f: IndexFile, key: str, phy_offset: int, store_ts: int) -> IndexFile:
        if not f.put(key, phy_offset, store_ts, False):
            f.write_header()
            f = self._writable()
            f.put(key, phy_offset, store_ts, False)
        return f

    def query(self, topic: str, key: str, max_num: int, begin: int, end: int) -> tuple[list[int], int, int]:
        """Physical offsets of messages indexed under topic#key, newest file first; plus the newest file's
        end timestamp and end offset (indexLastUpdateTimestamp / indexLastUpdatePhyoffset)."""
        out: list[int] = []
        last_ts = last_phy = 0
        for i, f in enumerate(reversed(self.files)):
            if i == 0:
                last_ts, last_phy = f.end_ts, f.end_phy
            if f.overlaps(begin, end):
                f.select(f"{topic}#{key}", max_num, begin, end, out)
            if len(out) >= max_num or f.begin_ts < begin:
                break
        return out, last_ts, last_phy

    def detach_expired(self, commitlog_min: int) -> list[IndexFile]:
        gone = []
        while len(self.files) > 1 and self.files[0].end_phy < commitlog_min:
            gone.append(self.files.pop(0))
        return gone

    def flush(self) -> None:
        for f in self.files:
            f.flush()

    def close(self) -> None:
        for f in self.files:
            f.close()

"""ConsumeQueue: per topic/queueId, 20-byte entries (commitlog offset i64, size i32, tags code i64) at
position logicalOffset*20 (ConsumeQueue.java)."""
from __future__ import annotations

import logging
import os
import struct
from typing import Iterator

from .mapped_file_queue import MappedFileQueue

log = logging.getLogger("store")

CQ_UNIT = 20
_ENTRY = struct.Struct(">qiq")
BLANK_ENTRY = _ENTRY.pack(0, 0x7FFFFFFF, 0)  # fillPreBlank


class ConsumeQueue:
    def __init__(self, root: str, topic: str, queue_id: int, file_size: int) -> None:
        self.topic = topic
        self.queue_id = queue_id
        self.file_size = file_size
        self.queue = MappedFileQueue(os.path.join(root, topic, str(queue_id)), file_size)
        self.max_physic_offset = -1       # end (offset + size) of the last entry written
        self.min_logic_offset = 0         # byte position of the first valid entry

    def load(self) -> None:
        self.queue.load()

    # ------------------------------------------------------------ recovery
    def recover(self) -> None:
        """Scan from the third-last file; the first invalid entry (offset < 0 or size <= 0) ends the data."""
        files = self.queue.files
        if not files:
            return
        start = max(0, len(files) - 3)
        end_pos = files[start].file_from_offset
        max_phys = -1
        for mf in files[start:]:
            pos = 0
            while pos + CQ_UNIT <= self.file_size:
                off, size, _tags = _ENTRY.unpack_from(mf.mm, pos)
                if off < 0 or size <= 0 or (off == 0 and size == 0):
                    break
                if size != 0x7FFFFFFF:
                    max_phys = off + size
                pos += CQ_UNIT
            end_pos = mf.file_from_offset + pos
            if pos < self.file_size:
                break
        self.max_physic_offset = max_phys
        self.queue.truncate_dirty(end_pos)

    def truncate_dirty_logic_files(self, phy_offset: int) -> None:
        """Drop every entry that points at or past `phy_offset` (commit log data that no longer exists)."""
        for mf in reversed(list(self.queue.files)):
            pos = 0
            cut = None
            while pos + CQ_UNIT <= mf.wrote_position:
                off, size, _t = _ENTRY.unpack_from(mf.mm, pos)
                if size == 0x7FFFFFFF:
                    pos += CQ_UNIT
                    continue
                if off + size > phy_offset:
                    cut = pos
                    break
                pos += CQ_UNIT
            if cut is not None:
                self.queue.truncate_dirty(mf.file_from_offset + cut)
                continue
            break
        self._recompute_max_phys()

    def _recompute_max_phys(self) -> None:
        self.max_physic_offset = -1
        for mf in reversed(self.queue.files):
            pos = mf.wrote_position - CQ_UNIT
            while pos >= 0:
                off, size, _t = _ENTRY.unpack_from(mf.mm, pos)
                if size != 0x7FFFFFFF and size > 0:
                    self.max_physic_offset = off + size
                    return
                pos -= CQ_UNIT

    def correct_min_offset(self, commitlog_min: int) -> None:
        """The first entry pointing at data still in the commit log becomes the minimum."""
        self.min_logic_offset = self.queue.min_offset()
        for mf in self.queue.files:
            pos = 0
            while pos + CQ_UNIT <= mf.wrote_position:
                off, size, _t = _ENTRY.unpack_from(mf.mm, pos)
                if size != 0x7FFFFFFF and off >= commitlog_min:
                    self.min_logic_offset = mf.file_from_offset + pos
                    return
                pos += CQ_UNIT
            self.min_logic_offset = mf.file_from_offset + mf.wrote_position

    # ------------------------------------------------------------ write
    def put(self, cq_offset: int, phys: int, size: int, tags_code: int) -> bool:
        if phys + size <= self.max_physic_offset:
            self._rewrite_if_torn(cq_offset, phys, size, tags_code)
            return True  # already dispatched (recovery re-dispatches)
        expect = cq_offset * CQ_UNIT
        files = self.queue.files
        mf = files[-1] if files else None
        if mf is None or mf.wrote_position >= mf.size:   # no file yet, or the last is full (is_full, inline)
            was_empty = not files
            mf = self.queue.get_last(expect)
            if was_empty:
                self.min_logic_offset = expect
        current = mf.file_from_offset + mf.wrote_position
        if expect < current:
            if not self._rewrite_if_torn(cq_offset, phys, size, tags_code):
                log.warning("consume queue %s-%d: entry %d already written", self.topic, self.queue_id, cq_offset)
            return True
        while current < expect:
            # a queue whose first entry is not at 0 (fillPreBlank), or a hole: blank entries keep positions
            mf.append(BLANK_ENTRY)
            current += CQ_UNIT
            if mf.is_full():
                mf = self.queue.get_last(current)
        # packed straight into the map (MappedFile.append's bounds check, without the bytes object and copy)
        pos = mf.wrote_position
        if pos + CQ_UNIT > mf.size:
            raise ValueError("append beyond the end of a mapped file")
        _ENTRY.pack_into(mf.mm, pos, phys, size, tags_code)
        mf.wrote_position = pos + CQ_UNIT
        self.max_physic_offset = phys + size
        return True

    def _rewrite_if_torn(self, cq_offset: int, phys: int, size: int, tags_code: int) -> bool:
        """A re-dispatched message (recovery after a crash) whose entry exists with the same commit-log offset but
        other size or tags code: the entry was being written when the process died (struct writes a field's bytes
        last to first, so a kill can leave e.g. the tags code's low byte only). It is written again; True if so."""
        mf, p = self._locate(cq_offset)
        if mf is None:
            return False
        old = _ENTRY.unpack_from(mf.mm, p)
        if old[0] != phys or (old[1] == size and old[2] == tags_code):
            return False
        _ENTRY.pack_into(mf.mm, p, phys, size, tags_code)
        if phys + size > self.max_physic_offset:
            self.max_physic_offset = phys + size
        log.warning("consume queue %s-%d: entry %d rewritten (size %d, tags code %d were torn by a crash)",
                    self.topic, self.queue_id, cq_offset, old[1], old[2])
        return True

    # ------------------------------------------------------------ read
    def min_offset(self) -> int:
        return self.min_logic_offset // CQ_UNIT

    def max_offset(self) -> int:
        return self.queue.max_offset() // CQ_UNIT

    def _locate(self, cq_offset: int):
        """The file holding a written entry and the entry's position in it; (None, 0) when not written."""
        pos = cq_offset * CQ_UNIT
        mf = self.queue.find(pos)
        if mf is None:
            return None, 0
        p = pos - mf.file_from_offset
        if p + CQ_UNIT > mf.wrote_position:
            return None, 0
        return mf, p

    def entry(self, cq_offset: int) -> tuple[int, int, int] | None:
        mf, p = self._locate(cq_offset)
        if mf is None:
            return None
        return _ENTRY.unpack_from(mf.mm, p)

    def entries(self, cq_offset: int, max_count: int) -> tuple[int, Iterator[tuple[int, int, int]]]:
        """How many entries from `cq_offset` (at most `max_count`, within one file) and a lazy iterator over
        them as (commit-log offset, size, tags code) tuples (the timer's reading of its queue)."""
        buf, n = self.window(cq_offset, max_count)
        return n, _ENTRY.iter_unpack(buf)

    def window(self, cq_offset: int, max_count: int) -> tuple[bytes, int]:
        """The bytes of the entries from `cq_offset` (at most `max_count`, within one file, as Java's
        getIndexBuffer) and how many: a copy (16,000 bytes at most, read as a whole), so no view of the mapping
        outlives the call; `select` reads the entries it uses straight from it."""
        pos = cq_offset * CQ_UNIT
        mf = self.queue.find(pos)
        if mf is None:
            return b"", 0
        p = pos - mf.file_from_offset
        n = max(0, min(max_count, (mf.wrote_position - p) // CQ_UNIT))
        return mf.mm[p:p + n * CQ_UNIT], n

    def last_entry_phys_of(self, mf) -> int:
        if mf.wrote_position < CQ_UNIT:
            return -1
        off, size, _t = _ENTRY.unpack_from(mf.mm, mf.wrote_position - CQ_UNIT)
        return off

    def detach_expired(self, commitlog_min: int) -> list:
        """Take off the files whose last entry points below `commitlog_min` (never the last file) and correct
        the minimum offset; the caller destroys the returned files."""
        gone = []
        files = self.queue.files
        while len(files) > 1 and files[0].is_full() and self.last_entry_phys_of(files[0]) < commitlog_min:
            gone.append(files.pop(0))
        self.correct_min_offset(commitlog_min)
        return gone

    def flush(self, least_pages: int = 0) -> None:
        self.queue.total_flush(least_pages)

    def close(self) -> None:
        self.queue.close()

    def destroy(self) -> None:
        self.queue.destroy()


# 32-bit constants as names: compiled, consume_queue.pxd makes them C integers (as in remoting/codec.py)
_SIGN32 = 0x80000000
_WRAP32 = 0x100000000
_BLANK_SIZE = 0x7FFFFFFF


def _u32(data: bytes, pos: int) -> int:
    v = data[pos]   # compiled: a 64-bit local (consume_queue.pxd), byte reads on the C buffer, no struct call
    v = (v << 8) | data[pos + 1]
    v = (v << 8) | data[pos + 2]
    return (v << 8) | data[pos + 3]


def _i32(data: bytes, pos: int) -> int:
    v = _u32(data, pos)
    return v - _WRAP32 if v >= _SIGN32 else v


def _i64(data: bytes, pos: int) -> int:
    # high word signed, low word unsigned: a multiplication, so the C form has no shift of a negative value
    return _i32(data, pos) * _WRAP32 + _u32(data, pos + 4)


def select(buf: bytes, n: int, offset: int, commitlog_queue, cl_min: int, max_phy: int, memory_limit: int,
           max_msgs: int, bytes_in_memory: int, count_in_memory: int, bytes_in_disk: int, count_in_disk: int,
           msg_filter, buffers: list, offsets: list, body: list | None = None) -> tuple[int, int, int, int, int]:
    """The read loop of MessageStore.get_message (DefaultMessageStore.getMessage) over the `n` consume-queue
    entries in `buf` (queue offsets from `offset`): appends a view of each record it takes to `buffers` and its
    queue offset to `offsets`; with `body`, a copy (bytes) of each record goes there instead and `buffers` and
    `offsets` stay empty. Returns (what it found: 0 nothing, 1 a record gone from the commit log
    (MESSAGE_WAS_REMOVING), 2 records; the next begin offset; the physical offset of the last entry looked at;
    bytes taken; records taken).

    Entries are read from the bytes (no tuple per entry); the commit-log file is looked up only when a record
    lies outside the one in hand, and each record is a slice of that file's map."""
    count = 0
    total = 0
    state = 0
    nxt = offset
    max_pulling = 0
    file_size = commitlog_queue.file_size
    start = 0        # the commit-log file in hand: [start, end), written up to start + wrote
    end = 0
    wrote = 0
    mm = None
    whole = None
    for i in range(n):
        p = i * CQ_UNIT
        size = _i32(buf, p + 8)
        nxt = offset + i
        if size == _BLANK_SIZE:
            continue
        phys = _i64(buf, p)
        max_pulling = phys
        if total != 0 and count != 0:      # isTheBatchFull
            if count >= max_msgs:
                break
            if phys < max_phy - memory_limit:     # in disk (max_phy - phys > memory_limit, without overflow)
                if total + size > bytes_in_disk or count >= count_in_disk:
                    break
            elif total + size > bytes_in_memory or count >= count_in_memory:
                break
        if phys < cl_min:
            continue
        if msg_filter is not None and not msg_filter.is_matched_by_consume_queue(_i64(buf, p + 12)):
            continue
        if phys < start or phys >= end:
            mf = commitlog_queue.find(phys)
            if mf is None:
                if state == 0:
                    state = 1
                continue
            start = mf.file_from_offset
            end = start + file_size
            wrote = mf.wrote_position
            mm = mf.mm
            if body is None:
                whole = memoryview(mm)
        pos = phys - start
        if pos + size > wrote:
            if state == 0:
                state = 1
            continue
        if body is None:
            view = whole[pos:pos + size]
            if msg_filter is not None and not msg_filter.is_matched_by_commit_log(view):
                view.release()
                continue
            buffers.append(view)
            offsets.append(offset + i)
        else:
            record = mm[pos:pos + size]     # cheaper than a view to make, and nothing in the answer holds the map
            if msg_filter is not None and not msg_filter.is_matched_by_commit_log(memoryview(record)):
                continue
            body.append(record)
        state = 2
        total += size
        count += 1
        nxt = offset + i + 1
    else:
        nxt = offset + n
    return state, nxt, max_pulling, total, count

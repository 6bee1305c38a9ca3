"""The CommitLog: every message of every topic appended to one queue of mapped files (CommitLog.java).

Appends run on the owner's thread. A record never spans files: when one (or a whole batch) does not fit
with 8 bytes to spare, an 8-byte BLANK marker (remaining size, BLANK magic) closes the file and the data goes
to the next one.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator

from . import message as m
from .mapped_file import MappedFile
# the append path's names bound here: a module attribute costs a dict lookup through the module per use
from .message import END_FILE_MIN_BLANK_LENGTH, offset_msg_id, pack_record, record_layout
from .mapped_file_queue import MappedFileQueue

_BLANK = struct.Struct(">ii")


@dataclass(slots=True, init=False)
class AppendResult:
    wrote_offset: int
    wrote_bytes: int
    msg_ids: list[str]
    store_timestamp: int
    queue_offsets: list[int]

    def __init__(self, wrote_offset: int, wrote_bytes: int, msg_ids: list[str], store_timestamp: int,
                 queue_offsets: list[int]) -> None:
        # written out: a generated dataclass __init__ is interpreted even in the compiled module
        self.wrote_offset = wrote_offset
        self.wrote_bytes = wrote_bytes
        self.msg_ids = msg_ids
        self.store_timestamp = store_timestamp
        self.queue_offsets = queue_offsets


class MessageSizeExceeded(ValueError):
    pass


@dataclass(slots=True, init=False)
class RecordCheck:
    """What a scan finds at a position: a message (size > 0), a BLANK end-of-file marker, or invalid data."""
    kind: str            # "msg", "blank", "invalid"
    size: int = 0
    msg: m.StoredMessage | None = None

    def __init__(self, kind: str, size: int = 0, msg: m.StoredMessage | None = None) -> None:
        self.kind = kind
        self.size = size
        self.msg = msg


class CommitLog:
    def __init__(self, directory: str, file_size: int, allocate=None) -> None:
        self.queue = MappedFileQueue(directory, file_size, allocate)
        self.file_size = file_size

    def load(self) -> None:
        self.queue.load()

    # ------------------------------------------------------------ append
    def append_messages(self, msgs: list[m.StoredMessage], topics: list[bytes], props: list[bytes],
                        queue_offsets: list[int], store_timestamp: int, store_host: tuple[str, int]) -> AppendResult:
        """Encode and append `msgs` as one unit (one message, or a batch that stays in one file), each record
        written once with its final queue offset, physical offset and store timestamp (no patching).
        `topics`/`props` are the UTF-8 of each message's topic and properties (already length-checked by the
        caller). On success each message's queue_offset, physical_offset and store_size are set."""
        layouts = []
        total = 0
        for i in range(len(msgs)):
            layout = record_layout(msgs[i], topics[i], props[i])
            layouts.append(layout)
            total += layout[0].size
        # where the records will start, found before anything changes (the rules of the file switch below), so
        # a record that cannot be packed (struct.error) leaves the log as it was, as encoding first did
        files = self.queue.files
        last = files[-1] if files else None     # queue.last()
        fits = False
        if last is None:
            base = 0
        elif total + END_FILE_MIN_BLANK_LENGTH > last.size - last.wrote_position:   # full, or no room (free)
            base = last.file_from_offset + self.file_size
        else:
            base = last.file_from_offset + last.wrote_position
            fits = True
        buf, sizes = self._pack(msgs, topics, props, layouts, total, queue_offsets, base, store_timestamp)
        if total + END_FILE_MIN_BLANK_LENGTH > self.file_size:
            raise MessageSizeExceeded(f"{total} bytes do not fit in a {self.file_size}-byte commit log file")
        if fits:
            mf = last       # the usual case: what get_last(0) returns, with room
        else:
            mf = self.queue.get_last(0)
            if total + END_FILE_MIN_BLANK_LENGTH > mf.free:
                self._close_file(mf)
                mf = self.queue.get_last(0)
        start = mf.file_from_offset + mf.wrote_position
        if start != base:   # not expected (same rules); never write a wrong physical offset
            buf, sizes = self._pack(msgs, topics, props, layouts, total, queue_offsets, start, store_timestamp)
        mf.append(buf)
        mf.store_timestamp = store_timestamp
        ids = []
        phys = start
        for i in range(len(msgs)):
            msg = msgs[i]
            ids.append(offset_msg_id(store_host, phys))
            msg.queue_offset = queue_offsets[i]
            msg.physical_offset = phys
            msg.store_size = sizes[i]
            phys += sizes[i]
        return AppendResult(start, total, ids, store_timestamp, queue_offsets)

    @staticmethod
    def _pack(msgs: list[m.StoredMessage], topics: list[bytes], props: list[bytes], layouts: list, total: int,
              queue_offsets: list[int], base: int, store_timestamp: int) -> tuple[bytearray, list[int]]:
        # one buffer for the whole unit: a batch is packed in place, not joined from per-record copies
        buf = bytearray(total)
        sizes = []
        pos = 0
        for i in range(len(msgs)):
            n = pack_record(buf, pos, layouts[i], msgs[i], topics[i], props[i], queue_offsets[i], base + pos,
                              store_timestamp)
            sizes.append(n)
            pos += n
        return buf, sizes

    def append_data(self, offset: int, data: bytes | bytearray | memoryview) -> bool:
        """A slave's append of raw bytes the master wrote at `offset` (CommitLog.appendData): they must continue
        this log exactly and stay in one file (the master never sends a block across a file boundary)."""
        mf = self.queue.get_last(offset)
        if mf is None or mf.file_from_offset + mf.wrote_position != offset or len(data) > mf.free:
            return False
        mf.append(data)
        return True

    def _close_file(self, mf: MappedFile) -> None:
        mf.write_at(mf.wrote_position, _BLANK.pack(mf.free, m.BLANK_MAGIC_CODE))
        mf.wrote_position = mf.size

    # ------------------------------------------------------------ read
    def min_offset(self) -> int:
        return self.queue.min_offset()

    def max_offset(self) -> int:
        return self.queue.max_offset()

    def view(self, offset: int, size: int) -> memoryview | None:
        mf = self.queue.find(offset)
        if mf is None:
            return None
        pos = offset - mf.file_from_offset
        if pos + size > mf.wrote_position:
            return None
        return mf.view(pos, size)

    def readable_from(self, offset: int) -> memoryview | None:
        """getCommitLogData: the written bytes of the file holding `offset`, from there to its write position
        (None when there is nothing yet). A view into the map, not a copy."""
        mf = self.queue.find(offset)
        if mf is None:
            return None
        pos = offset - mf.file_from_offset
        if pos >= mf.wrote_position:
            return None
        return mf.view(pos, mf.wrote_position - pos)

    def record_size_at(self, offset: int) -> int:
        mf = self.queue.find(offset)
        if mf is None:
            return 0
        pos = offset - mf.file_from_offset
        if pos + 4 > mf.wrote_position:
            return 0
        return m._I32.unpack_from(mf.mm, pos)[0]

    def message_at(self, offset: int, check_crc: bool = False) -> m.StoredMessage | None:
        size = self.record_size_at(offset)
        if size <= 0:
            return None
        mv = self.view(offset, size)
        if mv is None:
            return None
        try:
            return m.decode(mv, 0, check_crc=check_crc)
        except m.RecordError:
            return None
        finally:
            mv.release()

    @staticmethod
    def check_at(mf: MappedFile, pos: int, limit: int, check_crc: bool) -> RecordCheck:
        """checkMessageAndReturnSize over a file's bytes up to `limit`."""
        if pos + 8 > limit:
            return RecordCheck("invalid")
        size, magic = _BLANK.unpack_from(mf.mm, pos)
        if magic == m.BLANK_MAGIC_CODE:
            return RecordCheck("blank", size)
        if magic != m.MESSAGE_MAGIC_CODE or size <= 0 or pos + size > limit:
            return RecordCheck("invalid")
        try:
            msg = m.decode(mf.mm[pos:pos + size], 0, check_crc=check_crc)
        except m.RecordError:
            return RecordCheck("invalid")
        return RecordCheck("msg", size, msg)

    def records(self, from_offset: int,
                check_crc: bool = False) -> Iterator[tuple[int, m.StoredMessage | None, int]]:
        """Walk the log from `from_offset`: (offset, message, next offset) per valid record and (offset, None,
        start of the next file) per BLANK end-of-file marker, up to the end of valid data (an invalid or still
        partial record ends the walk)."""
        offset = from_offset
        end = self.max_offset()
        while offset < end:
            mf = self.queue.find(offset)
            if mf is None:
                return
            chk = self.check_at(mf, offset - mf.file_from_offset, mf.wrote_position, check_crc)
            if chk.kind == "blank":
                nxt = mf.file_from_offset + self.file_size
                yield offset, None, nxt
                offset = nxt
                continue
            if chk.kind != "msg":
                return
            yield offset, chk.msg, offset + chk.size
            offset += chk.size

    def scan(self, from_offset: int, check_crc: bool = False) -> Iterator[tuple[int, m.StoredMessage]]:
        """(physical offset, message) of every valid record from `from_offset` on, across files."""
        return ((offset, msg) for offset, msg, _ in self.records(from_offset, check_crc) if msg is not None)

    def valid_end(self, start_file_index: int, check_crc: bool) -> int:
        """Offset just past the last valid record, scanning files from `start_file_index` (recovery)."""
        files = self.queue.files
        if not files:
            return 0
        start_file_index = max(0, min(start_file_index, len(files) - 1))
        for i in range(start_file_index, len(files)):
            mf = files[i]
            pos = 0
            while True:
                chk = self.check_at(mf, pos, self.file_size, check_crc)
                if chk.kind == "msg":
                    pos += chk.size
                    continue
                if chk.kind == "blank" and i + 1 < len(files):
                    break  # the file ends here; go on with the next one
                return mf.file_from_offset + pos
        return files[-1].file_from_offset + self.file_size

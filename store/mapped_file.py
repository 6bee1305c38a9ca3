"""One fixed-size memory-mapped file named by its 20-digit start offset (MappedFile.java).

Writes happen on the owner's thread (the event loop); `flush` (msync) may run on another thread: it only
reads positions and syncs pages.
"""
from __future__ import annotations

import mmap
import os

OS_PAGE_SIZE = 4096


def offset_to_file_name(offset: int) -> str:
    return f"{offset:020d}"



def sync_file(path: str) -> None:
    """Write a mapped file's dirty pages back. Not mmap.flush: CPython 3.11's msync holds the GIL for the whole
    write-back (a 256 MiB flush froze the event loop for 0.5 s); fdatasync of the file writes the same pages
    back and releases it."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


def close_map(mm: mmap.mmap) -> None:
    try:
        mm.close()
    except BufferError:
        pass       # a memoryview still points into the map (a reader holds it); the OS unmaps at exit

class MappedFile:
    def __init__(self, path: str, size: int) -> None:
        self.path = path
        self.size = size
        self.file_from_offset = int(os.path.basename(path))
        exists = os.path.exists(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not exists or os.fstat(fd).st_size != size:
                os.ftruncate(fd, size)
            self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self.wrote_position = 0
        self.flushed_position = 0
        self.store_timestamp = 0  # store time of the last message written (for the checkpoint)

    # ------------------------------------------------------------ writing
    @property
    def free(self) -> int:
        return self.size - self.wrote_position

    def is_full(self) -> bool:
        return self.wrote_position >= self.size

    def append(self, data: bytes | bytearray | memoryview) -> int:
        pos = self.wrote_position
        n = len(data)
        if pos + n > self.size:
            raise ValueError("append beyond the end of a mapped file")
        self.mm[pos:pos + n] = data
        self.wrote_position = pos + n
        return pos

    def write_at(self, pos: int, data: bytes | bytearray | memoryview) -> None:
        self.mm[pos:pos + len(data)] = data

    # ------------------------------------------------------------ reading
    def view(self, pos: int, size: int) -> memoryview:
        return memoryview(self.mm)[pos:pos + size]

    def read(self, pos: int, size: int) -> bytes:
        return self.mm[pos:pos + size]

    # ------------------------------------------------------------ durability
    def dirty_pages(self) -> int:
        return (self.wrote_position // OS_PAGE_SIZE) - (self.flushed_position // OS_PAGE_SIZE)

    def flush(self, least_pages: int = 0) -> int:
        """msync the written range if at least `least_pages` pages are dirty (0 = any change); returns the
        flushed position. Safe to call from a flush thread."""
        target = self.wrote_position
        if target <= self.flushed_position:
            return self.flushed_position
        if least_pages > 0 and self.dirty_pages() < least_pages and target < self.size:
            return self.flushed_position
        try:
            sync_file(self.path)
        except FileNotFoundError:
            return self.flushed_position     # destroyed meanwhile (expired file)
        self.flushed_position = target
        return target

    def zero_from(self, pos: int) -> None:
        """Wipe bytes from `pos` to the end (a torn or truncated tail must not look like data later)."""
        if pos < self.size:
            chunk = 1 << 20
            zeros = bytes(chunk)
            p = pos
            while p < self.size:
                n = min(chunk, self.size - p)
                if self.mm[p:p + n] != zeros[:n]:
                    self.mm[p:p + n] = zeros[:n]
                p += n
        self.wrote_position = min(self.wrote_position, pos)
        self.flushed_position = min(self.flushed_position, pos)

    def warm(self) -> None:
        """Touch every page so later appends do not page-fault on the event loop."""
        for p in range(0, self.size, OS_PAGE_SIZE):
            self.mm[p] = self.mm[p]

    def close(self) -> None:
        close_map(self.mm)

    def destroy(self) -> None:
        self.close()
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

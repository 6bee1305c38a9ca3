"""A directory of fixed-size mapped files named by start offset (MappedFileQueue.java)."""
from __future__ import annotations

import bisect
import logging
import os
from typing import Callable

from .mapped_file import MappedFile, offset_to_file_name

log = logging.getLogger("store")


class StoreLoadError(Exception):
    pass


class MappedFileQueue:
    def __init__(self, directory: str, file_size: int,
                 allocate: Callable[[str, int], MappedFile] | None = None) -> None:
        self.directory = directory
        self.file_size = file_size
        self.files: list[MappedFile] = []
        self._allocate = allocate or MappedFile

    def load(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        names = sorted(n for n in os.listdir(self.directory) if n.isdigit() and len(n) == 20)
        for name in names:
            path = os.path.join(self.directory, name)
            size = os.path.getsize(path)
            if size != self.file_size:
                raise StoreLoadError(f"{path} length {size} not matched message store config value "
                                     f"{self.file_size}, please check it manually")
            mf = MappedFile(path, self.file_size)
            mf.wrote_position = mf.flushed_position = self.file_size
            self.files.append(mf)

    # ------------------------------------------------------------ lookup
    def last(self) -> MappedFile | None:
        return self.files[-1] if self.files else None

    def first(self) -> MappedFile | None:
        return self.files[0] if self.files else None

    def min_offset(self) -> int:
        return self.files[0].file_from_offset if self.files else 0

    def max_offset(self) -> int:
        last = self.last()
        return last.file_from_offset + last.wrote_position if last else 0

    def find(self, offset: int) -> MappedFile | None:
        files = self.files
        if not files:
            return None
        # files are contiguous, so the index is arithmetic (as Java's findMappedFileByOffset); the list is
        # changed in place by recovery, cleanup and HA, so nothing is cached: a guess that does not hold (a gap)
        # falls back to the search over every start
        first = files[0].file_from_offset
        if offset >= first:
            i = (offset - first) // self.file_size
            if i < len(files):
                mf = files[i]
                start = mf.file_from_offset
                if start <= offset < start + self.file_size and (i + 1 == len(files)
                                                                  or files[i + 1].file_from_offset > offset):
                    return mf
        starts = [f.file_from_offset for f in files]
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return None
        mf = files[i]
        return mf if offset < mf.file_from_offset + self.file_size else None

    def get_last(self, start_offset: int = 0, create: bool = True) -> MappedFile | None:
        """The file to append to: the last one unless full; a new one when needed and `create`."""
        last = self.last()
        if last is not None and not last.is_full():
            return last
        if not create:
            return last
        if last is None:
            start = start_offset - start_offset % self.file_size
        else:
            start = last.file_from_offset + self.file_size
        os.makedirs(self.directory, exist_ok=True)
        mf = self._allocate(os.path.join(self.directory, offset_to_file_name(start)), self.file_size)
        self.files.append(mf)
        # one line per file: a commit-log roll happens once per mappedFileSizeCommitLog (1 GiB by default)
        log.info("mapped file created: %s (%s)", mf.path, "first file" if last is None else "roll, previous full")
        return mf

    # ------------------------------------------------------------ truncation and deletion
    def truncate_dirty(self, offset: int) -> None:
        """Keep data below `offset`: later files are deleted, the tail of the file holding it is zeroed."""
        keep: list[MappedFile] = []
        for mf in self.files:
            end = mf.file_from_offset + self.file_size
            if end > offset:
                if offset >= mf.file_from_offset:
                    pos = offset - mf.file_from_offset
                    mf.zero_from(pos)
                    mf.wrote_position = mf.flushed_position = pos
                    keep.append(mf)
                else:
                    log.info("delete dirty file %s", mf.path)
                    mf.destroy()
            else:
                keep.append(mf)
        self.files = keep

    def total_flush(self, least_pages: int = 0) -> int:
        """Flush every file with unflushed data; returns the global flushed offset."""
        where = self.min_offset()
        for mf in list(self.files):
            if mf.flushed_position < mf.wrote_position:
                mf.flush(least_pages)
            where = mf.file_from_offset + mf.flushed_position
            if mf.flushed_position < self.file_size:
                break
        return where

    def close(self) -> None:
        for mf in self.files:
            mf.close()

    def destroy(self) -> None:
        for mf in self.files:
            mf.destroy()
        self.files = []
        try:
            os.rmdir(self.directory)
        except OSError:
            pass

"""Pre-creating the next commit-log file off the event loop (AllocateMappedFileService.java): when a file
is taken into use, the next one is created (and pre-faulted if warmMapedFileEnable) on the store's I/O thread,
so a roll does not stall appends."""
from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor

from .mapped_file import MappedFile, offset_to_file_name

log = logging.getLogger("store")


class Allocator:
    def __init__(self, io: ThreadPoolExecutor, warm: bool = False) -> None:
        self.io = io
        self.warm = warm
        self._pending: dict[str, Future] = {}

    def _create(self, path: str, size: int) -> MappedFile:
        mf = MappedFile(path, size)
        if self.warm:
            mf.warm()
        return mf

    def get(self, path: str, size: int) -> MappedFile:
        fut = self._pending.pop(path, None)
        mf = None
        if fut is not None:
            try:
                mf = fut.result()
            except Exception as e:  # noqa: BLE001 - fall back to creating it here
                log.warning("pre-allocation of %s failed: %s", path, e)
        if mf is None:
            mf = self._create(path, size)
        nxt = os.path.join(os.path.dirname(path), offset_to_file_name(mf.file_from_offset + size))
        if nxt not in self._pending:
            self._pending[nxt] = self.io.submit(self._create, nxt, size)
        return mf

    def discard(self) -> None:
        """At shutdown: unmap and delete files that were prepared but never used."""
        for path, fut in self._pending.items():
            try:
                mf = fut.result(timeout=30)
            except Exception:  # noqa: BLE001
                continue
            if mf.wrote_position == 0:
                mf.destroy()
        self._pending.clear()

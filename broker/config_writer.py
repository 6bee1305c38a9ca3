"""Writing a whole-table config file (topics.json, subscriptionGroup.json) without costing every change the
whole table.

Java's ConfigManager.persist encodes and writes the whole table on every change, so creating n topics
costs O(n²) (with 5,000 topics here: half a second of event loop per UPDATE_AND_CREATE_TOPIC). Here a
change only asks for a write: at most one write waits in the metadata lane at a time, and it encodes the
table when it runs, so it covers every change made before it started; a change made while a write runs
queues the next one. The file on disk after the last write always holds the last state, as before.
"""
from __future__ import annotations

import threading
from typing import Callable

from remoting.config import write_file_atomically


class CoalescedFileWriter:
    def __init__(self, path: str, encode: Callable[[], str], submit: Callable[[Callable[[], None]], None]) -> None:
        self.path = path
        self._encode = encode       # runs in the lane's thread: it must copy what it reads under `lock`
        self._submit = submit
        self._queued = False
        # held by changes made in more than one step (a slave's replace_all) and by the encoder's snapshot,
        # so a write never sees a half-done change; single dict operations need no lock (the GIL)
        self.lock = threading.Lock()

    def request(self) -> None:
        """A change was made: make sure a write that has not started yet is queued."""
        if self._queued:
            return
        self._queued = True
        try:
            self._submit(self._write)
        except BaseException:
            self._queued = False
            raise

    def _write(self) -> None:
        self._queued = False       # first: a change from now on queues another write
        write_file_atomically(self.path, self._encode())

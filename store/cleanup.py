"""Deleting old data (CleanCommitLogService / CleanConsumeQueueService of DefaultMessageStore.java).

Commit-log files go when it is a deletion hour (`deleteWhen`), the disk is fuller than
`diskMaxUsedSpaceRatio`, or an admin asked; only files older than `fileReservedTime` hours, oldest first,
at most 10 per run, never the newest one; above `diskSpaceCleanForciblyRatio` age no longer matters. Above
`diskSpaceWarningLevelRatio` the store refuses writes until space is back. Consume-queue and index files whose
data is gone follow. Decisions and list changes happen on the caller's thread; unmapping and unlinking are
returned as a job for the I/O thread.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .message_store import MessageStore

log = logging.getLogger("store")

DELETE_FILES_BATCH_MAX = 10


def is_deletion_hour(delete_when: str, now_ms: int) -> bool:
    hour = time.localtime(now_ms / 1000).tm_hour
    for item in delete_when.split(";"):
        item = item.strip()
        if item.isdigit() and int(item) == hour:
            return True
    return False


def disk_used_ratio(path: str) -> float:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return -1.0
    return usage.used / usage.total if usage.total else -1.0


class CleanupService:
    def __init__(self, store: "MessageStore", disk_ratio: Callable[[str], float] = disk_used_ratio) -> None:
        self.store = store
        self.disk_ratio = disk_ratio
        self.manual_runs = 0   # DELETE_EXPIRED_COMMITLOG sets 20

    def request_manual_delete(self) -> None:
        self.manual_runs = 20

    def run_once(self, now_ms: int) -> tuple[int, Callable[[], None]]:
        """Decide and detach; returns (files removed, job that unmaps and unlinks them)."""
        store = self.store
        cfg = store.config
        ratio = self.disk_ratio(cfg.commitlog_dir)
        was_full = store.disk_full
        store.disk_full = ratio > cfg.diskSpaceWarningLevelRatio
        if store.disk_full and not was_full:
            log.error("disk used ratio %.2f above %.2f: refusing writes", ratio, cfg.diskSpaceWarningLevelRatio)
        elif was_full and not store.disk_full:
            log.info("disk space back to %.2f: accepting writes", ratio)
        max_ratio = min(max(cfg.diskMaxUsedSpaceRatio, 10), 95) / 100
        space_full = ratio > max_ratio
        forced = cfg.cleanFileForciblyEnable and ratio > cfg.diskSpaceCleanForciblyRatio
        manual = self.manual_runs > 0
        if manual:
            self.manual_runs -= 1
        doomed = []
        if is_deletion_hour(cfg.deleteWhen, now_ms) or space_full or manual:
            reserved_ms = cfg.fileReservedTime * 3600 * 1000
            files = store.commitlog.queue.files
            while len(doomed) < DELETE_FILES_BATCH_MAX and len(files) - len(doomed) > 1:
                mf = files[len(doomed)]
                age_ok = os.path.getmtime(mf.path) * 1000 + reserved_ms <= now_ms
                if not (age_ok or forced):
                    break
                doomed.append(mf)
            del files[:len(doomed)]
        cq_doomed = []
        if doomed:
            cl_min = store.commitlog.min_offset()
            for cq in list(store.consume_queues.values()):
                cq_doomed.extend(cq.detach_expired(cl_min))
            index_doomed = store.index.detach_expired(cl_min)
            why = ("manual" if manual else f"disk used ratio {ratio:.2f}" + (", forced" if forced else "")
                   if space_full else f"deletion hour {cfg.deleteWhen}")
            names = [os.path.basename(mf.path) for mf in doomed]
            log.info("deleting %d expired commit log files (%s; %s): %s; %d consume queue and %d index files "
                     "follow; commit log now starts at %d", len(doomed), why,
                     f"older than {cfg.fileReservedTime} h" if not forced else "age ignored",
                     names[0] if len(names) == 1 else f"{names[0]} .. {names[-1]}", len(cq_doomed),
                     len(index_doomed), cl_min)
            cq_doomed.extend(index_doomed)

        def destroy() -> None:
            for f in doomed + cq_doomed:
                f.destroy()
        return len(doomed), destroy

"""Recovery decisions (CommitLog.recoverNormally / recoverAbnormally), as pure functions over what the files
say, plus the step that applies them."""
from __future__ import annotations

import logging
import struct

from . import message as m
from .commitlog import CommitLog

log = logging.getLogger("store")

_HEAD = struct.Struct(">ii")


def normal_start_index(file_count: int) -> int:
    """A clean shutdown flushed everything: check only the last three files."""
    return max(0, file_count - 3)


def abnormal_start_index(first_record_store_ts: list[int | None], safe_ts: int) -> int:
    """From the newest file backwards, the first whose first record was stored at or before the checkpoint's
    safe time (and is a real message: store time != 0); the first file if none qualifies."""
    for i in range(len(first_record_store_ts) - 1, -1, -1):
        ts = first_record_store_ts[i]
        if ts is not None and ts != 0 and ts <= safe_ts:
            return i
    return 0


def first_record_store_timestamp(commitlog: CommitLog, index: int) -> int | None:
    mf = commitlog.queue.files[index]
    size, magic = _HEAD.unpack_from(mf.mm, 0)
    if magic != m.MESSAGE_MAGIC_CODE or size <= 0:
        return None
    (sys_flag,) = struct.unpack_from(">i", mf.mm, m.SYSFLAG_POSITION)
    return struct.unpack_from(">q", mf.mm, m.store_timestamp_position(sys_flag))[0]


def recover_commitlog(commitlog: CommitLog, last_exit_ok: bool, safe_ts: int, check_crc: bool) -> tuple[int, int]:
    """Find the end of valid data and cut everything after it. Returns (start offset of the re-dispatch, valid
    end offset). After a clean exit nothing needs re-dispatching beyond what consume queues already hold; after
    a crash, records from the safe file on are dispatched again (duplicates are ignored)."""
    files = commitlog.queue.files
    if not files:
        return 0, 0
    if last_exit_ok:
        start = normal_start_index(len(files))
    else:
        stamps = [first_record_store_timestamp(commitlog, i) for i in range(len(files))]
        start = abnormal_start_index(stamps, safe_ts)
    end = commitlog.valid_end(start, check_crc)
    log.debug("commit log recovery (%s): scanned from file %s, valid data ends at %d",
             "normal" if last_exit_ok else "abnormal", files[start].path, end)
    commitlog.queue.truncate_dirty(end)
    if not commitlog.queue.files:
        # everything was invalid: keep an empty first file where the data started
        return 0, end
    return files[start].file_from_offset if start < len(files) else end, end

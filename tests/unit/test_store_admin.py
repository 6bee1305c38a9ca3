"""Store maintenance on request, on a real store in a tmp dir: cleanUnusedTopic, cleanExpiredConsumerQueue,
the manual commit-log deletion (DELETE_EXPIRED_COMMITLOG), remainHowManyDataToFlush."""
from __future__ import annotations

import datetime
import os

from store import message as m
from store.maintenance import clean_expired_consume_queues, clean_unused_topics, remain_to_flush
from tests.support.stores import open_store, small_config


def put(s, topic: str, queue: int = 0, size: int = 200) -> None:
    r = s.put_message(m.StoredMessage(topic=topic, body=b"x" * size, queue_id=queue, properties="TAGS\x01a\x02"))
    assert r.ok


def cq_dir(root, topic: str, queue: int) -> str:
    return os.path.join(root, "consumequeue", topic, str(queue))


def not_this_hour() -> str:
    return str((datetime.datetime.now().hour + 12) % 24).zfill(2)


def test_clean_unused_topics_deletes_the_queues_of_unconfigured_topics(tmp_path):
    s = open_store(small_config(tmp_path / "s"))
    for topic, q in (("Kept", 0), ("Gone", 0), ("Gone", 1), ("SCHEDULE_TOPIC_XXXX", 2),
                     ("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0), ("%LMQ%x", 0)):
        put(s, topic, q)
    s.flush_all()
    assert os.path.isdir(cq_dir(s.root, "Gone", 1))
    gone, destroy = clean_unused_topics(s, ["Kept"])
    destroy()
    assert gone == ["Gone"]
    assert not os.path.exists(cq_dir(s.root, "Gone", 0)) and not os.path.exists(cq_dir(s.root, "Gone", 1))
    # the schedule topic, the transaction op topic and LMQ queues are never cleaned this way
    for topic, q in (("Kept", 0), ("SCHEDULE_TOPIC_XXXX", 2), ("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0), ("%LMQ%x", 0)):
        assert s.max_offset_in_queue(topic, q) == 1 and os.listdir(cq_dir(s.root, topic, q))
    assert s.max_offset_in_queue("Gone", 0) == 0 and ("Gone", 0) not in s.topic_queue_table
    put(s, "Gone", 0)            # a new queue starts over at offset 0 (removeQueueFromTopicQueueTable)
    assert s.max_offset_in_queue("Gone", 0) == 1
    s.close(clean=True)


def test_clean_expired_consume_queues_after_the_commit_log_moved_past_them(tmp_path):
    # 4 KiB commit-log files: "Old" is in the first file only, "New" fills the next ones
    s = open_store(small_config(tmp_path / "s", fileReservedTime=0, deleteWhen=not_this_hour()))
    s.cleanup.disk_ratio = lambda path: 0.1
    for _ in range(3):
        put(s, "Old")
    for _ in range(60):
        put(s, "New")
    s.consume_queue("Empty", 0, create=True)    # a queue with no entry: "maybe created just now", kept
    s.flush_all()
    files_before = len(s.commitlog.queue.files)
    assert files_before > 3
    # not the deletion hour, disk not full: nothing goes until an admin asks (DELETE_EXPIRED_COMMITLOG)
    removed, destroy = s.cleanup.run_once(s.clock())
    destroy()
    assert removed == 0 and len(s.commitlog.queue.files) == files_before
    s.cleanup.request_manual_delete()
    removed, destroy = s.cleanup.run_once(s.clock() + 1000)
    destroy()
    assert removed == files_before - 1           # all expired (fileReservedTime 0) but the newest
    assert s.commitlog.min_offset() > s.consume_queue("Old", 0).max_physic_offset
    gone, destroy = clean_expired_consume_queues(s)
    destroy()
    assert gone == [("Old", 0)]
    assert not os.path.exists(cq_dir(s.root, "Old", 0)) and s.consume_queue("Old", 0) is None
    assert s.consume_queue("Empty", 0) is not None
    # "New" still has entries in the remaining file: kept
    assert s.consume_queue("New", 0) is not None and s.max_offset_in_queue("New", 0) == 60
    s.close(clean=True)


def test_manual_delete_lasts_twenty_passes_and_keeps_unexpired_files(tmp_path):
    s = open_store(small_config(tmp_path / "s", fileReservedTime=1, deleteWhen=not_this_hour()))
    s.cleanup.disk_ratio = lambda path: 0.1
    for _ in range(60):
        put(s, "T")
    n = len(s.commitlog.queue.files)
    s.cleanup.request_manual_delete()
    removed, destroy = s.cleanup.run_once(s.clock())     # files are minutes old, reserved for an hour
    destroy()
    assert removed == 0 and len(s.commitlog.queue.files) == n
    assert s.cleanup.manual_runs == 19
    removed, destroy = s.cleanup.run_once(s.clock() + 2 * 3600 * 1000)   # two hours on: expired now
    destroy()
    assert removed == n - 1
    s.close(clean=True)


def test_remain_to_flush_counts_unflushed_commit_log_bytes(tmp_path):
    s = open_store(small_config(tmp_path / "s"))
    put(s, "T")
    assert remain_to_flush(s) == s.commitlog.max_offset() - s.commitlog.min_offset()
    s.flush_all()
    assert remain_to_flush(s) == 0
    s.close(clean=True)

"""Store maintenance on request (DefaultMessageStore.java's cleanExpiredConsumerQueue, cleanUnusedTopic and
remainHowManyDataToFlush); the manual commit-log deletion is CleanupService.request_manual_delete.

The table changes happen on the caller's thread (the loop); unmapping and unlinking the files is returned
as one job for the store's I/O thread, as store/cleanup.py does.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Iterable

from .dispatch import SCHEDULE_TOPIC

if TYPE_CHECKING:
    from .consume_queue import ConsumeQueue
    from .message_store import MessageStore

log = logging.getLogger("store")

TRANS_OP_HALF_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
LMQ_PREFIX = "%LMQ%"


def _drop(store: "MessageStore", doomed: list["ConsumeQueue"]) -> Callable[[], None]:
    for cq in doomed:
        store.consume_queues.pop((cq.topic, cq.queue_id), None)
        store.topic_queue_table.pop((cq.topic, cq.queue_id), None)   # removeQueueFromTopicQueueTable

    def destroy() -> None:
        for cq in doomed:
            cq.destroy()
    return destroy


def clean_expired_consume_queues(store: "MessageStore") -> tuple[list[tuple[str, int]], Callable[[], None]]:
    """cleanExpiredConsumerQueue: every consume queue (the schedule topic's excepted) whose last entry ends
    below the commit log's first offset points only at deleted data and goes; a queue with no entry (-1:
    maybe created just now) stays. Returns the (topic, queue id) removed and the job deleting their files."""
    cl_min = store.commitlog.min_offset()
    doomed = []
    for (topic, queue_id), cq in list(store.consume_queues.items()):
        if topic == SCHEDULE_TOPIC:
            continue
        last = cq.max_physic_offset      # getLastOffset: end of the last entry, -1 with none
        if last == -1:
            log.warning("maybe ConsumeQueue was created just now. topic=%s queueId=%d", topic, queue_id)
        elif last < cl_min:
            log.info("cleanExpiredConsumerQueue: %s %d consumer queue destroyed, minCommitLogOffset: %d "
                     "maxCLOffsetInConsumeQueue: %d", topic, queue_id, cl_min, last)
            doomed.append(cq)
    return [(cq.topic, cq.queue_id) for cq in doomed], _drop(store, doomed)


def clean_unused_topics(store: "MessageStore", topics: Iterable[str]) -> tuple[list[str], Callable[[], None]]:
    """cleanUnusedTopic: the consume queues of every topic not in `topics` (the broker's topic configs) go,
    except the schedule topic's, the transaction op topic's and LMQ ones. Returns the topics removed and the
    job deleting their files."""
    keep = set(topics)
    doomed = [cq for (topic, _q), cq in list(store.consume_queues.items())
              if topic not in keep and topic != SCHEDULE_TOPIC and topic != TRANS_OP_HALF_TOPIC
              and not topic.startswith(LMQ_PREFIX)]
    gone = sorted({cq.topic for cq in doomed})
    for topic in gone:
        log.info("cleanUnusedTopic: %s,topic destroyed", topic)
    return gone, _drop(store, doomed)


def remain_to_flush(store: "MessageStore") -> int:
    """remainHowManyDataToFlush: commit-log bytes written but not yet flushed."""
    queue = store.commitlog.queue
    return sum(max(0, mf.wrote_position - mf.flushed_position) for mf in queue.files[-2:])

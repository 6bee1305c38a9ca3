"""Consumer lag as the cloud consoles and 5.x's ConsumerLagCalculator define it, per (group, topic), summed
over the topic's queues:

- lag = max offset - committed offset; inflight = pulled - committed; ready = max offset - pulled
  (so lag = inflight + ready), where "pulled" is the next offset after the group's last pull of the queue
  (never below the committed offset: a commit past it, or a pull the broker never saw, moves it up);
- messages retention deleted before the group consumed them (committed offset below the queue's min offset)
  are `expired`, apart from lag: lag counts from the min offset then;
- lag latency = now - store time of the oldest unconsumed message; queueing latency = now - store time of
  the oldest message not yet pulled. A timed or transactional message is in its topic's queue from the time
  it became ready (the timer's or the commit's put), so its store time is its ready time.

Only queues the group has committed offsets for count (a group that never committed on a queue has no
position there). Runs at scrape time: two offset reads per queue, one message read per lagging queue."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol


class QueueStore(Protocol):
    def min_offset_in_queue(self, topic: str, queue_id: int) -> int: ...
    def max_offset_in_queue(self, topic: str, queue_id: int) -> int: ...


@dataclass
class GroupLag:
    group: str
    topic: str
    lag: int = 0
    inflight: int = 0
    ready: int = 0
    expired: int = 0
    oldest_unconsumed_ms: int = 0       # store time; 0: nothing unconsumed
    oldest_unpulled_ms: int = 0


def consumer_lags(offset_table: dict[str, dict[int, int]], pulled: dict[tuple[str, str, int], int],
                  store: QueueStore, store_time: Callable[[str, int, int], int]) -> list[GroupLag]:
    """`offset_table`: "topic@group" -> {queue id: committed offset} (ConsumerOffsetManager's table);
    `pulled`: (group, topic, queue id) -> next offset after the last pull; `store_time(topic, queue id,
    offset)`: the store time of the message at that queue offset (0 when unknown)."""
    out = []
    for key, queues in offset_table.items():
        topic, _, group = key.partition("@")
        r = GroupLag(group, topic)
        for queue_id, committed in queues.items():
            if committed < 0:
                continue
            top = store.max_offset_in_queue(topic, queue_id)
            low = store.min_offset_in_queue(topic, queue_id)
            start = min(max(committed, low), top)        # the first message the group has yet to consume
            r.expired += max(0, min(low, top) - committed)
            at = min(max(pulled.get((group, topic, queue_id), start), start), top)
            r.lag += top - start
            r.inflight += at - start
            r.ready += top - at
            if top > start:
                r.oldest_unconsumed_ms = _older(r.oldest_unconsumed_ms, store_time(topic, queue_id, start))
            if top > at:
                r.oldest_unpulled_ms = _older(r.oldest_unpulled_ms, store_time(topic, queue_id, at))
        out.append(r)
    return out


def _older(current: int, candidate: int) -> int:
    if candidate <= 0:
        return current
    return candidate if current == 0 else min(current, candidate)

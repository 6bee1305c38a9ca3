"""BrokerStatsManager (Apache RocketMQ store.stats): the named StatsItemSets VIEW_BROKER_STATS_DATA reads and
mqadmin statsAll builds its table from, and BrokerStats, the put/get totals at each midnight for
GET_BROKER_RUNTIME_INFO.

Keys as Java builds them: TOPIC_PUT_* by topic, GROUP_GET_* / SNDBCK_PUT_NUMS / GROUP_GET_LATENCY by
"topic@group", BROKER_*_NUMS by cluster name. The send, pull and send-back paths call `put`, `got` and
`sent_back` once per request: a dict look-up (two for a pull) and three or four list-item increments, no key
string built, no clock read (the pull's latency excepted: one monotonic read around the store's get). The GROUP_GET_FROM_DISK_* / BROKER_GET_FROM_DISK_* sets and the commercial
ones exist (4.9.7 registers them) but, as in 4.9.7's broker, nothing adds to them; the per-queue sets
(enableDetailStat) are not kept.
"""
from __future__ import annotations

import asyncio
import datetime
import logging
import time
from typing import Callable

from .items import HOUR_PERIOD_MS, MINUTES_PERIOD_MS, SECONDS_PERIOD_MS, StatsItem, StatsItemSet, SumItem

log = logging.getLogger("broker")

TOPIC_PUT_NUMS = "TOPIC_PUT_NUMS"
TOPIC_PUT_SIZE = "TOPIC_PUT_SIZE"
GROUP_GET_NUMS = "GROUP_GET_NUMS"
GROUP_GET_SIZE = "GROUP_GET_SIZE"
GROUP_GET_LATENCY = "GROUP_GET_LATENCY"
SNDBCK_PUT_NUMS = "SNDBCK_PUT_NUMS"
BROKER_PUT_NUMS = "BROKER_PUT_NUMS"
BROKER_GET_NUMS = "BROKER_GET_NUMS"
GROUP_GET_FROM_DISK_NUMS = "GROUP_GET_FROM_DISK_NUMS"
GROUP_GET_FROM_DISK_SIZE = "GROUP_GET_FROM_DISK_SIZE"
BROKER_GET_FROM_DISK_NUMS = "BROKER_GET_FROM_DISK_NUMS"
BROKER_GET_FROM_DISK_SIZE = "BROKER_GET_FROM_DISK_SIZE"
COMMERCIAL = ("COMMERCIAL_SEND_TIMES", "COMMERCIAL_RCV_TIMES", "COMMERCIAL_SEND_SIZE", "COMMERCIAL_RCV_SIZE",
              "COMMERCIAL_RCV_EPOLLS", "COMMERCIAL_SNDBCK_TIMES", "COMMERCIAL_PERM_FAILURES")
STATS_NAMES = (TOPIC_PUT_NUMS, TOPIC_PUT_SIZE, GROUP_GET_NUMS, GROUP_GET_SIZE, GROUP_GET_LATENCY, SNDBCK_PUT_NUMS,
               BROKER_PUT_NUMS, BROKER_GET_NUMS, GROUP_GET_FROM_DISK_NUMS, GROUP_GET_FROM_DISK_SIZE,
               BROKER_GET_FROM_DISK_NUMS, BROKER_GET_FROM_DISK_SIZE) + COMMERCIAL
SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX"


def _now_ms() -> int:
    return int(time.time() * 1000)


class BrokerStatsManager:
    """The hot paths (compiled send and pull) add to the counter lists directly: `topic_put[topic]` is
    [messages, calls, bytes] (TOPIC_PUT_NUMS and TOPIC_PUT_SIZE), `group_get[topic][group]` is
    [messages, calls, bytes, latency ms] (GROUP_GET_NUMS / _SIZE / _LATENCY); a miss goes through
    `put_counter` / `get_counter`, which create the items. BROKER_PUT_NUMS and BROKER_GET_NUMS are sums of
    those, computed when sampled."""

    def __init__(self, cluster_name: str, clock: Callable[[], int] = _now_ms) -> None:
        self.cluster_name = cluster_name
        self.clock = clock
        self.sets = {name: StatsItemSet(name, clock) for name in STATS_NAMES}
        self.topic_put: dict[str, list[int]] = {}
        self.group_get: dict[str, dict[str, list[int]]] = {}
        # what the broker-wide sums must not lose or must not count: deleted items' messages, and the send-back
        # puts into the schedule topic (counted for the topic, not for the broker, as in Java)
        self._put_retired = 0
        self._get_retired = 0
        self.send_back_schedule = [0, 0]    # the send-back puts into the schedule topic: [messages, bytes]
        self._tasks: list[asyncio.Task] = []

    # ------------------------------------------------------------ the hot paths (once per request)
    def put(self, topic: str, num: int, size: int) -> None:
        """A stored send (handlePutMessageResult): incTopicPutNums(num, 1 call), incTopicPutSize, incBrokerPutNums
        (the compiled send path does the same three increments inline)."""
        c = self.topic_put.get(topic)
        if c is None:
            c = self.put_counter(topic)
        c[0] += num
        c[1] += 1
        c[2] += size

    def put_counter(self, topic: str) -> list[int]:
        c = self.topic_put.get(topic)
        if c is None:
            c = self.topic_put[topic] = [0, 0, 0]
            self.sets[TOPIC_PUT_NUMS].items[topic] = StatsItem(TOPIC_PUT_NUMS, topic, c, 0, 1)
            self.sets[TOPIC_PUT_SIZE].items[topic] = StatsItem(TOPIC_PUT_SIZE, topic, c, 2, 1)
            broker = self.sets[BROKER_PUT_NUMS]
            if self.cluster_name not in broker.items:
                broker.items[self.cluster_name] = SumItem(BROKER_PUT_NUMS, self.cluster_name, self._broker_put_total)
        return c

    def _broker_put_total(self) -> int:
        return sum(c[0] for c in self.topic_put.values()) + self._put_retired - self.send_back_schedule[0]

    def got(self, topic: str, group: str, num: int, size: int, latency_ms: int) -> None:
        """A pull answered with messages: incGroupGetNums / Size, incBrokerGetNums, incGroupGetLatency (the
        compiled pull path does the same increments inline)."""
        by_group = self.group_get.get(topic)
        c = by_group.get(group) if by_group is not None else None
        if c is None:
            c = self.get_counter(topic, group)
        c[0] += num
        c[1] += 1
        c[2] += size
        c[3] += latency_ms

    def get_counter(self, topic: str, group: str) -> list[int]:
        by_group = self.group_get.setdefault(topic, {})
        c = by_group.get(group)
        if c is None:
            c = by_group[group] = [0, 0, 0, 0]
            key = f"{topic}@{group}"
            self.sets[GROUP_GET_NUMS].items[key] = StatsItem(GROUP_GET_NUMS, key, c, 0, 1)
            self.sets[GROUP_GET_SIZE].items[key] = StatsItem(GROUP_GET_SIZE, key, c, 2, 1)
            self.sets[GROUP_GET_LATENCY].items[key] = StatsItem(GROUP_GET_LATENCY, key, c, 3, 1)
            broker = self.sets[BROKER_GET_NUMS]
            if self.cluster_name not in broker.items:
                broker.items[self.cluster_name] = SumItem(BROKER_GET_NUMS, self.cluster_name, self._broker_get_total)
        return c

    def _broker_get_total(self) -> int:
        return sum(c[0] for by_group in self.group_get.values() for c in by_group.values()) + self._get_retired

    def sent_back(self, group: str, back_topic: str, stored_topic: str, size: int) -> None:
        """CONSUMER_SEND_MSG_BACK stored: SNDBCK_PUT_NUMS by "<original topic>@group"; a retry put into the
        schedule topic is also a put to that topic (one message, one call), as Java counts it."""
        self.sets[SNDBCK_PUT_NUMS].add(f"{back_topic}@{group}", 1, 1)
        if stored_topic == SCHEDULE_TOPIC:
            c = self.put_counter(stored_topic)
            c[0] += 1
            c[1] += 1
            c[2] += size
            self.send_back_schedule[0] += 1
            self.send_back_schedule[1] += size

    # ------------------------------------------------------------ reading
    def item(self, name: str, key: str) -> StatsItem | None:
        """getStatsItem: None for an unknown name or key."""
        items = self.sets.get(name)
        return items.get(key) if items is not None else None

    # ------------------------------------------------------------ deletions (autoDeleteUnusedStats)
    def on_topic_deleted(self, topic: str) -> None:
        s = self.sets
        c = self.topic_put.pop(topic, None)
        if c is not None:
            self._put_retired += c[0]
        for c in (self.group_get.pop(topic, None) or {}).values():
            self._get_retired += c[0]
        s[TOPIC_PUT_NUMS].delete(topic)
        s[TOPIC_PUT_SIZE].delete(topic)
        s[GROUP_GET_NUMS].delete_by_prefix(topic)
        s[GROUP_GET_SIZE].delete_by_prefix(topic)
        s[SNDBCK_PUT_NUMS].delete_by_prefix(topic)
        # Java deletes by "@topic@" here, which its queue-less "topic@group" keys never contain: they stay
        s[GROUP_GET_LATENCY].delete_by_infix(topic)

    def on_group_deleted(self, group: str) -> None:
        s = self.sets
        for name in (GROUP_GET_NUMS, GROUP_GET_SIZE, SNDBCK_PUT_NUMS, GROUP_GET_LATENCY):
            s[name].delete_by_suffix(group)
        for by_group in self.group_get.values():
            c = by_group.pop(group, None)
            if c is not None:
                self._get_retired += c[0]

    # ------------------------------------------------------------ sampling
    def sample_seconds(self, now_ms: int | None = None) -> None:
        now = self.clock() if now_ms is None else now_ms
        for items in self.sets.values():
            items.sample_seconds(now)

    def sample_minutes(self, now_ms: int | None = None) -> None:
        now = self.clock() if now_ms is None else now_ms
        for items in self.sets.values():
            items.sample_minutes(now)

    def sample_hour(self, now_ms: int | None = None) -> None:
        now = self.clock() if now_ms is None else now_ms
        for items in self.sets.values():
            items.sample_hour(now)

    def start(self, daily: "DailyTotals | None" = None) -> None:
        """StatsItemSet.init's schedule (each sampler first at once, then every 10 s / 10 min / 1 h) and, with
        `daily`, BrokerStats.record at every local midnight."""
        for period_ms, job in ((SECONDS_PERIOD_MS, self.sample_seconds), (MINUTES_PERIOD_MS, self.sample_minutes),
                               (HOUR_PERIOD_MS, self.sample_hour)):
            self._tasks.append(asyncio.create_task(_every(0.0, lambda p=period_ms: p / 1000, job)))
        if daily is not None:
            self._tasks.append(asyncio.create_task(_every(seconds_to_next_morning(), lambda: 86400.0, daily.record)))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


async def _every(first: float, period: Callable[[], float], job: Callable[[], None]) -> None:
    await asyncio.sleep(first)
    while True:
        try:
            job()
        except Exception:  # noqa: BLE001 - a failed sample never stops the sampler
            log.exception("stats job failed")
        await asyncio.sleep(period())


def seconds_to_next_morning(now: datetime.datetime | None = None) -> float:
    """UtilAll.computeNextMorningTimeMillis: the next local midnight."""
    now = now or datetime.datetime.now()
    tomorrow = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


class DailyTotals:
    """BrokerStats: the store's put total and get (transferred) total as they were at the last two midnights;
    "today now" is the running total."""

    def __init__(self, store_stats: dict[str, int]) -> None:
        self.store_stats = store_stats
        self.put_yesterday_morning = 0
        self.put_today_morning = 0
        self.get_yesterday_morning = 0
        self.get_today_morning = 0

    def record(self) -> None:
        self.put_yesterday_morning = self.put_today_morning
        self.get_yesterday_morning = self.get_today_morning
        self.put_today_morning = self.store_stats["put_messages"]
        self.get_today_morning = self.store_stats["get_messages"]
        log.info("yesterday put message total: %d", self.put_today_morning - self.put_yesterday_morning)
        log.info("yesterday get message total: %d", self.get_today_morning - self.get_yesterday_morning)

    def runtime_info(self) -> dict[str, str]:
        return {"msgPutTotalYesterdayMorning": str(self.put_yesterday_morning),
                "msgPutTotalTodayMorning": str(self.put_today_morning),
                "msgPutTotalTodayNow": str(self.store_stats["put_messages"]),
                "msgGetTotalYesterdayMorning": str(self.get_yesterday_morning),
                "msgGetTotalTodayMorning": str(self.get_today_morning),
                "msgGetTotalTodayNow": str(self.store_stats["get_messages"])}

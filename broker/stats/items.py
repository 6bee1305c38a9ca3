"""Counters sampled into minute / hour / day windows (the StatsItem / StatsItemSet pair of Apache RocketMQ's
common.stats).

An item is a running `value` (messages, bytes, ms) and `times` (calls), two slots of a plain list (`counter`)
the item may share with its sibling items (a topic's put count and put size share one list and its call
count): the hot paths add to list items, the cheapest increment there is. A sampler takes (timestamp, times, value) snapshots: every 10 s into the minute list (7 kept: one
minute), every 10 min into the hour list (7 kept), every hour into the day list (25 kept). A window's figures
are last minus first snapshot: `sum`, `tps` = sum per second over the span, `avgpt` = sum per call. The first
snapshot of a list is a zero one dated one period earlier, as Java seeds it, so a window reads the totals
since the item appeared.
"""
from __future__ import annotations

from typing import Callable, Iterator

MINUTE_KEEP = 7     # 10 s samples: one minute
HOUR_KEEP = 7       # 10 min samples: one hour
DAY_KEEP = 25       # 1 h samples: one day

SECONDS_PERIOD_MS = 10 * 1000
MINUTES_PERIOD_MS = 10 * 60 * 1000
HOUR_PERIOD_MS = 60 * 60 * 1000


class StatsSnapshot:
    __slots__ = ("sum", "tps", "avgpt", "times")

    def __init__(self, total: int = 0, tps: float = 0.0, avgpt: float = 0.0, times: int = 0) -> None:
        self.sum = total
        self.tps = tps
        self.avgpt = avgpt
        self.times = times

    def to_json(self) -> dict:
        """BrokerStatsItem's fields (fastjson writes them sorted: avgpt, sum, tps)."""
        return {"avgpt": self.avgpt, "sum": self.sum, "tps": self.tps}


def compute(samples: list[tuple[int, int, int]]) -> StatsSnapshot:
    """StatsItem.computeStatsData over (timestamp ms, times, value) snapshots."""
    if not samples:
        return StatsSnapshot()
    first, last = samples[0], samples[-1]
    total = last[2] - first[2]
    span = last[0] - first[0]
    # Java divides a double by a long: a zero span gives Infinity (or NaN for 0/0); never here, as a list
    # always starts with its seed one period earlier
    tps = total * 1000.0 / span if span else 0.0
    times = last[1] - first[1]
    return StatsSnapshot(total, tps, total / times if times > 0 else 0.0, times)


class StatsItem:
    __slots__ = ("name", "key", "counter", "vi", "ti", "minute", "hour", "day")

    def __init__(self, name: str, key: str, counter: list[int] | None = None, vi: int = 0, ti: int = 1) -> None:
        self.name = name
        self.key = key
        self.counter = counter if counter is not None else [0, 0]
        self.vi = vi      # where in `counter` the value is
        self.ti = ti      # and the call count
        self.minute: list[tuple[int, int, int]] = []
        self.hour: list[tuple[int, int, int]] = []
        self.day: list[tuple[int, int, int]] = []

    @property
    def value(self) -> int:
        return self.counter[self.vi]

    @value.setter
    def value(self, v: int) -> None:
        self.counter[self.vi] = v

    @property
    def times(self) -> int:
        return self.counter[self.ti]

    @times.setter
    def times(self, v: int) -> None:
        self.counter[self.ti] = v

    def _sample(self, samples: list, now_ms: int, period_ms: int, keep: int) -> None:
        if not samples:
            samples.append((now_ms - period_ms, 0, 0))
        samples.append((now_ms, self.times, self.value))
        if len(samples) > keep:
            del samples[0]

    def sample_seconds(self, now_ms: int) -> None:
        self._sample(self.minute, now_ms, SECONDS_PERIOD_MS, MINUTE_KEEP)

    def sample_minutes(self, now_ms: int) -> None:
        self._sample(self.hour, now_ms, MINUTES_PERIOD_MS, HOUR_KEEP)

    def sample_hour(self, now_ms: int) -> None:
        self._sample(self.day, now_ms, HOUR_PERIOD_MS, DAY_KEEP)

    def in_minute(self) -> StatsSnapshot:
        return compute(self.minute)

    def in_hour(self) -> StatsSnapshot:
        return compute(self.hour)

    def in_day(self) -> StatsSnapshot:
        return compute(self.day)


class SumItem(StatsItem):
    """An item whose value is computed when read (a broker-wide total of per-topic counters): no increment of
    its own on the hot paths; no call count, as Java's incBrokerPutNums / incBrokerGetNums add none."""
    __slots__ = ("source",)

    def __init__(self, name: str, key: str, source: Callable[[], int]) -> None:
        StatsItem.__init__(self, name, key)
        self.source = source

    @property
    def value(self) -> int:
        return self.source()

    @property
    def times(self) -> int:
        return 0


class StatsItemSet:
    """The items of one stats name, by key. `item(key)` creates on first use (getAndCreateStatsItem); the
    hot paths keep the item they get and add to it directly."""

    def __init__(self, name: str, clock: Callable[[], int]) -> None:
        self.name = name
        self.items: dict[str, StatsItem] = {}
        self.clock = clock

    def item(self, key: str) -> StatsItem:
        it = self.items.get(key)
        if it is None:
            it = self.items[key] = StatsItem(self.name, key)
        return it

    def add(self, key: str, value: int, times: int) -> None:
        it = self.items.get(key)
        if it is None:
            it = self.items[key] = StatsItem(self.name, key)
        c = it.counter
        c[it.vi] += value
        c[it.ti] += times

    def get(self, key: str) -> StatsItem | None:
        return self.items.get(key)

    def __iter__(self) -> Iterator[StatsItem]:
        return iter(list(self.items.values()))

    def sample_seconds(self, now_ms: int) -> None:
        for it in self:
            it.sample_seconds(now_ms)

    def sample_minutes(self, now_ms: int) -> None:
        for it in self:
            it.sample_minutes(now_ms)

    def sample_hour(self, now_ms: int) -> None:
        for it in self:
            it.sample_hour(now_ms)

    # the deletions of onTopicDeleted / onGroupDeleted
    def delete(self, key: str) -> None:
        self.items.pop(key, None)

    def delete_by_prefix(self, key: str, sep: str = "@") -> None:
        self._delete_where(lambda k: k.startswith(key + sep))

    def delete_by_infix(self, key: str, sep: str = "@") -> None:
        self._delete_where(lambda k: (sep + key + sep) in k)

    def delete_by_suffix(self, key: str, sep: str = "@") -> None:
        self._delete_where(lambda k: k.endswith(sep + key))

    def _delete_where(self, doomed: Callable[[str], bool]) -> None:
        for k in [k for k in self.items if doomed(k)]:
            del self.items[k]

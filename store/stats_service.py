"""The store's figures (StoreStatsService.java): put / get totals, TPS over the last 10 s / 1 min / 10 min,
the put latency distribution of the last full minute with its p99 / p99.9, the longest put and get.

The put and get paths only add to `MessageStore.stats` (a dict) and to `put_latency` (a list indexed by
milliseconds: one item increment per put); everything else is computed here, on a sample taken once a second
and on each runtime-info request.
"""
from __future__ import annotations

import bisect
import collections
import decimal
from typing import Callable

SAMPLES_KEPT = 600 + 1            # MAX_RECORDS_OF_SAMPLING + 1: ten minutes of one-second samples
PRINT_INTERVAL_MS = 60 * 1000     # the distribution and percentile buckets roll over once a minute
LATENCY_SLOTS = 10_002            # put_latency[ms] for 0..10000 ms, the last slot for longer puts

DISTRIBUTION_DESC = ("[<=0ms]", "[0~10ms]", "[10~50ms]", "[50~100ms]", "[100~200ms]", "[200~500ms]",
                     "[500ms~1s]", "[1~2s]", "[2~3s]", "[3~4s]", "[4~5s]", "[5~10s]", "[10s~]")
_DISTRIBUTION_LIMITS = (1, 10, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000, 10000)   # value < limit


def _percentile_bounds() -> list[int]:
    """The upper bounds of StoreStatsService's percentile buckets: steps of 1 ms up to 20, 2 to 50, 5 to 100,
    10 to 200, 50 to 500, 100 to 1000, 1000 to 10000; then one open bucket."""
    bounds, at = [], 0
    for step, count in ((1, 20), (2, 15), (5, 10), (10, 10), (50, 6), (100, 5), (1000, 9)):
        for _ in range(count):
            at += step
            bounds.append(at)
    return bounds


PERCENTILE_BOUNDS = _percentile_bounds()
_OPEN_BOUND = 2 ** 63 - 1    # Long.MAX_VALUE


def java_double(x: float) -> str:
    """Double.toString: plain decimal in [1e-3, 1e7), else d.dddE<exp>; always a fraction part."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if str(x).startswith("-") else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        s = repr(x)
        if "e" in s or "E" in s:   # repr switches to exponents only below 1e-4: not reached here
            s = format(decimal.Decimal(s), "f")
        return s if "." in s else s + ".0"
    sign, digits, exp = decimal.Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    e10 = exp + len(digits) - 1
    return f"{'-' if sign else ''}{ds[0]}.{ds[1:] or '0'}E{e10}"


def human_bytes(n: int) -> str:
    """MixAll.humanReadableByteCount(bytes, false)."""
    if n < 1024:
        return f"{n} B"
    exp = 0
    v = n
    while v >= 1024 and exp < 6:
        v /= 1024
        exp += 1
    return f"{n / 1024 ** exp:.1f} {'KMGTPE'[exp - 1]}iB"


class StoreStatsService:
    def __init__(self, stats: dict[str, int], clock: Callable[[], int]) -> None:
        self.stats = stats
        self.clock = clock
        self.boot_ms = clock()
        self.put_latency = [0] * LATENCY_SLOTS     # this minute's puts by elapsed ms (the put path adds here)
        self.last_latency: list[int] | None = None    # the last full minute's (None: no minute passed yet)
        self.put_time_max = 0                     # putMessageEntireTimeMax
        self.get_time_max = 0                     # getMessageEntireTimeMax
        self.dispatch_max_buffer = 0              # Java never sets it in 4.9.7 either: always 0
        # (time ms, puts, gets found, gets missed, messages transferred)
        self.samples: collections.deque[tuple[int, int, int, int, int]] = collections.deque(maxlen=SAMPLES_KEPT)
        self.last_roll_ms = self.boot_ms

    # ------------------------------------------------------------ sampling (once a second)
    def sample(self, now_ms: int | None = None) -> None:
        now = self.clock() if now_ms is None else now_ms
        st = self.stats
        found = st["get_found"]
        self.samples.append((now, st["put_messages"], found, st["get_calls"] - found, st["get_messages"]))
        if now > self.last_roll_ms + PRINT_INTERVAL_MS:
            self.roll_minute(now)

    def roll_minute(self, now_ms: int) -> None:
        """printTps: the minute's latency figures become the reported ones; a new minute starts."""
        self.last_roll_ms = now_ms
        self.last_latency = self.put_latency
        self.put_latency = [0] * LATENCY_SLOTS

    # ------------------------------------------------------------ figures
    def _tps(self, column: int, seconds: int) -> float | None:
        """CallSnapshot.getTPS between the last sample and the one `seconds` samples before it. Java answers ""
        until that many samples exist; here the oldest sample stands in (None only with fewer than two), so a
        young broker reports its rate at once instead of an empty token mqadmin cannot parse."""
        samples = self.samples
        if len(samples) < 2:
            return None
        last = samples[-1]
        first = samples[-(seconds + 1)] if len(samples) > seconds else samples[0]
        span = last[0] - first[0]
        return (last[column] - first[column]) * 1000.0 / span if span > 0 else 0.0

    def _tps_text(self, column: int) -> str:
        return " ".join("" if t is None else java_double(t) for t in (self._tps(column, s) for s in (10, 60, 600)))

    def _total_tps_text(self) -> str:
        out = []
        for s in (10, 60, 600):
            found, miss = self._tps(2, s), self._tps(3, s)
            out.append(java_double((found or 0.0) + (miss or 0.0)))
        return " ".join(out)

    def distribution(self, latency: list[int] | None = None) -> list[int]:
        """The 13 putMessageDistributeTime counts of a per-ms latency list."""
        lat = self.last_latency if latency is None else latency
        counts = [0] * len(DISTRIBUTION_DESC)
        if lat is None:
            return counts
        counts[0] = lat[0]
        lo = 1
        for i, limit in enumerate(_DISTRIBUTION_LIMITS[1:], start=1):
            counts[i] = sum(lat[lo:limit])
            lo = limit
        counts[-1] = sum(lat[lo:])
        return counts

    def distribution_text(self) -> str:
        if self.last_latency is None:
            return "null"    # String.valueOf of Java's null array before the first minute
        return "".join(f"{d}:{n} " for d, n in zip(DISTRIBUTION_DESC, self.distribution()))

    def percentile(self, px: float, latency: list[int] | None = None) -> float:
        """findPutMessageEntireTimePX over the last minute's buckets (linear within the bucket)."""
        lat = self.last_latency if latency is None else latency
        if lat is None:
            return 0.0
        buckets = [0] * (len(PERCENTILE_BOUNDS) + 1)
        for ms, n in enumerate(lat):
            if n:
                # Java's TreeMap.ceilingEntry(ms): the first bound >= ms (0 ms falls in the first bucket)
                buckets[bisect.bisect_left(PERCENTILE_BOUNDS, ms) if ms < LATENCY_SLOTS - 1 else -1] += n
        bounds = PERCENTILE_BOUNDS + [_OPEN_BOUND]
        index = int(sum(buckets) * px)
        passed = 0
        for i, count in enumerate(buckets):
            if index <= passed + count:
                rel = index - passed
                if i == 0:
                    return bounds[0] * rel / count if count else 0.0
                prev = bounds[i - 1]
                return prev + ((bounds[i] - prev) * rel / count if count else 0.0)
            passed += count
        return 0.0

    def runtime(self, now_ms: int) -> str:
        t = max(0, now_ms - self.boot_ms)
        return (f"[ {t // 86_400_000} days, {t % 86_400_000 // 3_600_000} hours, {t % 3_600_000 // 60_000} minutes, "
                f"{t % 60_000 // 1000} seconds ]")

    def runtime_info(self) -> dict[str, str]:
        """StoreStatsService.getRuntimeInfo's keys and formats."""
        st = self.stats
        total = st["put_messages"] or 1      # Java reports 1 for no put at all
        return {
            "bootTimestamp": str(self.boot_ms), "runtime": self.runtime(self.clock()),
            "putMessageEntireTimeMax": str(self.put_time_max), "putMessageTimesTotal": str(total),
            "putMessageFailedTimes": str(st["put_failed"]), "putMessageSizeTotal": str(st["put_bytes"]),
            "putMessageDistributeTime": self.distribution_text(),
            "putMessageAverageSize": java_double(st["put_bytes"] / total),
            "dispatchMaxBuffer": str(self.dispatch_max_buffer), "getMessageEntireTimeMax": str(self.get_time_max),
            "putTps": self._tps_text(1), "getFoundTps": self._tps_text(2), "getMissTps": self._tps_text(3),
            "getTotalTps": self._total_tps_text(), "getTransferedTps": self._tps_text(4),
            "putLatency99": f"{self.percentile(0.99):.2f}", "putLatency999": f"{self.percentile(0.999):.2f}"}

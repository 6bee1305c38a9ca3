"""The charts' data: every pollIntervalSeconds the masters' put/get TPS (runtime info) and each group's lag and
consume TPS (one GET_BROKER_CONSUME_STATS per master; MixAll's built-in groups left out) are sampled and kept for chartWindowSeconds, in memory.
A broker or group missing from a sample loses its series, and a NameServer that does not answer clears them
all: the charts never show a cluster that is gone."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from remoting.errors import RemotingError
from remoting.runtime import cancel_and_wait
from tools.mqadmin.cli import CommandError
from tools.mqadmin.client import AdminClient
from tools.mqadmin.export_cmds import SYS_GROUP_PREFIX, SYSTEM_GROUPS

from . import cluster

log = logging.getLogger("console")

Point = tuple[float, float, float]      # (unix time, value a, value b)


class History:
    def __init__(self, admin: AdminClient, interval_s: float, window_s: float, clock=time.time) -> None:
        self.admin = admin
        self.interval_s = interval_s
        self.window_s = window_s
        self.clock = clock
        self.brokers: dict[str, deque[Point]] = {}     # "cluster/broker" -> (t, put tps, get tps)
        self.groups: dict[str, deque[Point]] = {}      # group -> (t, lag, consume tps)
        self.error = ""
        self.samples = 0
        self.lags: dict[str, cluster.GroupLag] = {}     # the last sample's lag of every group (system ones too)
        self.lags_at = 0.0                               # when it was taken (monotonic), 0: none
        self._task: asyncio.Task | None = None
        self._sampled = asyncio.Condition()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            await self.sample()
            await asyncio.sleep(max(0.0, self.interval_s - (time.monotonic() - started)))

    async def sample(self) -> None:
        now = self.clock()
        try:
            rows = cluster.masters(await cluster.brokers(self.admin))
            answering = [r for r in rows if not r.error]
            lags = await cluster.group_lags(self.admin, [r.addr for r in answering]) if answering else {}
        except (CommandError, RemotingError, OSError) as e:
            self.error = str(e)
            self.brokers.clear()
            self.groups.clear()
            self.lags, self.lags_at = {}, 0.0
            log.warning("charts: sample failed, series cleared: %s", e)
        else:
            self.error = ""
            self.lags, self.lags_at = lags, time.monotonic()
            self._put(self.brokers, {f"{r.cluster}/{r.name}": (r.tps("putTps"), r.tps("getTransferedTps"))
                                     for r in answering}, now)
            self._put(self.groups, {g: (float(v.lag), v.tps) for g, v in lags.items()
                                    if g not in SYSTEM_GROUPS and not g.startswith(SYS_GROUP_PREFIX)}, now)
        self.samples += 1
        async with self._sampled:
            self._sampled.notify_all()

    def _put(self, table: dict[str, deque[Point]], values: dict[str, tuple[float, float]], now: float) -> None:
        for gone in set(table) - set(values):
            del table[gone]
        horizon = now - self.window_s
        for key, (a, b) in values.items():
            series = table.setdefault(key, deque())
            series.append((now, a, b))
            while series and series[0][0] < horizon:
                series.popleft()

    def recent_lags(self) -> dict[str, "cluster.GroupLag"] | None:
        """The last sample's lags if it is at most two intervals old (the group list shows them, and its time,
        instead of asking every broker for every queue again: a megabyte each with 200 groups); else None."""
        if self.lags_at and time.monotonic() - self.lags_at <= 2 * self.interval_s:
            return self.lags
        return None

    async def wait_sample(self, timeout: float) -> None:
        """Until the next sample is taken (the charts' JSON can ask for fresh data)."""
        async with self._sampled:
            await asyncio.wait_for(self._sampled.wait(), timeout)

    def series(self, kind: str) -> dict[str, list[Point]]:
        table = self.brokers if kind == "brokers" else self.groups
        return {k: list(v) for k, v in sorted(table.items())}

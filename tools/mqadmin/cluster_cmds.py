"""clusterList (Apache's ClusterListSubCommand): every broker of every cluster with its runtime figures, or
`-m` the day totals; `-i N` repeats every N seconds."""
from __future__ import annotations

import asyncio
import time

from .cli import CommandError, Ctx, Opt, SubCommand, java_hash_order
from .client import runtime_info


def _first_float(s: str | None) -> float:
    try:
        return float((s or "").split(" ")[0])
    except ValueError:
        return 0.0


def _long(table: dict, key: str) -> int:
    return int(table[key])


async def _rows(ctx: Ctx):
    """(cluster, brokerName, brokerId, addr, runtime table or None) in cluster / broker name / id order."""
    info = await ctx.admin.cluster_info()
    for cluster in java_hash_order(info.clusterAddrTable):   # a HashMap in Java; broker names a TreeSet
        for name in sorted(info.clusterAddrTable[cluster]):
            bd = info.brokerAddrTable.get(name)
            if bd is None:
                continue
            for bid, addr in sorted(bd.brokerAddrs.items()):
                try:
                    table = await runtime_info(ctx.admin, addr)
                except CommandError:
                    table = None
                yield cluster, name, bid, addr, table


async def _print_base(ctx: Ctx) -> None:
    fmt = "{:<16}  {:<22}  {:<4}  {:<22} {:<16} {:>19} {:>19} {:>10} {:>5} {:>6}"
    print(fmt.format("#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)",
                     "#PCWait(ms)", "#Hour", "#SPACE"))
    async for cluster, name, bid, addr, t in _rows(ctx):
        t = t or {}
        hour = space = 0.0
        earliest = t.get("earliestMessageTimeStamp")
        if earliest:
            hour = (time.time() * 1000 - int(earliest)) / 1000.0 / 60.0 / 60.0
        if t.get("commitLogDiskRatio"):
            space = float(t["commitLogDiskRatio"])
        intps = f"{_first_float(t.get('putTps')):9.2f}({t.get('sendThreadPoolQueueSize')}," \
                f"{t.get('sendThreadPoolQueueHeadWaitTimeMills')}ms)"
        outtps = f"{_first_float(t.get('getTransferedTps')):9.2f}({t.get('pullThreadPoolQueueSize')}," \
                 f"{t.get('pullThreadPoolQueueHeadWaitTimeMills')}ms)"
        print(fmt.format(cluster, name, bid, addr, t.get("brokerVersionDesc", "null"), intps, outtps,
                         t.get("pageCacheLockTimeMills", "null"), f"{hour:2.2f}", f"{space:.4f}"))


async def _print_more(ctx: Ctx) -> None:
    print(f"{'#Cluster Name':<16}  {'#Broker Name':<32} {'#InTotalYest':>14} {'#OutTotalYest':>14} "
          f"{'#InTotalToday':>14} {'#OutTotalToday':>14}")
    async for cluster, name, _bid, _addr, t in _rows(ctx):
        figures = [0, 0, 0, 0]
        try:
            figures = [_long(t, "msgPutTotalTodayMorning") - _long(t, "msgPutTotalYesterdayMorning"),
                       _long(t, "msgGetTotalTodayMorning") - _long(t, "msgGetTotalYesterdayMorning"),
                       _long(t, "msgPutTotalTodayNow") - _long(t, "msgPutTotalTodayMorning"),
                       _long(t, "msgGetTotalTodayNow") - _long(t, "msgGetTotalTodayMorning")]
        except (TypeError, KeyError, ValueError):
            pass
        print(f"{cluster:<16}  {name:<32} " + " ".join(f"{x:>14}" for x in figures))


async def cluster_list(ctx: Ctx) -> None:
    interval = ctx.int("i") if ctx.has("i") else None
    first = True
    while first or interval is not None:
        if not first:
            await asyncio.sleep(interval)
        first = False
        await (_print_more(ctx) if ctx.has("m") else _print_base(ctx))


COMMANDS = [
    SubCommand("clusterList", "List all of clusters", "ClusterListSubCommand", [
        Opt("i", "interval", "specify intervals numbers, it is in seconds"),
        Opt("m", "moreStats", "Print more stats", has_arg=False),
    ], cluster_list),
]

"""statsAll (per topic and consumer group: accumulation, in/out TPS, messages in 24 hours, from
VIEW_BROKER_STATS_DATA) and startMonitoring (tools/mqadmin/monitor.py)."""
from __future__ import annotations

import sys

from remoting import fastjson
from remoting.codes import RequestCode

from . import adminext as ax
from . import monitor
from .cli import CommandError, Ctx, Opt, SubCommand
from store.message import java_hashmap_order

from .msgfmt import RETRY_PREFIX, front

DLQ_PREFIX = "%DLQ%"
HEAD = (f"{'#Topic':<64}  {'#Consumer Group':<64} {'#Accumulation':>12} {'#InTPS':>11} {'#OutTPS':>11} "
        f"{'#InMsg24Hour':>14} {'#OutMsg24Hour':>14}\n")


def sum_24h(bsd: dict) -> int:
    """compute24HourSum: the day's sum, else the hour's, else the minute's."""
    for k in ("statsDay", "statsHour", "statsMinute"):
        s = int((bsd.get(k) or {}).get("sum", 0) or 0)
        if s != 0:
            return s
    return 0


def format_group_row(topic: str, group: str, accumulate: int, in_tps: float, out_tps: float, in_24h: int,
                     out_24h: int) -> str:
    return (f"{front(topic, 64):<64}  {front(group, 64):<64} {accumulate:>12d} {in_tps:>11.2f} {out_tps:>11.2f} "
            f"{in_24h:>14d} {out_24h:>14d}\n")


def format_no_consumer_row(topic: str, in_tps: float, in_24h: int) -> str:
    return f"{front(topic, 64):<64}  {'':<64} {0:>12d} {in_tps:>11.2f} {'':>11} {in_24h:>14d} {'NO_CONSUMER':>14}\n"


async def _stats(ctx: Ctx, addr: str, name: str, key: str) -> dict | None:
    try:
        resp = await ctx.admin.ok(addr, RequestCode.VIEW_BROKER_STATS_DATA, {"statsName": name, "statsKey": key})
    except CommandError:
        return None
    return ax.body_json(resp)


async def topic_detail(ctx: Ctx, topic: str, active_only: bool) -> str:
    route = await ctx.admin.route(topic)
    groups = await ax.topic_consumed_by(ctx.admin, topic)
    masters = [bd.brokerAddrs[0] for bd in route.brokerDatas if 0 in bd.brokerAddrs]
    in_tps, in_24h = 0.0, 0
    for addr in masters:
        bsd = await _stats(ctx, addr, "TOPIC_PUT_NUMS", topic)
        if bsd is not None:
            in_tps += float((bsd.get("statsMinute") or {}).get("tps", 0) or 0)
            in_24h += sum_24h(bsd)
    out = []
    if not groups:
        if not active_only or in_24h > 0:
            out.append(format_no_consumer_row(topic, in_tps, in_24h))
        return "".join(out)
    for group in groups:
        out_tps, out_24h = 0.0, 0
        for addr in masters:
            bsd = await _stats(ctx, addr, "GROUP_GET_NUMS", f"{topic}@{group}")
            if bsd is not None:
                out_tps += float((bsd.get("statsMinute") or {}).get("tps", 0) or 0)
                out_24h += sum_24h(bsd)
        accumulate = 0
        try:
            table, _ = await ax.consume_stats(ctx.admin, group, topic)
            accumulate = max(0, sum(int(w.get("brokerOffset", 0)) - int(w.get("consumerOffset", 0))
                                    for w in table.values()))
        except CommandError:
            pass
        if not active_only or in_24h > 0 or out_24h > 0:
            out.append(format_group_row(topic, group, accumulate, in_tps, out_tps, in_24h, out_24h))
    return "".join(out)


async def stats_all(ctx: Ctx) -> None:
    resp = await ctx.admin.namesrv(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)
    topics = java_hashmap_order(list(fastjson.loads(resp.body).get("topicList") or []))   # a HashSet in Java
    sys.stdout.write(HEAD)
    active = ctx.has("a")
    select = ctx.get("t")
    for topic in topics:
        if topic.startswith(RETRY_PREFIX) or topic.startswith(DLQ_PREFIX):
            continue
        if select and topic != select:
            continue
        try:
            sys.stdout.write(await topic_detail(ctx, topic, active))
            sys.stdout.flush()
        except CommandError as e:   # Java skips a topic it cannot read
            print(f"statsAll {topic}: {e}", file=sys.stderr)


async def start_monitoring(ctx: Ctx) -> None:
    await monitor.start_monitoring(ctx.admin)


COMMANDS = [
    SubCommand("startMonitoring", "Start Monitoring", "StartMonitoringSubCommand", [], start_monitoring),
    SubCommand("statsAll", "Topic and Consumer tps stats", "StatsAllSubCommand",
               [Opt("a", "activeTopic", "print active topic only", has_arg=False),
                Opt("t", "topic", "print select topic only")], stats_all),
]

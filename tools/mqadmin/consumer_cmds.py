"""Consumer-side subcommands: consumerProgress, consumerConnection, consumerStatus, cloneGroupOffset,
resetOffsetByTime, skipAccumulatedMessage, brokerConsumeStats, allocateMQ. Each prints what its Java class
prints (the printf formats of ConsumerProgressSubCommand & co.), from pure `format_*` functions."""
from __future__ import annotations

import os
import sys
import time

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from store import message as m

from . import adminext as ax
from .cli import CommandError, Ctx, Opt, SubCommand
from .client import AdminError
from .msgfmt import MQ, RETRY_PREFIX, format_date, front, mq_table, ms_or_date, running_info_text, version_desc


# ---------------------------------------------------------------- consumerProgress

def format_progress(table: dict[MQ, dict], tps: float, client_ips: dict[MQ, str] | None = None,
                    mins: dict[MQ, int] | None = None) -> str:
    """ConsumerProgressSubCommand with -g: per queue broker offset, consumer offset, (client IP), diff, last
    consume time; then Consume TPS and Diff Total, as Java prints them. Ours on top, only when some queue's
    consumer offset is below its min offset (`mins`): the messages deleted before the group consumed them,
    "Expired Total", and the lag without them, "Lag Total" (Java's Diff Total counts both)."""
    show_ip = client_ips is not None
    if show_ip:
        head = (f"{'#Topic':<64}  {'#Broker Name':<32}  {'#QID':<4}  {'#Broker Offset':<20}  "
                f"{'#Consumer Offset':<20}  {'#Client IP':<20} {'#Diff':<20}  #LastTime\n")
    else:
        head = (f"{'#Topic':<64}  {'#Broker Name':<32}  {'#QID':<4}  {'#Broker Offset':<20}  "
                f"{'#Consumer Offset':<20}  {'#Diff':<20}  #LastTime\n")
    out = [head]
    total = 0
    for mq in sorted(table):
        w = table[mq]
        broker, consumer = int(w.get("brokerOffset", 0)), int(w.get("consumerOffset", 0))
        diff = broker - consumer
        total += diff
        last = int(w.get("lastTimestamp", 0) or 0)
        last_s = "N/A" if last == 0 else format_date(last)
        cols = f"{front(mq.topic, 64):<64}  {front(mq.broker_name, 32):<32}  {mq.queue_id:<4}  {broker:<20}  {consumer:<20}  "
        if show_ip:
            out.append(f"{cols}{client_ips.get(mq) or 'N/A':<20} {diff:<20}  {last_s}\n")
        else:
            out.append(f"{cols}{diff:<20}  {last_s}\n")
    out.append("\n")
    out.append(f"Consume TPS: {tps:.2f}\n")
    out.append(f"Diff Total: {total}\n")
    expired = expired_total(table, mins or {})
    if expired:
        out.append(f"Expired Total: {expired}\n")
        out.append(f"Lag Total: {total - expired}\n")
    return "".join(out)


def expired_total(table: dict[MQ, dict], mins: dict[MQ, int]) -> int:
    """Messages below each queue's min offset that the group had not consumed: gone, not consumable lag."""
    return sum(max(0, min(mins.get(mq, 0), int(w.get("brokerOffset", 0))) - int(w.get("consumerOffset", 0)))
               for mq, w in table.items())


GROUP_LIST_HEAD = (f"{'#Group':<64}  {'#Count':<6}  {'#Version':<24} {'#Type':<5}  {'#Model':<14}  {'#TPS':<7}  "
                   f"#Diff Total\n")


def format_group_row(group: str, cc: dict | None, tps: float | None, diff_total: int) -> str:
    """One line of consumerProgress without -g (GroupConsumeInfo): an offline group shows count 0, OFFLINE."""
    count = len(cc.get("connectionSet") or []) if cc else 0
    if count:
        version = version_desc(min(int(c.get("version", 0)) for c in cc["connectionSet"]))
        ctype = "PULL" if cc.get("consumeType") == "CONSUME_ACTIVELY" else "PUSH"
        model = str(cc.get("messageModel")) if cc.get("consumeType") == "CONSUME_PASSIVELY" else ""
    else:
        version, ctype, model = "OFFLINE", "", ""
    return (f"{front(group, 64):<64}  {count:<6}  {version:<24} {ctype:<5}  {model:<14}  {int(tps or 0):<7}  "
            f"{diff_total}\n")


def total_diff(table: dict[MQ, dict]) -> int:
    return sum(int(w.get("brokerOffset", 0)) - int(w.get("consumerOffset", 0)) for w in table.values())


async def _allocation(ctx: Ctx, group: str) -> dict[MQ, str]:
    """Which client IP holds each queue (from each client's running info); nothing when it cannot be known."""
    out: dict[MQ, str] = {}
    try:
        cc = await ax.consumer_connection(ctx.admin, group)
        for conn in cc.get("connectionSet") or []:
            cid = str(conn.get("clientId"))
            info = await ax.running_info(ctx.admin, group, cid, False) or {}
            for mq in mq_table(info.get("mqTable")):
                out[mq] = cid.split("@")[0]
    except CommandError:
        pass
    return out


async def consumer_progress(ctx: Ctx) -> None:
    show_ip = ctx.has("s") and ctx.get("s").lower() == "true"
    if ctx.has("g"):
        group = ctx.get("g")
        table, tps = await ax.consume_stats(ctx.admin, group)
        ips = await _allocation(ctx, group) if show_ip else None
        sys.stdout.write(format_progress(table, tps, ips, await ax.min_offsets(ctx.admin, table)))
        return
    resp = await ctx.admin.namesrv(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)
    topics = m.java_hashmap_order(list(fastjson.loads(resp.body).get("topicList") or []))   # a HashSet in Java
    sys.stdout.write(GROUP_LIST_HEAD)
    for topic in topics:
        if not topic.startswith(RETRY_PREFIX):
            continue
        group = topic[len(RETRY_PREFIX):]
        tps, diff = None, 0
        try:
            table, tps = await ax.consume_stats(ctx.admin, group)
            diff = total_diff(table)
        except CommandError:
            pass
        cc = None
        try:
            cc = await ax.consumer_connection(ctx.admin, group)
        except CommandError:
            pass
        sys.stdout.write(format_group_row(group, cc, tps, diff))
        sys.stdout.flush()


# ---------------------------------------------------------------- consumerConnection

def format_connection(cc: dict) -> str:
    out = [f"{'#ClientId':<36} {'#ClientAddr':<22} {'#Language':<10} #Version\n"]
    for c in cc.get("connectionSet") or []:
        out.append(f"{str(c.get('clientId')):<36} {str(c.get('clientAddr')):<22} {str(c.get('language')):<10} "
                   f"{version_desc(int(c.get('version', 0)))}\n")
    out.append("\nBelow is subscription:\n")
    out.append(f"{'#Topic':<20} #SubExpression\n")
    subs = cc.get("subscriptionTable") or {}
    for topic in m.java_hashmap_order(list(subs)):
        sd = subs[topic]
        out.append(f"{str(sd.get('topic')):<20} {sd.get('subString')}\n")
    out.append("\n")
    out.append(f"ConsumeType: {cc.get('consumeType')}\n")
    out.append(f"MessageModel: {cc.get('messageModel')}\n")
    out.append(f"ConsumeFromWhere: {cc.get('consumeFromWhere')}\n")
    return "".join(out)


async def consumer_connection(ctx: Ctx) -> None:
    cc = await ax.consumer_connection(ctx.admin, ctx.get("g"), ctx.get("b"))
    sys.stdout.write(format_connection(cc))


# ---------------------------------------------------------------- consumerStatus

def _is_push(info: dict) -> bool:
    return str((info.get("properties") or {}).get("PROP_CONSUME_TYPE")) in ("CONSUME_PASSIVELY", "1")


def _subs(info: dict) -> list:
    return sorted((str(sd.get("topic")), str(sd.get("subString"))) for sd in (info.get("subscriptionSet") or []))


def analyze_subscription(infos: dict[str, dict], now_ms: int | None = None) -> bool:
    """ConsumerRunningInfo.analyzeSubscription: a push group started over 2 minutes ago must have one and the
    same non-empty subscription on every client (clients in clientId order)."""
    first = next(iter(infos.values()))
    now = int(time.time() * 1000) if now_ms is None else now_ms
    try:
        started = int((first.get("properties") or {}).get("PROP_CONSUMER_START_TIMESTAMP", now))
    except ValueError:
        started = now
    if not (_is_push(first) and now - started > 2 * 60 * 1000):
        return True
    prev = first
    for info in infos.values():
        if _subs(info) != _subs(prev):
            return False
        prev = info
    return bool(_subs(prev))


def analyze_rebalance(infos: dict[str, dict]) -> bool:
    return True   # as Java's


def analyze_process_queue(client_id: str, info: dict, now_ms: int | None = None) -> str:
    """analyzeProcessQueue: for a push consumer, orderly queues it cannot lock (or unlock), other queues whose
    cached messages wait for over a minute."""
    if not _is_push(info):
        return ""
    orderly = str((info.get("properties") or {}).get("PROP_CONSUME_ORDERLY", "false")).lower() == "true"
    now = int(time.time() * 1000) if now_ms is None else now_ms
    out = []
    for mq, pq in sorted(mq_table(info.get("mqTable")).items()):
        if orderly:
            if not pq.get("locked"):
                out.append(f"{client_id} {mq} can't lock for a while, {now - int(pq.get('lastLockTimestamp', 0))}ms\n")
            elif pq.get("droped") and int(pq.get("tryUnlockTimes", 0)) > 0:
                out.append(f"{client_id} {mq} unlock {int(pq.get('tryUnlockTimes'))} times, still failed\n")
        else:
            diff = now - int(pq.get("lastConsumeTimestamp", 0))
            if diff > 60 * 1000 and int(pq.get("cachedMsgCount", 0)) > 0:
                out.append(f"{client_id} {mq} can't consume for a while, maybe blocked, {diff}ms\n")
    return "".join(out)


async def consumer_status(ctx: Ctx) -> None:
    group = ctx.get("g")
    cc = await ax.consumer_connection(ctx.admin, group, ctx.get("b"))
    jstack = ctx.has("s")
    if ctx.has("i"):
        info = await ax.running_info(ctx.admin, group, ctx.get("i"), jstack)
        if info is not None:
            sys.stdout.write(running_info_text(info))
        return
    now = int(time.time() * 1000)
    infos: dict[str, dict] = {}
    sys.stdout.write(f"{'#Index':<10} {'#ClientId':<40} {'#Version':<20} #ConsumerRunningInfoFile\n")
    i = 1
    failed = []
    for conn in cc.get("connectionSet") or []:
        cid = str(conn.get("clientId"))
        try:
            info = await ax.running_info(ctx.admin, group, cid, jstack)
        except CommandError as e:   # Java prints the stack trace and goes on with the next client
            print(f"get the running info of {cid} failed: {e}", file=sys.stderr)
            failed.append(cid)
            continue
        if info is None:
            continue
        infos[cid] = info
        path = f"{now}/{cid}"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(running_info_text(info))
        except OSError as e:
            print(f"write {path} failed: {e}", file=sys.stderr)
        sys.stdout.write(f"{i:<10} {cid:<40} {version_desc(int(conn.get('version', 0))):<20} {path}\n")
        i += 1
    if infos:
        infos = dict(sorted(infos.items()))
        same = analyze_subscription(infos)
        if same:
            ok = analyze_rebalance(infos)
            sys.stdout.write("\n\nSame subscription in the same group of consumer")
            sys.stdout.write(f"\n\nRebalance {'OK' if ok else 'Failed'}\n")
            for cid, info in infos.items():
                sys.stdout.write(analyze_process_queue(cid, info))
        else:
            sys.stdout.write("\n\nWARN: Different subscription in the same group of consumer!!!")
    if failed:
        # Java prints each failure's stack trace and exits 0; a script needs to see that clients did not answer
        sys.stdout.flush()
        raise CommandError(f"{len(failed)} of {len(cc.get('connectionSet') or [])} consumers did not answer the "
                           f"running info request: {', '.join(failed)}")


# ---------------------------------------------------------------- cloneGroupOffset

async def clone_group_offset(ctx: Ctx) -> None:
    src, dest, topic = ctx.get("s"), ctx.get("d"), ctx.get("t")
    table, _ = await ax.consume_stats(ctx.admin, src)
    if table:
        route = await ctx.admin.route(topic)
        for mq, w in table.items():
            addr = next((ax.select_addr(bd) for bd in route.brokerDatas if bd.brokerName == mq.broker_name), None)
            if addr is None:
                raise CommandError(f"the broker {mq.broker_name} of {mq} is not in the route of topic {topic}")
            offset = int(w.get("consumerOffset", 0))
            if offset >= 0:
                await ax.update_offset(ctx.admin, addr, dest, mq, offset)
    sys.stdout.write(f"clone group offset success. srcGroup[{src}], destGroup=[{dest}], topic[{topic}]")


# ---------------------------------------------------------------- resetOffsetByTime / skipAccumulatedMessage

# Java takes the old path (offsets written with UPDATE_CONSUMER_OFFSET) when no consumer is online; a broker
# without INVOKE_BROKER_TO_RESET_OFFSET (never a 4.9.7 Java one) gets the old path as well
OLD_PATH_CODES = (ResponseCode.CONSUMER_NOT_ONLINE, ResponseCode.REQUEST_CODE_NOT_SUPPORTED)


def format_reset(table: dict[MQ, int]) -> str:
    out = [f"{'#brokerName':<40}  {'#queueId':<40}  {'#offset':<40}\n"]
    for mq, off in table.items():
        out.append(f"{front(mq.broker_name, 32):<40}  {mq.queue_id:<40}  {off:<40}\n")
    return "".join(out)


def format_rollback(rows: list[dict]) -> str:
    """The RollbackStats table of the old reset path (skipAccumulatedMessage / ResetOffsetByTimeOldCommand)."""
    out = [f"{'#brokerName':<20}  {'#queueId':<20}  {'#brokerOffset':<20}  {'#consumerOffset':<20}  "
           f"{'#timestampOffset':<20}  {'#rollbackOffset':<20}\n"]
    for r in rows:
        out.append(f"{front(r['brokerName'], 32):<20}  {r['queueId']:<20}  {r['brokerOffset']:<20}  "
                   f"{r['consumerOffset']:<20}  {r['timestampOffset']:<20}  {r['rollbackOffset']:<20}\n")
    return "".join(out)


def reset_timestamp(s: str) -> int:
    """resetOffsetByTime -s: "now" (-1), milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS."""
    if s == "now":
        return -1
    v = ms_or_date(s)
    if v is None:
        raise CommandError(f"specified timestamp invalid: {s} (now, currentTimeMillis or yyyy-MM-dd#HH:mm:ss:SSS)")
    return v


async def reset_by_time(admin, group: str, topic: str, timestamp: int, force: bool,
                        cplus: bool = False) -> tuple[dict[MQ, int], list[dict] | None]:
    """resetOffsetByTime's work (the console's too): the brokers reset the offsets and tell the online consumers
    (the new offset per queue, rows None); with no consumer online, the old path (ResetOffsetByTimeOldCommand:
    offsets written directly) and its RollbackStats rows."""
    try:
        return await ax.reset_offset_by_time(admin, topic, group, timestamp, force, cplus), None
    except AdminError as e:
        if e.code not in OLD_PATH_CODES:
            raise
    return {}, await ax.reset_offset_old(admin, group, topic, timestamp, force)


def _force(ctx: Ctx) -> bool:
    return ctx.get("f").lower() == "true" if ctx.has("f") else True


async def reset_offset_by_time(ctx: Ctx) -> None:
    group, topic, ts_str = ctx.get("g"), ctx.get("t"), ctx.get("s")
    timestamp = reset_timestamp(ts_str)
    force = _force(ctx)
    table, rows = await reset_by_time(ctx.admin, group, topic, timestamp, force, ctx.has("c"))
    if rows is not None:
        sys.stdout.write(f"rollback consumer offset by specified consumerGroup[{group}], topic[{topic}], "
                         f"force[{'true' if force else 'false'}], timestamp(string)[{ts_str}], "
                         f"timestamp(long)[{timestamp}]\n")
        sys.stdout.write(format_rollback(rows))
        return
    sys.stdout.write(f"rollback consumer offset by specified group[{group}], topic[{topic}], "
                     f"force[{'true' if force else 'false'}], timestamp(string)[{ts_str}], "
                     f"timestamp(long)[{timestamp}]\n")
    sys.stdout.write(format_reset(table))


async def skip_accumulated(ctx: Ctx) -> None:
    group, topic = ctx.get("g"), ctx.get("t")
    force = _force(ctx)
    try:
        table = await ax.reset_offset_by_time(ctx.admin, topic, group, -1, force)
    except AdminError as e:
        if e.code not in OLD_PATH_CODES:
            raise
        sys.stdout.write(format_rollback(await ax.reset_offset_old(ctx.admin, group, topic, -1, force)))
        return
    sys.stdout.write(format_reset(table))


# ---------------------------------------------------------------- brokerConsumeStats

def format_broker_consume_stats(body: dict, diff_level: int) -> str:
    out = [f"{'#Topic':<64}  {'#Group':<64}  {'#Broker Name':<32}  {'#QID':<4}  {'#Broker Offset':<20}  "
           f"{'#Consumer Offset':<20}  {'#Diff':<20}  #LastTime\n"]
    for by_group in body.get("consumeStatsList") or []:
        for group in m.java_hashmap_order(list(by_group)):
            stats_list = by_group[group]
            for stats in stats_list or []:
                table = mq_table(stats.get("offsetTable"))
                for mq in sorted(table):
                    w = table[mq]
                    broker, consumer = int(w.get("brokerOffset", 0)), int(w.get("consumerOffset", 0))
                    diff = broker - consumer
                    last = int(w.get("lastTimestamp", 0) or 0)
                    if diff < diff_level or last <= 0:
                        continue
                    out.append(f"{front(mq.topic, 64):<64}  {group:<64}  {front(mq.broker_name, 32):<32}  "
                               f"{mq.queue_id:<4}  {broker:<20}  {consumer:<20}  {diff:<20}  {format_date(last)}\n")
    out.append(f"\nDiff Total: {int(body.get('totalDiff', 0))}\n")
    return "".join(out)


async def broker_consume_stats(ctx: Ctx) -> None:
    order = ctx.get("o", "false").lower() == "true"
    timeout_ms = ctx.int("t", 50000)
    level = ctx.int("l", 0)
    resp = await ctx.admin.ok(ctx.get("b"), RequestCode.GET_BROKER_CONSUME_STATS,
                              {"isOrder": "true" if order else "false"}, timeout=timeout_ms / 1000)
    sys.stdout.write(format_broker_consume_stats(ax.body_json(resp), level))


# ---------------------------------------------------------------- allocateMQ

def allocate_averagely(cid: str, mqs: list, cids: list[str]) -> list:
    """AllocateMessageQueueAveragely.allocate."""
    if cid not in cids or not mqs:
        return []
    index, n, k = cids.index(cid), len(mqs), len(cids)
    mod = n % k
    if n <= k:
        size = 1
    elif mod > 0 and index < mod:
        size = n // k + 1
    else:
        size = n // k
    start = index * size if mod > 0 and index < mod else index * size + mod
    return [mqs[(start + i) % n] for i in range(min(size, n - start))]


def format_allocation(mqs: list[MQ], ips: list[str]) -> str:
    result = {ip: [{"brokerName": q.broker_name, "queueId": q.queue_id, "topic": q.topic}
                   for q in allocate_averagely(ip, mqs, ips)] for ip in ips}
    ordered = {ip: result[ip] for ip in m.java_hashmap_order(list(result))}
    return "{\"result\":" + _json_obj(ordered) + "}\n"


def _json_obj(d: dict) -> str:
    return "{" + ",".join(f"{fastjson.dumps(k)}:{fastjson.dumps(v)}" for k, v in d.items()) + "}"


async def allocate_mq(ctx: Ctx) -> None:
    from .mqclient import read_queues
    topic = ctx.get("t")
    ips = ctx.get("i").split(",")
    route = await ctx.admin.route(topic)
    sys.stdout.write(format_allocation(read_queues(route, topic), ips))


COMMANDS = [
    SubCommand("brokerConsumeStats", "Fetch broker consume stats data", "BrokerConsumeStatsSubCommad",
               [Opt("b", "brokerAddr", "Broker address", required=True),
                Opt("t", "timeoutMillis", "request timeout Millis"),
                Opt("l", "level", "threshold of print diff"),
                Opt("o", "order", "order topic")], broker_consume_stats),
    SubCommand("consumerConnection", "Query consumer's socket connection, client version and subscription",
               "ConsumerConnectionSubCommand",
               [Opt("g", "consumerGroup", "consumer group name", required=True),
                Opt("b", "brokerAddr", "broker address")], consumer_connection),
    SubCommand("consumerProgress", "Query consumers's progress, speed", "ConsumerProgressSubCommand",
               [Opt("g", "groupName", "consumer group name"),
                Opt("s", "showClientIP", "Show Client IP per Queue")], consumer_progress),
    SubCommand("consumerStatus", "Query consumer's internal data structure", "ConsumerStatusSubCommand",
               [Opt("g", "consumerGroup", "consumer group name", required=True),
                Opt("i", "clientId", "The consumer's client id"),
                Opt("b", "brokerAddr", "broker address"),
                Opt("s", "jstack", "Run jstack command in the consumer progress", has_arg=False)], consumer_status),
    SubCommand("cloneGroupOffset", "clone offset from other group.", "CloneGroupOffsetCommand",
               [Opt("s", "srcGroup", "set source consumer group", required=True),
                Opt("d", "destGroup", "set destination consumer group", required=True),
                Opt("t", "topic", "set the topic", required=True),
                Opt("o", "offline", "the group or the topic is offline")], clone_group_offset),
    SubCommand("resetOffsetByTime", "Reset consumer offset by timestamp(without client restart).",
               "ResetOffsetByTimeCommand",
               [Opt("g", "group", "set the consumer group", required=True),
                Opt("t", "topic", "set the topic", required=True),
                Opt("s", "timestamp", "set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]",
                    required=True),
                Opt("f", "force", "set the force rollback by timestamp switch[true|false]"),
                Opt("c", "cplus", "reset c++ client offset", has_arg=False)], reset_offset_by_time),
    SubCommand("skipAccumulatedMessage", "Skip all messages that are accumulated (not consumed) currently",
               "SkipAccumulationSubCommand",
               [Opt("g", "group", "set the consumer group", required=True),
                Opt("t", "topic", "set the topic", required=True),
                Opt("f", "force", "set the force rollback by timestamp switch[true|false]")], skip_accumulated),
    SubCommand("allocateMQ", "Allocate MQ", "AllocateMQSubCommand",
               [Opt("t", "topic", "topic name", required=True),
                Opt("i", "ipList", "ipList", required=True)], allocate_mq),
]

"""exportMetadata, exportConfigs, exportMetrics (Apache 4.9.7's command/export/*: the same JSON shapes and file
names), and our own importMetadata, which creates what exportMetadata wrote on the masters of another cluster."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Callable

from remoting import fastjson
from remoting.codes import MQVersion, RequestCode

from .cli import CommandError, Ctx, Group, Opt, SubCommand
from .client import (broker_config, json_body, runtime_info, subscription_groups, system_topics,
                     topic_configs)
from .group_cmds import create_group, group_config
from .topic_cmds import DLQ_PREFIX, RETRY_PREFIX, create_topic

DEFAULT_DIR = "/tmp/rocketmq/export"

# DefaultMQAdminExtImpl.SYSTEM_GROUP_SET (MixAll's built-in groups), and MixAll.isSysConsumerGroup's prefix
SYSTEM_GROUPS = frozenset({
    "DEFAULT_CONSUMER", "DEFAULT_PRODUCER", "TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "__MONITOR_CONSUMER",
    "CLIENT_INNER_PRODUCER", "SELF_TEST_P_GROUP", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY", "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER", "CID_ONSAPI_PULL", "CID_RMQ_SYS_TRANS"})
SYS_GROUP_PREFIX = "CID_RMQ_SYS_"
TOPIC_NAME = re.compile(r"^[%|a-zA-Z0-9_-]+$")   # TopicValidator's legal characters
GROUP_NAME = TOPIC_NAME
MAX_TOPIC_LEN = 127


def write_json(path: str, obj) -> None:
    """MixAll.string2FileNotSafe: parent directories created, the file replaced."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(fastjson.dumps_pretty(obj), encoding="utf-8")


async def user_topics(ctx: Ctx, addr: str, special: bool) -> dict[str, dict]:
    """getUserTopicConfig: the broker's topics minus its system topics (and retry/DLQ topics unless `special`)."""
    topics = await topic_configs(ctx.admin, addr)
    system = await system_topics(ctx.admin, addr)
    return {t: c for t, c in topics.items()
            if t not in system and (special or not (t.startswith(RETRY_PREFIX) or t.startswith(DLQ_PREFIX)))}


def is_system_group(group: str) -> bool:
    return group in SYSTEM_GROUPS or group.startswith(SYS_GROUP_PREFIX)


async def user_groups(ctx: Ctx, addr: str) -> dict[str, dict]:
    """getUserSubscriptionGroup: the broker's subscription groups minus the built-in ones."""
    return {g: c for g, c in (await subscription_groups(ctx.admin, addr)).items() if not is_system_group(g)}


async def cluster_metadata(ctx: Ctx, cluster: str, special: bool) -> tuple[dict[str, dict], dict[str, dict]]:
    """exportMetadata -c's tables (the console's export too): the user topics and groups of every master of the
    cluster, queue numbers summed over the masters (the cluster-wide view)."""
    topics: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    for addr in await ctx.admin.cluster_masters(cluster):
        for name, tc in (await user_topics(ctx, addr, special)).items():
            tc = dict(tc)
            if name in topics:
                tc["writeQueueNums"] = int(tc["writeQueueNums"]) + int(topics[name]["writeQueueNums"])
                tc["readQueueNums"] = int(tc["readQueueNums"]) + int(topics[name]["readQueueNums"])
            topics[name] = tc
        for name, gc in (await user_groups(ctx, addr)).items():
            gc = dict(gc)
            if name in groups:
                gc["retryQueueNums"] = int(gc.get("retryQueueNums", 1)) + int(groups[name].get("retryQueueNums", 1))
            groups[name] = gc
    return topics, groups


async def export_metadata(ctx: Ctx) -> None:
    path = ctx.get("f") or DEFAULT_DIR
    special = ctx.has("s")
    if ctx.has("b"):
        addr = ctx.get("b")
        if ctx.has("t"):
            out = f"{path}/topic.json"
            write_json(out, {"dataVersion": {"counter": 0, "timestamp": int(time.time() * 1000)},
                             "topicConfigTable": await user_topics(ctx, addr, special)})
        elif ctx.has("g"):
            out = f"{path}/subscriptionGroup.json"
            write_json(out, {"dataVersion": {"counter": 0, "timestamp": int(time.time() * 1000)},
                             "subscriptionGroupTable": await user_groups(ctx, addr)})
        else:   # Java writes nothing here; we write the -c form for the one broker
            out = f"{path}/metadata.json"
            write_json(out, {"topicConfigTable": await user_topics(ctx, addr, special),
                             "subscriptionGroupTable": await user_groups(ctx, addr),
                             "exportTime": int(time.time() * 1000)})
        print(f"export {out} success", end="")
        return
    if not ctx.has("c"):
        ctx.print_help()
        return
    topics, groups = await cluster_metadata(ctx, ctx.get("c"), special)
    result: dict = {}
    if ctx.has("t"):
        result["topicConfigTable"] = topics
        out = f"{path}/topic.json"
    elif ctx.has("g"):
        result["subscriptionGroupTable"] = groups
        out = f"{path}/subscriptionGroup.json"
    else:
        result["topicConfigTable"] = topics
        result["subscriptionGroupTable"] = groups
        out = f"{path}/metadata.json"
    result["exportTime"] = int(time.time() * 1000)
    write_json(out, result)
    print(f"export {out} success")


CONFIG_KEYS = ("brokerClusterName", "brokerId", "brokerName", "brokerRole", "fileReservedTime", "filterServerNums",
               "flushDiskType", "maxMessageSize", "messageDelayLevel", "msgTraceTopicName", "slaveReadEnable",
               "traceOn", "traceTopicEnable", "useTLS", "autoCreateTopicEnable", "autoCreateSubscriptionGroup")


async def export_configs(ctx: Ctx) -> None:
    path = f"{ctx.get('f') or DEFAULT_DIR}/configs.json"
    info = await ctx.admin.cluster_info()
    cluster = ctx.get("c")
    if cluster not in info.clusterAddrTable:
        await ctx.admin.cluster_masters(cluster)   # the unknown-cluster error
    masters = slaves = 0
    configs: dict[str, dict] = {}
    for name in sorted(info.clusterAddrTable[cluster]):
        bd = info.brokerAddrTable.get(name)
        if bd is None or 0 not in bd.brokerAddrs:
            continue
        props = await broker_config(ctx.admin, bd.brokerAddrs[0])
        masters += 1
        slaves += len([b for b in bd.brokerAddrs if b != 0])
        configs[props.get("brokerName", name)] = {k: props[k] for k in CONFIG_KEYS if k in props}
    write_json(path, {"brokerConfigs": configs,
                      "clusterScale": {"namesrvSize": len(ctx.admin.namesrvs), "masterBrokerSize": masters,
                                       "slaveBrokerSize": slaves}})
    print(f"export {path} success", end="")


def _version_desc(v) -> str:
    try:
        return MQVersion(int(v)).name
    except (ValueError, TypeError):
        return str(v)


async def _stats_tps_and_day(ctx: Ctx, addr: str, topic: str) -> tuple[float, int]:
    """VIEW_BROKER_STATS_DATA TOPIC_PUT_NUMS of one topic: the minute's tps and the 24-hour sum
    (StatsAllSubCommand.compute24HourSum); (0, 0) when the broker has none."""
    try:
        body = await json_body(ctx.admin, addr, RequestCode.VIEW_BROKER_STATS_DATA,
                               {"statsName": "TOPIC_PUT_NUMS", "statsKey": topic})
    except CommandError:
        return 0.0, 0
    day, hour = body.get("statsDay") or {}, body.get("statsHour") or {}
    day_sum = int(day.get("sum") or 0) or int(hour.get("sum") or 0)
    return float((body.get("statsMinute") or {}).get("tps") or 0.0), day_sum


async def export_metrics(ctx: Ctx) -> None:
    path = f"{ctx.get('f') or DEFAULT_DIR}/metrics.json"
    info = await ctx.admin.cluster_info()
    cluster = ctx.get("c")
    if cluster not in info.clusterAddrTable:
        await ctx.admin.cluster_masters(cluster)
    total_tps = {"totalNormalInTps": 0.0, "totalNormalOutTps": 0.0, "totalTransInTps": 0.0,
                 "totalScheduleInTps": 0.0}
    total_day = {"normalOneDayInNum": 0, "normalOneDayOutNum": 0, "transOneDayInNum": 0, "scheduleOneDayInNum": 0}
    report: dict[str, dict] = {}
    for name in sorted(info.clusterAddrTable[cluster]):
        bd = info.brokerAddrTable.get(name)
        if bd is None or 0 not in bd.brokerAddrs:
            continue
        addr = bd.brokerAddrs[0]
        kv = await runtime_info(ctx.admin, addr)
        props = await broker_config(ctx.admin, addr)
        groups = await user_groups(ctx, addr)
        topics = await user_topics(ctx, addr, False)
        trans_tps, trans_day = await _stats_tps_and_day(ctx, addr, "RMQ_SYS_TRANS_HALF_TOPIC")
        sched_tps, sched_day = await _stats_tps_and_day(ctx, addr, "SCHEDULE_TOPIC_XXXX")
        in_tps = float((kv.get("putTps") or "0").split(" ")[0])
        out_tps = float((kv.get("getTransferedTps") or "0").split(" ")[0])

        def diff(a: str, b: str) -> int:
            return int(kv.get(a) or 0) - int(kv.get(b) or 0)
        day_in = diff("msgPutTotalTodayMorning", "msgPutTotalYesterdayMorning")
        day_out = diff("msgGetTotalTodayMorning", "msgGetTotalYesterdayMorning")
        clients = set()
        for group in groups:
            try:
                body = await json_body(ctx.admin, addr, RequestCode.GET_CONSUMER_CONNECTION_LIST,
                                       {"consumerGroup": group})
            except CommandError:
                continue
            for conn in body.get("connectionSet") or []:
                clients.add(f"{conn.get('language')}%{_version_desc(conn.get('version'))}")
        report[name] = {
            "runtimeEnv": {"cpuNum": props.get("clientCallbackExecutorThreads"),
                           "totalMemKBytes": kv.get("totalMemKBytes")},
            "runtimeQuota": {
                "diskRatio": {"commitLogDiskRatio": kv.get("commitLogDiskRatio"),
                              "consumeQueueDiskRatio": kv.get("consumeQueueDiskRatio")},
                "tps": {"normalInTps": in_tps, "normalOutTps": out_tps, "transInTps": trans_tps,
                        "scheduleInTps": sched_tps},
                "oneDayNum": {"normalOneDayInNum": day_in, "normalOneDayOutNum": day_out,
                              "transOneDayInNum": trans_day, "scheduleOneDayInNum": sched_day},
                "messageAverageSize": kv.get("putMessageAverageSize"),
                "topicSize": len(topics), "groupSize": len(groups)},
            "runtimeVersion": {"rocketmqVersion": MQVersion.V4_9_7.name, "clientInfo": sorted(clients)},
        }
        total_tps["totalNormalInTps"] += in_tps
        total_tps["totalNormalOutTps"] += out_tps
        total_tps["totalTransInTps"] += trans_tps
        total_tps["totalScheduleInTps"] += sched_tps
        total_day["normalOneDayInNum"] += day_in
        total_day["normalOneDayOutNum"] += day_out
        total_day["transOneDayInNum"] += trans_day
        total_day["scheduleOneDayInNum"] += sched_day
    write_json(path, {"evaluateReport": report, "totalData": {"totalTps": total_tps, "totalOneDayNum": total_day}})
    print(f"export {path} success", end="")


# --- importMetadata (ours) ---

def _topic_refusal(name: str, system: set[str]) -> str | None:
    if name in system or name == "TBW102" or name.startswith("rmq_sys_") or name.startswith("RMQ_SYS_"):
        return "system topic"
    if not name or len(name) > MAX_TOPIC_LEN or not TOPIC_NAME.match(name):
        return "invalid topic name"
    return None


def _group_refusal(name: str) -> str | None:
    if is_system_group(name):
        return "system group"
    if not name or len(name) > 255 or not GROUP_NAME.match(name):
        return "invalid group name"
    return None


def load_metadata(path: str) -> tuple[dict, dict]:
    """metadata.json (exportMetadata -c), or topic.json / subscriptionGroup.json (-t / -g)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror}") from None
    return parse_metadata(raw, path)


def parse_metadata(raw: bytes, name: str) -> tuple[dict, dict]:
    """The topic and group tables of an exportMetadata file's bytes (`name` for the error messages)."""
    try:
        data = fastjson.loads(raw)
    except ValueError as e:
        raise CommandError(f"{name} is not valid metadata JSON: {e}") from None
    if not isinstance(data, dict) or not ({"topicConfigTable", "subscriptionGroupTable"} & set(data)):
        raise CommandError(f"{name} has neither topicConfigTable nor subscriptionGroupTable")
    topics, groups = data.get("topicConfigTable") or {}, data.get("subscriptionGroupTable") or {}
    if not isinstance(topics, dict) or not isinstance(groups, dict) \
            or not all(isinstance(v, dict) for v in (*topics.values(), *groups.values())):
        raise CommandError(f"{name}: topicConfigTable and subscriptionGroupTable must map names to objects")
    return dict(topics), dict(groups)


async def import_items(ctx: Ctx, topics: dict, groups: dict, addrs: list[str], divide: bool,
                       report: Callable[[str, str, str, str], None]) -> dict[str, int]:
    """importMetadata's work (the console's import too): each topic and group created on each of `addrs` unless
    it exists there or is refused (system or invalid name, or the broker said no); report(kind, name, addr,
    outcome) for each; the counts of created / already exists / refused. `divide`: the queue numbers of a
    cluster-wide export are spread back over the targets."""
    counts = {"created": 0, "already exists": 0, "refused": 0}

    def done(kind: str, name: str, addr: str, outcome: str) -> None:
        counts["refused" if outcome.startswith("refused") else outcome] += 1
        report(kind, name, addr, outcome)

    for addr in addrs:
        existing_topics = await topic_configs(ctx.admin, addr)
        system = await system_topics(ctx.admin, addr)
        existing_groups = await subscription_groups(ctx.admin, addr)
        n_brokers = len(addrs)
        for name in sorted(topics):
            tc = dict(topics[name])
            tc["topicName"] = name
            why = _topic_refusal(name, system)
            if why:
                done("topic", name, addr, f"refused: {why}")
                continue
            if name in existing_topics:
                done("topic", name, addr, "already exists")
                continue
            try:
                for key in ("readQueueNums", "writeQueueNums"):
                    tc[key] = max(1, int(tc.get(key, 8)) // n_brokers) if divide else int(tc.get(key, 8))
                tc.setdefault("perm", 6)
                tc.setdefault("topicSysFlag", 0)
                tc.setdefault("order", False)
                await create_topic(ctx, addr, tc)
            except (CommandError, ValueError, TypeError) as e:
                done("topic", name, addr, f"refused: {e}")
                continue
            done("topic", name, addr, "created")
        for name in sorted(groups):
            why = _group_refusal(name)
            if why:
                done("group", name, addr, f"refused: {why}")
                continue
            if name in existing_groups:
                done("group", name, addr, "already exists")
                continue
            cfg = group_config({**groups[name], "groupName": name})
            try:
                await create_group(ctx, addr, cfg)
            except CommandError as e:
                done("group", name, addr, f"refused: {e}")
                continue
            done("group", name, addr, "created")
    return counts


async def import_metadata(ctx: Ctx) -> None:
    topics, groups = load_metadata(ctx.get("f"))
    addrs = [ctx.get("b")] if ctx.has("b") else await ctx.admin.cluster_masters(ctx.get("c"))
    if not addrs:
        raise CommandError(f"cluster [{ctx.get('c')}] has no master broker")

    def report(kind: str, name: str, addr: str, outcome: str) -> None:
        print(f"{kind:<6} {name:<48} {addr:<22} {outcome}")

    counts = await import_items(ctx, topics, groups, addrs, ctx.has("c") and ctx.has("d"), report)
    print(f"import {ctx.get('f')}: {counts['created']} created, {counts['already exists']} already exist, "
          f"{counts['refused']} refused")
    if counts["refused"]:
        raise CommandError(f"{counts['refused']} item(s) refused")


COMMANDS = [
    SubCommand("exportMetadata", "export metadata", "ExportMetadataCommand", [
        Opt("b", "brokerAddr", "choose a broker to export"),
        Opt("c", "clusterName", "choose a cluster to export"),
        Opt("f", "filePath", "export metadata.json path | default /tmp/rocketmq/export"),
        Opt("g", "subscriptionGroup", "only export subscriptionGroup metadata", has_arg=False),
        Opt("s", "specialTopic", "need retryTopic and dlqTopic", has_arg=False),
        Opt("t", "topic", "only export topic metadata", has_arg=False),
    ], export_metadata),
    SubCommand("exportConfigs", "export configs", "ExportConfigsCommand", [
        Opt("c", "clusterName", "choose a cluster to export", required=True),
        Opt("f", "filePath", "export configs.json path | default /tmp/rocketmq/export"),
    ], export_configs),
    SubCommand("exportMetrics", "export metrics", "ExportMetricsCommand", [
        Opt("c", "clusterName", "choose a cluster to export", required=True),
        Opt("f", "filePath", "export metrics.json path | default /tmp/rocketmq/export"),
    ], export_metrics),
    SubCommand("importMetadata", "import metadata (topics, subscription groups) written by exportMetadata",
               "ImportMetadataCommand", [
                   Group((Opt("b", "brokerAddr", "import into which broker"),
                          Opt("c", "clusterName", "import into every master of which cluster")), required=True),
                   Opt("d", "divideQueues", "divide the exported (cluster-wide) queue numbers over the target "
                                            "masters", has_arg=False),
                   Opt("f", "filePath", "metadata.json (or topic.json / subscriptionGroup.json) to import",
                       required=True),
               ], import_metadata),
]

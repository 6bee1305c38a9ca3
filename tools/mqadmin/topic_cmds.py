"""Topic subcommands: updateTopic, deleteTopic, updateTopicPerm, topicRoute, topicStatus, topicClusterList,
topicList (Apache's command/topic/*), with the Java classes' output layout."""
from __future__ import annotations

import time
from typing import Callable

from remoting import fastjson
from remoting.bodies import TopicRouteData
from remoting.codes import RequestCode, ResponseCode

from .cli import CommandError, Ctx, Group, Opt, SubCommand, java_hash_order
from .client import AdminError, all_namesrvs, broker_name_of, json_body, master_addrs, topic_configs
from .namesrv_cmds import ORDER_TOPIC_CONFIG, kv_put, order_conf_merge

_HELP = Opt("h", "help ", "Print help", has_arg=False)
RETRY_PREFIX, DLQ_PREFIX = "%RETRY%", "%DLQ%"


def perm_string(perm: int) -> str:
    """PermName.perm2String: R, W, X (inherit) or '-'."""
    return ("R" if perm & 4 else "-") + ("W" if perm & 2 else "-") + ("X" if perm & 1 else "-")


def topic_config_str(tc: dict) -> str:
    """TopicConfig.toString."""
    return (f"TopicConfig [topicName={tc['topicName']}, readQueueNums={tc['readQueueNums']}, "
            f"writeQueueNums={tc['writeQueueNums']}, perm={perm_string(tc['perm'])}, "
            f"topicFilterType={tc['topicFilterType']}, topicSysFlag={tc['topicSysFlag']}, "
            f"order={str(tc['order']).lower()}]")


def front(s: str | None, size: int) -> str:
    """UtilAll.frontStringAtLeast: at most `size` characters."""
    s = "null" if s is None else s
    return s[:size]


def human_time2(millis: int) -> str:
    """UtilAll.timeMillisToHumanString2: local time, yyyy-MM-dd HH:mm:ss,SSS."""
    t = time.localtime(millis / 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", t) + f",{millis % 1000:03d}"


async def create_topic(ctx: Ctx, addr: str, tc: dict) -> None:
    """UPDATE_AND_CREATE_TOPIC with CreateTopicRequestHeader (MQClientAPIImpl.createTopic)."""
    await ctx.admin.ok(addr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": tc["topicName"], "defaultTopic": "TBW102", "readQueueNums": str(tc["readQueueNums"]),
        "writeQueueNums": str(tc["writeQueueNums"]), "perm": str(tc["perm"]),
        "topicFilterType": tc.get("topicFilterType") or "SINGLE_TAG", "topicSysFlag": str(tc.get("topicSysFlag", 0)),
        "order": str(bool(tc.get("order"))).lower()})


def _out(text: str) -> None:
    print(text, end="")


async def apply_topic(ctx: Ctx, tc: dict, addr: str | None, cluster: str | None,
                      say: Callable[[str], None] = _out) -> list[str]:
    """updateTopic's work (the console's too): the topic created or updated on broker `addr`, else on every
    master of `cluster`, and an order topic's conf put in the NameServer; what is done is told to `say` as it
    goes (the command's lines). The addresses written."""
    if addr:
        await create_topic(ctx, addr, tc)
        if tc["order"]:
            conf = f"{await broker_name_of(ctx.admin, addr)}:{tc['writeQueueNums']}"
            await order_conf_merge(ctx, tc["topicName"], conf)
            say(f"set broker orderConf. isOrder=true, orderConf=[{conf}]")
        say(f"create topic to {addr} success.\n")
        return [addr]
    done = []
    for a in await ctx.admin.cluster_masters(cluster):
        await create_topic(ctx, a, tc)
        done.append(a)
        say(f"create topic to {a} success.\n")
    if tc["order"]:
        info = await ctx.admin.cluster_info()
        names = java_hash_order(info.clusterAddrTable.get(cluster, ()))
        conf = ";".join(f"{name}:{tc['writeQueueNums']}" for name in names)
        await kv_put(ctx, ORDER_TOPIC_CONFIG, tc["topicName"], conf)
        say(f"set cluster orderConf. isOrder=true, orderConf=[{conf}]")
    return done


async def update_topic(ctx: Ctx) -> None:
    tc = {"topicName": ctx.get("t"), "readQueueNums": ctx.int("r", 8), "writeQueueNums": ctx.int("w", 8),
          "perm": ctx.int("p", 6), "topicFilterType": "SINGLE_TAG", "order": ctx.bool("o")}
    tc["topicSysFlag"] = (1 if ctx.bool("u") else 0) | (2 if ctx.bool("s") else 0)   # TopicSysFlag.buildSysFlag
    await apply_topic(ctx, tc, ctx.get("b") if ctx.has("b") else None, ctx.get("c"))
    print(topic_config_str(tc), end="")


async def delete_topic_in_cluster(ctx: Ctx, cluster: str, topic: str, say: Callable[[str], None] = print) -> None:
    """DeleteTopicSubCommand.deleteTopic: from every master of the cluster, then from every NameServer."""
    for addr in await ctx.admin.cluster_masters(cluster):
        await ctx.admin.ok(addr, RequestCode.DELETE_TOPIC_IN_BROKER, {"topic": topic})
    say(f"delete topic [{topic}] from cluster [{cluster}] success.")
    await all_namesrvs(ctx.admin, RequestCode.DELETE_TOPIC_IN_NAMESRV, {"topic": topic, "clusterName": cluster})
    say(f"delete topic [{topic}] from NameServer success.")


async def delete_topic(ctx: Ctx) -> None:
    await delete_known_topic(ctx, ctx.get("c"), ctx.get("t"))


async def delete_known_topic(ctx: Ctx, cluster: str, topic: str, say: Callable[[str], None] = print) -> None:
    """deleteTopic's work (the console's too). Like Java, plus a check first: a topic neither a master of the
    cluster nor the NameServer knows is an error (Java reports success for it)."""
    known = False
    for addr in await ctx.admin.cluster_masters(cluster):
        known = known or topic in await topic_configs(ctx.admin, addr)
    if not known:
        try:
            await ctx.admin.route(topic)
            known = True
        except AdminError as e:
            if e.code != ResponseCode.TOPIC_NOT_EXIST:
                raise
    if not known:
        raise CommandError(f"topic [{topic}] does not exist in cluster [{cluster}]")
    await delete_topic_in_cluster(ctx, cluster, topic, say)


async def update_topic_perm(ctx: Ctx) -> None:
    topic = ctx.get("t")
    route = await ctx.admin.route(topic)
    if not route.queueDatas:
        raise CommandError(f"topic [{topic}] has no queue data in its route")
    qd = route.queueDatas[0]
    perm = ctx.int("p")
    tc = {"topicName": topic, "readQueueNums": qd.readQueueNums, "writeQueueNums": qd.writeQueueNums,
          "perm": perm, "topicFilterType": "SINGLE_TAG", "topicSysFlag": qd.topicSysFlag, "order": False}
    if ctx.has("b"):
        addr = ctx.get("b")
        name = next((b.brokerName for b in route.brokerDatas if b.brokerAddrs.get(0) == addr), None)
        if name is None:
            print("updateTopicPerm error broker not exit or broker is not master!.")
            raise CommandError(f"{addr} is not a master broker of topic [{topic}]")
        old = next((q.perm for q in route.queueDatas if q.brokerName == name), 0)
        if old == perm:
            print("new perm equals to the old one!")
            return
        await create_topic(ctx, addr, tc)
        print(f"update topic perm from {old} to {perm} in {addr} success.")
        print(f"{topic_config_str(tc)}.")
    elif ctx.has("c"):
        for addr in await ctx.admin.cluster_masters(ctx.get("c")):
            await create_topic(ctx, addr, tc)
            print(f"update topic perm from {qd.perm} to {perm} in {addr} success.")
    else:
        ctx.print_help()


def _java_map(d: dict) -> str:
    """HashMap.toString of the broker addresses: {0=host:port, 1=...}."""
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(d.items())) + "}"


async def topic_route(ctx: Ctx) -> None:
    route = await ctx.admin.route(ctx.get("t"))
    if not ctx.has("l"):
        print(fastjson.dumps_pretty(route))
        return
    fmt = "{:<45} {:<32} {:<50} {:<10} {:<11} {:<5}"
    by_name = {q.brokerName: q for q in route.queueDatas}
    print(fmt.format("#ClusterName", "#BrokerName", "#BrokerAddrs", "#ReadQueue", "#WriteQueue", "#Perm"))
    total_r = total_w = 0
    for bd in sorted(route.brokerDatas, key=lambda b: b.brokerName):
        qd = by_name.get(bd.brokerName)
        if qd is None:
            continue
        total_r += qd.readQueueNums
        total_w += qd.writeQueueNums
        print(fmt.format(str(bd.cluster), bd.brokerName, _java_map(bd.brokerAddrs), qd.readQueueNums,
                         qd.writeQueueNums, qd.perm))
    print("-" * 158)
    print(fmt.format("Total:", len(by_name), "", total_r, total_w, ""))


async def topic_stats(ctx: Ctx, topic: str, route: TopicRouteData | None = None) -> dict[tuple, dict]:
    """examineTopicStats: GET_TOPIC_STATS_INFO from each master of the route, merged; (brokerName, qid) ->
    {minOffset, maxOffset, lastUpdateTimestamp}."""
    route = route or await ctx.admin.route(topic)
    out: dict[tuple, dict] = {}
    for addr in master_addrs(route):
        body = await json_body(ctx.admin, addr, RequestCode.GET_TOPIC_STATS_INFO, {"topic": topic})
        for key, off in (body.get("offsetTable") or {}).items():
            mq = dict(key) if isinstance(key, tuple) else fastjson.loads(key)
            out[(mq["brokerName"], int(mq["queueId"]))] = off
    return out


async def topic_status(ctx: Ctx) -> None:
    table = await topic_stats(ctx, ctx.get("t"))
    print(f"{'#Broker Name':<32}  {'#QID':<4}  {'#Min Offset':<20}  {'#Max Offset':<20}    #Last Updated")
    for (name, qid), off in sorted(table.items()):
        ts = int(off.get("lastUpdateTimestamp") or 0)
        print(f"{front(name, 32):<32}  {qid:<4}  {int(off.get('minOffset', 0)):<20}  "
              f"{int(off.get('maxOffset', 0)):<20}    {human_time2(ts) if ts > 0 else ''}")


async def _clusters_of(ctx: Ctx, topic: str) -> list[str]:
    info = await ctx.admin.cluster_info()
    route = await ctx.admin.route(topic)
    if not route.brokerDatas:
        return []
    name = route.brokerDatas[0].brokerName
    return java_hash_order(c for c, names in info.clusterAddrTable.items() if name in names)


async def topic_cluster_list(ctx: Ctx) -> None:
    for cluster in await _clusters_of(ctx, ctx.get("t")):
        print(cluster)


async def topic_list(ctx: Ctx) -> None:
    resp = await ctx.admin.namesrv(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)
    topics = java_hash_order((fastjson.loads(resp.body) if resp.body else {}).get("topicList") or [])  # a HashSet
    if not ctx.has("c"):
        for t in topics:
            print(t)
        return
    print(f"{'#Cluster Name':<20}  {'#Topic':<48}  {'#Consumer Group':<48}")
    info = await ctx.admin.cluster_info()
    for topic in topics:
        if topic.startswith(RETRY_PREFIX) or topic.startswith(DLQ_PREFIX):
            continue
        cluster, groups = "", []
        try:
            route = await ctx.admin.route(topic)
            name = route.brokerDatas[0].brokerName
            cluster = next((c for c, names in info.clusterAddrTable.items() if name in names), None)
            groups = await consumed_by(ctx, topic, route)
        except (CommandError, IndexError):
            pass
        for group in groups or [""]:
            print(f"{front(cluster, 20):<20}  {front(topic, 64):<64}  {front(group, 64):<64}")


async def consumed_by(ctx: Ctx, topic: str, route: TopicRouteData) -> list[str]:
    """queryTopicConsumeByWho: QUERY_TOPIC_CONSUME_BY_WHO to the first master of the route."""
    for addr in master_addrs(route):
        try:
            body = await json_body(ctx.admin, addr, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, {"topic": topic})
        except AdminError:
            continue
        return java_hash_order(body.get("groupList") or [])
    return []


COMMANDS = [
    SubCommand("updateTopic", "Update or create topic", "UpdateTopicSubCommand", [
        Group((Opt("b", "brokerAddr", "create topic to which broker"),
               Opt("c", "clusterName", "create topic to which cluster")), required=True),
        _HELP,
        Opt("o", "order", "set topic's order(true|false)"),
        Opt("p", "perm", "set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]"),
        Opt("r", "readQueueNums", "set read queue nums"),
        Opt("s", "hasUnitSub", "has unit sub (true|false)"),
        Opt("t", "topic", "topic name", required=True),
        Opt("u", "unit", "is unit topic (true|false)"),
        Opt("w", "writeQueueNums", "set write queue nums"),
    ], update_topic),
    SubCommand("deleteTopic", "Delete topic from broker and NameServer.", "DeleteTopicSubCommand", [
        Opt("c", "clusterName", "delete topic from which cluster", required=True),
        _HELP,
        Opt("t", "topic", "topic name", required=True),
    ], delete_topic),
    SubCommand("updateTopicPerm", "Update topic perm", "UpdateTopicPermSubCommand", [
        Opt("b", "brokerAddr", "create topic to which broker"),
        Opt("c", "clusterName", "create topic to which cluster"),
        _HELP,
        Opt("p", "perm", "set topic's permission(2|4|6), intro[2:W; 4:R; 6:RW]", required=True),
        Opt("t", "topic", "topic name", required=True),
    ], update_topic_perm),
    SubCommand("topicRoute", "Examine topic route info", "TopicRouteSubCommand", [
        _HELP,
        Opt("l", "list ", "Use list format to print data", has_arg=False),
        Opt("t", "topic", "topic name", required=True),
    ], topic_route),
    SubCommand("topicStatus", "Examine topic Status info", "TopicStatusSubCommand", [
        _HELP,
        Opt("t", "topic", "topic name", required=True),
    ], topic_status),
    SubCommand("topicClusterList", "get cluster info for topic", "TopicClusterSubCommand", [
        _HELP,
        Opt("t", "topic", "topic name", required=True),
    ], topic_cluster_list),
    SubCommand("topicList", "Fetch all topic list from name server", "TopicListSubCommand", [
        Opt("c", "clusterModel ", "clusterModel", has_arg=False),
        _HELP,
    ], topic_list),
]

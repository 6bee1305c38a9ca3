"""Subscription group subcommands: updateSubGroup, deleteSubGroup, getConsumerConfig (Apache's
UpdateSubGroupSubCommand, DeleteSubscriptionGroupCommand, GetConsumerConfigSubCommand)."""
from __future__ import annotations

import sys
from typing import Callable

from remoting import fastjson
from remoting.codes import RequestCode

from .cli import CommandError, Ctx, Opt, SubCommand, java_hash_order
from .client import subscription_groups
from .topic_cmds import DLQ_PREFIX, RETRY_PREFIX, delete_topic_in_cluster

_HELP = Opt("h", "help ", "Print help", has_arg=False)

# SubscriptionGroupConfig's fields in declaration order, with their Java defaults
GROUP_FIELDS = (("groupName", None), ("consumeEnable", True), ("consumeFromMinEnable", True),
                ("consumeBroadcastEnable", True), ("retryQueueNums", 1), ("retryMaxTimes", 16), ("brokerId", 0),
                ("whichBrokerWhenConsumeSlowly", 1), ("notifyConsumerIdsChangedEnable", True))


def java_str(v) -> str:
    return str(v).lower() if isinstance(v, bool) else "" if v is None else str(v)


def group_config(d: dict) -> dict:
    """A SubscriptionGroupConfig JSON object with every field (defaults for the missing ones)."""
    return {k: d.get(k, default) for k, default in GROUP_FIELDS}


def group_config_str(cfg: dict) -> str:
    """SubscriptionGroupConfig.toString."""
    return "SubscriptionGroupConfig [" + ", ".join(f"{k}={java_str(cfg[k])}" for k, _ in GROUP_FIELDS) + "]"


async def create_group(ctx: Ctx, addr: str, cfg: dict) -> None:
    await ctx.admin.ok(addr, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, body=fastjson.dumpb(cfg))


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


async def apply_group(ctx: Ctx, cfg: dict, addr: str | None, cluster: str | None,
                      say: Callable[[str], None] = print, warn: Callable[[str], None] = _stderr) -> list[str]:
    """updateSubGroup's work (the console's too): the group created or updated on broker `addr`, else on every
    master of `cluster` (one failing does not stop the others); the addresses it failed on."""
    if addr:
        await create_group(ctx, addr, cfg)
        say(f"create subscription group to {addr} success.")
        return []
    failed = []
    for a in await ctx.admin.cluster_masters(cluster):
        try:
            await create_group(ctx, a, cfg)
            say(f"create subscription group to {a} success.")
        except CommandError as e:
            failed.append(a)
            warn(f"create subscription group to {a} failed: {e}")
    return failed


async def update_sub_group(ctx: Ctx) -> None:
    cfg = group_config({"groupName": ctx.get("g"), "consumeBroadcastEnable": False, "consumeFromMinEnable": False})
    for short, key in (("s", "consumeEnable"), ("m", "consumeFromMinEnable"), ("d", "consumeBroadcastEnable"),
                       ("a", "notifyConsumerIdsChangedEnable")):
        if ctx.has(short):
            cfg[key] = ctx.bool(short)
    for short, key in (("q", "retryQueueNums"), ("r", "retryMaxTimes"), ("i", "brokerId"),
                       ("w", "whichBrokerWhenConsumeSlowly")):
        if ctx.has(short):
            cfg[key] = ctx.int(short)
    if not ctx.has("b") and not ctx.has("c"):
        ctx.print_help()
        return
    failed = await apply_group(ctx, cfg, ctx.get("b"), ctx.get("c"))
    print(group_config_str(cfg), end="")
    if failed:
        raise CommandError(f"not created on {', '.join(failed)}")


async def delete_group(ctx: Ctx, group: str, addr: str | None, cluster: str | None, remove_offset: bool,
                       say: Callable[[str], None] = print, warn: Callable[[str], None] = _stderr) -> None:
    """deleteSubGroup's work (the console's too). Unlike Java (which reports success), a group none of the
    brokers has is an error; from a cluster, the group's retry and DLQ topics go too."""
    ext = {"groupName": group, "removeOffset": str(remove_offset).lower()}
    if addr:
        if group not in await subscription_groups(ctx.admin, addr):
            raise CommandError(f"subscription group [{group}] does not exist on broker [{addr}]")
        await ctx.admin.ok(addr, RequestCode.DELETE_SUBSCRIPTIONGROUP, ext)
        say(f"delete subscription group [{group}] from broker [{addr}] success.")
        return
    masters = [a for a in await ctx.admin.cluster_masters(cluster)
               if group in await subscription_groups(ctx.admin, a)]
    if not masters:
        raise CommandError(f"subscription group [{group}] does not exist in cluster [{cluster}]")
    for a in masters:
        await ctx.admin.ok(a, RequestCode.DELETE_SUBSCRIPTIONGROUP, ext)
        say(f"delete subscription group [{group}] from broker [{a}] in cluster [{cluster}] success.")
    try:   # their absence is not an error (Java prints the trace)
        await delete_topic_in_cluster(ctx, cluster, RETRY_PREFIX + group, say)
        await delete_topic_in_cluster(ctx, cluster, DLQ_PREFIX + group, say)
    except CommandError as e:
        warn(f"delete the group's retry/DLQ topics: {e}")


async def delete_sub_group(ctx: Ctx) -> None:
    if not ctx.has("b") and not ctx.has("c"):
        ctx.print_help()
        return
    await delete_group(ctx, ctx.get("g"), ctx.get("b"), ctx.get("c"), ctx.bool("r"))


async def get_consumer_config(ctx: Ctx) -> None:
    group = ctx.get("g")
    info = await ctx.admin.cluster_info()
    found = []
    for name in java_hash_order(info.brokerAddrTable):   # ClusterInfo's HashMap order
        bd = info.brokerAddrTable[name]
        addr = bd.brokerAddrs.get(0) or next(iter(sorted(bd.brokerAddrs.items())), (None, None))[1]  # selectBrokerAddr
        if addr is None:
            continue
        cfg = (await subscription_groups(ctx.admin, addr)).get(group)
        if cfg is None:
            continue
        cluster = next((c for c, names in info.clusterAddrTable.items() if name in names), None)
        found.append((cluster, name, group_config(cfg)))
    if not found:
        raise CommandError(f"subscription group [{group}] not found on any broker")
    for cluster, name, cfg in found:
        print(f"============================={cluster}:{name}=============================")
        for k, _ in GROUP_FIELDS:
            print(f"{k:<40}=  {java_str(cfg[k])}")


COMMANDS = [
    SubCommand("updateSubGroup", "Update or create subscription group", "UpdateSubGroupSubCommand", [
        Opt("a", "notifyConsumerIdsChanged", "notify consumerId changed"),
        Opt("b", "brokerAddr", "create subscription group to which broker"),
        Opt("c", "clusterName", "create subscription group to which cluster"),
        Opt("d", "consumeBroadcastEnable", "broadcast"),
        Opt("g", "groupName", "consumer group name", required=True),
        _HELP,
        Opt("i", "brokerId", "consumer from which broker id"),
        Opt("m", "consumeFromMinEnable", "from min offset"),
        Opt("q", "retryQueueNums", "retry queue nums"),
        Opt("r", "retryMaxTimes", "retry max times"),
        Opt("s", "consumeEnable", "consume enable"),
        Opt("w", "whichBrokerWhenConsumeSlowly", "which broker id when consume slowly"),
    ], update_sub_group),
    SubCommand("deleteSubGroup", "Delete subscription group from broker.", "DeleteSubscriptionGroupCommand", [
        Opt("b", "brokerAddr", "delete subscription group from which broker"),
        Opt("c", "clusterName", "delete subscription group from which cluster"),
        Opt("g", "groupName", "subscription group name", required=True),
        _HELP,
        Opt("r", "removeOffset", "remove offset"),
    ], delete_sub_group),
    SubCommand("getConsumerConfig", "Get consumer config by subscription group name!", "GetConsumerConfigSubCommand", [
        Opt("g", "groupName", "subscription group name", required=True),
        _HELP,
    ], get_consumer_config),
]

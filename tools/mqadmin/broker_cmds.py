"""Broker subcommands: updateBrokerConfig, getBrokerConfig, brokerStatus, cleanExpiredCQ, deleteExpiredCommitLog,
cleanUnusedTopic (Apache's command/broker/*)."""
from __future__ import annotations

import sys

from remoting.codes import RequestCode

from .cli import CommandError, Ctx, Opt, SubCommand, java_hash_order
from .client import broker_config, cluster_addrs, runtime_info


async def update_broker_config(ctx: Ctx) -> None:
    body = f"{ctx.get('k')}={ctx.get('v')}\n".encode()
    if ctx.has("b"):
        addr = ctx.get("b")
        await ctx.admin.ok(addr, RequestCode.UPDATE_BROKER_CONFIG, body=body)
        print(f"update broker config success, {addr}")
    elif ctx.has("c"):
        failed = None
        for addr in await ctx.admin.cluster_masters(ctx.get("c")):
            try:
                await ctx.admin.ok(addr, RequestCode.UPDATE_BROKER_CONFIG, body=body)
                print(f"update broker config success, {addr}")
            except CommandError as e:
                failed = e
                print(f"update broker config of {addr} failed: {e}", file=sys.stderr)
        if failed is not None:
            raise failed
    else:
        ctx.print_help()


async def _print_config(ctx: Ctx, prefix: str, addr: str) -> None:
    print(prefix)
    props = await broker_config(ctx.admin, addr)
    if not props:
        print(f"Broker[{addr}] has no config property!")
        return
    for k in java_hash_order(props, concurrent=True):   # java.util.Properties' order
        print(f"{k:<50}=  {props[k]}")
    print()


async def get_broker_config(ctx: Ctx) -> None:
    if ctx.has("b"):
        addr = ctx.get("b")
        await _print_config(ctx, f"============{addr}============", addr)
    elif ctx.has("c"):
        info = await ctx.admin.cluster_info()
        cluster = ctx.get("c")
        if cluster not in info.clusterAddrTable:
            await ctx.admin.cluster_masters(cluster)   # raises the unknown-cluster error
        masters = {}    # CommandUtil.fetchMasterAndSlaveDistinguish: a HashMap keyed by master address
        for name in java_hash_order(info.clusterAddrTable[cluster]):
            bd = info.brokerAddrTable.get(name)
            if bd is not None:
                masters[bd.brokerAddrs.get(0)] = bd
        for master in java_hash_order(masters):
            bd = masters[master]
            await _print_config(ctx, f"============Master: {master}============", master)
            for bid, slave in sorted(bd.brokerAddrs.items()):
                if bid != 0:
                    await _print_config(ctx, f"============My Master: {master}=====Slave: {slave}============", slave)


async def broker_status(ctx: Ctx) -> None:
    if ctx.has("b"):
        table = await runtime_info(ctx.admin, ctx.get("b"))
        for k in sorted(table):
            print(f"{k:<32}: {table[k]}")
    elif ctx.has("c"):
        failed = None
        for addr in await ctx.admin.cluster_brokers(ctx.get("c")) or await ctx.admin.cluster_masters(ctx.get("c")):
            try:
                table = await runtime_info(ctx.admin, addr)
            except CommandError as e:
                failed = e
                print(f"{addr}: {e}", file=sys.stderr)
                continue
            for k in sorted(table):
                print(f"{addr:<24} {k:<32}: {table[k]}")
        if failed is not None:
            raise failed


def _clean(code: int):
    """cleanExpiredCQ / deleteExpiredCommitLog / cleanUnusedTopic: -b one broker, else every address (masters and
    slaves, ClusterInfo.retrieveAllAddrByCluster) of -c, or of every cluster. Prints (no newline, as Java) the
    answer of the last broker asked: "success", or "false" when no broker was asked (an unknown cluster). A broker's
    error answer fails the command (Java: MQClientException)."""
    async def run(ctx: Ctx) -> None:
        if ctx.has("b"):
            addrs = [ctx.get("b")]
        else:
            info = await ctx.admin.cluster_info()
            clusters = [ctx.get("c")] if ctx.get("c") else java_hash_order(info.clusterAddrTable)
            addrs = [addr for cluster in clusters for addr in cluster_addrs(info, cluster)]
        for addr in addrs:
            await ctx.admin.ok(addr, code)
        print("success" if addrs else "false", end="")
    return run


_B = Opt("b", "brokerAddr", "Broker address")

COMMANDS = [
    SubCommand("updateBrokerConfig", "Update broker's config", "UpdateBrokerConfigSubCommand", [
        Opt("b", "brokerAddr", "update which broker"),
        Opt("c", "clusterName", "update which cluster"),
        Opt("k", "key", "config key", required=True),
        Opt("v", "value", "config value", required=True),
    ], update_broker_config),
    SubCommand("brokerStatus", "Fetch broker runtime status data", "BrokerStatusSubCommand", [
        _B,
        Opt("c", "clusterName", "which cluster"),
    ], broker_status),
    SubCommand("cleanExpiredCQ", "Clean expired ConsumeQueue on broker.", "CleanExpiredCQSubCommand", [
        _B,
        Opt("c", "cluster", "clustername"),
    ], _clean(RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE)),
    SubCommand("deleteExpiredCommitLog", "Delete expired CommitLog files", "DeleteExpiredCommitLogSubCommand", [
        _B,
        Opt("c", "cluster", "clustername"),
        Opt("n", "namesrvAddr", "Name server address"),
    ], _clean(RequestCode.DELETE_EXPIRED_COMMITLOG)),
    SubCommand("cleanUnusedTopic", "Clean unused topic on broker.", "CleanUnusedTopicCommand", [
        _B,
        Opt("c", "cluster", "cluster name"),
    ], _clean(RequestCode.CLEAN_UNUSED_TOPIC)),
    SubCommand("getBrokerConfig", "Get broker config by cluster or special broker!", "GetBrokerConfigCommand", [
        Opt("b", "brokerAddr", "get which broker"),
        Opt("c", "clusterName", "get which cluster"),
    ], get_broker_config),
]

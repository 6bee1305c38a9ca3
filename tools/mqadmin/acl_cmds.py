"""ACL 1.0 subcommands (Apache's command/acl/*): they send the ACL request codes to the brokers and print what
Java prints; a broker that does not implement ACL answers with an error, which is reported as a failure."""
from __future__ import annotations

import time
import zlib

from remoting import fastjson
from remoting.codes import RequestCode

from .cli import Ctx, Group, Opt, SubCommand, java_hash_order
from .client import broker_targets


def _where(verb_b: str, verb_c: str) -> Group:
    return Group((Opt("b", "brokerAddr", verb_b), Opt("c", "clusterName", verb_c)), required=True)


async def _addrs(ctx: Ctx, masters_only: bool) -> list[str]:
    return await broker_targets(ctx.admin, ctx.get("b"), ctx.get("c"), masters_only)


ACCESS_FIELDS = ("accessKey", "secretKey", "whiteRemoteAddress", "admin", "defaultTopicPerm", "defaultGroupPerm",
                 "topicPerms", "groupPerms")


def _java(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return "null" if v is None else str(v)


def _java_split(text: str) -> list[str]:
    """String.split(","): trailing empty strings are dropped."""
    parts = text.split(",")
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


async def update_acl_config(ctx: Ctx) -> None:
    cfg = {"accessKey": ctx.get("a"), "secretKey": ctx.get("s"), "whiteRemoteAddress": ctx.get("w"),
           "admin": ctx.bool("m"), "defaultTopicPerm": ctx.get("i"), "defaultGroupPerm": ctx.get("u"),
           "topicPerms": _java_split(ctx.get("t")) if ctx.has("t") else None,
           "groupPerms": _java_split(ctx.get("g")) if ctx.has("g") else None}
    # MQClientAPIImpl.createPlainAccessConfig: CreateAccessConfigRequestHeader, the lists joined with ","; null
    # fields are left out of extFields, the primitive `admin` is always there
    header = {"accessKey": cfg["accessKey"], "secretKey": cfg["secretKey"],
              "whiteRemoteAddress": cfg["whiteRemoteAddress"], "admin": "true" if cfg["admin"] else "false",
              "defaultTopicPerm": cfg["defaultTopicPerm"], "defaultGroupPerm": cfg["defaultGroupPerm"],
              "topicPerms": None if cfg["topicPerms"] is None else ",".join(cfg["topicPerms"]),
              "groupPerms": None if cfg["groupPerms"] is None else ",".join(cfg["groupPerms"])}
    ext = {k: v for k, v in header.items() if v is not None}
    for addr in await _addrs(ctx, masters_only=False):
        await ctx.admin.ok(addr, RequestCode.UPDATE_AND_CREATE_ACL_CONFIG, ext)
        print(f"create or update plain access config to {addr} success.")
    # PlainAccessConfig has no toString in 4.9.7: Java prints Object.toString, class name @ identity hash
    print(f"org.apache.rocketmq.common.PlainAccessConfig@{zlib.crc32(repr(cfg).encode()) & 0x7FFFFFFF:x}", end="")


async def delete_acl_config(ctx: Ctx) -> None:
    key = ctx.get("a")
    for addr in await _addrs(ctx, masters_only=False):
        await ctx.admin.ok(addr, RequestCode.DELETE_ACL_CONFIG, {"accessKey": key})
        print(f"delete plain access config account from {addr} success.")
    print(f"account's accesskey is:{key}", end="")


def _data_version(v) -> dict:
    if isinstance(v, (str, bytes)):
        v = fastjson.loads(v) if v else {}
    return v if isinstance(v, dict) else {}


async def cluster_acl_config_version(ctx: Ctx) -> None:
    """MQClientAPIImpl.getBrokerClusterAclInfo reads the response header (GetBrokerAclConfigResponseHeader):
    clusterName, brokerName, brokerAddr, and allAclFileVersion, a JSON map of file path -> DataVersion, printed
    in its HashMap's order, one row per file."""
    fmt = "{:<16}  {:<22}  {:<22}  {:<20}  {:<22}  {:<22}"
    if ctx.has("c"):
        print(fmt.format("#Cluster Name", "#Broker Name", "#Broker Addr", "#AclFilePath", "#AclConfigVersionNum",
                         "#AclLastUpdateTime"))
    for addr in await _addrs(ctx, masters_only=True):
        resp = await ctx.admin.ok(addr, RequestCode.GET_BROKER_CLUSTER_ACL_INFO)
        versions = _data_version(resp.ext("allAclFileVersion"))
        for path in java_hash_order(list(versions)):
            dv = _data_version(versions[path])
            ts = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(dv.get("timestamp", 0)) / 1000))
            print(fmt.format(_java(resp.ext("clusterName")), _java(resp.ext("brokerName")), _java(resp.ext("brokerAddr")),
                             path, str(dv.get("counter", 0)), ts))
    print("get cluster's plain access config version success." if ctx.has("c")
          else "get broker's plain access config version success.")


async def update_global_white_addr(ctx: Ctx) -> None:
    ext = {"globalWhiteAddrs": ctx.get("g")}
    if ctx.has("p"):
        ext["aclFileFullPath"] = ctx.get("p")
    for addr in await _addrs(ctx, masters_only=False):
        await ctx.admin.ok(addr, RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, ext)
        print(f"update global white remote addresses to {addr} success.")


async def get_acl_config(ctx: Ctx) -> None:
    for addr in await _addrs(ctx, masters_only=True):
        resp = await ctx.admin.ok(addr, RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG)
        body = fastjson.loads(resp.body) if resp.body else {}
        print()
        print(f"{'globalWhiteRemoteAddresses':<20}: {_java(body.get('globalWhiteAddrs') or [])}")
        print()
        print("accounts:")
        for acc in body.get("plainAccessConfigs") or []:
            for k in ACCESS_FIELDS:
                v = acc.get(k)
                print(f"{'':<1} {k:<18}: {'' if v is None else _java(v)}")
            print()


COMMANDS = [
    SubCommand("updateAclConfig", "Update acl config yaml file in broker", "UpdateAccessConfigSubCommand", [
        Opt("a", "accessKey", "set accessKey in acl config file", required=True),
        _where("update acl config file to which broker", "update acl config file to which cluster"),
        Opt("g", "groupPerms", "set groupPerms list,eg: groupD=DENY,groupD=SUB"),
        Opt("i", "defaultTopicPerm", "set default topicPerm in acl config file"),
        Opt("m", "admin", "set admin flag in acl config file"),
        Opt("s", "secretKey", "set secretKey in acl config file", required=True),
        Opt("t", "topicPerms", "set topicPerms list,eg: topicA=DENY,topicD=SUB"),
        Opt("u", "defaultGroupPerm", "set default GroupPerm in acl config file"),
        Opt("w", "whiteRemoteAddress", "set white ip Address for account in acl config file"),
    ], update_acl_config),
    SubCommand("deleteAclConfig", "Delete Acl Config Account in broker", "DeleteAccessConfigSubCommand", [
        Opt("a", "accessKey", "set accessKey in acl config file for deleting which account", required=True),
        _where("delete acl config account from which broker", "delete acl config account from which cluster"),
    ], delete_acl_config),
    SubCommand("clusterAclConfigVersion", "List all of acl config version information in cluster",
               "ClusterAclConfigVersionListSubCommand", [
                   _where("query acl config version for which broker",
                          "query acl config version for specified cluster"),
               ], cluster_acl_config_version),
    SubCommand("updateGlobalWhiteAddr", "Update global white address for acl Config File in broker",
               "UpdateGlobalWhiteAddrSubCommand", [
                   _where("update global white address to which broker",
                          "update global white address to which cluster"),
                   Opt("g", "globalWhiteRemoteAddresses",
                       "set globalWhiteRemoteAddress list,eg: 10.10.103.*,192.168.0.*", required=True),
                   Opt("p", "aclFileFullPath",
                       "update global white address of specified acl file,eg: /xxx/plain_test.yml"),
               ], update_global_white_addr),
    SubCommand("getAclConfig", "List all of acl config information in cluster", "GetAccessConfigSubCommand", [
        _where("query acl config version for which broker", "query acl config version for specified cluster"),
    ], get_acl_config),
]

"""NameServer subcommands: KV config, order conf, broker write permission, NameServer config
(Apache's namesrv/*Command and topic/UpdateOrderConfCommand)."""
from __future__ import annotations

from remoting.codes import RequestCode, ResponseCode
from remoting.config import parse_properties

from .cli import CommandError, Ctx, Opt, SubCommand, java_hash_order
from .client import AdminError, all_namesrvs

ORDER_TOPIC_CONFIG = "ORDER_TOPIC_CONFIG"   # NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG
_HELP = Opt("h", "help ", "Print help", has_arg=False)   # these commands re-add -h with a blank after "help"


async def kv_get(ctx: Ctx, namespace: str, key: str) -> str | None:
    """GET_KV_CONFIG from the first NameServer; QUERY_NOT_FOUND is None."""
    try:
        resp = await ctx.admin.namesrv(RequestCode.GET_KV_CONFIG, {"namespace": namespace, "key": key})
    except AdminError as e:
        if e.code == ResponseCode.QUERY_NOT_FOUND:
            return None
        raise
    return resp.ext("value")


async def kv_put(ctx: Ctx, namespace: str, key: str, value: str) -> None:
    await all_namesrvs(ctx.admin, RequestCode.PUT_KV_CONFIG, {"namespace": namespace, "key": key, "value": value})


async def order_conf_merge(ctx: Ctx, topic: str, conf: str) -> None:
    """createOrUpdateOrderConf(isCluster=false): replace this broker's `name:num` entry, keep the others."""
    entries: dict[str, str] = {}
    try:
        old = await kv_get(ctx, ORDER_TOPIC_CONFIG, topic)
    except CommandError:
        old = None
    for item in (old or "").split(";"):
        if item.strip():
            entries[item.split(":")[0]] = item
    entries[conf.split(":")[0]] = conf
    await kv_put(ctx, ORDER_TOPIC_CONFIG, topic, ";".join(entries.values()))


async def update_kv_config(ctx: Ctx) -> None:
    await kv_put(ctx, ctx.get("s"), ctx.get("k"), ctx.get("v"))
    print("create or update kv config to namespace success.")


async def delete_kv_config(ctx: Ctx) -> None:
    await all_namesrvs(ctx.admin, RequestCode.DELETE_KV_CONFIG, {"namespace": ctx.get("s"), "key": ctx.get("k")})
    print("delete kv config from namespace success.")


def _write_perm(code: int, count_key: str, verb: str):
    async def run(ctx: Ctx) -> None:
        name = ctx.get("b")
        failed = 0
        for addr in ctx.admin.namesrvs:
            try:
                resp = await ctx.admin.ok(addr, code, {"brokerName": name})
            except CommandError as e:
                failed += 1
                print(f"{verb} write perm of broker[{name}] in name server[{addr}] Failed")
                print(f"  {e}")
                continue
            print(f"{verb} write perm of broker[{name}] in name server[{addr}] OK, {int(resp.ext(count_key) or 0)}")
        if failed:
            raise CommandError(f"{failed} name server(s) failed")
    return run


async def update_order_conf(ctx: Ctx) -> None:
    topic, method = ctx.get("t"), ctx.get("m")
    if method == "get":
        conf = await kv_get(ctx, ORDER_TOPIC_CONFIG, topic)
        if conf is None:
            raise AdminError(ResponseCode.QUERY_NOT_FOUND, f"No config item, Namespace: {ORDER_TOPIC_CONFIG} "
                                                           f"Key: {topic}")
        print(f"get orderConf success. topic=[{topic}], orderConf=[{conf}] ", end="")
    elif method == "put":
        conf = ctx.get("v", "")
        if not conf:
            raise CommandError("please set orderConf with option -v.")
        await kv_put(ctx, ORDER_TOPIC_CONFIG, topic, conf)
        print(f"update orderConf success. topic=[{topic}], orderConf=[{conf}]", end="")
    elif method == "delete":
        await all_namesrvs(ctx.admin, RequestCode.DELETE_KV_CONFIG, {"namespace": ORDER_TOPIC_CONFIG, "key": topic})
        print(f"delete orderConf success. topic=[{topic}]", end="")
    else:
        ctx.print_help()


def _servers(ctx: Ctx) -> list[str]:
    return ctx.admin.namesrvs


async def get_namesrv_config(ctx: Ctx) -> None:
    for addr in _servers(ctx):
        resp = await ctx.admin.ok(addr, RequestCode.GET_NAMESRV_CONFIG)
        print(f"============{addr}============")
        props = parse_properties((resp.body or b"").decode("utf-8"))
        for k in java_hash_order(props, concurrent=True):   # java.util.Properties' order
            print(f"{k:<50}=  {props[k]}")


async def update_namesrv_config(ctx: Ctx) -> None:
    key, value = ctx.get("k"), ctx.get("v")
    servers = _servers(ctx)
    for addr in servers:
        await ctx.admin.ok(addr, RequestCode.UPDATE_NAMESRV_CONFIG, body=f"{key}={value}\n".encode())
    shown = "[" + ", ".join(servers) + "]" if ctx.has("n") else ""
    print(f"update name server config success!{shown}\n{key} : {value}")


COMMANDS = [
    SubCommand("updateKvConfig", "Create or update KV config.", "UpdateKvConfigCommand", [
        _HELP,
        Opt("k", "key", "set the key name", required=True),
        Opt("s", "namespace", "set the namespace", required=True),
        Opt("v", "value", "set the key value", required=True),
    ], update_kv_config),
    SubCommand("deleteKvConfig", "Delete KV config.", "DeleteKvConfigCommand", [
        _HELP,
        Opt("k", "key", "set the key name", required=True),
        Opt("s", "namespace", "set the namespace", required=True),
    ], delete_kv_config),
    SubCommand("wipeWritePerm", "Wipe write perm of broker in all name server you defined in the -n param",
               "WipeWritePermSubCommand", [
                   Opt("b", "brokerName", "broker name", required=True),
                   _HELP,
               ], _write_perm(RequestCode.WIPE_WRITE_PERM_OF_BROKER, "wipeTopicCount", "wipe")),
    SubCommand("addWritePerm", "Add write perm of broker in all name server you defined in the -n param",
               "AddWritePermSubCommand", [
                   Opt("b", "brokerName", "broker name", required=True),
                   _HELP,
               ], _write_perm(RequestCode.ADD_WRITE_PERM_OF_BROKER, "addTopicCount", "add")),
    SubCommand("updateOrderConf", "Create or update or delete order conf", "UpdateOrderConfCommand", [
        _HELP,
        Opt("m", "method", "option type [eg. put|get|delete", required=True),
        Opt("t", "topic", "topic name", required=True),
        Opt("v", "orderConf", "set order conf [eg. brokerName1:num;brokerName2:num]"),
    ], update_order_conf),
    SubCommand("getNamesrvConfig", "Get configs of name server.", "GetNamesrvConfigCommand", [
        _HELP,
    ], get_namesrv_config),
    SubCommand("updateNamesrvConfig", "Update configs of name server.", "UpdateNamesrvConfigCommand", [
        _HELP,
        Opt("k", "key", "config key", required=True),
        Opt("v", "value", "config value", required=True),
    ], update_namesrv_config),
]

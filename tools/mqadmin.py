"""`mqadmin`: Apache mqadmin subcommands with the same names and flags: the NameServer ones here, message
look-ups (queryMsgById, queryMsgByKey, queryMsgByUniqueKey) in admin_messages, getBrokerConfig /
updateBrokerConfig in admin_broker, queryMsgTraceById in admin_trace."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Awaitable, Callable

from remoting import fastjson, runtime
from remoting.bodies import ClusterInfo, TopicList, TopicRouteData
from remoting.client import RemotingClient
from remoting.codes import RequestCode

from .admin_broker import BROKER_COMMANDS
from .admin_client import AdminError, call, namesrvs, ok
from .admin_messages import MESSAGE_COMMANDS
from .admin_trace import TRACE_COMMANDS




async def cluster_list(client: RemotingClient, args: argparse.Namespace) -> None:
    info = ClusterInfo.from_json(fastjson.loads(ok(await call(client, namesrvs(args)[0],
                                                                 RequestCode.GET_BROKER_CLUSTER_INFO)).body))
    print(f"{'#Cluster Name':<22}  {'#Broker Name':<16}  {'#BID':<4}  {'#Addr':<22}")
    for cluster in sorted(info.clusterAddrTable):
        for name in sorted(info.clusterAddrTable[cluster]):
            bd = info.brokerAddrTable.get(name)
            for bid, addr in sorted((bd.brokerAddrs if bd else {}).items()):
                print(f"{cluster:<22}  {name:<16}  {bid:<4}  {addr:<22}")


async def topic_list(client: RemotingClient, args: argparse.Namespace) -> None:
    tl = TopicList.from_json(fastjson.loads(ok(await call(client, namesrvs(args)[0],
                                                             RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).body))
    for topic in sorted(tl.topicList):
        print(topic)


async def topic_route(client: RemotingClient, args: argparse.Namespace) -> None:
    resp = ok(await call(client, namesrvs(args)[0], RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": args.topic}))
    route = TopicRouteData.from_json(fastjson.loads(resp.body))
    print(json.dumps(json.loads(fastjson.dumps(route, quote_int_keys=True)), indent="\t", sort_keys=True))


async def get_namesrv_config(client: RemotingClient, args: argparse.Namespace) -> None:
    for addr in namesrvs(args):
        text = (ok(await call(client, addr, RequestCode.GET_NAMESRV_CONFIG)).body or b"").decode()
        print(f"============{addr}============")
        for line in text.splitlines():
            key, _, value = line.partition("=")
            print(f"{key:<50}=  {value}")


async def update_namesrv_config(client: RemotingClient, args: argparse.Namespace) -> None:
    for addr in namesrvs(args):
        ok(await call(client, addr, RequestCode.UPDATE_NAMESRV_CONFIG, body=f"{args.key}={args.value}\n".encode()))
    print(f"update name server config success!{namesrvs(args)}\n{args.key} : {args.value}")


async def update_kv_config(client: RemotingClient, args: argparse.Namespace) -> None:
    for addr in namesrvs(args):
        ok(await call(client, addr, RequestCode.PUT_KV_CONFIG,
                        {"namespace": args.namespace, "key": args.key, "value": args.value}))
    print("create or update kv config to namespace success.")


async def delete_kv_config(client: RemotingClient, args: argparse.Namespace) -> None:
    for addr in namesrvs(args):
        ok(await call(client, addr, RequestCode.DELETE_KV_CONFIG, {"namespace": args.namespace, "key": args.key}))
    print("delete kv config from namespace success.")


def _perm_command(code: int, count_key: str, verb: str) -> Callable[[RemotingClient, argparse.Namespace], Awaitable[None]]:
    async def run(client: RemotingClient, args: argparse.Namespace) -> None:
        for addr in namesrvs(args):
            resp = ok(await call(client, addr, code, {"brokerName": args.brokerName}))
            print(f"{verb} write perm of broker[{args.brokerName}] in name server[{addr}] OK, "
                  f"{resp.ext(count_key)}")
    return run


COMMANDS: dict[str, tuple[str, list[tuple[tuple[str, ...], dict]], Callable]] = {
    "clusterList": ("List cluster infos", [], cluster_list),
    "topicList": ("Fetch all topic list from name server", [], topic_list),
    "topicRoute": ("Examine topic route info", [(("-t", "--topic"), {"required": True})], topic_route),
    "getNamesrvConfig": ("Get configs of name server.", [], get_namesrv_config),
    "updateNamesrvConfig": ("Update configs of name server.",
                            [(("-k", "--key"), {"required": True}), (("-v", "--value"), {"required": True})],
                            update_namesrv_config),
    "updateKvConfig": ("Create or update KV config.",
                       [(("-s", "--namespace"), {"required": True}), (("-k", "--key"), {"required": True}),
                        (("-v", "--value"), {"required": True})], update_kv_config),
    "deleteKvConfig": ("Delete KV config.",
                       [(("-s", "--namespace"), {"required": True}), (("-k", "--key"), {"required": True})],
                       delete_kv_config),
    "wipeWritePerm": ("Wipe write perm of broker in all name server",
                      [(("-b", "--brokerName"), {"required": True})],
                      _perm_command(RequestCode.WIPE_WRITE_PERM_OF_BROKER, "wipeTopicCount", "wipe")),
    "addWritePerm": ("Add write perm of broker in all name server",
                     [(("-b", "--brokerName"), {"required": True})],
                     _perm_command(RequestCode.ADD_WRITE_PERM_OF_BROKER, "addTopicCount", "add")),
    **MESSAGE_COMMANDS,
    **BROKER_COMMANDS,
    **TRACE_COMMANDS,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mqadmin", description="RocketMQ admin tool")
    sub = p.add_subparsers(dest="command", metavar="<command>")
    for name, (help_text, options, _fn) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text)
        sp.add_argument("-n", "--namesrvAddr", help="Name server address list, eg: 192.168.0.1:9876;192.168.0.2:9876")
        for flags, kw in options:
            sp.add_argument(*flags, **kw)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.command:
        parser().print_help()
        return 1
    fn = COMMANDS[args.command][2]

    async def run() -> None:
        client = RemotingClient()
        try:
            await fn(client, args)
        finally:
            await client.close()

    try:
        runtime.run(run())
    except AdminError as e:
        print(f"{args.command} command failed: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - connection errors and the like, reported plainly
        print(f"{args.command} command failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

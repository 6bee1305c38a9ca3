"""mqadmin broker-config subcommands: getBrokerConfig and updateBrokerConfig, by broker address (-b) or for
every broker of a cluster (-c), as the Java tool does."""
from __future__ import annotations

import argparse
from typing import Callable

from remoting import fastjson
from remoting.bodies import ClusterInfo
from remoting.client import RemotingClient
from remoting.codes import RequestCode
from remoting.config import parse_properties

from .admin_client import AdminError, call, namesrvs, ok


async def _targets(client: RemotingClient, args: argparse.Namespace, masters_only: bool) -> list[str]:
    if args.brokerAddr:
        return [args.brokerAddr]
    if not args.clusterName:
        raise AdminError("one of -b brokerAddr or -c clusterName is required")
    info = ClusterInfo.from_json(fastjson.loads(ok(await call(client, namesrvs(args)[0],
                                                              RequestCode.GET_BROKER_CLUSTER_INFO)).body))
    out = []
    for name in sorted(info.clusterAddrTable.get(args.clusterName, [])):
        bd = info.brokerAddrTable.get(name)
        for bid, addr in sorted((bd.brokerAddrs if bd else {}).items()):
            if bid == 0 or not masters_only:
                out.append(addr)
    return out


async def get_broker_config(client: RemotingClient, args: argparse.Namespace) -> None:
    for addr in await _targets(client, args, masters_only=False):
        props = parse_properties((ok(await call(client, addr, RequestCode.GET_BROKER_CONFIG)).body or b"").decode())
        print(f"============{addr}============")
        for k in sorted(props):
            print(f"{k:<50}=  {props[k]}")


async def update_broker_config(client: RemotingClient, args: argparse.Namespace) -> None:
    body = f"{args.key}={args.value}\n".encode()
    for addr in await _targets(client, args, masters_only=False):
        ok(await call(client, addr, RequestCode.UPDATE_BROKER_CONFIG, body=body))
        print(f"update broker config success, {addr}")


_WHERE = [(("-b", "--brokerAddr"), {}), (("-c", "--clusterName"), {})]
BROKER_COMMANDS: dict[str, tuple[str, list, Callable]] = {
    "getBrokerConfig": ("Get broker config by cluster or special broker!", _WHERE, get_broker_config),
    "updateBrokerConfig": ("Update broker's config",
                           _WHERE + [(("-k", "--key"), {"required": True}), (("-v", "--value"), {"required": True})],
                           update_broker_config),
}

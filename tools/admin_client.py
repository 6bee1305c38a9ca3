"""What every mqadmin subcommand needs: the NameServer list, a request with its answer, error reporting."""
from __future__ import annotations

import argparse
import os

from remoting import fastjson
from remoting.bodies import TopicRouteData
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_request


class AdminError(Exception):
    pass


async def call(client: RemotingClient, addr: str, code: int, ext: dict | None = None,
               body: bytes | None = None) -> RemotingCommand:
    return await client.invoke(addr, make_request(code, ext, body), timeout=5)


def ok(resp: RemotingCommand) -> RemotingCommand:
    if resp.code != ResponseCode.SUCCESS:
        raise AdminError(f"CODE: {resp.code}  DESC: {resp.remark}")
    return resp


def namesrvs(args: argparse.Namespace) -> list[str]:
    addr = args.namesrvAddr or os.environ.get("NAMESRV_ADDR")
    if not addr:
        raise AdminError("Please set the NAMESRV_ADDR environment variable or pass -n host:port")
    return [a for a in addr.split(";") if a]


async def topic_route(client: RemotingClient, args: argparse.Namespace, topic: str) -> TopicRouteData:
    resp = ok(await call(client, namesrvs(args)[0], RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic}))
    return TopicRouteData.from_json(fastjson.loads(resp.body))


def master_addrs(route: TopicRouteData) -> list[str]:
    return [b.brokerAddrs[0] for b in route.brokerDatas if 0 in b.brokerAddrs]

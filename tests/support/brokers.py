"""Register brokers with a NameServer exactly as a Java 4.9.7 broker does (BrokerOuterAPI.registerBrokerAll)."""
from __future__ import annotations

import time
import zlib

from remoting import fastjson
from remoting.bodies import DataVersion, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper, TopicRouteData
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_request
from remoting.headers import RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader


def register_request(cluster: str, name: str, broker_id: int, addr: str, ha_addr: str,
                     topics: list[TopicConfig], version: DataVersion, compressed: bool = False,
                     heartbeat_timeout_ms: int | None = None) -> RemotingCommand:
    body = RegisterBrokerBody(TopicConfigSerializeWrapper({t.topicName: t for t in topics}, version), []).encode(compressed)
    header = RegisterBrokerRequestHeader(brokerName=name, brokerAddr=addr, clusterName=cluster, haServerAddr=ha_addr,
                                         brokerId=broker_id, compressed=compressed,
                                         bodyCrc32=zlib.crc32(body) & 0x7FFFFFFF,
                                         heartbeatTimeoutMillis=heartbeat_timeout_ms)
    return make_request(RequestCode.REGISTER_BROKER, header.encode(), body)


async def register(client: RemotingClient, namesrv: str, cluster: str, name: str, broker_id: int, addr: str,
                   topics: list[TopicConfig], counter: int = 0, **kw) -> RemotingCommand:
    ha = addr.rsplit(":", 1)[0] + ":" + str(int(addr.rsplit(":", 1)[1]) + 1)
    req = register_request(cluster, name, broker_id, addr, ha, topics, DataVersion(int(time.time() * 1000), counter), **kw)
    resp = await client.invoke(namesrv, req, timeout=5)
    assert resp.code == ResponseCode.SUCCESS, resp
    return resp


async def unregister(client: RemotingClient, namesrv: str, cluster: str, name: str, broker_id: int, addr: str) -> None:
    h = UnRegisterBrokerRequestHeader(brokerName=name, brokerAddr=addr, clusterName=cluster, brokerId=broker_id)
    resp = await client.invoke(namesrv, make_request(RequestCode.UNREGISTER_BROKER, h.encode()), timeout=5)
    assert resp.code == ResponseCode.SUCCESS, resp


async def route(client: RemotingClient, namesrv: str, topic: str) -> TopicRouteData | None:
    resp = await client.invoke(namesrv, make_request(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic}), timeout=5)
    if resp.code == ResponseCode.TOPIC_NOT_EXIST:
        return None
    assert resp.code == ResponseCode.SUCCESS, resp
    return TopicRouteData.from_json(fastjson.loads(resp.body))

"""Replay what Java 4.9.7 peers sent to a Java NameServer (../shared/fixtures/java-4.9.7/wire/) byte for byte
against ours, and compare each answer with the Java NameServer's: code, flag, serialization, extFields keys,
remark, version, and the body as data.

State: every client capture ran against a namesrv where broker-a had registered (broker-namesrv capture), so
its REGISTER_BROKER frames are replayed first on a connection kept open, as the broker kept its own. One
inherent difference is normalised explicitly: a consumer's retry topic (%RETRY%group) appears in the Java
namesrv when the broker, after the consumer's first heartbeat, registers it; that registration is not in the
client captures, so when the capture shows the retry route appearing we register that topic, with the queue
data the capture shows, through the broker connection first.
"""
from __future__ import annotations

import asyncio
import struct
import zlib

import pytest

from remoting import fastjson
from remoting.bodies import DataVersion, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper
from remoting.codec import decode_frame, encode_frame
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_request
from tests.support.captures import capture_names, frames

NAMESRV_CAPTURES = [n for n in capture_names() if any(f["peer"] == "namesrv" for f in frames(n))]


class RawConn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, addr: str) -> "RawConn":
        host, port = addr.split(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    async def exchange(self, raw: bytes) -> RemotingCommand:
        self.writer.write(raw)
        await self.writer.drain()
        prefix = await asyncio.wait_for(self.reader.readexactly(4), 5)
        rest = await asyncio.wait_for(self.reader.readexactly(struct.unpack(">I", prefix)[0]), 5)
        return decode_frame(prefix + rest)

    def close(self) -> None:
        self.writer.close()


def pairs(name: str, peer: str = "namesrv") -> list[tuple[dict, dict | None]]:
    """(request, response) frames sent to `peer` in capture order; oneway requests pair with None.
    Requests the server sent to the client (s2c requests) are left out."""
    fs = [f for f in frames(name) if f["peer"] == peer]
    responses = {(f["conn"], f["header"]["opaque"]): f for f in fs if f["rpc"] == "response" and f["dir"] == "s2c"}
    return [(f, responses.get((f["conn"], f["header"]["opaque"])) if f["rpc"] == "request" else None)
            for f in fs if f["dir"] == "c2s" and f["rpc"] in ("request", "oneway")]


def body_of(frame: dict) -> bytes | None:
    raw = bytes.fromhex(frame["hex"])
    body = raw[8 + frame["header_len"]:]
    return body or None


def assert_same_answer(ours: RemotingCommand, java: dict, what: str) -> None:
    jh = java["header"]
    assert ours.code == jh["code"], what
    assert ours.flag == jh["flag"], what
    assert int(ours.serialize_type) == java["serialize_type"], what
    assert ours.version == jh["version"] and ours.language == jh.get("languageName", jh.get("language")), what
    assert ours.remark == jh.get("remark"), what
    java_ext = jh.get("extFields")
    assert set(ours.ext_fields or {}) == set(java_ext or {}), what
    if java["serialize_type"] == 0:
        assert (ours.ext_fields is None) == (java_ext is None), f"{what}: extFields presence differs"
    java_body = body_of(java)
    if java_body is None:
        assert ours.body is None, what
    else:
        assert ours.body is not None, what
        assert fastjson.loads(ours.body) == fastjson.loads(java_body), what


async def replay_broker_registration(addr: str) -> RawConn:
    broker = await RawConn.open(addr)
    for req, resp in pairs("broker-namesrv"):
        if req["header"]["code"] == RequestCode.REGISTER_BROKER:
            assert_same_answer(await broker.exchange(bytes.fromhex(req["hex"])), resp, "REGISTER_BROKER")
    return broker


async def register_retry_topic(broker: RawConn, topic: str, java_route_body: bytes, counter: int) -> None:
    qd = fastjson.loads(java_route_body)["queueDatas"][0]
    tc = TopicConfig(topic, qd["readQueueNums"], qd["writeQueueNums"], qd["perm"], topicSysFlag=qd["topicSysFlag"])
    body = RegisterBrokerBody(TopicConfigSerializeWrapper({topic: tc}, DataVersion(counter, counter)), []).encode()
    ext = {"brokerId": "0", "bodyCrc32": str(zlib.crc32(body) & 0x7FFFFFFF), "clusterName": "DefaultCluster",
           "brokerAddr": "127.0.0.2:40931", "haServerAddr": "192.0.2.2:40932", "compressed": "false",
           "brokerName": "broker-a"}
    resp = await broker.exchange(encode_frame(make_request(RequestCode.REGISTER_BROKER, ext, body)))
    assert resp.code == ResponseCode.SUCCESS


@pytest.mark.parametrize("name", NAMESRV_CAPTURES)
async def test_replayed_java_requests_get_java_answers(name, namesrv):
    broker = None if name == "broker-namesrv" else await replay_broker_registration(namesrv.addr)
    conns: dict[int, RawConn] = {}
    known_retry: set[str] = set()
    try:
        for n, (req, java_resp) in enumerate(pairs(name)):
            code = req["header"]["code"]
            topic = (req["header"].get("extFields") or {}).get("topic", "")
            if (broker is not None and code == RequestCode.GET_ROUTEINFO_BY_TOPIC and topic.startswith("%RETRY%")
                    and java_resp["header"]["code"] == ResponseCode.SUCCESS and topic not in known_retry):
                await register_retry_topic(broker, topic, body_of(java_resp), 100 + n)
                known_retry.add(topic)
            conn = conns.get(req["conn"])
            if conn is None:
                conn = conns[req["conn"]] = await RawConn.open(namesrv.addr)
            ours = await conn.exchange(bytes.fromhex(req["hex"]))
            assert_same_answer(ours, java_resp, f"{name} frame {n} ({req['code_name']} {topic})")
        assert len(pairs(name)) > 0
    finally:
        for c in conns.values():
            c.close()
        if broker is not None:
            broker.close()

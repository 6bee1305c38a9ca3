"""The remoting server and client over real sockets: dispatch, serializations, oneway, server-initiated
requests, errors, idle close, frame limit."""
from __future__ import annotations

import asyncio
import struct

import pytest

from remoting.client import RemotingClient
from remoting.codec import DEFAULT_MAX_FRAME_LENGTH, decode_frame, encode_frame
from remoting.codes import RequestCode, ResponseCode, SerializeType
from remoting.command import RemotingCommand, make_request, make_response
from remoting.config import ServerConfig
from remoting.dispatch import Dispatcher
from remoting.errors import RemotingTimeoutError
from remoting.headers import GetRouteInfoRequestHeader
from remoting.server import RemotingServer


class Recorder:
    def __init__(self) -> None:
        self.seen: list[RemotingCommand] = []
        self.oneway_seen = asyncio.Event()

    def echo(self, conn, req):
        self.seen.append(req)
        return make_response(req, ResponseCode.SUCCESS, remark=req.ext("say"), ext_fields={"got": str(req.code)},
                             body=req.body)

    def note_oneway(self, conn, req):
        self.seen.append(req)
        self.oneway_seen.set()
        return make_response(req, ResponseCode.SUCCESS)  # must not be written: the request was oneway

    async def slow(self, conn, req):
        await asyncio.sleep(0.05)
        return make_response(req, ResponseCode.SUCCESS, remark="slow")

    async def boom(self, conn, req):
        raise RuntimeError("kaput")

    def needs_topic(self, conn, req):
        GetRouteInfoRequestHeader.decode(req.ext_fields)
        return make_response(req, ResponseCode.SUCCESS)


@pytest.fixture
async def server():
    rec = Recorder()
    d = Dispatcher("test")
    d.register(1000, rec.echo)
    d.register(1001, rec.note_oneway)
    d.register(1002, rec.slow)
    d.register(1003, rec.boom)
    d.register(RequestCode.GET_ROUTEINFO_BY_TOPIC, rec.needs_topic)
    cfg = ServerConfig(listenPort=0, serverChannelMaxIdleTimeSeconds=0)
    srv = RemotingServer(d, cfg, name="test")
    port = await srv.start("127.0.0.1")
    srv.recorder = rec
    srv.addr = f"127.0.0.1:{port}"
    yield srv
    await srv.stop(grace=1)


async def test_request_response_in_the_requests_serialization(server, client):
    for stype in SerializeType:
        req = make_request(1000, {"say": "hi"}, b"payload", serialize_type=stype)
        resp = await client.invoke(server.addr, req, timeout=3)
        assert resp.serialize_type == stype
        assert (resp.code, resp.remark, resp.ext_fields, resp.body, resp.opaque) == (
            0, "hi", {"got": "1000"}, b"payload", req.opaque)
        assert resp.is_response and not resp.is_oneway


async def test_unknown_code_answers_not_supported_and_connection_stays(server, client):
    resp = await client.invoke(server.addr, make_request(4242, serialize_type=SerializeType.ROCKETMQ), timeout=3)
    assert resp.code == ResponseCode.REQUEST_CODE_NOT_SUPPORTED
    assert resp.remark == " request type 4242 not supported"
    assert resp.serialize_type == SerializeType.JSON  # remoting-level errors use the server default, as Java
    assert (await client.invoke(server.addr, make_request(1000), timeout=3)).code == 0


async def test_oneway_runs_the_handler_and_writes_nothing(server, client):
    conn = await client.connection(server.addr)
    received: list[RemotingCommand] = []
    orig = conn._dispatch
    conn._dispatch = lambda cmd: (received.append(cmd), orig(cmd))  # see every frame coming back
    conn.oneway(make_request(1001))
    await asyncio.wait_for(server.recorder.oneway_seen.wait(), 3)
    resp = await conn.request(make_request(1000), 3)
    assert resp.code == 0
    assert [c.opaque for c in received] == [resp.opaque]  # the oneway produced no frame


async def test_async_handlers_run_concurrently_and_errors_become_system_error(server, client):
    slow = [client.invoke(server.addr, make_request(1002), 3) for _ in range(20)]
    results = await asyncio.gather(*slow)
    assert {r.remark for r in results} == {"slow"}
    resp = await client.invoke(server.addr, make_request(1003), 3)
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "kaput")


async def test_missing_required_header_field_is_a_clean_error(server, client):
    resp = await client.invoke(server.addr, make_request(RequestCode.GET_ROUTEINFO_BY_TOPIC, {}), 3)
    assert resp.code == ResponseCode.SYSTEM_ERROR
    assert resp.remark == "the custom field <topic> is null"


async def test_server_initiated_request_to_a_connected_client(server):
    answered = []

    def on_notify(conn, req):
        answered.append(req.ext("consumerGroup"))
        return make_response(req, ResponseCode.SUCCESS, remark="client says ok")

    d = Dispatcher("client")
    d.register(RequestCode.GET_CONSUMER_RUNNING_INFO, on_notify)
    c = RemotingClient(d)
    try:
        await c.invoke(server.addr, make_request(1000), 3)
        (conn,) = server.connections
        resp = await server.invoke(conn, make_request(RequestCode.GET_CONSUMER_RUNNING_INFO,
                                                      {"consumerGroup": "G"}), 3)
        assert (resp.code, resp.remark, answered) == (0, "client says ok", ["G"])
        server.invoke_oneway(conn, make_request(RequestCode.GET_CONSUMER_RUNNING_INFO, {"consumerGroup": "H"}))
        await c.invoke(server.addr, make_request(1000), 3)  # a round trip orders after the oneway
        assert answered == ["G", "H"]
    finally:
        await c.close()


async def test_invoke_times_out_when_no_answer(client):
    d = Dispatcher("silent")
    d.register(1000, lambda conn, req: None)  # never answers
    srv = RemotingServer(d, ServerConfig(listenPort=0, serverChannelMaxIdleTimeSeconds=0))
    port = await srv.start("127.0.0.1")
    try:
        with pytest.raises(RemotingTimeoutError):
            await client.invoke(f"127.0.0.1:{port}", make_request(1000), timeout=0.2)
    finally:
        await srv.stop(grace=0.5)


async def test_idle_connections_are_closed():
    d = Dispatcher("idle")
    d.register(1000, Recorder().echo)
    srv = RemotingServer(d, ServerConfig(listenPort=0, serverChannelMaxIdleTimeSeconds=1))
    port = await srv.start("127.0.0.1")
    c = RemotingClient()
    try:
        conn = await c.connection(f"127.0.0.1:{port}")
        await asyncio.wait_for(conn.closed_future, 5)
    finally:
        await c.close()
        await srv.stop(grace=0.5)


async def _raw_exchange(addr: str, data: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = addr.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    await writer.drain()
    return reader, writer


async def _read_frame(reader: asyncio.StreamReader) -> RemotingCommand:
    prefix = await asyncio.wait_for(reader.readexactly(4), 5)
    rest = await asyncio.wait_for(reader.readexactly(struct.unpack(">I", prefix)[0]), 5)
    return decode_frame(prefix + rest)


async def test_frame_limit_boundary(server):
    # one byte over Java's limit: closed at once, before any body arrives
    reader, writer = await _raw_exchange(server.addr, struct.pack(">I", DEFAULT_MAX_FRAME_LENGTH - 3))
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    # exactly at the limit: accepted and answered
    req = make_request(1000)
    header_frame = encode_frame(req)
    body = b"x" * (DEFAULT_MAX_FRAME_LENGTH - len(header_frame))
    req.body = body
    frame = encode_frame(req)
    assert len(frame) == DEFAULT_MAX_FRAME_LENGTH
    reader, writer = await _raw_exchange(server.addr, frame)
    resp = await _read_frame(reader)
    assert resp.code == 0 and resp.body == body
    writer.close()


async def test_pipelined_frames_in_one_write_and_split_across_writes(server):
    frames = b"".join(encode_frame(RemotingCommand(code=1000, opaque=i, ext_fields={"say": str(i)}))
                      for i in range(50))
    reader, writer = await _raw_exchange(server.addr, frames[:7])
    for i in range(7, len(frames), 13):
        writer.write(frames[i:i + 13])
    await writer.drain()
    got = [await _read_frame(reader) for _ in range(50)]
    assert [(r.opaque, r.remark) for r in got] == [(i, str(i)) for i in range(50)]
    writer.close()


async def test_a_peer_that_never_reads_cannot_grow_our_write_buffer(server):
    """While responses pile up unread, the server stops reading requests; nothing is lost once the peer reads."""
    n = 20000
    reader, writer = await _raw_exchange(server.addr, b"")
    requests = b"".join(encode_frame(RemotingCommand(code=1000, opaque=i, body=b"x" * 200)) for i in range(n))
    writer.write(requests)  # ~5 MB of requests, ~5 MB of responses that nobody reads yet
    deadline = asyncio.get_running_loop().time() + 10
    # the server opens the connection once its first byte has arrived (the TLS/plain sniff)
    while not server.connections and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    (conn,) = server.connections
    while conn.transport.is_reading() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert not conn.transport.is_reading(), "server kept reading while its peer did not"
    assert conn.transport.get_write_buffer_size() < 1 << 20
    got = [await _read_frame(reader) for _ in range(n)]
    assert [r.opaque for r in got] == list(range(n))
    writer.close()

"""The server's accept path in-process (NettyRemotingServer.HandshakeHandler): the first byte decides TLS or plain
by tls.server.mode, refused peers are closed with Java's log line and their address, failed handshakes are
logged with the reason, a silent peer holds up nobody. Every test runs on uvloop (the daemons' loop) and on the
default asyncio loop."""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
from contextlib import asynccontextmanager

import pytest
import uvloop

from remoting import server as server_mod
from remoting import tls
from remoting.client import RemotingClient
from remoting.codes import ResponseCode
from remoting.command import make_request, make_response
from remoting.config import ServerConfig
from remoting.dispatch import Dispatcher
from remoting.errors import RemotingConnectError, RemotingError
from remoting.server import RemotingServer
from tests.support.tlscerts import Certs, make_certs

ECHO = 1000
LOOPS = {"uvloop": uvloop.new_event_loop, "asyncio": asyncio.new_event_loop}


@pytest.fixture(params=sorted(LOOPS))
def run(request):
    """Run a coroutine function to the end on the parametrized loop, within 30 s."""
    def _run(fn, *args):
        with asyncio.Runner(loop_factory=LOOPS[request.param]) as runner:
            return runner.run(asyncio.wait_for(fn(*args), 30))
    return _run


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def log_text(caplog):
    caplog.set_level(logging.INFO, logger="remoting")
    return lambda: caplog.text


def config(**kv: str) -> tls.TlsConfig:
    return tls.load_tls_config({"tls.config.file": "/nonexistent/tls.properties", **kv}, environ={})


def real_certs(c: Certs, mode: str, **kv: str) -> tls.TlsConfig:
    return config(**{"tls.server.mode": mode, "tls.test.mode.enable": "false",
                     "tls.server.certPath": str(c.server_cert), "tls.server.keyPath": str(c.server_key),
                     "tls.server.trustCertPath": str(c.ca), **kv})


def client_ctx(c: Certs | None = None, cert=None, key=None, **kv: str):
    if c is None:
        return tls.build_client_context(config())          # test mode: trusts anything
    keys = {"tls.test.mode.enable": "false", "tls.client.authServer": "true", "tls.client.trustCertPath": str(c.ca)}
    if cert:
        keys.update({"tls.client.certPath": str(cert), "tls.client.keyPath": str(key)})
    keys.update(kv)
    return tls.build_client_context(config(**keys))


@asynccontextmanager
async def serving(cfg: tls.TlsConfig | None, idle: int = 0):
    d = Dispatcher("test")
    d.register(ECHO, lambda conn, req: make_response(req, ResponseCode.SUCCESS, remark=req.ext("say")))
    st = None
    if cfg is not None:
        st = tls.ServerTls(cfg)
        st.prepare()
    srv = RemotingServer(d, ServerConfig(listenPort=0, serverChannelMaxIdleTimeSeconds=idle), name="t", tls=st)
    await srv.start("127.0.0.1")
    try:
        yield srv
    finally:
        await srv.stop()


async def echo(port: int, ssl=None, say: str = "hi") -> str:
    client = RemotingClient(ssl=ssl)
    try:
        resp = await client.invoke(f"127.0.0.1:{port}", make_request(ECHO, {"say": say}), 5)
        assert resp.code == ResponseCode.SUCCESS
        return resp.remark
    finally:
        await client.close()


async def raw(port: int, data: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    """A raw connection that writes `data`; (reader, writer, our "ip:port" as the server logs it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if data:
        writer.write(data)
        await writer.drain()
    host, p = writer.get_extra_info("sockname")[:2]
    return reader, writer, f"{host}:{p}"


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), 5) == b""
    except ConnectionResetError:
        return True


def test_permissive_serves_plain_and_tls_on_one_port(run):
    async def go():
        async with serving(config()) as srv:           # Java's defaults: permissive, test mode
            assert await echo(srv.port, None, "plain") == "plain"
            assert await echo(srv.port, client_ctx(), "tls") == "tls"
            # both at once, on one port
            c1, c2 = RemotingClient(), RemotingClient(ssl=client_ctx())
            addr = f"127.0.0.1:{srv.port}"
            r1, r2 = await asyncio.gather(c1.invoke(addr, make_request(ECHO, {"say": "a"}), 5),
                                          c2.invoke(addr, make_request(ECHO, {"say": "b"}), 5))
            assert (r1.remark, r2.remark) == ("a", "b") and len(srv.connections) == 2
            kinds = sorted(c.transport.get_extra_info("sslcontext") is not None for c in srv.connections)
            assert kinds == [False, True]
            await c1.close()
            await c2.close()
    run(go)


def test_enforcing_refuses_plain_with_javas_log_line(run, log_text):
    async def go():
        async with serving(config(**{"tls.server.mode": "enforcing"})) as srv:
            reader, writer, me = await raw(srv.port, b"\x00\x00\x00\x10plain request..")
            assert await closed_by_server(reader)
            writer.close()
            with pytest.raises(RemotingError):
                await echo(srv.port, None)
            assert await echo(srv.port, client_ctx(), "secure") == "secure"
            return me
    me = run(go)
    assert (f"closing {me}: Clients intend to establish an insecure connection while this server is running in "
            "SSL enforcing mode") in log_text()


def test_disabled_refuses_tls_with_javas_log_line(run, log_text):
    async def go():
        async with serving(config(**{"tls.server.mode": "disabled"})) as srv:
            with pytest.raises(RemotingConnectError):
                await echo(srv.port, client_ctx())
            reader, writer, me = await raw(srv.port, b"\x16\x03\x01\x00\x05hello")
            assert await closed_by_server(reader)
            writer.close()
            assert await echo(srv.port, None, "plain") == "plain"
            return me
    me = run(go)
    assert (f"closing {me}: Clients intend to establish an SSL connection while this server is running in "
            "SSL disabled mode") in log_text()


def test_no_tls_settings_means_disabled(run):
    async def go():
        async with serving(None) as srv:
            assert srv.tls.mode == "disabled"
            with pytest.raises(RemotingConnectError):
                await echo(srv.port, client_ctx())
            assert await echo(srv.port, None) == "hi"
    run(go)


def test_a_silent_peer_blocks_nobody_and_is_closed_as_idle(run, log_text):
    async def go():
        async with serving(config(**{"tls.server.mode": "enforcing"}), idle=1) as srv:
            reader, writer, me = await raw(srv.port, b"")
            # while it says nothing, others are served, TLS handshakes included
            assert await echo(srv.port, client_ctx(), "other") == "other"
            assert await closed_by_server(reader)      # the idle sweep (serverChannelMaxIdleTimeSeconds)
            writer.close()
            return me
    me = run(go)
    assert f"closing idle connection {me} (it sent nothing)" in log_text()


def test_garbage_after_the_handshake_byte_is_logged_and_closed(run, log_text):
    async def go():
        async with serving(config()) as srv:
            reader, writer, me = await raw(srv.port, b"\x16" + b"\x00garbage that is no TLS record" * 4)
            assert await closed_by_server(reader)
            writer.close()
            assert await echo(srv.port, client_ctx(), "still serving") == "still serving"
            return me
    me = run(go)
    assert f"TLS handshake with {me} failed, connection closed:" in log_text()


def test_a_stalled_handshake_times_out(run, log_text, monkeypatch):
    monkeypatch.setattr(server_mod, "HANDSHAKE_TIMEOUT", 0.5)

    async def go():
        async with serving(config()) as srv:
            reader, writer, me = await raw(srv.port, b"\x16\x03\x01")   # the start of a record, then nothing
            assert await closed_by_server(reader)
            writer.close()
            return me
    me = run(go)
    assert f"TLS handshake with {me} failed, connection closed:" in log_text()


def test_client_certificates_expired_or_from_another_ca_are_refused(run, log_text, certs):
    cfg = real_certs(certs, "enforcing", **{"tls.server.need.client.auth": "require",
                                            "tls.server.authClient": "true"})

    async def go():
        async with serving(cfg) as srv:
            assert await echo(srv.port, client_ctx(certs, certs.client_cert, certs.client_key), "ok") == "ok"
            for cert, key in ((certs.expired_cert, certs.expired_key),
                              (certs.other_client_cert, certs.other_client_key), (None, None)):
                with pytest.raises(RemotingError):
                    await echo(srv.port, client_ctx(certs, cert, key))
    run(go)
    text = log_text()
    assert "failed, connection closed: certificate verify failed: certificate has expired" in text
    assert "failed, connection closed: certificate verify failed: unable to get local issuer certificate" in text
    assert "failed, connection closed: PEER_DID_NOT_RETURN_A_CERTIFICATE" in text


def test_client_refuses_a_server_its_ca_did_not_sign(run, certs):
    stranger = real_certs(certs, "enforcing", **{"tls.server.certPath": str(certs.other_server_cert),
                                                 "tls.server.keyPath": str(certs.other_server_key)})

    async def go():
        async with serving(stranger) as srv:
            with pytest.raises(RemotingConnectError, match="certificate verify failed"):
                await echo(srv.port, client_ctx(certs))
            # authServer=false: Java's InsecureTrustManagerFactory, any server will do
            assert await echo(srv.port, client_ctx(certs, **{"tls.client.authServer": "false"}), "x") == "x"
    run(go)


def test_a_server_without_a_usable_context_closes_tls_peers(run, log_text, certs):
    broken = real_certs(certs, "permissive", **{"tls.server.keyPath": "/nonexistent.key"})

    async def go():
        async with serving(broken) as srv:
            with pytest.raises(RemotingError):
                await echo(srv.port, client_ctx())
            assert await echo(srv.port, None, "plain") == "plain"
    run(go)
    text = log_text()
    assert "Failed to create SSLContext for server: tls.server.keyPath /nonexistent.key: no such file" in text
    assert "Trying to establish an SSL connection but sslContext is null" in text


def open_fds() -> int:
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


def test_stop_closes_every_kind_of_peer_and_leaks_no_descriptor(run):
    async def go():
        async with serving(config()) as srv:     # a first round: the loop makes what it keeps (uvloop's wake-up fd)
            await echo(srv.port, client_ctx())
        before = open_fds()
        async with serving(config()) as srv:
            clients = [RemotingClient(), RemotingClient(ssl=client_ctx())]
            for c in clients:
                await c.invoke(f"127.0.0.1:{srv.port}", make_request(ECHO, {"say": "x"}), 5)
            silent = [await raw(srv.port, b"") for _ in range(5)]
            garbage = [await raw(srv.port, b"\x16garbage-garbage-garbage") for _ in range(5)]
            for reader, writer, _ in garbage:
                assert await closed_by_server(reader)
        for reader, writer, _ in silent:                 # stop() closed the ones still unsniffed
            assert await closed_by_server(reader)
        for reader, writer, _ in silent + garbage:
            writer.close()
        for c in clients:
            await c.close()
        await asyncio.sleep(0)
        assert open_fds() == before
    run(go)


def test_listens_like_create_server(run):
    async def go():
        async with serving(None) as srv:
            # a second server on the same port fails as loop.create_server does
            with pytest.raises(OSError):
                await RemotingServer(Dispatcher("x"), ServerConfig(listenPort=srv.port)).start("127.0.0.1")
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.close()
    run(go)

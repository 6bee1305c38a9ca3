"""The asyncio remoting client: one pooled connection per address, invoke with timeout, oneway, and
requests the peer sends us (dispatched like a server's)."""
from __future__ import annotations

import asyncio
import logging
import ssl as _ssl

from .codec import DEFAULT_MAX_FRAME_LENGTH
from .command import RemotingCommand
from .connection import Connection
from .dispatch import Dispatcher
from .errors import RemotingConnectError
from .tls import HANDSHAKE_TIMEOUT

log = logging.getLogger("remoting")


def split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit():
        raise RemotingConnectError(f"bad address {addr!r}, expected host:port")
    return host.strip("[]"), int(port)


class RemotingClient:
    def __init__(self, dispatcher: Dispatcher | None = None, *, connect_timeout: float = 3.0,
                 max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH, ssl: _ssl.SSLContext | None = None) -> None:
        self.dispatcher = dispatcher or Dispatcher("client")
        # TLS for every connection when set (NettyClientConfig.useTLS; remoting/tls builds it from tls.* keys)
        self.ssl = ssl
        self.connect_timeout = connect_timeout
        self.max_frame_length = max_frame_length
        self._conns: dict[str, Connection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._closed = False

    async def connection(self, addr: str) -> Connection:
        conn = self._conns.get(addr)
        if conn is not None and not conn.closed:
            return conn
        lock = self._locks.setdefault(addr, asyncio.Lock())
        async with lock:
            conn = self._conns.get(addr)
            if conn is not None and not conn.closed:
                return conn
            if self._closed:
                raise RemotingConnectError("client is closed")
            host, port = split_addr(addr)
            loop = asyncio.get_running_loop()
            factory = lambda: Connection(self.dispatcher, max_frame_length=self.max_frame_length,  # noqa: E731
                                         on_close=self._forget)
            tls = self.ssl
            try:
                if tls is None:
                    _t, conn = await asyncio.wait_for(loop.create_connection(factory, host, port),
                                                      self.connect_timeout)
                else:
                    # no host name check and no SNI, as Netty's sslContext.newHandler(alloc) (remoting/tls)
                    _t, conn = await asyncio.wait_for(loop.create_connection(
                        factory, host, port, ssl=tls, server_hostname=None if tls.check_hostname else "",
                        ssl_handshake_timeout=HANDSHAKE_TIMEOUT), self.connect_timeout + HANDSHAKE_TIMEOUT)
            except _ssl.SSLError as e:
                raise RemotingConnectError(f"connect to {addr} failed: TLS handshake: {e}") from None
            except (OSError, asyncio.TimeoutError) as e:
                raise RemotingConnectError(f"connect to {addr} failed: {e}") from None
            self._conns[addr] = conn
            return conn

    def _forget(self, conn: Connection) -> None:
        for addr, c in list(self._conns.items()):
            if c is conn:
                del self._conns[addr]

    async def invoke(self, addr: str, request: RemotingCommand, timeout: float = 3.0) -> RemotingCommand:
        conn = await self.connection(addr)
        return await conn.request(request, timeout)

    async def invoke_oneway(self, addr: str, request: RemotingCommand) -> None:
        conn = await self.connection(addr)
        conn.oneway(request)

    def close_connection(self, addr: str) -> None:
        conn = self._conns.pop(addr, None)
        if conn is not None:
            conn.close()

    async def close(self) -> None:
        self._closed = True
        conns = list(self._conns.values())
        self._conns.clear()
        for c in conns:
            c.close()
        if conns:
            await asyncio.wait([c.closed_future for c in conns], timeout=3.0)

"""The asyncio remoting server: listens, owns its connections, closes idle ones, and lets the owner
send requests to a connected peer (broker -> client calls).

Accepting is NettyRemotingServer's HandshakeHandler: the server accepts sockets itself, peeks at the first byte
each peer sends (MSG_PEEK, nothing is consumed) and only then hands the socket to the event loop as a plain or
a TLS connection, by the daemon's `tls.server.mode` (remoting/tls): 0x16 (a TLS handshake) is TLS unless the
mode is disabled, anything else is plain unless the mode is enforcing; a refused peer is closed with Java's log
line and its address. After that first peek the connection is the loop's own transport (no Python per byte)."""
from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import time
from typing import Callable

from .codec import DEFAULT_MAX_FRAME_LENGTH
from .command import RemotingCommand
from .config import ServerConfig
from .connection import Connection
from .dispatch import Dispatcher
from .tls import DISABLED, ENFORCING, HANDSHAKE_MAGIC, HANDSHAKE_TIMEOUT, ServerTls

log = logging.getLogger("remoting")

_ACCEPT_BATCH = 64            # accepts per readiness callback of a listening socket
_ACCEPT_RETRY_DELAY = 1.0     # asyncio's own pause after EMFILE / ENFILE / ENOBUFS / ENOMEM

ConnectionListener = Callable[[Connection], None]


class RemotingServer:
    def __init__(self, dispatcher: Dispatcher, config: ServerConfig, *, name: str = "server",
                 max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH, tls: ServerTls | None = None) -> None:
        self.dispatcher = dispatcher
        # None: no TLS at all, a TLS handshake is refused as in Java's disabled mode
        self.tls = tls or ServerTls(mode=DISABLED)
        self.config = config
        self.name = name
        self.max_frame_length = max_frame_length
        self.connections: set[Connection] = set()
        self._open_listeners: list[ConnectionListener] = []
        self._close_listeners: list[ConnectionListener] = []
        self._listen_socks: list[socket.socket] = []
        # accepted sockets whose first byte has not arrived: fd -> (socket, peer "ip:port", accepted at)
        self._sniffing: dict[int, tuple[socket.socket, str, float]] = {}
        self._opening: set[asyncio.Task] = set()    # connect_accepted_socket (and TLS handshakes) under way
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle_task: asyncio.Task | None = None
        self.port = 0

    def on_connection_open(self, listener: ConnectionListener) -> None:
        self._open_listeners.append(listener)

    def on_connection_close(self, listener: ConnectionListener) -> None:
        self._close_listeners.append(listener)

    def _protocol(self) -> Connection:
        return Connection(self.dispatcher, max_frame_length=self.max_frame_length,
                          on_open=self._opened, on_close=self._closed)

    def _opened(self, conn: Connection) -> None:
        self.connections.add(conn)
        transport = conn.transport
        cfg = self.config
        if transport is not None and cfg.writeBufferHighWaterMark > 0:
            transport.set_write_buffer_limits(high=cfg.writeBufferHighWaterMark,
                                              low=cfg.writeBufferLowWaterMark or None)
        for listener in self._open_listeners:
            listener(conn)

    def _closed(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for listener in self._close_listeners:
            try:
                listener(conn)
            except Exception:  # noqa: BLE001
                log.exception("%s: connection-close listener failed", self.name)

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        self._loop = loop = asyncio.get_running_loop()
        self._listen_socks = _listen(host, self.config.listenPort if port is None else port,
                                     self.config.serverSocketBacklog)
        for sock in self._listen_socks:
            loop.add_reader(sock.fileno(), self._accept, sock)
        self.port = self._listen_socks[0].getsockname()[1]
        idle = self.config.serverChannelMaxIdleTimeSeconds
        if idle > 0:
            self._idle_task = asyncio.create_task(self._close_idle(idle))
        log.info("%s listening on port %d", self.name, self.port)
        return self.port

    # ------------------------------------------------------------ accept and the first byte
    def _accept(self, lsock: socket.socket) -> None:
        for _ in range(_ACCEPT_BATCH):
            try:
                sock, addr = lsock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.error("%s: accept failed (%s), pausing accepts for %.0f s", self.name, e,
                              _ACCEPT_RETRY_DELAY)
                    loop = self._loop
                    assert loop is not None
                    loop.remove_reader(lsock.fileno())
                    loop.call_later(_ACCEPT_RETRY_DELAY, self._resume_accepting, lsock)
                else:
                    log.warning("%s: accept failed: %s", self.name, e)
                return
            peer = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) and len(addr) >= 2 else str(addr)
            try:
                sock.setblocking(False)
                self._peek(sock, peer, time.monotonic())
            except Exception:  # noqa: BLE001 - one peer never stops the accepting
                log.exception("%s: accepting %s failed", self.name, peer)
                sock.close()

    def _resume_accepting(self, lsock: socket.socket) -> None:
        if self._loop is not None and lsock in self._listen_socks and lsock.fileno() >= 0:
            self._loop.add_reader(lsock.fileno(), self._accept, lsock)

    def _peek(self, sock: socket.socket, peer: str, accepted: float) -> None:
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            fd = sock.fileno()
            self._sniffing[fd] = (sock, peer, accepted)
            assert self._loop is not None
            self._loop.add_reader(fd, self._readable, fd)
            return
        except OSError as e:
            log.debug("%s: %s gone before its first byte: %s", self.name, peer, e)
            sock.close()
            return
        self._route(sock, peer, first)

    def _readable(self, fd: int) -> None:
        entry = self._sniffing.pop(fd, None)
        assert self._loop is not None
        self._loop.remove_reader(fd)
        if entry is not None:
            self._peek(*entry)

    def _route(self, sock: socket.socket, peer: str, first: bytes) -> None:
        """HandshakeHandler.channelRead0: TLS, plain, or closed, by the first byte and the mode."""
        if not first:
            log.debug("%s: %s closed before sending anything", self.name, peer)
            sock.close()
            return
        is_tls = first[0] == HANDSHAKE_MAGIC
        mode = self.tls.mode
        if is_tls and mode == DISABLED:
            log.warning("%s: closing %s: Clients intend to establish an SSL connection while this server is "
                        "running in SSL disabled mode", self.name, peer)
            sock.close()
            return
        if not is_tls and mode == ENFORCING:
            log.warning("%s: closing %s: Clients intend to establish an insecure connection while this server is "
                        "running in SSL enforcing mode", self.name, peer)
            sock.close()
            return
        task = asyncio.ensure_future(self._open(sock, peer, is_tls))
        self._opening.add(task)
        task.add_done_callback(self._opening.discard)

    async def _open(self, sock: socket.socket, peer: str, is_tls: bool) -> None:
        loop = asyncio.get_running_loop()
        try:
            if not is_tls:
                await loop.connect_accepted_socket(self._protocol, sock)
                return
            ctx = await self.tls.context()
            if ctx is None:
                log.error("%s: closing %s: Trying to establish an SSL connection but sslContext is null",
                          self.name, peer)
                sock.close()
                return
            await loop.connect_accepted_socket(self._protocol, sock, ssl=ctx,
                                               ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
        except asyncio.CancelledError:
            sock.close()
            raise
        except (OSError, ssl.SSLError, EOFError) as e:
            # the transport has closed the socket already; closing again is a no-op
            sock.close()
            if is_tls:
                log.warning("%s: TLS handshake with %s failed, connection closed: %s", self.name, peer,
                            _reason(e))
            else:
                log.info("%s: connection from %s failed to open: %s", self.name, peer, e)
        except Exception:  # noqa: BLE001 - never let one peer take the accept path down
            sock.close()
            log.exception("%s: opening the connection from %s failed", self.name, peer)

    async def _close_idle(self, idle_seconds: int) -> None:
        period = min(max(idle_seconds / 4, 0.05), 5.0)
        while True:
            await asyncio.sleep(period)
            deadline = time.monotonic() - idle_seconds
            for fd, (sock, peer, accepted) in list(self._sniffing.items()):
                if accepted < deadline:
                    log.info("%s: closing idle connection %s (it sent nothing)", self.name, peer)
                    self._drop_sniffing(fd)
            for conn in list(self.connections):
                if conn.last_activity < deadline:
                    log.info("%s: closing idle connection %s", self.name, conn.remote_addr)
                    conn.close()

    async def invoke(self, conn: Connection, request: RemotingCommand, timeout: float) -> RemotingCommand:
        return await conn.request(request, timeout)

    def invoke_oneway(self, conn: Connection, request: RemotingCommand) -> None:
        conn.oneway(request)

    def _drop_sniffing(self, fd: int) -> None:
        entry = self._sniffing.pop(fd, None)
        if entry is not None:
            if self._loop is not None:
                self._loop.remove_reader(fd)
            entry[0].close()

    def _stop_listening(self) -> None:
        for sock in self._listen_socks:
            if self._loop is not None and sock.fileno() >= 0:
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._listen_socks = []
        for fd in list(self._sniffing):
            self._drop_sniffing(fd)

    async def stop(self, grace: float = 3.0) -> None:
        """Stop accepting, let in-flight handlers finish up to `grace`, then close every connection."""
        if self._idle_task:
            self._idle_task.cancel()
        self._stop_listening()
        opening = list(self._opening)
        for task in opening:
            task.cancel()
        if opening:
            await asyncio.wait(opening, timeout=grace)
        cancelled = await self.dispatcher.drain_tasks(grace)
        if cancelled:
            log.warning("%s: cancelled %d in-flight requests at shutdown", self.name, cancelled)
        conns = list(self.connections)
        for conn in conns:
            conn.close()
        if conns:
            await asyncio.wait([c.closed_future for c in conns], timeout=grace)


def _reason(e: BaseException) -> str:
    """What went wrong in a handshake, in a few words: OpenSSL's reason and verify message, or the error."""
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {e.verify_message}"
    if isinstance(e, ssl.SSLError) and e.reason:
        return f"{e.reason} ({e.library or 'SSL'})"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _listen(host: str | None, port: int, backlog: int) -> list[socket.socket]:
    """Listening sockets as loop.create_server makes them (reuse_address=True): one per address `host` resolves
    to (every local address, IPv4 and IPv6, for None or ""), IPv6 sockets IPv6-only, non-blocking."""
    infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    seen: set[tuple] = set()
    try:
        for family, type_, proto, _canon, addr in infos:
            if (family, addr) in seen:
                continue
            seen.add((family, addr))
            try:
                sock = socket.socket(family, type_, proto)
            except OSError:
                continue    # e.g. IPv6 not supported here
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(addr)
            except OSError as e:
                raise OSError(e.errno, f"error while attempting to bind on address {addr!r}: "
                                       f"{e.strerror.lower() if e.strerror else e}") from None
            sock.listen(backlog)
            sock.setblocking(False)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    if not socks:
        raise OSError(f"no address to listen on for {host!r}")
    return socks

"""The asyncio remoting server: listens, owns its connections, closes idle ones, and lets the owner
send requests to a connected peer (broker -> client calls)."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from .codec import DEFAULT_MAX_FRAME_LENGTH
from .command import RemotingCommand
from .config import ServerConfig
from .connection import Connection
from .dispatch import Dispatcher

log = logging.getLogger("remoting")

ConnectionListener = Callable[[Connection], None]


class RemotingServer:
    def __init__(self, dispatcher: Dispatcher, config: ServerConfig, *, name: str = "server",
                 max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH) -> None:
        self.dispatcher = dispatcher
        self.config = config
        self.name = name
        self.max_frame_length = max_frame_length
        self.connections: set[Connection] = set()
        self._open_listeners: list[ConnectionListener] = []
        self._close_listeners: list[ConnectionListener] = []
        self._server: asyncio.AbstractServer | None = None
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
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, host=host, port=self.config.listenPort if port is None else port,
            backlog=self.config.serverSocketBacklog, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        idle = self.config.serverChannelMaxIdleTimeSeconds
        if idle > 0:
            self._idle_task = asyncio.create_task(self._close_idle(idle))
        log.info("%s listening on port %d", self.name, self.port)
        return self.port

    async def _close_idle(self, idle_seconds: int) -> None:
        period = min(max(idle_seconds / 4, 0.05), 5.0)
        while True:
            await asyncio.sleep(period)
            deadline = time.monotonic() - idle_seconds
            for conn in list(self.connections):
                if conn.last_activity < deadline:
                    log.info("%s: closing idle connection %s", self.name, conn.remote_addr)
                    conn.close()

    async def invoke(self, conn: Connection, request: RemotingCommand, timeout: float) -> RemotingCommand:
        return await conn.request(request, timeout)

    def invoke_oneway(self, conn: Connection, request: RemotingCommand) -> None:
        conn.oneway(request)

    async def stop(self, grace: float = 3.0) -> None:
        """Stop accepting, let in-flight handlers finish up to `grace`, then close every connection."""
        if self._idle_task:
            self._idle_task.cancel()
        if self._server is not None:
            self._server.close()
        cancelled = await self.dispatcher.drain_tasks(grace)
        if cancelled:
            log.warning("%s: cancelled %d in-flight requests at shutdown", self.name, cancelled)
        conns = list(self.connections)
        for conn in conns:
            conn.close()
        if conns:
            await asyncio.wait([c.closed_future for c in conns], timeout=grace)
        if self._server is not None:
            await self._server.wait_closed()

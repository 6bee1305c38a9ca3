"""Request dispatch: a table code -> handler with a default, as NettyRemotingAbstract.processRequestCommand.

A handler takes (connection, request) and returns a response, None (no response), or an awaitable of
either. Sync handlers answer inline (no task per request); async ones run as tracked tasks.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import Awaitable, Callable, Mapping, Union

from .codes import FLAG_ONEWAY, FLAG_RESPONSE, ResponseCode
from .command import RemotingCommand
from .connection import Connection
from .headers import HeaderError

log = logging.getLogger("remoting")

HandlerResult = Union[RemotingCommand, None, Awaitable[Union[RemotingCommand, None]]]
Handler = Callable[[Connection, RemotingCommand], HandlerResult]


class Dispatcher:
    def __init__(self, name: str = "remoting") -> None:
        self.name = name
        self._table: dict[int, Handler] = {}
        self._default: Handler | None = None
        self._tasks: set[asyncio.Task] = set()
        # metrics on: an object whose observe(request code, response code, seconds, long polling, oneway) is
        # called once per answered request (daemon/metrics.RpcLatency); None costs one attribute test
        self.latency = None

    def register(self, code: int, handler: Handler) -> None:
        self._table[int(code)] = handler

    def register_all(self, table: Mapping[int, Handler]) -> None:
        for code, handler in table.items():
            self.register(code, handler)

    def set_default(self, handler: Handler | None) -> None:
        self._default = handler

    def codes(self) -> list[int]:
        return sorted(self._table)

    # ------------------------------------------------------------
    def on_request(self, conn: Connection, cmd: RemotingCommand) -> None:
        handler = self._table.get(cmd.code, self._default)
        if handler is None:
            # Java writes this even for oneway requests; remoting-level errors use the default (JSON) type.
            self._send(conn, cmd, RemotingCommand(
                code=ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
                remark=f" request type {cmd.code} not supported"), force=True)
            return
        latency = self.latency
        began = time.monotonic() if latency is not None else 0.0
        try:
            result = handler(conn, cmd)
        except Exception as e:  # noqa: BLE001 - a processor failure must never take the loop down
            self._fail(conn, cmd, e)
            return
        if type(result) is RemotingCommand:   # the common answer: skip inspect.isawaitable (interpreted Python)
            if latency is not None:
                latency.observe(cmd.code, result.code, time.monotonic() - began, False, False)
            self._send(conn, cmd, result)
        elif inspect.isawaitable(result):
            task = asyncio.ensure_future(self._finish(conn, cmd, result, began))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif result is not None:
            self._send(conn, cmd, result)
        elif latency is not None and cmd.flag & FLAG_ONEWAY:
            latency.observe(cmd.code, 0, time.monotonic() - began, False, True)

    async def _finish(self, conn: Connection, cmd: RemotingCommand, aw: Awaitable, began: float = 0.0) -> None:
        try:
            result = await aw
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001
            self._fail(conn, cmd, e)
            return
        if result is not None:
            latency = self.latency
            if latency is not None:
                # an answer that waited: a pull held by long polling (PULL_MESSAGE, LITE_PULL_MESSAGE), or a
                # send waiting for its flush / slave
                latency.observe(cmd.code, result.code, time.monotonic() - began, cmd.code in (11, 361), False)
            self._send(conn, cmd, result)

    def _fail(self, conn: Connection, cmd: RemotingCommand, exc: Exception) -> None:
        if isinstance(exc, HeaderError):
            log.warning("%s: bad header in request %s from %s: %s", self.name, cmd.code, conn.remote_addr, exc)
        else:
            log.exception("%s: processing request %s from %s failed", self.name, cmd.code, conn.remote_addr)
        self._send(conn, cmd, RemotingCommand(code=ResponseCode.SYSTEM_ERROR, remark=str(exc) or type(exc).__name__))

    @staticmethod
    def _send(conn: Connection, request: RemotingCommand, response: RemotingCommand, force: bool = False) -> None:
        if request.flag & FLAG_ONEWAY and not force:   # request.is_oneway, without the property call
            return
        response.opaque = request.opaque
        response.flag |= FLAG_RESPONSE
        conn.send(response)

    async def drain_tasks(self, timeout: float) -> int:
        """Wait for in-flight handlers up to `timeout`, cancel the rest; returns how many were cancelled."""
        if not self._tasks:
            return 0
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for t in pending:
            t.cancel()
        return len(pending)

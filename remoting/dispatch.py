"""Request dispatch: a table code -> handler with a default, as NettyRemotingAbstract.processRequestCommand.

A handler takes (connection, request) and returns a response, None (no response), or an awaitable of
either. Sync handlers answer inline (no task per request); async ones run as tracked tasks.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from time import monotonic
from typing import Awaitable, Callable, Mapping, Union

from .codes import FLAG_ONEWAY, FLAG_RESPONSE, ResponseCode
from .command import RemotingCommand
from .connection import Connection
from .headers import HeaderError

log = logging.getLogger("remoting")

# RemotingMetricsManager's rpc latency buckets (ms), as 5.x keeps them in its remoting module
RPC_LATENCY_BUCKETS = (1.0, 3.0, 5.0, 7.0, 10.0, 100.0, 1000.0, 2000.0, 3000.0)
_BOUNDS = RPC_LATENCY_BUCKETS
_NB = len(_BOUNDS)

HandlerResult = Union[RemotingCommand, None, Awaitable[Union[RemotingCommand, None]]]
Handler = Callable[[Connection, RemotingCommand], HandlerResult]


class Dispatcher:
    def __init__(self, name: str = "remoting") -> None:
        self.name = name
        self._table: dict[int, Handler] = {}
        self._default: Handler | None = None
        self._tasks: set[asyncio.Task] = set()
        # metrics on: the request-latency histogram (daemon/metrics.RpcLatency's series: latency_key(request code,
        # response code, long polling, oneway) -> counts per RPC_LATENCY_BUCKETS bucket and the sum, ms); None
        # costs one test per request
        self.latency: dict | None = None
        # the server RPC hook run before every request (the broker's ACL check): it raises to refuse, and the
        # refusal is answered SYSTEM_ERROR with the exception's `remark`; None costs one test per request
        self.before: Handler | None = None

    def register(self, code: int, handler: Handler) -> None:
        self._table[int(code)] = handler

    def register_all(self, table: Mapping[int, Handler]) -> None:
        for code, handler in table.items():
            self.register(code, handler)

    def set_default(self, handler: Handler | None) -> None:
        self._default = handler

    def handler(self, code: int) -> Handler | None:
        return self._table.get(int(code))

    def codes(self) -> list[int]:
        return sorted(self._table)

    # ------------------------------------------------------------
    def on_request(self, conn: Connection, cmd: RemotingCommand) -> None:
        before = self.before
        if before is not None:
            # as the Java broker, whose default processor takes every code: the hook runs before any lookup
            try:
                before(conn, cmd)
            except Exception as e:  # noqa: BLE001
                self._send(conn, cmd, RemotingCommand(code=ResponseCode.SYSTEM_ERROR,
                                                      remark=getattr(e, "remark", None) or str(e)))
                return
        handler = self._table.get(cmd.code, self._default)
        if handler is None:
            # Java writes this even for oneway requests; remoting-level errors use the default (JSON) type.
            self._send(conn, cmd, RemotingCommand(
                code=ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
                remark=f" request type {cmd.code} not supported"), force=True)
            return
        latency = self.latency
        began = monotonic() if latency is not None else 0.0
        try:
            result = handler(conn, cmd)
        except Exception as e:  # noqa: BLE001 - a processor failure must never take the loop down
            self._fail(conn, cmd, e)
            return
        if type(result) is RemotingCommand:   # the common answer: skip inspect.isawaitable (interpreted Python)
            if latency is not None:
                observe(latency, (cmd.code << 18) | ((result.code & 0xFFFF) << 2), began)
            self._send(conn, cmd, result)
        elif inspect.isawaitable(result):
            task = asyncio.ensure_future(self._finish(conn, cmd, result, began))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif result is not None:
            self._send(conn, cmd, result)
        elif latency is not None and cmd.flag & FLAG_ONEWAY:
            observe(latency, (cmd.code << 18) | 1, began)

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
                observe(latency,
                        (cmd.code << 18) | ((result.code & 0xFFFF) << 2) | (2 if cmd.code in (11, 361) else 0),
                        began)
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


def latency_key(request_code: int, response_code: int, long_polling: bool, oneway: bool) -> int:
    """A latency series' key: one int (one hash, no tuple per request); split again by `latency_labels`."""
    return (request_code << 18) | ((response_code & 0xFFFF) << 2) | (2 if long_polling else 0) | (1 if oneway else 0)


def latency_labels(key: int) -> tuple[int, int, bool, bool]:
    return key >> 18, (key >> 2) & 0xFFFF, bool(key & 2), bool(key & 1)


def observe(series: dict, key: int, began: float) -> None:
    """One request's latency (ms since `began`) into its series: the bucket's count and the sum. Compiled, a C
    call per answered request: a dict look-up by an int, a scan of the bounds, two list increments."""
    ms = (monotonic() - began) * 1000.0
    s = series.get(key)
    if s is None:
        s = series[key] = [0] * (_NB + 1) + [0.0]
    i = 0
    while i < _NB and ms > _BOUNDS[i]:
        i += 1
    s[i] += 1
    s[_NB + 1] += ms

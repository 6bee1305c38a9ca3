"""Replay a Java capture's client side against our broker, keeping the capture's causal order.

Requests are sent byte for byte in capture order on one connection per captured connection. A request the
Java broker answered at once is answered before the next frame goes out; a PULL_MESSAGE the Java broker held
(answered later, or never) stays outstanding. Before a frame is sent, every broker frame that came before it
in the capture (responses, broker-initiated requests) must have arrived: the client may have reacted to it.
"""
from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from remoting.codec import decode_frame, encode_frame
from remoting.codes import RequestCode
from remoting.command import RemotingCommand

from .captures import frames

HELD_AFTER_MS = 500       # a pull Java answered later than this was held (long polling)
WAIT_S = 15.0


class ReplayConn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.responses: dict[int, asyncio.Future] = {}
        self.pushed: asyncio.Queue[RemotingCommand] = asyncio.Queue()
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, addr: str) -> "ReplayConn":
        host, port = addr.split(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    def _future(self, opaque: int) -> asyncio.Future:
        fut = self.responses.get(opaque)
        if fut is None:
            fut = self.responses[opaque] = asyncio.get_running_loop().create_future()
        return fut

    async def _read(self) -> None:
        while True:
            try:
                prefix = await self.reader.readexactly(4)
                rest = await self.reader.readexactly(struct.unpack(">I", prefix)[0])
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            cmd = decode_frame(prefix + rest)
            if cmd.is_response:
                fut = self._future(cmd.opaque)
                if not fut.done():
                    fut.set_result(cmd)
            else:
                self.pushed.put_nowait(cmd)

    def send(self, raw: bytes) -> None:
        self.writer.write(raw)

    async def response(self, opaque: int) -> RemotingCommand:
        return await asyncio.wait_for(asyncio.shield(self._future(opaque)), WAIT_S)

    async def pushed_request(self) -> RemotingCommand:
        return await asyncio.wait_for(self.pushed.get(), WAIT_S)

    def close(self) -> None:
        self.task.cancel()
        self.writer.close()


@dataclass
class Replay:
    """One capture against one broker address. `compare(ours, java_frame, what)` checks a response or a
    broker-initiated request; `before` maps a capture frame index to an action run when the replay reaches it;
    `rewrite` may change a request's bytes (explicit normalisations only)."""
    name: str
    addr: str
    compare: Callable[[RemotingCommand, dict, str], None]
    before: dict[int, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    rewrite: Callable[[dict, bytes], bytes] = lambda frame, raw: raw
    conns: dict[int, ReplayConn] = field(default_factory=dict)
    checked: int = 0

    def frames(self) -> list[dict]:
        return [f for f in frames(self.name) if f["peer"] == "broker"]

    async def run(self) -> None:
        fs = self.frames()
        answered_at = {(f["conn"], f["header"]["opaque"]): (i, f) for i, f in enumerate(fs)
                       if f["dir"] == "s2c" and f["rpc"] == "response"}
        pending: list[tuple[int, dict]] = []      # broker frames expected, in capture order
        done: set[int] = set()                    # responses checked before the loop reached them
        try:
            for i, f in enumerate(fs):
                action = self.before.pop(i, None)
                if action is not None:
                    await action()
                if f["dir"] == "s2c":
                    if i not in done:
                        pending.append((i, f))
                    continue
                await self._settle(pending)       # everything the broker sent before this frame
                conn = self.conns.get(f["conn"])
                if conn is None:
                    conn = self.conns[f["conn"]] = await ReplayConn.open(self.addr)
                conn.send(self.rewrite(f, bytes.fromhex(f["hex"])))
                if f["rpc"] != "request":
                    continue
                answer = answered_at.get((f["conn"], f["header"]["opaque"]))
                if answer is None:
                    continue                      # never answered in the capture (held at shutdown)
                j, resp = answer
                if f["header"]["code"] == RequestCode.PULL_MESSAGE and resp["t"] - f["t"] > HELD_AFTER_MS:
                    continue                      # held: settled when the capture shows its answer
                if (j, resp) in pending:
                    pending.remove((j, resp))
                else:
                    done.add(j)
                await self._check_response(j, resp)
            await self._settle(pending)
        finally:
            for c in self.conns.values():
                c.close()

    async def _settle(self, pending: list[tuple[int, dict]]) -> None:
        while pending:
            i, f = pending.pop(0)
            action = self.before.pop(i, None)
            if action is not None:
                await action()
            if f["rpc"] == "response":
                await self._check_response(i, f)
            else:
                ours = await self.conns[f["conn"]].pushed_request()
                self.compare(ours, f, f"{self.name} frame {i} (broker-initiated {f['code_name']})")
                self.checked += 1

    async def _check_response(self, i: int, f: dict) -> None:
        ours = await self.conns[f["conn"]].response(f["header"]["opaque"])
        self.compare(ours, f, f"{self.name} frame {i} ({f['code_name']})")
        self.checked += 1


def with_ext(raw: bytes, **changes: str) -> bytes:
    """The same frame with some extFields values changed, in the same serialization."""
    cmd = decode_frame(raw)
    cmd.ext_fields = {**cmd.ext_fields, **changes}
    return encode_frame(cmd)

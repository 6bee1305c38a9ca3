"""One RocketMQ connection as an asyncio Protocol: frames in and out, responses matched by opaque.

The Protocol only slices frames and hands requests to a dispatcher; it is the same class on the server
side and the client side, so both can receive requests (broker -> client calls) and responses.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from typing import Callable, Protocol as TypingProtocol

from .codec import DEFAULT_MAX_FRAME_LENGTH, FrameError, decode_frame_at, encode_frame_parts, frame_length
from .codes import FLAG_ONEWAY, FLAG_RESPONSE
from .command import RemotingCommand
from .errors import RemotingSendRequestError, RemotingTimeoutError

log = logging.getLogger("remoting")

_COALESCE_LIMIT = 64 * 1024


class RequestHandler(TypingProtocol):
    def on_request(self, conn: "Connection", cmd: RemotingCommand) -> None: ...


class Connection(asyncio.Protocol):
    def __init__(self, handler: RequestHandler | None, *, max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH,
                 on_open: Callable[["Connection"], None] | None = None,
                 on_close: Callable[["Connection"], None] | None = None) -> None:
        self._handler = handler
        self._max_frame = max_frame_length
        self._on_open = on_open
        self._on_close = on_close
        self._buf = bytearray()   # an incomplete frame from the last read, if any
        self._pending: dict[int, asyncio.Future[RemotingCommand]] = {}
        self._opaque = itertools.count(1)
        self._writable = asyncio.Event()
        self._writable.set()
        self._out: list[bytes | memoryview] | None = None   # frames waiting for this loop turn's one write
        self._out_bytes = 0
        self._loop = asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None
        self.remote_addr = ""
        self.closed = False
        self.last_activity = time.monotonic()
        self.closed_future: asyncio.Future[None] = asyncio.get_event_loop().create_future()

    # ------------------------------------------------------------ asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop transports are not asyncio.Transport subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.remote_addr = f"{peer[0]}:{peer[1]}"
        if self._on_open:
            self._on_open(self)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.last_activity = time.monotonic()
        buf = self._buf
        max_frame = self._max_frame
        pos = 0
        try:
            if buf:
                # the rest of a frame begun in an earlier read: gather in the buffer until it is whole
                buf += data
                n = frame_length(buf, max_frame, 0)
                if n is None or len(buf) < n:
                    return
                data = bytes(buf)
                buf.clear()
            elif type(data) is not bytes:
                data = bytes(data)
            # frames are decoded where they lie in `data`; only an incomplete tail is kept for the next read
            end = len(data)
            while pos < end:
                n = frame_length(data, max_frame, pos)
                if n is None or end - pos < n:
                    break
                cmd = decode_frame_at(data, pos, pos + n)
                pos += n
                self._dispatch(cmd)
                if self.closed:
                    return
        except FrameError as e:
            log.warning("closing connection %s: %s", self.remote_addr, e)
            self.abort()
            return
        if pos < end:
            buf += data[pos:]

    def _dispatch(self, cmd: RemotingCommand) -> None:
        if cmd.flag & FLAG_RESPONSE:   # cmd.is_response, without the property call
            fut = self._pending.pop(cmd.opaque, None)
            if fut is not None and not fut.done():
                fut.set_result(cmd)
            else:
                log.debug("response with unknown opaque %s from %s dropped", cmd.opaque, self.remote_addr)
        elif self._handler is not None:
            self._handler.on_request(self, cmd)

    def pause_writing(self) -> None:
        # The peer is not reading what we write: stop reading its requests until it catches up, so a
        # client that never reads cannot make our write buffer grow without bound.
        self._writable.clear()
        if self.transport is not None and not self.closed:
            try:
                self.transport.pause_reading()
            except (RuntimeError, AttributeError):
                pass

    def resume_writing(self) -> None:
        self._writable.set()
        if self.transport is not None and not self.closed:
            try:
                self.transport.resume_reading()
            except (RuntimeError, AttributeError):
                pass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._writable.set()
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(RemotingSendRequestError(f"connection to {self.remote_addr} closed"))
        if not self.closed_future.done():
            self.closed_future.set_result(None)
        if self._on_close:
            self._on_close(self)

    # ------------------------------------------------------------ sending
    def send(self, cmd: RemotingCommand) -> bool:
        """Queue the frame; every frame queued during one turn of the event loop leaves in one writev (a
        client pipelining sends gets its answers in one syscall, not one each)."""
        transport = self.transport
        if self.closed or transport is None or transport.is_closing():
            return False
        parts = encode_frame_parts(cmd)
        size = 0
        for part in parts:
            size += len(part)
        out = self._out
        if out is None:
            self._out = parts
            self._out_bytes = size
            self._loop.call_soon(self._flush_out)
        else:
            out.extend(parts)
            size += self._out_bytes
            self._out_bytes = size
        if size >= _COALESCE_LIMIT:
            # a big batch goes now, so the transport's write-buffer limits (pause_writing -> stop reading a
            # peer that does not read) act as they would on separate writes
            self._flush_out()
        self.last_activity = time.monotonic()
        return True

    def _flush_out(self) -> None:
        out, self._out = self._out, None
        transport = self.transport
        if out and transport is not None and not transport.is_closing():
            transport.writelines(out)

    async def drain(self) -> None:
        await self._writable.wait()

    async def request(self, cmd: RemotingCommand, timeout: float) -> RemotingCommand:
        """Send a request and wait for the response with the same opaque."""
        cmd.opaque = next(self._opaque) & 0x7FFFFFFF
        cmd.flag &= ~FLAG_ONEWAY
        fut: asyncio.Future[RemotingCommand] = asyncio.get_running_loop().create_future()
        self._pending[cmd.opaque] = fut
        try:
            if not self.send(cmd):
                raise RemotingSendRequestError(f"connection to {self.remote_addr} is closed")
            try:
                return await asyncio.wait_for(fut, timeout)
            except asyncio.TimeoutError:
                raise RemotingTimeoutError(
                    f"wait response on {self.remote_addr} timeout {int(timeout * 1000)}ms, code {cmd.code}") from None
        finally:
            self._pending.pop(cmd.opaque, None)

    def oneway(self, cmd: RemotingCommand) -> None:
        cmd.opaque = next(self._opaque) & 0x7FFFFFFF
        cmd.flag |= FLAG_ONEWAY
        if not self.send(cmd):
            raise RemotingSendRequestError(f"connection to {self.remote_addr} is closed")

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self._flush_out()
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection now: used for malformed input. Answers already given are written first (as
        each was written at once before writes were coalesced); what the transport cannot take is dropped."""
        if self.transport is not None and not self.closed:
            self._flush_out()
            self.closed = True
            self.transport.abort()

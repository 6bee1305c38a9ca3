"""The master's side of HA (AcceptSocketService + HAConnection): one connection per slave. The slave's 8-byte
reports set where the stream starts and how far it is acknowledged; a sender task streams the commit log
from there in blocks of at most haTransferBatchSize that never cross a file, with heartbeats when idle.

Bad input closes the connection and nothing else: a report that is negative or past the master's end (the
slave's log does not continue ours), a peer that sends nothing for haHousekeepingInterval, or one that does
not read what we send for that long.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import TYPE_CHECKING, Callable

from . import protocol as p

if TYPE_CHECKING:
    from ..config import MessageStoreConfig
    from ..commitlog import CommitLog

log = logging.getLogger("store.ha")

WRITE_HIGH_WATER = 1 << 20      # bytes queued in the transport before the sender waits
CATCH_UP_LOG_BYTES = 1 << 20    # a slave this far behind gets "catch-up started/finished" log lines


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Reports and small blocks go out at once (a SYNC_MASTER's answers wait for them)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def _now_ms() -> int:
    return int(time.monotonic() * 1000)


class SlaveConnection(asyncio.Protocol):
    def __init__(self, commitlog: "CommitLog", config: "MessageStoreConfig",
                 on_ack: Callable[["SlaveConnection", int], None],
                 on_close: Callable[["SlaveConnection"], None]) -> None:
        self.commitlog = commitlog
        self.config = config
        self.on_ack = on_ack
        self.on_close = on_close
        self.addr = "?"
        self.transport: asyncio.Transport | None = None
        self.request_offset = -1          # slaveRequestOffset: the first report
        self.ack_offset = -1              # slaveAckOffset: the newest report
        self.transfer_from = -1           # nextTransferFromWhere
        self.last_read = _now_ms()
        self.last_write = _now_ms()
        self.paused_since: int | None = None
        self.closed = False
        self.catching_up = False
        self._rbuf = bytearray()
        self._data = asyncio.Event()      # set when the commit log grew (or a report arrived)
        self._writable = asyncio.Event()
        self._writable.set()
        self._sender: asyncio.Task | None = None

    # ------------------------------------------------------------ asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.addr = f"{peer[0]}:{peer[1]}" if peer else "?"
        no_delay(transport)
        self.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        log.info("HA: slave %s connected", self.addr)
        self._sender = asyncio.get_running_loop().create_task(self._send_loop())

    def data_received(self, data: bytes) -> None:
        self.last_read = _now_ms()
        self._rbuf += data
        offset = p.take_last_report(self._rbuf)
        if offset is not None:
            self._report(offset)

    def pause_writing(self) -> None:
        self._writable.clear()
        self.paused_since = _now_ms()

    def resume_writing(self) -> None:
        self._writable.set()
        self.paused_since = None
        self.last_write = _now_ms()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._writable.set()
        self._data.set()
        if self._sender is not None:
            self._sender.cancel()
        log.log(logging.WARNING if exc else logging.INFO, "HA: slave %s disconnected (acknowledged %d)%s",
                self.addr, self.ack_offset, f": {exc}" if exc else "")
        self.on_close(self)

    # ------------------------------------------------------------ reports
    def _report(self, offset: int) -> None:
        master_max = self.commitlog.max_offset()
        if offset < 0 or offset > master_max:
            # Java closes on a later report past the end; the first is refused too, so no byte of ours is ever
            # appended at an offset where the slave's log holds other data
            log.error("HA: slave %s reports commit log offset %d but this master's ends at %d: the slave's commit "
                      "log does not continue the master's (it holds data the master never had). Closing. To "
                      "recover, stop that slave, move its store directory aside and start it empty; it will copy "
                      "the master's commit log again.", self.addr, offset, master_max)
            self.close()
            return
        self.ack_offset = offset
        if self.request_offset < 0:
            self.request_offset = offset
            self._data.set()
        if self.catching_up and offset >= master_max:
            self.catching_up = False
            log.info("HA: slave %s caught up at offset %d", self.addr, offset)
        self.on_ack(self, offset)

    def notify_data(self) -> None:
        self._data.set()

    # ------------------------------------------------------------ sending
    def _write(self, offset: int, data: memoryview | None) -> None:
        header = p.encode_header(offset, len(data) if data is not None else 0)
        assert self.transport is not None
        if data is None:
            self.transport.write(header)
        else:
            self.transport.writelines((header, data))
        self.last_write = _now_ms()

    def _start_offset(self) -> int:
        cl = self.commitlog
        start = p.first_transfer_offset(self.request_offset, cl.max_offset(), cl.file_size)
        behind = cl.max_offset() - start
        if start < cl.min_offset():
            log.warning("HA: slave %s asks for offset %d but this master's commit log starts at %d: it cannot "
                        "catch up from here (move the slave's store aside and start it empty)",
                        self.addr, start, cl.min_offset())
        if behind >= CATCH_UP_LOG_BYTES:
            self.catching_up = True
            log.info("HA: slave %s catch-up started at offset %d, %d bytes behind", self.addr, start, behind)
        else:
            log.info("HA: slave %s requests offset %d, transfer starts at %d", self.addr, self.request_offset, start)
        return start

    async def _send_loop(self) -> None:
        try:
            await self._stream()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one broken connection never takes the broker down
            log.exception("HA: sending to slave %s failed, closing", self.addr)
            self.close()

    async def _stream(self) -> None:
        cfg = self.config
        heartbeat = cfg.haSendHeartbeatInterval
        batch = cfg.haTransferBatchSize
        while self.request_offset < 0 and not self.closed:
            self._data.clear()
            await self._data.wait()
        if self.closed:
            return
        self.transfer_from = self._start_offset()
        while not self.closed:
            if not self._writable.is_set():
                await self._writable.wait()
                continue
            self._data.clear()
            data = self.commitlog.readable_from(self.transfer_from)
            if data is not None:
                if len(data) > batch:
                    data = data[:batch]
                self._write(self.transfer_from, data)
                self.transfer_from += len(data)
                # let the loop run between blocks: a slave catching up must not starve sends and pulls
                await asyncio.sleep(0)
                continue
            idle = _now_ms() - self.last_write
            if idle >= heartbeat:
                self._write(self.transfer_from, None)
                idle = 0
            try:
                await asyncio.wait_for(self._data.wait(), (heartbeat - idle) / 1000)
            except asyncio.TimeoutError:
                pass

    # ------------------------------------------------------------ housekeeping
    def expired(self, now_ms: int) -> str | None:
        limit = self.config.haHousekeepingInterval
        if now_ms - self.last_read > limit:
            return f"nothing read for {now_ms - self.last_read} ms"
        if self.paused_since is not None and now_ms - self.paused_since > limit:
            return f"the slave has not read what was sent for {now_ms - self.paused_since} ms"
        return None

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()   # never wait to flush to a peer that may not read


class HAServer:
    """The HA accept port and the set of slave connections."""

    def __init__(self, commitlog: "CommitLog", config: "MessageStoreConfig",
                 on_ack: Callable[[SlaveConnection, int], None]) -> None:
        self.commitlog = commitlog
        self.config = config
        self.on_ack = on_ack
        self.connections: set[SlaveConnection] = set()
        self._server: asyncio.AbstractServer | None = None
        self._housekeeping: asyncio.Task | None = None

    async def start(self, host: str | None, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, host=host, port=port, reuse_address=True)
        self._housekeeping = loop.create_task(self._housekeep())
        log.info("HA: listening on port %d", port)

    def _protocol(self) -> SlaveConnection:
        conn = SlaveConnection(self.commitlog, self.config, self.on_ack, self.connections.discard)
        self.connections.add(conn)
        return conn

    def notify_data(self) -> None:
        for conn in self.connections:
            conn.notify_data()

    async def _housekeep(self) -> None:
        while True:
            await asyncio.sleep(1)
            now = _now_ms()
            for conn in list(self.connections):
                why = conn.expired(now)
                if why:
                    log.warning("HA housekeeping: slave %s expired (%s), closing", conn.addr, why)
                    conn.close()

    async def stop(self) -> None:
        if self._housekeeping is not None:
            self._housekeeping.cancel()
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close()
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), 3)
            except asyncio.TimeoutError:
                pass

"""The slave's side of HA (HAClient): connect to the master's HA port, report the local commit-log end, append
every block at exactly the master's offset, report progress, reconnect when the link breaks. Appending is a
copy into the mapped file; consume queues and index follow on the store's reput service, as in Java.

Differences from Java's HAClient that no master can see: the first report goes out at once (Java waits a
heartbeat interval); one report covers all the blocks that arrived together (Java reports after each); and a
master that sends nothing, not even heartbeats, for haHousekeepingInterval is dropped (Java only notices a
dead socket).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from remoting.runtime import cancel_and_wait

from . import protocol as p
from .master import no_delay

if TYPE_CHECKING:
    from ..message_store import MessageStore

log = logging.getLogger("store.ha")

RECONNECT_INTERVAL = 5.0      # Java waits 5 s between failed connects
AFTER_CLOSE = 1.0             # a broken link is retried after a second
DIVERGED_RETRY = 5.0
READ_PER_TURN = 1 << 20       # bytes read in one loop turn before the loop gets a turn for other work


class LinkError(Exception):
    """The link must be dropped: `retry` seconds until the next connect."""

    def __init__(self, message: str, retry: float = AFTER_CLOSE) -> None:
        super().__init__(message)
        self.retry = retry


def _now() -> float:
    return time.monotonic()


def split_addr(addr: str) -> tuple[str, int] | None:
    host, _, port = addr.strip().rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


class MasterLink(asyncio.Protocol):
    """One connection to the master: blocks in, reports out."""

    def __init__(self, store: "MessageStore", master: str) -> None:
        self.store = store
        self.master = master
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()
        self.last_read = _now()
        self.last_report = 0.0
        self.reported = -1
        self.received = 0
        self._buf = bytearray()
        self._turn_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        no_delay(transport)
        self.report(self.store.commitlog.max_offset())

    def report(self, offset: int) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(p.encode_report(offset))
            self.reported = offset
            self.last_report = _now()

    def data_received(self, data: bytes) -> None:
        self.last_read = _now()
        self._turn_bytes += len(data)
        if self._turn_bytes >= READ_PER_TURN and self.transport is not None:
            # libuv reads a ready socket up to 32 times per loop turn (8 MiB with uvloop's buffer): pause after
            # READ_PER_TURN so a slave copying a backlog serves its other connections between reads
            self.transport.pause_reading()
            asyncio.get_running_loop().call_soon(self._resume)
        self._buf += data
        try:
            used = self._append_blocks()
        except LinkError as e:
            self.fail(e)
            return
        if used:
            del self._buf[:used]
        end = self.store.commitlog.max_offset()
        if end > self.reported:
            self.report(end)

    def _resume(self) -> None:
        self._turn_bytes = 0
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def _append_blocks(self) -> int:
        """Append every complete block in the buffer; returns the bytes used."""
        buf = self._buf
        pos = 0
        store = self.store
        with memoryview(buf) as view:
            while len(buf) - pos >= p.HEADER_SIZE:
                offset, size = p.decode_header(view[pos:pos + p.HEADER_SIZE])
                if size < 0 or size > p.MAX_BLOCK_SIZE or offset < 0:
                    raise LinkError(f"bad block header: offset {offset}, size {size}")
                local = store.commitlog.max_offset()
                if local != 0 and local != offset:
                    log.error("HA: master %s sends offset %d but this slave's commit log ends at %d: the logs do "
                              "not continue each other. This slave will not copy from this master until its store "
                              "is cleared: stop it, move its store directory aside and start it empty.",
                              self.master, offset, local)
                    raise LinkError("diverged", DIVERGED_RETRY)
                if len(buf) - pos < p.HEADER_SIZE + size:
                    break
                start = pos + p.HEADER_SIZE
                if size and not store.append_replica(offset, view[start:start + size]):
                    raise LinkError(f"append of {size} bytes at {offset} failed")
                self.received += size
                pos = start + size
        return pos

    def fail(self, error: Exception) -> None:
        if not self.closed.done():
            self.closed.set_exception(error)
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_exception(exc or ConnectionResetError("closed by the master"))


class HAClient:
    def __init__(self, store: "MessageStore") -> None:
        self.store = store
        self.config = store.config
        self.master_address: str | None = None
        self.link: MasterLink | None = None
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._stopped = False
        self._failing: str | None = None   # the master address whose connects fail (logged once, not each retry)

    @property
    def connected(self) -> bool:
        return self.link is not None

    def update_master_address(self, addr: str | None) -> None:
        if addr and addr != self.master_address:
            log.info("HA: update master address, OLD: %s NEW: %s", self.master_address, addr)
            self.master_address = addr
            self._wake.set()
            if self.link is not None:
                self.link.fail(LinkError("the master changed"))   # reconnect to the new one

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        if self.link is not None:
            self.link.fail(LinkError("stopping"))
        await cancel_and_wait(self._task)

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopped:
            addr = self.master_address or ""
            target = split_addr(addr)
            if target is None:
                await self._pause(RECONNECT_INTERVAL)
                continue
            try:
                _, link = await asyncio.wait_for(
                    loop.create_connection(lambda: MasterLink(self.store, addr), *target), RECONNECT_INTERVAL)
            except (OSError, asyncio.TimeoutError) as e:
                if self._failing != addr:
                    log.warning("HA: connect to master %s failed: %s (retrying every %.0f s, logged once)", addr,
                                e or type(e).__name__, RECONNECT_INTERVAL)
                    self._failing = addr
                await self._pause(RECONNECT_INTERVAL)
                continue
            self._failing = None
            self.link = link
            log.info("HA: connected to master %s, local commit log ends at %d", addr,
                     self.store.commitlog.max_offset())
            watchdog = loop.create_task(self._watch(link))
            retry = AFTER_CLOSE
            try:
                await link.closed
                log.info("HA: disconnected from master %s, local commit log ends at %d", addr,
                         self.store.commitlog.max_offset())
            except LinkError as e:
                retry = e.retry
                if str(e) == "stopping":
                    log.info("HA: disconnected from master %s (stopping), local commit log ends at %d", addr,
                             self.store.commitlog.max_offset())
                elif str(e) != "diverged":   # a diverged log was logged as an ERROR where it was found
                    log.warning("HA: connection to master %s dropped: %s", addr, e)
            except (ConnectionError, OSError) as e:
                log.warning("HA: connection to master %s lost: %s", addr, e or type(e).__name__)
            finally:
                watchdog.cancel()
                self.link = None
                if link.transport is not None:
                    link.transport.abort()
            if not self._stopped:
                await self._pause(retry)

    async def _watch(self, link: MasterLink) -> None:
        """Heartbeat reports every haSendHeartbeatInterval; drop a master that went silent."""
        cfg = self.config
        while True:
            await asyncio.sleep(min(1.0, cfg.haSendHeartbeatInterval / 1000))
            now = _now()
            if (now - link.last_read) * 1000 > cfg.haHousekeepingInterval:
                link.fail(LinkError(f"housekeeping: the master sent nothing for {now - link.last_read:.1f} s"))
                return
            if (now - link.last_report) * 1000 >= cfg.haSendHeartbeatInterval:
                link.report(self.store.commitlog.max_offset())

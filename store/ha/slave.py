"""The slave's side of HA (HAClient): connect to the master's HA port, report the local commit-log end, append
every block at exactly the master's offset (the store dispatches it into consume queues and index), report
progress after each block and every haSendHeartbeatInterval, reconnect when the link breaks.

Differences from Java's HAClient that no master can see: the first report goes out at once (Java waits a
heartbeat interval), and a master that sends nothing (not even heartbeats) for haHousekeepingInterval is
dropped (Java only notices a dead socket).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from . import protocol as p

if TYPE_CHECKING:
    from ..message_store import MessageStore

log = logging.getLogger("store.ha")

RECONNECT_INTERVAL = 5.0      # Java waits 5 s between failed connects
DIVERGED_RETRY = 5.0


class Diverged(Exception):
    pass


class ProtocolError(Exception):
    pass


def _now() -> float:
    return time.monotonic()


def split_addr(addr: str) -> tuple[str, int] | None:
    host, _, port = addr.strip().rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


class HAClient:
    def __init__(self, store: "MessageStore") -> None:
        self.store = store
        self.config = store.config
        self.master_address: str | None = None
        self.connected = False
        self.last_read = 0.0
        self.reported = 0
        self.last_report = 0.0
        self.received_bytes = 0
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._stopped = False

    def update_master_address(self, addr: str | None) -> None:
        if addr and addr != self.master_address:
            log.info("HA: update master address, OLD: %s NEW: %s", self.master_address, addr)
            self.master_address = addr
            self._wake.set()
            if self._writer is not None:
                self._writer.close()   # a different master: reconnect to it

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _run(self) -> None:
        while not self._stopped:
            target = split_addr(self.master_address or "")
            if target is None:
                await self._pause(RECONNECT_INTERVAL)
                continue
            addr = self.master_address
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(*target, limit=p.MAX_BLOCK_SIZE + p.HEADER_SIZE), RECONNECT_INTERVAL)
            except (OSError, asyncio.TimeoutError) as e:
                log.warning("HA: connect to master %s failed: %s", addr, e)
                await self._pause(RECONNECT_INTERVAL)
                continue
            self._writer = writer
            self.connected = True
            log.info("HA: connected to master %s, local commit log ends at %d", addr,
                     self.store.commitlog.max_offset())
            retry = 1.0
            try:
                await self._session(reader, writer)
            except Diverged:
                retry = DIVERGED_RETRY
            except (ConnectionError, asyncio.IncompleteReadError, ProtocolError, OSError) as e:
                log.warning("HA: connection to master %s lost: %s", addr, e or type(e).__name__)
            except Exception:  # noqa: BLE001
                log.exception("HA: connection to master %s failed", addr)
            finally:
                self.connected = False
                self._writer = None
                writer.close()
            if not self._stopped:
                await self._pause(retry)

    def _report(self, writer: asyncio.StreamWriter, offset: int) -> None:
        writer.write(p.encode_report(offset))
        self.reported = offset
        self.last_report = _now()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        store = self.store
        self.last_read = _now()
        self._report(writer, store.commitlog.max_offset())
        watchdog = asyncio.get_running_loop().create_task(self._watch(writer))
        try:
            while True:
                header = await reader.readexactly(p.HEADER_SIZE)
                self.last_read = _now()
                offset, size = p.decode_header(header)
                if size < 0 or size > p.MAX_BLOCK_SIZE or offset < 0:
                    raise ProtocolError(f"bad block header: offset {offset}, size {size}")
                local = store.commitlog.max_offset()
                if local != 0 and local != offset:
                    log.error("HA: master %s sends offset %d but this slave's commit log ends at %d: the logs do "
                              "not continue each other. This slave will not copy from this master until its store "
                              "is cleared: stop it, move its store directory aside and start it empty.",
                              self.master_address, offset, local)
                    raise Diverged()
                if size:
                    data = await reader.readexactly(size)
                    self.last_read = _now()
                    if not store.append_replica(offset, data):
                        raise ProtocolError(f"append of {size} bytes at {offset} failed")
                    self.received_bytes += size
                    end = store.commitlog.max_offset()
                    if end > self.reported:
                        self._report(writer, end)
                    # one block at a time: pulls and heartbeats are served while a large backlog streams in
                    await asyncio.sleep(0)
        finally:
            watchdog.cancel()

    async def _watch(self, writer: asyncio.StreamWriter) -> None:
        """Heartbeat reports every haSendHeartbeatInterval; drop a master that went silent."""
        cfg = self.config
        while True:
            await asyncio.sleep(min(1.0, cfg.haSendHeartbeatInterval / 1000))
            now = _now()
            if (now - self.last_read) * 1000 > cfg.haHousekeepingInterval:
                log.warning("HA: housekeeping, master %s sent nothing for %.1f s, closing", self.master_address,
                            now - self.last_read)
                writer.transport.abort()
                return
            if (now - self.last_report) * 1000 >= cfg.haSendHeartbeatInterval:
                self._report(writer, self.store.commitlog.max_offset())

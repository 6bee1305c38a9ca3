"""A TCP proxy for the HA link that injects the faults a network does: drop the link, stall it (nothing
moves either way), or cut a master -> slave block in half and close. It parses the HA stream (12-byte header
+ data) so a cut really lands inside a block's data."""
from __future__ import annotations

import asyncio

from store.ha import protocol as p


class HAProxy:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self.port = 0
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.cut_next_block = False
        self.cuts = 0
        self.accepted = 0
        self._server: asyncio.AbstractServer | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> "HAProxy":
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    async def _accept(self, sr: asyncio.StreamReader, sw: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            mr, mw = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            sw.close()
            return
        link = (sw, mw)
        self._links.add(link)
        up = asyncio.ensure_future(self._pump_reports(sr, mw))
        down = asyncio.ensure_future(self._pump_blocks(mr, sw))
        self._tasks.update((up, down))
        await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
        for t in (up, down):
            t.cancel()
        self._close(link)

    async def _pump_reports(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        while True:
            data = await src.read(4096)
            if not data:
                return
            await self.flowing.wait()
            dst.write(data)

    async def _pump_blocks(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        while True:
            header = await src.readexactly(p.HEADER_SIZE)
            _, size = p.decode_header(header)
            body = await src.readexactly(size) if size else b""
            await self.flowing.wait()
            if self.cut_next_block and size > 1:
                self.cut_next_block = False
                self.cuts += 1
                dst.write(header + body[:size // 2])
                await dst.drain()
                return                      # the link dies in the middle of the block
            dst.write(header + body)
            await dst.drain()

    def _close(self, link: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        self._links.discard(link)
        for w in link:
            w.transport.abort()

    def drop(self) -> None:
        """Both sides see the connection reset."""
        for link in list(self._links):
            self._close(link)

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    async def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.close()
        for t in self._tasks:
            t.cancel()

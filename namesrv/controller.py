"""A running NameServer: wires config, route table, KV store and the remoting server; owns the periodic
expiry scan and the metadata I/O lane; starts and stops them in order."""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from remoting.connection import Connection
from remoting.dispatch import Dispatcher
from remoting.server import RemotingServer
from remoting.tls import ServerTls

from .config import NamesrvConfiguration
from .kv_config import KVConfig
from .processor import NamesrvProcessor
from .metrics import NamesrvMetrics
from .route_info import RouteInfo

log = logging.getLogger("namesrv")


class NameServer:
    def __init__(self, configuration: NamesrvConfiguration, clock: Callable[[], int] | None = None) -> None:
        self.configuration = configuration
        self.clock = clock or (lambda: int(time.time() * 1000))
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="namesrv-metadata-io")
        self.routes = RouteInfo()
        self.kv = KVConfig(configuration.namesrv.kvConfigPath, persist=self._submit_io)
        self.processor = NamesrvProcessor(self.routes, self.kv, configuration, self.clock)
        self.dispatcher = Dispatcher("namesrv")
        self.dispatcher.register_all(self.processor.table())
        self.tls = ServerTls(configuration.tls)
        self.server = RemotingServer(self.dispatcher, configuration.server, name="namesrv", tls=self.tls)
        self.server.on_connection_close(self._connection_closed)
        self.metrics = NamesrvMetrics(configuration.namesrv, self.routes, self.dispatcher,
                                      configuration.server.listenPort)
        self._scan_task: asyncio.Task | None = None

    def _submit_io(self, job: Callable[[], None]) -> None:
        fut = self._io.submit(job)
        fut.add_done_callback(lambda f: f.exception() and log.error("metadata write failed: %s", f.exception()))

    def _connection_closed(self, conn: Connection) -> None:
        self.routes.on_channel_destroy(conn.remote_addr, conn)

    async def start(self, host: str | None = None) -> int:
        self.kv.load()
        self.tls.prepare(log)
        port = await self.server.start(host)
        await self.metrics.start()
        self._scan_task = asyncio.create_task(self._scan_not_active_brokers())
        return port

    async def _scan_not_active_brokers(self) -> None:
        interval = max(self.configuration.namesrv.scanNotActiveBrokerInterval, 10) / 1000
        while True:
            await asyncio.sleep(interval)
            for _addr, conn in self.routes.scan_not_active_brokers(self.clock()):
                if isinstance(conn, Connection):
                    conn.close()

    async def stop(self) -> None:
        if self._scan_task:
            self._scan_task.cancel()
        await self.metrics.stop()
        await self.server.stop()
        # let queued KV writes finish: nothing acknowledged may be lost
        await asyncio.get_running_loop().run_in_executor(None, self._io.shutdown, True)

"""The console daemon's parts, each started and stopped here in order: the admin client (mqadmin's), the chart
history poller, the HTTP server."""
from __future__ import annotations

import logging
import os

from aiohttp import web

from daemon.logs import log_dir
from tools.mqadmin.client import AdminClient
from tools.mqadmin.credentials import Credentials

from .app import make_app
from .audit import AuditLog
from .config import ConsoleConfig
from .history import History
from .web import Console

log = logging.getLogger("console")


class ConsoleService:
    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        creds = Credentials(config.accessKey, config.secretKey) if config.accessKey and config.secretKey else None
        self.admin = AdminClient(config.namesrvAddr or None, timeout=config.requestTimeoutSeconds, credentials=creds)
        audit_path = config.auditLogFile or os.path.join(log_dir(), "console-audit.log")
        self.history = History(self.admin, config.pollIntervalSeconds, config.chartWindowSeconds)
        self.console = Console(config, self.admin, AuditLog(audit_path), self.history)
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> str:
        self.runner = web.AppRunner(make_app(self.console), access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.config.listenAddress, self.config.listenPort, reuse_address=True)
        await site.start()
        server = site._server   # the bound socket's port when listenPort is 0
        self.port = server.sockets[0].getsockname()[1] if server and server.sockets else self.config.listenPort
        self.history.start()
        mode = "admin login configured" if self.config.admin_configured else "read-only"
        return (f"The console boot success, listening on http://{self.config.listenAddress}:{self.port}/ "
                f"(namesrv {self.config.namesrvAddr or '-'}, {mode})")

    async def stop(self) -> None:
        await self.history.stop()
        if self.runner is not None:
            await self.runner.cleanup()
        await self.admin.close()

"""HAService: what the store owns for replication. Every broker listens on haListenPort (as 4.9.7 does, a
slave too); a SLAVE also runs the client that follows its master; a SYNC_MASTER's puts wait here for a slave's
acknowledgement."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..results import PutStatus
from .group_transfer import GroupTransfer
from .master import HAServer, SlaveConnection
from .slave import HAClient

if TYPE_CHECKING:
    from ..message_store import MessageStore

log = logging.getLogger("store.ha")


class HAService:
    def __init__(self, store: "MessageStore") -> None:
        self.store = store
        self.config = store.config
        self.transfer = GroupTransfer()
        self.server = HAServer(store.commitlog, store.config, self._acked)
        self.client = HAClient(store)
        self.started = False

    async def start(self, host: str | None = None) -> None:
        await self.server.start(host, self.config.haListenPort)
        self.store.append_listeners.append(self.server.notify_data)
        if self.config.is_slave:
            if len(self.config.haMasterAddress or "") >= 6:
                self.client.update_master_address(self.config.haMasterAddress)
            self.client.start()
        self.started = True

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        await self.client.stop()
        await self.server.stop()
        self.transfer.fail_all()

    # ------------------------------------------------------------ master
    def _acked(self, conn: SlaveConnection, offset: int) -> None:
        self.transfer.ack(offset)

    @property
    def connection_count(self) -> int:
        return len(self.server.connections)

    @property
    def push2slave_max_offset(self) -> int:
        return self.transfer.acked

    def is_slave_ok(self, master_put_where: int) -> bool:
        return (self.connection_count > 0
                and master_put_where - self.transfer.acked < self.config.haSlaveFallbehindMax)

    async def wait_for_slave(self, end_offset: int, timeout: float) -> PutStatus:
        """submitReplicaRequest + GroupTransferService for one put ending at `end_offset`."""
        if not self.is_slave_ok(end_offset):
            return PutStatus.SLAVE_NOT_AVAILABLE
        ok = await self.transfer.wait(end_offset, timeout)
        return PutStatus.PUT_OK if ok else PutStatus.FLUSH_SLAVE_TIMEOUT

    def slave_fall_behind(self) -> int:
        """slaveFallBehindMuch: master max offset minus the highest slave acknowledgement."""
        return self.store.commitlog.max_offset() - self.transfer.acked

    # ------------------------------------------------------------ slave
    def update_master_address(self, addr: str | None) -> None:
        """From the NameServer's REGISTER_BROKER answer, unless haMasterAddress is configured."""
        if len(self.config.haMasterAddress or "") >= 6:
            return
        self.client.update_master_address(addr)

    def runtime_info(self) -> dict[str, str]:
        info = {"haConnectionCount": str(self.connection_count)}
        if self.config.is_slave:
            info["haMasterAddress"] = self.client.master_address or ""
            info["haClientConnected"] = str(self.client.connected).lower()
        else:
            info["slaveFallBehindMuch"] = str(self.slave_fall_behind())
            info["push2SlaveMaxOffset"] = str(self.transfer.acked)
        return info

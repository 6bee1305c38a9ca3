"""Registering with every NameServer (BrokerOuterAPI.registerBrokerAll / unregisterBrokerAll): at start, every
registerNameServerPeriod, on topic changes (oneway full registration for auto-created topics, synchronous
incremental for UPDATE_AND_CREATE_TOPIC), and UNREGISTER_BROKER at a clean shutdown."""
from __future__ import annotations

import asyncio
import logging
import zlib
from typing import Callable

from remoting.bodies import PERM_READ, PERM_WRITE, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from remoting.errors import RemotingError
from remoting.headers import RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnRegisterBrokerRequestHeader

from .config import BrokerSettings
from .topic_config import TopicConfigManager

log = logging.getLogger("broker")


class NamesrvRegistrar:
    def __init__(self, settings: BrokerSettings, topics: TopicConfigManager, client: RemotingClient,
                 on_master: Callable[[str | None, str | None], None] | None = None) -> None:
        self.settings = settings
        # after each synchronous registration, with the first answer's (masterAddr, haServerAddr); None when
        # the NameServer named no live master of our group (doRegisterBrokerAll)
        self.on_master = on_master
        self.topics = topics
        self.client = client
        self.master_addr: str | None = None
        self.master_ha_addr: str | None = None
        self._task: asyncio.Task | None = None
        self._pending: set[asyncio.Task] = set()

    def _wrapper(self, only: list[TopicConfig] | None = None) -> TopicConfigSerializeWrapper:
        w = self.topics.wrapper(only)
        perm = self.settings.broker.brokerPermission
        if perm & (PERM_READ | PERM_WRITE) != (PERM_READ | PERM_WRITE):
            # a broker that is not fully readable/writable advertises its own permission for every topic
            w.topicConfigTable = {k: TopicConfig(v.topicName, v.readQueueNums, v.writeQueueNums, perm,
                                                 v.topicFilterType, v.topicSysFlag, v.order)
                                  for k, v in w.topicConfigTable.items()}
        return w

    def _request(self, wrapper: TopicConfigSerializeWrapper, oneway: bool):
        b = self.settings.broker
        compressed = b.compressedRegister
        body = RegisterBrokerBody(wrapper, []).encode(compressed)
        header = RegisterBrokerRequestHeader(
            brokerName=b.brokerName, brokerAddr=self.settings.broker_addr, clusterName=b.brokerClusterName,
            haServerAddr=self.settings.ha_addr, brokerId=b.brokerId, compressed=compressed,
            bodyCrc32=zlib.crc32(body) & 0x7FFFFFFF)
        return make_request(RequestCode.REGISTER_BROKER, header.encode(), body, oneway=oneway)

    async def register_all(self, only: list[TopicConfig] | None = None, oneway: bool = False) -> None:
        wrapper = self._wrapper(only)
        timeout = self.settings.broker.registerBrokerTimeoutMills / 1000

        answers: list[tuple[str | None, str | None]] = []

        async def one(addr: str) -> None:
            req = self._request(wrapper, oneway)
            try:
                if oneway:
                    await self.client.invoke_oneway(addr, req)
                    return
                resp = await self.client.invoke(addr, req, timeout)
            except RemotingError as e:
                log.warning("register broker to name server %s failed: %s", addr, e)
                return
            if resp.code != ResponseCode.SUCCESS:
                log.warning("register broker to name server %s refused: %s %s", addr, resp.code, resp.remark)
                return
            h = RegisterBrokerResponseHeader.decode(resp.ext_fields)
            answers.append((h.masterAddr or None, h.haServerAddr or None))
            if h.masterAddr:
                self.master_addr, self.master_ha_addr = h.masterAddr, h.haServerAddr
        await asyncio.gather(*(one(a) for a in self.settings.broker.namesrv_list()))
        if answers and self.on_master is not None:
            self.on_master(*answers[0])

    def topic_changed(self, tc: TopicConfig, incremental: bool) -> None:
        """Called by the topic manager; registration runs in the background."""
        coro = self.register_all([tc], oneway=False) if incremental else self.register_all(oneway=True)
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def start(self) -> None:
        self._task = asyncio.create_task(self._periodic())

    async def _periodic(self) -> None:
        period = min(max(self.settings.broker.registerNameServerPeriod, 10000), 60000) / 1000
        while True:
            await asyncio.sleep(period)
            try:
                await self.register_all()
            except Exception:  # noqa: BLE001
                log.exception("periodic registration failed")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=3)
        b = self.settings.broker
        header = UnRegisterBrokerRequestHeader(brokerName=b.brokerName, brokerAddr=self.settings.broker_addr,
                                               clusterName=b.brokerClusterName, brokerId=b.brokerId).encode()
        for addr in b.namesrv_list():
            try:
                await self.client.invoke(addr, make_request(RequestCode.UNREGISTER_BROKER, dict(header)), 3)
            except RemotingError as e:
                log.warning("unregister broker from name server %s failed: %s", addr, e)

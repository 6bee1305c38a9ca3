"""Registering with every NameServer (BrokerOuterAPI.registerBrokerAll / unregisterBrokerAll): at start, every
registerNameServerPeriod, on topic changes (oneway full registration for auto-created topics, synchronous
incremental for UPDATE_AND_CREATE_TOPIC), and UNREGISTER_BROKER at a clean shutdown.

A full registration encodes the whole topic table (~1 MB of JSON for 6,000 topics): a big one is encoded
outside the event loop, and the full registrations asked for by auto-created topics (one per new consumer
group: its retry topic) are coalesced, at most one waiting while one runs, instead of one each (Java sends
one each, so 1,000 new groups cost 1,000 encodings of the whole table)."""
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

# a registration body for more topics than this is encoded in a worker thread, not in the event loop
ENCODE_IN_THREAD_TOPICS = 256


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
        self._full_wanted = False          # a coalesced full registration is asked for and has not started
        self._full_task: asyncio.Task | None = None
        # NameServer address -> whether its last synchronous registration succeeded: a success is logged when
        # it is the first or follows a failure (not every registerNameServerPeriod), every failure is
        self._registered: dict[str, bool] = {}

    def _wrapper(self, only: list[TopicConfig] | None = None) -> TopicConfigSerializeWrapper:
        w = self.topics.wrapper(only)
        perm = self.settings.broker.brokerPermission
        if perm & (PERM_READ | PERM_WRITE) != (PERM_READ | PERM_WRITE):
            # a broker that is not fully readable/writable advertises its own permission for every topic
            w.topicConfigTable = {k: TopicConfig(v.topicName, v.readQueueNums, v.writeQueueNums, perm,
                                                 v.topicFilterType, v.topicSysFlag, v.order)
                                  for k, v in w.topicConfigTable.items()}
        return w

    def _body(self, wrapper: TopicConfigSerializeWrapper) -> bytes:
        return RegisterBrokerBody(wrapper, []).encode(self.settings.broker.compressedRegister)

    def _request(self, body: bytes, oneway: bool):
        b = self.settings.broker
        compressed = b.compressedRegister
        header = RegisterBrokerRequestHeader(
            brokerName=b.brokerName, brokerAddr=self.settings.broker_addr, clusterName=b.brokerClusterName,
            haServerAddr=self.settings.ha_addr, brokerId=b.brokerId, compressed=compressed,
            bodyCrc32=zlib.crc32(body) & 0x7FFFFFFF)
        return make_request(RequestCode.REGISTER_BROKER, header.encode(), body, oneway=oneway)

    async def register_all(self, only: list[TopicConfig] | None = None, oneway: bool = False) -> None:
        wrapper = self._wrapper(only)
        timeout = self.settings.broker.registerBrokerTimeoutMills / 1000
        if len(wrapper.topicConfigTable) > ENCODE_IN_THREAD_TOPICS:
            # the wrapper is this moment's copy of the table (its dict is ours; the TopicConfigs are only read)
            body = await asyncio.get_running_loop().run_in_executor(None, self._body, wrapper)
        else:
            body = self._body(wrapper)   # once for all NameServers

        answers: list[tuple[str | None, str | None]] = []

        async def one(addr: str) -> None:
            req = self._request(body, oneway)
            try:
                if oneway:
                    await self.client.invoke_oneway(addr, req)
                    return
                resp = await self.client.invoke(addr, req, timeout)
            except RemotingError as e:
                self._registered[addr] = False
                log.warning("register broker to name server %s failed: %s", addr, e)
                return
            if resp.code != ResponseCode.SUCCESS:
                self._registered[addr] = False
                log.warning("register broker to name server %s refused: %s %s", addr, resp.code, resp.remark)
                return
            h = RegisterBrokerResponseHeader.decode(resp.ext_fields)
            if not self._registered.get(addr):
                b = self.settings.broker
                log.info("registered to name server %s%s: cluster %s, broker %s, id %d, address %s, %d topics%s",
                         addr, " again" if addr in self._registered else "", b.brokerClusterName, b.brokerName,
                         b.brokerId, self.settings.broker_addr, len(wrapper.topicConfigTable),
                         f", master {h.masterAddr} (HA {h.haServerAddr})" if h.masterAddr and b.brokerId else "")
                self._registered[addr] = True
            else:
                log.debug("registered to name server %s", addr)
            answers.append((h.masterAddr or None, h.haServerAddr or None))
            if h.masterAddr:
                self.master_addr, self.master_ha_addr = h.masterAddr, h.haServerAddr
        await asyncio.gather(*(one(a) for a in self.settings.broker.namesrv_list()))
        if answers and self.on_master is not None:
            self.on_master(*answers[0])

    def topic_changed(self, tc: TopicConfig, incremental: bool) -> None:
        """Called by the topic manager; registration runs in the background. Incremental: this topic alone,
        synchronous. Full (oneway): coalesced; one that has not started yet covers this change too, as it
        takes the table when it starts."""
        if incremental:
            self._spawn(self.register_all([tc], oneway=False))
            return
        if self._full_wanted:
            return
        self._full_wanted = True
        if self._full_task is None or self._full_task.done():
            self._full_task = self._spawn(self._full_registrations())

    async def _full_registrations(self) -> None:
        while self._full_wanted:
            self._full_wanted = False
            try:
                await self.register_all(oneway=True)
            except Exception:  # noqa: BLE001 - the next change or the periodic registration tries again
                log.exception("registration after a topic change failed")

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

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
                resp = await self.client.invoke(addr, make_request(RequestCode.UNREGISTER_BROKER, dict(header)), 3)
            except RemotingError as e:
                log.warning("unregister broker from name server %s failed: %s", addr, e)
                continue
            if resp.code == ResponseCode.SUCCESS:
                log.info("unregistered from name server %s", addr)
            else:
                log.warning("unregister broker from name server %s refused: %s %s", addr, resp.code, resp.remark)

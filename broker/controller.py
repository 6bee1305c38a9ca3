"""A running Broker: config, store, managers, processors on the main and VIP ports, NameServer registration,
long polling, client expiry, offset persistence; start and stop in order."""
from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from remoting.client import RemotingClient
from remoting.codes import RequestCode
from remoting.command import make_request
from remoting.config import RuntimeConfiguration
from remoting.connection import Connection
from remoting.dispatch import Dispatcher
from remoting.headers import NotifyConsumerIdsChangedRequestHeader
from remoting.server import RemotingServer
from remoting.tls import ServerTls, client_context_if_enabled
from store.message_store import MessageStore
from store.timer.service import TimerMessageStore

from .client_manager import ConsumerManager, ProducerManager
from .config import ACL_FILE_PROPERTY, BrokerSettings
from .consumer_offset import ConsumerOffsetManager
from .fast_failure import FastFailure
from .long_polling import PullRequestHoldService
from .metrics.service import BrokerMetrics
from .namesrv_register import NamesrvRegistrar
from .processors.client_manage import ClientManageProcessor
from .acl.service import AclService
from .processors.acl_admin import AclAdminProcessor
from .processors.config_admin import ConfigAdminProcessor
from .processors.consumer_diag import ConsumerDiagnosticsProcessor
from .processors.consumer_manage import ConsumerManageProcessor
from .processors.end_transaction import EndTransactionProcessor, SlaveEndTransactionProcessor
from .processors.offset_admin import OffsetAdminProcessor
from .processors.pull import PullProcessor
from .processors.query import QueryProcessor
from .processors.queue_lock import QueueLockProcessor
from .processors.send import SendProcessor
from .processors.stats_admin import StatsAdminProcessor
from .processors.store_admin import StoreAdminProcessor
from .processors.topic_admin import TopicGroupAdminProcessor
from .schedule import ScheduleMessageService
from .slave_sync import SlaveSynchronize
from .stats.manager import BrokerStatsManager, DailyTotals
from .subscription_group import SubscriptionGroupManager
from .topic_config import TopicConfigManager
from .trace.pub_writer import BrokerTraceWriter
from .transaction.check import TransactionCheckService
from .transaction.service import TransactionalMessageService

log = logging.getLogger("broker")


class Broker:
    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        b, s = settings.broker, settings.store
        self.is_slave = s.brokerRole == "SLAVE"
        self.store_host = (b.brokerIP1, settings.server.listenPort)
        self.io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="broker-metadata-io")
        self.store = MessageStore(s, self.store_host)
        # the 5.x timer runs on a master only: a slave delivers nothing (its timer topic is only replicated)
        self.store.timer = TimerMessageStore(self.store) if s.timerWheelEnable and not self.is_slave else None
        self.topics = TopicConfigManager(b, s.storePathRootDir, self._submit_io)
        self.groups = SubscriptionGroupManager(b.autoCreateSubscriptionGroup, s.storePathRootDir, self._submit_io)
        self.offsets = ConsumerOffsetManager(s.storePathRootDir, self._submit_io)
        self.schedule = ScheduleMessageService(self.store, s.storePathRootDir, self._submit_io)
        self.configuration = RuntimeConfiguration(
            [b, settings.server, s], settings.extra, lambda: settings.config_file or
            os.path.join(s.storePathRootDir, "config", "broker.properties"),
            frozenset({"brokerConfigPath", "rocketmqHome", "configBlackList", "storePathRootDir", "storePathCommitLog"}),
            "broker", "Can not update config in black list.")
        self.consumers = ConsumerManager()
        self.producers = ProducerManager()
        self.holds = PullRequestHoldService()
        # NettyClientConfig.useTLS: registration with the NameServers and a slave's calls to its master
        self.client = RemotingClient(ssl=client_context_if_enabled(settings.tls, settings.use_tls))
        self.registrar = NamesrvRegistrar(settings, self.topics, self.client, self._master_learned)
        self.topics.on_change = self.registrar.topic_changed
        # aclEnable: plain_acl.yml under rocketmqHome (or the rocketmq.acl.plain.file system property's path)
        self.acl = AclService(b.rocketmqHome, settings.extra.get(ACL_FILE_PROPERTY)) if b.aclEnable else None
        self.slave_sync = SlaveSynchronize(self.client, settings.broker_addr, self.topics, self.groups, self.offsets,
                                           self.schedule.path, self._submit_io)
        self.consumers.on_ids_changed = self._notify_consumer_ids_changed
        self.store.listeners.append(self.holds.message_arrived)
        self.transactions = TransactionalMessageService(self.store, self.offsets, self.store_host)
        self.transaction_check = TransactionCheckService(b, self.transactions, self.topics, self.producers,
                                                         s.fileReservedTime)

        send = SendProcessor(b, self.store, self.topics, self.groups, self.store_host, self.transactions)
        self.fast_failure = send.fast_failure = FastFailure.from_config(b, s)
        # Pub records written by the broker for producers that do not trace (brokerTraceEnable, ours)
        self.trace_writer = (BrokerTraceWriter(b, self.store, self.topics, self.store_host)
                             if b.brokerTraceEnable and not self.is_slave else None)
        if self.trace_writer is not None:
            send.on_stored = self.trace_writer.sent
        pull = PullProcessor(b, self.store, self.topics, self.groups, self.consumers, self.offsets, self.holds,
                             b.brokerIP1, self.is_slave)
        self.stats = pull.stats = BrokerStatsManager(b.brokerClusterName)
        send.set_stats(self.stats)
        self.daily_totals = DailyTotals(self.store.stats)
        others = [ClientManageProcessor(b, self.topics, self.groups, self.consumers, self.producers),
                  ConsumerManageProcessor(self.store, self.consumers, self.offsets), QueryProcessor(self.store),
                  # the admin request families (AdminBrokerProcessor.java in one class there)
                  TopicGroupAdminProcessor(b, self.store, self.topics, self.groups, self.is_slave, self.offsets,
                                           self.stats),
                  StoreAdminProcessor(b, self.store, self.topics, self.stats),
                  OffsetAdminProcessor(self.store, self.offsets, self.schedule), QueueLockProcessor(),
                  ConsumerDiagnosticsProcessor(b, self.store, self.topics, self.consumers, self.producers,
                                               self.offsets, self.groups, settings.broker_addr, self.stats),
                  StatsAdminProcessor(b, self.store, self.topics, self.schedule, self.fast_failure, self.stats,
                                      self.daily_totals),
                  ConfigAdminProcessor(self.store, self.configuration, self._permission_changed),
                  AclAdminProcessor(self.acl, b.brokerName, b.brokerClusterName, settings.broker_addr), send]
        end_tx = None if self.is_slave else EndTransactionProcessor(self.transactions, self.store)
        others.append(SlaveEndTransactionProcessor() if end_tx is None else end_tx)
        self.dispatcher = Dispatcher("broker")
        self.vip_dispatcher = Dispatcher("broker-vip")
        for p in others:
            self.dispatcher.register_all(p.table())
            self.vip_dispatcher.register_all(p.table())
        self.dispatcher.register_all(pull.table())   # the VIP port has no PULL_MESSAGE, as in Java
        if self.acl is not None:     # BrokerController.initialAcl: the check on both servers
            self.dispatcher.before = self.vip_dispatcher.before = self.acl.check
        self.tls = ServerTls(settings.tls)   # tls.server.mode for both ports, one context
        self.server = RemotingServer(self.dispatcher, settings.server, name="broker", tls=self.tls)
        vip_cfg = type(settings.server)(**settings.server.__dict__)
        vip_cfg.listenPort = settings.server.listenPort - 2
        self.vip_server = RemotingServer(self.vip_dispatcher, vip_cfg, name="broker-vip", tls=self.tls)
        for srv in (self.server, self.vip_server):
            srv.on_connection_close(self._connection_closed)
        self.metrics = BrokerMetrics(self)
        self.metrics.attach(send, pull, end_tx, (self.dispatcher, self.vip_dispatcher))
        self._tasks: list[asyncio.Task] = []

    def _submit_io(self, job: Callable[[], None]) -> None:
        fut = self.io.submit(job)
        fut.add_done_callback(lambda f: f.exception() and log.error("config write failed: %s", f.exception()))

    # ------------------------------------------------------------ events
    def _notify_consumer_ids_changed(self, group: str, conns: list[object]) -> None:
        header = NotifyConsumerIdsChangedRequestHeader(group).encode()
        info = self.consumers.groups.get(group)
        ids = [info.channels[c].client_id for c in conns if c in info.channels] if info is not None else []
        log.info("rebalance: NOTIFY_CONSUMER_IDS_CHANGED to %d consumers of group %s: %s", len(conns), group,
                 ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else ""))
        for conn in conns:
            if isinstance(conn, Connection) and not conn.closed:
                try:
                    conn.oneway(make_request(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, dict(header)))
                except Exception as e:  # noqa: BLE001 - a dead channel is cleaned up by its close event
                    log.warning("notify consumer %s of group %s failed: %s", conn.remote_addr, group, e)

    def _master_learned(self, master_addr: str | None, master_ha_addr: str | None) -> None:
        """A slave hears its master's addresses in every REGISTER_BROKER answer (doRegisterBrokerAll): the HA
        address for replication (kept when the master is gone), the remoting address for the metadata sync
        (None when the master is gone: nothing is synced then)."""
        if self.is_slave:
            if master_ha_addr:
                self.store.ha.update_master_address(master_ha_addr)
            self.slave_sync.master_addr = master_addr

    def _permission_changed(self) -> None:
        """UPDATE_BROKER_CONFIG changed brokerPermission: the NameServers must hear it now."""
        self.topics.next_version()
        asyncio.get_running_loop().create_task(self.registrar.register_all())

    def _connection_closed(self, conn: Connection) -> None:
        self.consumers.connection_closed(conn)
        self.producers.connection_closed(conn)

    # ------------------------------------------------------------ lifecycle
    async def start(self, host: str | None = None) -> None:
        s_cfg = self.settings.store
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.store.load)
        self.topics.load()
        self.groups.load()
        self.offsets.load()
        self.schedule.load()
        self.store.start()
        if self.store.timer is not None:
            await loop.run_in_executor(None, self.store.timer.load)
            self.store.timer.start()
        if not self.is_slave:
            self.schedule.start()
            self.transactions.rebuild()
            self.transaction_check.start()
        self.fast_failure.start()
        self.stats.start(self.daily_totals)
        if self.acl is not None:
            await self.acl.start()
        self.tls.prepare(log)
        await self.server.start(host)
        await self.store.ha.start(host)
        try:
            await self.vip_server.start(host)
        except OSError as e:
            log.warning("VIP channel on port %d not available: %s", self.vip_server.config.listenPort, e)
        if self.trace_writer is not None:
            self.trace_writer.start()
        await self.metrics.start()
        await self.registrar.register_all()
        self.registrar.start()
        self._tasks.append(asyncio.create_task(self._every(self.settings.broker.flushConsumerOffsetInterval / 1000,
                                                           self.offsets.persist)))
        self._tasks.append(asyncio.create_task(self._every(10.0, self._expire_channels)))
        if self.is_slave:
            # the slave's delayOffset.json is the master's, written by the sync; it never writes its own
            self._tasks.append(asyncio.create_task(self.slave_sync.run(), name="slave-sync"))
        else:
            self._tasks.append(asyncio.create_task(self._every(s_cfg.flushDelayOffsetInterval / 1000,
                                                               self.schedule.persist)))

    async def _every(self, seconds: float, job: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                job()
            except Exception:  # noqa: BLE001
                log.exception("periodic job failed")

    def _expire_channels(self) -> None:
        timeout = self.settings.broker.channelExpiredTimeout
        for conn in self.consumers.expire(timeout) + self.producers.expire(timeout):
            if isinstance(conn, Connection):
                conn.close()

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await self.registrar.stop()
        await self.metrics.stop()
        self.holds.wake_all()
        await self.vip_server.stop()
        await self.server.stop()
        if self.acl is not None:
            await self.acl.stop()
        self.fast_failure.stop()
        await self.stats.stop()
        await self.client.close()
        if self.store.timer is not None:
            await self.store.timer.stop()
        if self.trace_writer is not None:
            await self.trace_writer.stop()
        await self.schedule.stop()
        await self.transaction_check.stop()
        self.offsets.persist()
        self.topics.persist()
        self.groups.persist()
        await asyncio.get_running_loop().run_in_executor(None, self.io.shutdown, True)
        await self.store.shutdown()

"""A SLAVE broker's metadata sync from its master (SlaveSynchronize.java, 4.9.7).

Four independent parts, in Java's order, each skipped when the master address is unknown or is our own,
each failing on its own (logged; the later parts still run):
- topics (GET_ALL_TOPIC_CONFIG, asked on the master's VIP port as Java does): when the master's DataVersion
  differs from ours, our table is cleared and replaced by the master's, our DataVersion becomes the master's,
  and topics.json is rewritten;
- consumer offsets (GET_ALL_CONSUMER_OFFSET): the master's `topic@group` entries are put over ours (Java's
  putAll: a key only we have stays) and consumerOffset.json is rewritten, on every run;
- delay offsets (GET_ALL_DELAY_OFFSET): the answer body is written as it is to config/delayOffset.json (the
  schedule service's file) and not loaded: a slave delivers no delayed messages;
- subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG): as topics.

The broker learns `master_addr` from its REGISTER_BROKER answers and schedules `run` (first sync after
3 s, then every 10 s).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from remoting import fastjson
from remoting.bodies import TopicConfigSerializeWrapper
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from remoting.config import write_file_atomically
from remoting.errors import RemotingError

from .consumer_offset import ConsumerOffsetManager, offsets_from_json
from .subscription_group import SubscriptionGroupManager, groups_from_json
from .topic_config import TopicConfigManager

log = logging.getLogger("broker")

SYNC_TIMEOUT = 3.0           # BrokerOuterAPI's invokeSync timeout for these four requests
FIRST_SYNC_DELAY = 3.0
SYNC_PERIOD = 10.0


class MasterRefused(Exception):
    """The master answered with something other than SUCCESS (Java's MQBrokerException)."""

    def __init__(self, addr: str, code: int, remark: str | None) -> None:
        super().__init__(f"CODE: {code} DESC: {remark} BROKER: {addr}")


def vip_channel(addr: str) -> str:
    """MixAll.brokerVIPChannel: the same host, port - 2."""
    host, _, port = addr.rpartition(":")
    return f"{host}:{int(port) - 2}"


class SlaveSynchronize:
    def __init__(self, client: RemotingClient, own_addr: str, topics: TopicConfigManager,
                 groups: SubscriptionGroupManager, offsets: ConsumerOffsetManager, delay_offset_path: str,
                 submit_io: Callable[[Callable[[], None]], None], timeout: float = SYNC_TIMEOUT) -> None:
        self.client = client
        self.own_addr = own_addr
        self.topics = topics
        self.groups = groups
        self.offsets = offsets
        self.delay_offset_path = delay_offset_path
        self.submit_io = submit_io
        self.timeout = timeout
        self.master_addr: str | None = None

    async def run(self, first_delay: float = FIRST_SYNC_DELAY, period: float = SYNC_PERIOD) -> None:
        """handleSlaveSynchronize's fixed-rate schedule; a slow run delays the next one, runs never overlap."""
        loop = asyncio.get_running_loop()
        due = loop.time() + first_delay
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                await self.sync_all()
            except Exception:  # noqa: BLE001 - the schedule goes on, as Java's catch (Throwable)
                log.exception("ScheduledTask SlaveSynchronize syncAll error.")
            due += period

    async def sync_all(self) -> None:
        await self._part("SyncTopicConfig", self._sync_topic_config)
        await self._part("SyncConsumerOffset", self._sync_consumer_offset)
        await self._part("SyncDelayOffset", self._sync_delay_offset)
        await self._part("SyncSubscriptionGroup", self._sync_subscription_group_config)

    async def _part(self, name: str, sync: Callable[[str], Awaitable[None]]) -> None:
        master = self.master_addr          # read once per part, as Java's masterAddrBak
        if master is None or master == self.own_addr:
            return
        try:
            await sync(master)
        except (RemotingError, MasterRefused) as e:
            log.error("%s Exception, %s: %s", name, master, e)
        except Exception:  # noqa: BLE001 - one part failing must not stop the others
            log.exception("%s Exception, %s", name, master)

    async def _fetch(self, addr: str, code: int) -> bytes:
        resp = await self.client.invoke(addr, make_request(code), self.timeout)
        if resp.code != ResponseCode.SUCCESS:
            raise MasterRefused(addr, resp.code, resp.remark)
        if resp.body is None:
            raise ValueError(f"empty answer to request {code} from {addr}")   # Java fails decoding a null body
        return bytes(resp.body)

    async def _sync_topic_config(self, master: str) -> None:
        body = await self._fetch(vip_channel(master), RequestCode.GET_ALL_TOPIC_CONFIG)
        wrapper = TopicConfigSerializeWrapper.from_json(fastjson.loads(body))
        if self.topics.data_version != wrapper.dataVersion:
            self.topics.replace_all(wrapper.topicConfigTable, wrapper.dataVersion)
            log.info("Update slave topic config from master, %s", master)

    async def _sync_consumer_offset(self, master: str) -> None:
        body = await self._fetch(master, RequestCode.GET_ALL_CONSUMER_OFFSET)
        self.offsets.merge_all(offsets_from_json(fastjson.loads(body)))
        log.info("Update slave consumer offset from master, %s", master)

    async def _sync_delay_offset(self, master: str) -> None:
        body = await self._fetch(master, RequestCode.GET_ALL_DELAY_OFFSET)
        content = body.decode("utf-8", errors="replace")   # new String(body, UTF-8)
        path = self.delay_offset_path

        def write() -> None:
            try:
                write_file_atomically(path, content)
            except OSError as e:
                log.error("Persist file Exception, %s: %s", path, e)
        self.submit_io(write)
        log.info("Update slave delay offset from master, %s", master)

    async def _sync_subscription_group_config(self, master: str) -> None:
        body = await self._fetch(master, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)
        table, version = groups_from_json(fastjson.loads(body))
        if self.groups.data_version != version:
            self.groups.replace_all(table, version)
            log.info("Update slave Subscription Group from master, %s", master)

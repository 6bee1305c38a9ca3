"""Route tables of the NameServer and the rules that change them (RouteInfoManager.java, 4.9.7; per-broker
heartbeat timeout from 5.x). Pure state: no I/O; the clock and connections are passed in."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from remoting.bodies import (MASTER_ID, PERM_READ, PERM_WRITE, BrokerData, ClusterInfo, DataVersion, QueueData,
                             TopicConfig, TopicConfigSerializeWrapper, TopicList, TopicRouteData)
from remoting.java_order import hashmap_order

log = logging.getLogger("namesrv")

DEFAULT_BROKER_CHANNEL_EXPIRED_MS = 120_000

TOPIC_SYS_FLAG_UNIT = 0x1
TOPIC_SYS_FLAG_UNIT_SUB = 0x2


@dataclass(slots=True)
class BrokerLiveInfo:
    last_update_ms: int
    data_version: DataVersion
    conn: object | None
    ha_server_addr: str
    heartbeat_timeout_ms: int = DEFAULT_BROKER_CHANNEL_EXPIRED_MS


@dataclass(slots=True)
class RegisterResult:
    ha_server_addr: str | None = None
    master_addr: str | None = None


class RouteInfo:
    def __init__(self) -> None:
        self.topic_queue_table: dict[str, dict[str, QueueData]] = {}
        self.broker_addr_table: dict[str, BrokerData] = {}
        self.cluster_addr_table: dict[str, set[str]] = {}
        self.broker_live_table: dict[str, BrokerLiveInfo] = {}
        self.filter_server_table: dict[str, list[str]] = {}

    # ------------------------------------------------------------ registration
    def register_broker(self, cluster: str, broker_addr: str, broker_name: str, broker_id: int,
                        ha_server_addr: str, wrapper: TopicConfigSerializeWrapper | None,
                        filter_server_list: list[str] | None, conn: object | None, now_ms: int,
                        heartbeat_timeout_ms: int | None = None) -> RegisterResult:
        result = RegisterResult()
        if wrapper is None:
            wrapper = TopicConfigSerializeWrapper()
        self.cluster_addr_table.setdefault(cluster, set()).add(broker_name)

        register_first = False
        bd = self.broker_addr_table.get(broker_name)
        if bd is None:
            register_first = True
            bd = BrokerData(cluster, broker_name, {})
            self.broker_addr_table[broker_name] = bd
        # A slave turned master (or the reverse) keeps one entry per address: drop the old id first.
        for bid in [k for k, v in bd.brokerAddrs.items() if v == broker_addr and k != broker_id]:
            del bd.brokerAddrs[bid]
        old_addr = bd.brokerAddrs.get(broker_id)
        bd.brokerAddrs[broker_id] = broker_addr
        if broker_id == MASTER_ID and old_addr is not None and old_addr != broker_addr:
            log.info("broker changed: cluster %s, broker %s master address %s -> %s",
                     cluster, broker_name, old_addr, broker_addr)
        register_first = register_first or old_addr is None

        if broker_id == MASTER_ID and (self.is_broker_topic_config_changed(broker_addr, wrapper.dataVersion)
                                       or register_first):
            for tc in wrapper.topicConfigTable.values():
                # a broker's first registration is one line (below), not one per topic
                self._create_and_update_queue_data(broker_name, tc, logging.DEBUG if register_first else logging.INFO)

        prev = self.broker_live_table.get(broker_addr)
        self.broker_live_table[broker_addr] = BrokerLiveInfo(
            now_ms, wrapper.dataVersion, conn, ha_server_addr,
            heartbeat_timeout_ms if heartbeat_timeout_ms else DEFAULT_BROKER_CHANNEL_EXPIRED_MS)
        if prev is None:
            log.info("broker registered: cluster %s, broker %s, id %d, address %s, HA %s, %d topics",
                     cluster, broker_name, broker_id, broker_addr, ha_server_addr, len(wrapper.topicConfigTable))
        elif prev.ha_server_addr != ha_server_addr:
            log.info("broker changed: cluster %s, broker %s, id %d, address %s, HA %s -> %s",
                     cluster, broker_name, broker_id, broker_addr, prev.ha_server_addr, ha_server_addr)

        if filter_server_list is not None:
            if filter_server_list:
                self.filter_server_table[broker_addr] = list(filter_server_list)
            else:
                self.filter_server_table.pop(broker_addr, None)

        if broker_id != MASTER_ID:
            master_addr = bd.brokerAddrs.get(MASTER_ID)
            if master_addr is not None:
                master_live = self.broker_live_table.get(master_addr)
                if master_live is not None:
                    result.ha_server_addr = master_live.ha_server_addr
                    result.master_addr = master_addr
        return result

    def _create_and_update_queue_data(self, broker_name: str, tc: TopicConfig, level: int = logging.INFO) -> None:
        qd = QueueData(broker_name, tc.readQueueNums, tc.writeQueueNums, tc.perm, tc.topicSysFlag)
        table = self.topic_queue_table.get(tc.topicName)
        if table is None:
            self.topic_queue_table[tc.topicName] = {broker_name: qd}
            log.log(level, "new topic registered, %s %s", tc.topicName, qd)
        else:
            old = table.get(broker_name)
            table[broker_name] = qd
            if old is not None and old != qd:
                log.log(level, "topic changed, %s OLD: %s NEW: %s", tc.topicName, old, qd)

    def is_broker_topic_config_changed(self, broker_addr: str, version: DataVersion) -> bool:
        prev = self.query_broker_topic_config(broker_addr)
        return prev is None or prev != version

    def query_broker_topic_config(self, broker_addr: str) -> DataVersion | None:
        live = self.broker_live_table.get(broker_addr)
        return live.data_version if live is not None else None

    def update_broker_info_update_timestamp(self, broker_addr: str, now_ms: int) -> None:
        live = self.broker_live_table.get(broker_addr)
        if live is not None:
            live.last_update_ms = now_ms

    def unregister_broker(self, cluster: str, broker_addr: str, broker_name: str, broker_id: int) -> None:
        removed = self.broker_live_table.pop(broker_addr, None)
        self.filter_server_table.pop(broker_addr, None)
        topics: list[str] = []
        remove_name = False
        bd = self.broker_addr_table.get(broker_name)
        if bd is not None:
            bd.brokerAddrs.pop(broker_id, None)
            if not bd.brokerAddrs:
                del self.broker_addr_table[broker_name]
                remove_name = True
        if remove_name:
            names = self.cluster_addr_table.get(cluster)
            if names is not None:
                names.discard(broker_name)
                if not names:
                    del self.cluster_addr_table[cluster]
            topics = self._remove_topics_of_broker(broker_name)
        log.info("broker unregistered: cluster %s, broker %s, id %d, address %s%s%s", cluster, broker_name,
                 broker_id, broker_addr, "" if removed else " (was not registered)", _topics_gone(topics))

    def _remove_topics_of_broker(self, broker_name: str) -> list[str]:
        """Drop the broker's queue data; returns the topics left with no broker (removed)."""
        gone = []
        for topic in list(self.topic_queue_table):
            table = self.topic_queue_table[topic]
            table.pop(broker_name, None)
            if not table:
                del self.topic_queue_table[topic]
                log.debug("remove topic[%s] all queue, broker %s gone", topic, broker_name)
                gone.append(topic)
        return gone

    # ------------------------------------------------------------ expiry and lost connections
    def scan_not_active_brokers(self, now_ms: int) -> list[tuple[str, object | None]]:
        """Remove brokers whose last registration is older than their timeout; returns (addr, conn) of each
        so the caller can close the connections."""
        expired = [(addr, live) for addr, live in self.broker_live_table.items()
                   if live.last_update_ms + live.heartbeat_timeout_ms < now_ms]
        for addr, live in expired:
            self.broker_live_table.pop(addr, None)
            self.on_channel_destroy(addr, live.conn, expired=(
                f"no registration for {now_ms - live.last_update_ms} ms (timeout {live.heartbeat_timeout_ms} ms)"))
        return [(addr, live.conn) for addr, live in expired]

    def on_channel_destroy(self, remote_addr: str, conn: object | None, expired: str | None = None) -> None:
        """A connection closed (or, with `expired` saying why, a broker's registration ran out): forget the
        broker behind it, if any. One line: INFO for a closed connection, WARNING for an expiry."""
        found = None
        if conn is not None:
            for addr, live in self.broker_live_table.items():
                if live.conn is conn:
                    found = addr
                    break
        if found is None:
            found = remote_addr
        if not found:
            return
        was_live = self.broker_live_table.pop(found, None) is not None
        self.filter_server_table.pop(found, None)
        name_found = None
        id_found = None
        remove_name = False
        for name, bd in list(self.broker_addr_table.items()):
            for bid, addr in list(bd.brokerAddrs.items()):
                if addr == found:
                    name_found, id_found = name, bid
                    del bd.brokerAddrs[bid]
                    break
            if not bd.brokerAddrs:
                remove_name = True
                del self.broker_addr_table[name]
            if name_found is not None:
                break
        if name_found is not None and remove_name:
            for cluster, names in list(self.cluster_addr_table.items()):
                if name_found in names:
                    names.discard(name_found)
                    if not names:
                        del self.cluster_addr_table[cluster]
                    break
        topics = self._remove_topics_of_broker(name_found) if remove_name and name_found is not None else []
        if expired is not None:
            log.warning("broker expired: address %s (broker %s, id %s), %s%s", found, name_found, id_found, expired,
                        _topics_gone(topics))
        elif was_live or name_found is not None:
            log.info("broker connection closed: address %s (broker %s, id %s) removed%s", found, name_found,
                     id_found, _topics_gone(topics))

    # ------------------------------------------------------------ queries
    def pickup_topic_route_data(self, topic: str) -> TopicRouteData | None:
        table = self.topic_queue_table.get(topic)
        if table is None:
            return None
        # Java's order: queue datas as its HashMap of broker names iterates, broker datas as a HashSet of them
        # does (the same order here); clients keep both lists' order (a subscriber's HashSet of queues, which
        # mqadmin allocateMQ prints, depends on it)
        names = hashmap_order(table)
        route = TopicRouteData(queueDatas=[QueueData(q.brokerName, q.readQueueNums, q.writeQueueNums, q.perm,
                                                     q.topicSysFlag) for q in (table[n] for n in names)])
        for name in names:
            bd = self.broker_addr_table.get(name)
            if bd is None:
                continue
            clone = BrokerData(bd.cluster, bd.brokerName, dict(bd.brokerAddrs))
            route.brokerDatas.append(clone)
            if self.filter_server_table:
                for addr in clone.brokerAddrs.values():
                    servers = self.filter_server_table.get(addr)
                    if servers is not None:
                        route.filterServerTable[addr] = list(servers)
        return route if route.brokerDatas else None

    def cluster_info(self) -> ClusterInfo:
        return ClusterInfo({k: BrokerData(v.cluster, v.brokerName, dict(v.brokerAddrs))
                            for k, v in self.broker_addr_table.items()},
                           {k: sorted(v) for k, v in self.cluster_addr_table.items()})

    def all_topics(self) -> TopicList:
        return TopicList(list(self.topic_queue_table))

    def system_topics(self) -> TopicList:
        tl = TopicList()
        for cluster, names in self.cluster_addr_table.items():
            tl.topicList.append(cluster)
            tl.topicList.extend(sorted(names))
        for bd in self.broker_addr_table.values():
            if bd.brokerAddrs:
                tl.brokerAddr = next(iter(bd.brokerAddrs.values()))
                break
        return tl

    def topics_by_cluster(self, cluster: str) -> TopicList:
        tl = TopicList()
        seen: set[str] = set()
        for name in self.cluster_addr_table.get(cluster, ()):
            for topic, table in self.topic_queue_table.items():
                if name in table and topic not in seen:
                    seen.add(topic)
                    tl.topicList.append(topic)
        return tl

    def _topics_where(self, pick: Callable[[int], bool]) -> TopicList:
        return TopicList([t for t, table in self.topic_queue_table.items()
                          if table and pick(next(iter(table.values())).topicSysFlag)])

    def unit_topics(self) -> TopicList:
        return self._topics_where(lambda f: bool(f & TOPIC_SYS_FLAG_UNIT))

    def has_unit_sub_topics(self) -> TopicList:
        return self._topics_where(lambda f: bool(f & TOPIC_SYS_FLAG_UNIT_SUB))

    def has_unit_sub_ununit_topics(self) -> TopicList:
        return self._topics_where(lambda f: not f & TOPIC_SYS_FLAG_UNIT and bool(f & TOPIC_SYS_FLAG_UNIT_SUB))

    # ------------------------------------------------------------ admin changes
    def delete_topic(self, topic: str, cluster: str | None = None) -> None:
        if not cluster:
            self.topic_queue_table.pop(topic, None)
            return
        names = self.cluster_addr_table.get(cluster)
        table = self.topic_queue_table.get(topic)
        if not names or table is None:
            return
        for name in names:
            table.pop(name, None)
        if not table:
            del self.topic_queue_table[topic]

    def wipe_write_perm(self, broker_name: str) -> int:
        return self._change_write_perm(broker_name, lambda perm: perm & ~PERM_WRITE)

    def add_write_perm(self, broker_name: str) -> int:
        return self._change_write_perm(broker_name, lambda perm: PERM_READ | PERM_WRITE)

    def _change_write_perm(self, broker_name: str, change: Callable[[int], int]) -> int:
        count = 0
        for table in self.topic_queue_table.values():
            qd = table.get(broker_name)
            if qd is not None:
                qd.perm = change(qd.perm)
                count += 1
        return count


def _topics_gone(topics: list[str]) -> str:
    if not topics:
        return ""
    shown = ", ".join(topics[:5]) + (f" and {len(topics) - 5} more" if len(topics) > 5 else "")
    return f"; {len(topics)} topics left without a broker removed: {shown}"

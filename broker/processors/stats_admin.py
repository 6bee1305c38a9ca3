"""Broker statistics (AdminBrokerProcessor.java's stats family): per-queue topic stats, the runtime info table,
the stats items of BrokerStatsManager (VIEW_BROKER_STATS_DATA)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass

from remoting import fastjson
from remoting.codes import CURRENT_VERSION, RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from remoting.headers import Header, TopicRequestHeader, required
from store.message_store import MessageStore
from store.maintenance import remain_to_flush
from store.stats_service import human_bytes

from ..config import BrokerConfig
from ..fast_failure import FastFailure
from ..schedule import ScheduleMessageService
from ..stats.manager import BrokerStatsManager, DailyTotals
from ..topic_config import TopicConfigManager
from .common import last_store_time, mq_key


@dataclass(slots=True)
class ViewBrokerStatsDataRequestHeader(Header):
    statsName: str = required()
    statsKey: str = required()


class StatsAdminProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 schedule: ScheduleMessageService, fast_failure: FastFailure | None = None,
                 stats: BrokerStatsManager | None = None, daily: DailyTotals | None = None) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.schedule = schedule
        self.fast_failure = fast_failure or FastFailure()   # the send "queue" figures of the runtime info
        self.stats = stats or BrokerStatsManager(config.brokerClusterName)
        self.daily = daily or DailyTotals(store.stats)

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.GET_TOPIC_STATS_INFO: self.get_topic_stats_info,
                R.GET_BROKER_RUNTIME_INFO: self.get_broker_runtime_info,
                R.VIEW_BROKER_STATS_DATA: self.view_broker_stats_data}

    def get_topic_stats_info(self, conn, req):
        h = TopicRequestHeader.decode(req.ext_fields)
        tc = self.topics.get(h.topic)
        if tc is None:
            return make_response(req, ResponseCode.TOPIC_NOT_EXIST, f"topic[{h.topic}] not exist")
        table = {}
        for q in range(tc.writeQueueNums):    # the write queues only, as Java
            mx = max(0, self.store.max_offset_in_queue(h.topic, q))
            key = mq_key({"brokerName": self.config.brokerName, "queueId": q, "topic": h.topic})
            # lastUpdateTimestamp: the store time of the queue's last message, 0 for an empty queue
            table[key] = {"lastUpdateTimestamp": last_store_time(self.store, h.topic, q, mx - 1) if mx > 0 else 0,
                          "maxOffset": mx, "minOffset": max(0, self.store.min_offset_in_queue(h.topic, q))}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"offsetTable": table}))

    def get_broker_runtime_info(self, conn, req):
        """The KVTable of AdminBrokerProcessor.prepareRuntimeInfo: the store's figures, the daily totals, the
        thread-pool queues, the store's state."""
        info = self.store.runtime_info()
        info.update(self.schedule.running_stats())
        info.update(self.daily.runtime_info())
        info["brokerVersionDesc"] = "V4_9_7"
        info["brokerVersion"] = str(CURRENT_VERSION)
        # Thread-pool queues: there are no thread pools here (one event loop). The send queue's figures are the
        # sends waiting for a flush / slave and how late the loop runs (broker/fast_failure); pull, query and
        # end-transaction requests never queue, so their sizes and head waits are 0; capacities are Java's
        # defaults (the send one from the config).
        info.update(self.fast_failure.runtime_info())
        info.update({"pullThreadPoolQueueSize": "0", "pullThreadPoolQueueCapacity": "100000",
                     "pullThreadPoolQueueHeadWaitTimeMills": "0",
                     "queryThreadPoolQueueSize": "0", "queryThreadPoolQueueCapacity": "20000",
                     "queryThreadPoolQueueHeadWaitTimeMills": "0",
                     "EndTransactionQueueSize": "0", "EndTransactionThreadPoolQueueCapacity": "100000"})
        store = self.store
        # lockTimeMills: how long the put in progress has held the commit-log lock; a request is handled on
        # the loop between puts, never during one, so it is always 0 here
        info["pageCacheLockTimeMills"] = "0"
        info["startAcceptSendRequestTimeStamp"] = str(self.config.startAcceptSendRequestTimeStamp)
        # no transient store pool: Integer.MAX_VALUE, what Java reports with transientStorePoolEnable off
        info["remainTransientStoreBufferNumbs"] = "2147483647"
        info["remainHowManyDataToFlush"] = human_bytes(remain_to_flush(store))
        try:
            du = shutil.disk_usage(store.config.storePathRootDir)
            info["commitLogDirCapacity"] = f"Total : {human_bytes(du.total)}, Free : {human_bytes(du.free)}."
        except OSError:
            pass     # Java leaves the key out when the directory does not exist
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"table": info}))

    def view_broker_stats_data(self, conn, req):
        """BrokerStatsData of one stats item: sum / tps / avgpt over its minute, hour and day windows."""
        h = ViewBrokerStatsDataRequestHeader.decode(req.ext_fields)
        item = self.stats.item(h.statsName, h.statsKey)
        if item is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"The stats <{h.statsName}> <{h.statsKey}> not exist")
        body = {"statsDay": item.in_day().to_json(), "statsHour": item.in_hour().to_json(),
                "statsMinute": item.in_minute().to_json()}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

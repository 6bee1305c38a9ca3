"""Broker statistics (AdminBrokerProcessor.java's stats family): per-queue topic stats, the runtime info table."""
from __future__ import annotations

import shutil
import time

from remoting import fastjson
from remoting.codes import CURRENT_VERSION, RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from remoting.headers import TopicRequestHeader
from store.message_store import MessageStore

from ..config import BrokerConfig
from ..fast_failure import FastFailure
from ..schedule import ScheduleMessageService
from ..topic_config import TopicConfigManager
from .common import last_store_time, mq_key, topic_not_exist_remark


class StatsAdminProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 schedule: ScheduleMessageService, fast_failure: FastFailure | None = None) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.schedule = schedule
        self.fast_failure = fast_failure or FastFailure()   # the send "queue" figures of the runtime info
        self.boot_ms = int(time.time() * 1000)

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.GET_TOPIC_STATS_INFO: self.get_topic_stats_info,
                R.GET_BROKER_RUNTIME_INFO: self.get_broker_runtime_info}

    def get_topic_stats_info(self, conn, req):
        h = TopicRequestHeader.decode(req.ext_fields)
        tc = self.topics.get(h.topic)
        if tc is None:
            return make_response(req, ResponseCode.TOPIC_NOT_EXIST, topic_not_exist_remark(h.topic))
        table = {}
        for q in range(tc.writeQueueNums):
            mx = self.store.max_offset_in_queue(h.topic, q)
            key = mq_key({"brokerName": self.config.brokerName, "queueId": q, "topic": h.topic})
            table[key] = {"lastUpdateTimestamp": last_store_time(self.store, h.topic, q, mx - 1), "maxOffset": mx,
                          "minOffset": self.store.min_offset_in_queue(h.topic, q)}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"offsetTable": table}))

    def get_broker_runtime_info(self, conn, req):
        """The KVTable of AdminBrokerProcessor.prepareRuntimeInfo, same keys; thread-pool figures are 0 (no
        thread pools here) but the send queue's (broker/fast_failure)."""
        info = dict(self.store.runtime_info())
        info.update(self.schedule.running_stats())
        stats = self.store.stats
        up = int(time.time()) - self.boot_ms // 1000
        puts = stats["put_messages"]
        try:
            du = shutil.disk_usage(self.store.config.commitlog_dir)
            capacity = f"Total : {du.total / 2**30:.1f} GiB, Free : {du.free / 2**30:.1f} GiB."
        except OSError:
            capacity = "Total : 0 B, Free : 0 B."
        info.update({
            "brokerVersionDesc": "V4_9_7", "brokerVersion": str(CURRENT_VERSION),
            "msgPutTotalTodayNow": str(puts), "msgGetTotalTodayNow": str(stats["get_messages"]),
            "msgPutTotalTodayMorning": "0", "msgGetTotalTodayMorning": "0",
            "msgPutTotalYesterdayMorning": "0", "msgGetTotalYesterdayMorning": "0",
            "bootTimestamp": str(self.boot_ms),
            "runtime": f"[ {up // 86400} days, {up % 86400 // 3600} hours, {up % 3600 // 60} minutes, {up % 60} seconds ]",
            "startAcceptSendRequestTimeStamp": str(self.config.startAcceptSendRequestTimeStamp),
            "getTransferedTps": info["getFoundTps"], "getMissTps": "0.0 0.0 ", "getTotalTps": info["getFoundTps"],
            "putMessageFailedTimes": "0", "putMessageEntireTimeMax": "0", "getMessageEntireTimeMax": "0",
            "putMessageDistributeTime": "", "putLatency99": "0.00", "putLatency999": "0.00",
            "putMessageAverageSize": str(stats["put_bytes"] / puts if puts else 0.0), "dispatchMaxBuffer": "0",
            "pageCacheLockTimeMills": "0", "remainHowManyDataToFlush": "0 B", "remainTransientStoreBufferNumbs": "2147483647",
            "commitLogDirCapacity": capacity,
            f"commitLogDiskRatio_{self.store.config.commitlog_dir}": info["commitLogDiskRatio"],
            "pullThreadPoolQueueSize": "0",
            "pullThreadPoolQueueCapacity": "100000", "pullThreadPoolQueueHeadWaitTimeMills": "0",
            "queryThreadPoolQueueSize": "0", "queryThreadPoolQueueCapacity": "20000",
            "queryThreadPoolQueueHeadWaitTimeMills": "0", "EndTransactionQueueSize": "0",
            "EndTransactionThreadPoolQueueCapacity": "100000"})
        info.update(self.fast_failure.runtime_info())
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"table": info}))

"""Admin requests (AdminBrokerProcessor.java, the broker's default processor): topic and group configs,
offsets, stats, connections, runtime info, queue locks for orderly consumers."""
from __future__ import annotations

import logging
import time
from typing import Callable

from remoting import fastjson
from remoting.bodies import TopicConfig
from remoting.codes import CURRENT_VERSION, RequestCode, ResponseCode
from remoting.command import make_response
from remoting.config import RuntimeConfiguration, parse_properties
from remoting.dispatch import Handler
from remoting.headers import (CreateTopicRequestHeader, DeleteTopicRequestHeader, GetEarliestMsgStoretimeResponseHeader,
                              GroupRequestHeader, OffsetResponseHeader, SearchOffsetRequestHeader,
                              TopicQueueRequestHeader, TopicRequestHeader)
from store.message_store import MessageStore
from store.timer import checkpoint as timer_checkpoint

from ..client_manager import ConsumerManager, ProducerManager
from ..config import BrokerConfig
from ..consumer_offset import ConsumerOffsetManager
from ..fast_failure import FastFailure
from ..schedule import ScheduleMessageService
from ..subscription_group import SubscriptionGroupConfig, SubscriptionGroupManager
from ..topic_config import TopicConfigManager, validate_topic
from .common import topic_not_exist_remark

log = logging.getLogger("broker")

LOCK_MAX_LIVE_MS = 60000


def mq_key(mq: dict) -> tuple:
    """A MessageQueue as fastjson writes an object map key: fields sorted."""
    return (("brokerName", mq["brokerName"]), ("queueId", int(mq["queueId"])), ("topic", mq["topic"]))


class AdminProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 groups: SubscriptionGroupManager, consumers: ConsumerManager, producers: ProducerManager,
                 offsets: ConsumerOffsetManager, is_slave: bool, schedule: ScheduleMessageService,
                 configuration: RuntimeConfiguration, on_permission_change: Callable[[], None],
                 fast_failure: FastFailure | None = None) -> None:
        self.config = config
        self.fast_failure = fast_failure or FastFailure()   # the send "queue" figures of the runtime info
        self.store = store
        self.topics = topics
        self.groups = groups
        self.consumers = consumers
        self.producers = producers
        self.offsets = offsets
        self.is_slave = is_slave
        self.schedule = schedule
        self.configuration = configuration
        self.on_permission_change = on_permission_change
        self.locks: dict[tuple[str, tuple], tuple[str, int]] = {}   # (group, mq) -> (clientId, last refresh)
        self.boot_ms = int(time.time() * 1000)

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {
            R.GET_MAX_OFFSET: self.get_max_offset, R.GET_MIN_OFFSET: self.get_min_offset,
            R.GET_EARLIEST_MSG_STORETIME: self.get_earliest_msg_storetime,
            R.SEARCH_OFFSET_BY_TIMESTAMP: self.search_offset_by_timestamp,
            R.UPDATE_AND_CREATE_TOPIC: self.update_and_create_topic, R.DELETE_TOPIC_IN_BROKER: self.delete_topic,
            R.GET_ALL_TOPIC_CONFIG: self.get_all_topic_config,
            R.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: self.update_and_create_group,
            R.GET_ALL_SUBSCRIPTIONGROUP_CONFIG: self.get_all_group_config,
            R.DELETE_SUBSCRIPTIONGROUP: self.delete_group, R.GET_ALL_DELAY_OFFSET: self.get_all_delay_offset,
            R.GET_BROKER_CONFIG: self.get_broker_config, R.UPDATE_BROKER_CONFIG: self.update_broker_config,
            R.GET_ALL_CONSUMER_OFFSET: self.get_all_consumer_offset,
            R.GET_CONSUMER_CONNECTION_LIST: self.get_consumer_connection_list,
            R.GET_PRODUCER_CONNECTION_LIST: self.get_producer_connection_list,
            R.GET_CONSUME_STATS: self.get_consume_stats, R.GET_TOPIC_STATS_INFO: self.get_topic_stats_info,
            R.GET_BROKER_RUNTIME_INFO: self.get_broker_runtime_info,
            R.LOCK_BATCH_MQ: self.lock_batch_mq, R.UNLOCK_BATCH_MQ: self.unlock_batch_mq,
            R.GET_TIMER_CHECK_POINT: self.get_timer_check_point,
        }

    def get_timer_check_point(self, conn, req):
        """GET_TIMER_CHECK_POINT (5.x): config/timercheck as TimerCheckpoint.encode's 56 bytes."""
        timer = self.store.timer
        if timer is None or timer.checkpoint is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, "The checkpoint is null")
        return make_response(req, ResponseCode.SUCCESS, body=timer_checkpoint.encode(timer.checkpoint.values()))

    # ------------------------------------------------------------ offsets
    def get_max_offset(self, conn, req):
        h = TopicQueueRequestHeader.decode(req.ext_fields)
        return make_response(req, ResponseCode.SUCCESS,
                             ext_fields=OffsetResponseHeader(self.store.max_offset_in_queue(h.topic, h.queueId)).encode())

    def get_min_offset(self, conn, req):
        h = TopicQueueRequestHeader.decode(req.ext_fields)
        return make_response(req, ResponseCode.SUCCESS,
                             ext_fields=OffsetResponseHeader(self.store.min_offset_in_queue(h.topic, h.queueId)).encode())

    def get_earliest_msg_storetime(self, conn, req):
        h = TopicQueueRequestHeader.decode(req.ext_fields)
        ts = self.store.earliest_message_time(h.topic, h.queueId)
        return make_response(req, ResponseCode.SUCCESS, ext_fields=GetEarliestMsgStoretimeResponseHeader(ts).encode())

    def search_offset_by_timestamp(self, conn, req):
        h = SearchOffsetRequestHeader.decode(req.ext_fields)
        off = self.store.offset_in_queue_by_time(h.topic, h.queueId, h.timestamp)
        return make_response(req, ResponseCode.SUCCESS, ext_fields=OffsetResponseHeader(off).encode())

    # ------------------------------------------------------------ topics and groups
    def _slave_refusal(self, req):
        return make_response(req, ResponseCode.SYSTEM_ERROR, "Can't modify topic or subscription group from slave "
                             "broker, please execute it from master broker.")

    def update_and_create_topic(self, conn, req):
        if self.is_slave:
            return self._slave_refusal(req)
        h = CreateTopicRequestHeader.decode(req.ext_fields)
        bad = validate_topic(h.topic)
        if bad:
            return make_response(req, ResponseCode.SYSTEM_ERROR, bad)
        if h.topic in self.topics.system_topics or h.topic.startswith("rmq_sys_"):
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"The topic[{h.topic}] is conflict with system topic.")
        tc = TopicConfig(h.topic, h.readQueueNums, h.writeQueueNums, h.perm, h.topicFilterType,
                         h.topicSysFlag or 0, bool(h.order))
        self.topics.update(tc)
        # Java leaves createResponseCommand's default remark on this success
        return make_response(req, ResponseCode.SUCCESS, "not set any response code")

    def delete_topic(self, conn, req):
        if self.is_slave:
            return self._slave_refusal(req)
        h = DeleteTopicRequestHeader.decode(req.ext_fields)
        if h.topic in self.topics.system_topics:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"The topic[{h.topic}] is conflict with system topic.")
        self.topics.delete(h.topic)
        return make_response(req, ResponseCode.SUCCESS)

    def get_all_topic_config(self, conn, req):
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.topics.wrapper()))

    def update_and_create_group(self, conn, req):
        if self.is_slave:
            return self._slave_refusal(req)
        data = fastjson.loads(req.body or b"{}")
        if not data.get("groupName"):
            return make_response(req, ResponseCode.SYSTEM_ERROR, "groupName is blank")
        self.groups.update(SubscriptionGroupConfig.from_json(data))
        return make_response(req, ResponseCode.SUCCESS)

    def get_all_group_config(self, conn, req):
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.groups.to_json()))

    def delete_group(self, conn, req):
        if self.is_slave:
            return self._slave_refusal(req)
        group = req.ext("groupName")
        if group:
            self.groups.delete(group)
        return make_response(req, ResponseCode.SUCCESS)

    def get_all_consumer_offset(self, conn, req):
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.offsets.to_json()))

    # ------------------------------------------------------------ connections and stats
    def get_consumer_connection_list(self, conn, req):
        h = GroupRequestHeader.decode(req.ext_fields)
        info = self.consumers.groups.get(h.consumerGroup)
        if info is None:
            return make_response(req, ResponseCode.CONSUMER_NOT_ONLINE, f"the consumer group[{h.consumerGroup}] not online")
        body = {"connectionSet": [{"clientAddr": getattr(c.conn, "remote_addr", ""), "clientId": c.client_id,
                                   "language": c.language, "version": c.version} for c in info.channels.values()],
                "consumeFromWhere": info.consume_from_where, "consumeType": info.consume_type,
                "messageModel": info.message_model,
                "subscriptionTable": {t: s.to_json() for t, s in info.subscriptions.items()}}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

    def get_producer_connection_list(self, conn, req):
        group = req.ext("producerGroup") or ""
        chans = self.producers.groups.get(group)
        if not chans:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"the producer group[{group}] not exist")
        body = {"connectionSet": [{"clientAddr": getattr(c.conn, "remote_addr", ""), "clientId": c.client_id,
                                   "language": c.language, "version": c.version} for c in chans.values()]}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

    def _last_store_time(self, topic: str, queue_id: int, cq_offset: int) -> int:
        if cq_offset < 0:
            return 0
        phys = self.store.commit_log_offset_in_queue(topic, queue_id, cq_offset)
        msg = self.store.look_message_by_offset(phys) if phys or cq_offset == 0 else None
        return msg.store_timestamp if msg and msg.topic == topic else 0

    def get_consume_stats(self, conn, req):
        h = GroupRequestHeader.decode(req.ext_fields)
        topics = [h.topic] if h.topic else self.offsets.topics_of_group(h.consumerGroup)
        info = self.consumers.groups.get(h.consumerGroup)
        table = {}
        for topic in topics:
            tc = self.topics.get(topic)
            if tc is None:
                continue
            if info is not None and info.subscriptions and topic not in info.subscriptions:
                continue
            for q in range(tc.writeQueueNums):
                broker_off = self.store.max_offset_in_queue(topic, q)
                consumer_off = max(self.offsets.query(h.consumerGroup, topic, q), 0)
                key = mq_key({"brokerName": self.config.brokerName, "queueId": q, "topic": topic})
                table[key] = {"brokerOffset": broker_off, "consumerOffset": consumer_off,
                              "lastTimestamp": self._last_store_time(topic, q, consumer_off - 1)}
        body = {"consumeTps": 0.0, "offsetTable": table}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

    def get_topic_stats_info(self, conn, req):
        h = TopicRequestHeader.decode(req.ext_fields)
        tc = self.topics.get(h.topic)
        if tc is None:
            return make_response(req, ResponseCode.TOPIC_NOT_EXIST, topic_not_exist_remark(h.topic))
        table = {}
        for q in range(tc.writeQueueNums):
            mx = self.store.max_offset_in_queue(h.topic, q)
            key = mq_key({"brokerName": self.config.brokerName, "queueId": q, "topic": h.topic})
            table[key] = {"lastUpdateTimestamp": self._last_store_time(h.topic, q, mx - 1), "maxOffset": mx,
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
        import shutil
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

    def get_broker_config(self, conn, req):
        """Every config key as properties text; header `version` = the configuration's DataVersion JSON."""
        return make_response(req, ResponseCode.SUCCESS, ext_fields={"version": self.configuration.data_version_json()},
                             body=self.configuration.format_all().encode("utf-8"))

    def update_broker_config(self, conn, req):
        """Apply properties text to the running config and persist it (the -c file); a brokerPermission change
        is registered with the NameServers at once."""
        if req.body:
            text = bytes(req.body).decode("utf-8", errors="replace")
            log.info("updateBrokerConfig from %s: %s", getattr(conn, "remote_addr", "?"), text.strip())
            refused = self.configuration.update_from_text(text)
            if refused is not None:
                return make_response(req, refused[0], refused[1])
            if "brokerPermission" in parse_properties(text):
                self.on_permission_change()
        return make_response(req, ResponseCode.SUCCESS)

    def get_all_delay_offset(self, conn, req):
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.schedule.to_json()))

    # ------------------------------------------------------------ queue locks (orderly consumers)
    def lock_batch_mq(self, conn, req):
        data = fastjson.loads(req.body or b"{}")
        group, client = data.get("consumerGroup", ""), data.get("clientId", "")
        now = int(time.time() * 1000)
        ok = []
        for mq in data.get("mqSet") or []:
            key = (group, mq_key(mq))
            holder = self.locks.get(key)
            if holder is None or holder[0] == client or now - holder[1] > LOCK_MAX_LIVE_MS:
                self.locks[key] = (client, now)
                ok.append(mq)
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"lockOKMQSet": ok}))

    def unlock_batch_mq(self, conn, req):
        data = fastjson.loads(req.body or b"{}")
        group, client = data.get("consumerGroup", ""), data.get("clientId", "")
        for mq in data.get("mqSet") or []:
            key = (group, mq_key(mq))
            if self.locks.get(key, ("",))[0] == client:
                del self.locks[key]
        return make_response(req, ResponseCode.SUCCESS)

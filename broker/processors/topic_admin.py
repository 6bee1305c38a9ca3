"""Topic and subscription-group admin (the topic/group family of AdminBrokerProcessor.java): create, update,
delete, list, read one (5.x GET_TOPIC_CONFIG / GET_SUBSCRIPTIONGROUP_CONFIG), the system topic list."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from remoting import fastjson
from remoting.bodies import TopicConfig
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from remoting.headers import CreateTopicRequestHeader, DeleteTopicRequestHeader, Header, required
from store.maintenance import LMQ_PREFIX, clean_unused_topics
from store.message_store import MessageStore

from ..config import BrokerConfig
from ..consumer_offset import ConsumerOffsetManager
from ..stats.manager import BrokerStatsManager
from ..subscription_group import SubscriptionGroupConfig, SubscriptionGroupManager
from ..topic_config import TopicConfigManager, validate_topic

log = logging.getLogger("broker")

# TopicValidator's static SYSTEM_TOPIC_SET; the broker's TopicConfigManager adds the system topics it creates
STATIC_SYSTEM_TOPICS = ("TBW102", "SCHEDULE_TOPIC_XXXX", "BenchmarkTest", "RMQ_SYS_TRANS_HALF_TOPIC",
                        "RMQ_SYS_TRACE_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC",
                        "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT")
SYSTEM_TOPIC_PREFIX = "rmq_sys_"


@dataclass(slots=True)
class DeleteSubscriptionGroupRequestHeader(Header):
    groupName: str = required()
    removeOffset: bool = False     # 4.9.7's name for the switch
    cleanOffset: bool = False      # 5.x's (a 4.9.7 broker ignores it; honoured here so a 5.x mqadmin -r works)


@dataclass(slots=True)
class GetTopicConfigRequestHeader(Header):
    topic: str = required()
    lo: bool = False    # 5.x: with the static-topic queue mapping (none here)


@dataclass(slots=True)
class GetSubscriptionGroupConfigRequestHeader(Header):
    group: str = required()


class TopicGroupAdminProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 groups: SubscriptionGroupManager, is_slave: bool, offsets: ConsumerOffsetManager | None = None,
                 stats: BrokerStatsManager | None = None) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.groups = groups
        self.is_slave = is_slave
        self.offsets = offsets
        self.stats = stats

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.UPDATE_AND_CREATE_TOPIC: self.update_and_create_topic, R.DELETE_TOPIC_IN_BROKER: self.delete_topic,
                R.GET_ALL_TOPIC_CONFIG: self.get_all_topic_config,
                R.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: self.update_and_create_group,
                R.GET_ALL_SUBSCRIPTIONGROUP_CONFIG: self.get_all_group_config,
                R.DELETE_SUBSCRIPTIONGROUP: self.delete_group,
                R.GET_SYSTEM_TOPIC_LIST_FROM_BROKER: self.get_system_topic_list,
                R.GET_TOPIC_CONFIG: self.get_topic_config, R.GET_SUBSCRIPTIONGROUP_CONFIG: self.get_group_config}

    def system_topics(self) -> list[str]:
        return sorted(set(STATIC_SYSTEM_TOPICS) | self.topics.system_topics)

    def is_system_topic(self, topic: str) -> bool:
        return topic in STATIC_SYSTEM_TOPICS or topic in self.topics.system_topics or \
            topic.startswith(SYSTEM_TOPIC_PREFIX)

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

    async def delete_topic(self, conn, req):
        """deleteTopic: the topic's config goes, then the consume queues of every topic no longer configured
        (cleanUnusedTopic); consumer offsets stay, as in 4.9.7. An LMQ topic only loses its queues."""
        if self.is_slave:
            return self._slave_refusal(req)
        h = DeleteTopicRequestHeader.decode(req.ext_fields)
        log.info("deleteTopic %s called by %s", h.topic, getattr(conn, "remote_addr", "?"))
        bad = validate_topic(h.topic)
        if bad:
            return make_response(req, ResponseCode.SYSTEM_ERROR, bad)
        if self.is_system_topic(h.topic):
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"The topic[{h.topic}] is conflict with system topic.")
        if h.topic.startswith(LMQ_PREFIX):
            keep = [t for t in {k[0] for k in self.store.consume_queues} if t != h.topic]
        else:
            self.topics.delete(h.topic)
            keep = self.topics.table.keys()
        gone, destroy = clean_unused_topics(self.store, keep)
        await asyncio.get_running_loop().run_in_executor(self.store.io, destroy)
        if self.stats is not None and self.config.autoDeleteUnusedStats:
            for topic in set(gone) | {h.topic}:
                self.stats.on_topic_deleted(topic)
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
        """deleteSubscriptionGroup: the group's config, and with removeOffset its offsets of every topic."""
        if self.is_slave:
            return self._slave_refusal(req)
        h = DeleteSubscriptionGroupRequestHeader.decode(req.ext_fields)
        log.info("deleteSubscriptionGroup %s called by %s", h.groupName, getattr(conn, "remote_addr", "?"))
        self.groups.delete(h.groupName)
        if (h.removeOffset or h.cleanOffset) and self.offsets is not None:
            self.offsets.remove_group(h.groupName)
        if self.stats is not None and self.config.autoDeleteUnusedStats:
            self.stats.on_group_deleted(h.groupName)
        return make_response(req, ResponseCode.SUCCESS)

    def get_system_topic_list(self, conn, req):
        """TopicValidator.getSystemTopicSet as a TopicList (no brokerAddr)."""
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"topicList": self.system_topics()}))

    def get_topic_config(self, conn, req):
        """5.x GET_TOPIC_CONFIG: the topic's TopicConfig (TopicConfigAndQueueMapping without a mapping)."""
        h = GetTopicConfigRequestHeader.decode(req.ext_fields)
        tc = self.topics.get(h.topic)
        if tc is None:
            log.error("No topic in this broker, client: %s topic: %s", getattr(conn, "remote_addr", "?"), h.topic)
            return make_response(req, ResponseCode.TOPIC_NOT_EXIST, f"No topic in this broker. topic: {h.topic}")
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(tc.to_json()))

    def get_group_config(self, conn, req):
        """5.x GET_SUBSCRIPTIONGROUP_CONFIG: the group's SubscriptionGroupConfig."""
        h = GetSubscriptionGroupConfigRequestHeader.decode(req.ext_fields)
        cfg = self.groups.table.get(h.group)
        if cfg is None:
            log.error("No group in this broker, client: %s group: %s", getattr(conn, "remote_addr", "?"), h.group)
            return make_response(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, "No group in this broker")
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(cfg.to_json()))

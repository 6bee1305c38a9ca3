"""Topic and subscription-group admin (the topic/group family of AdminBrokerProcessor.java): create, update,
delete, list."""
from __future__ import annotations

from remoting import fastjson
from remoting.bodies import TopicConfig
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from remoting.headers import CreateTopicRequestHeader, DeleteTopicRequestHeader
from store.message_store import MessageStore

from ..config import BrokerConfig
from ..subscription_group import SubscriptionGroupConfig, SubscriptionGroupManager
from ..topic_config import TopicConfigManager, validate_topic


class TopicGroupAdminProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 groups: SubscriptionGroupManager, is_slave: bool) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.groups = groups
        self.is_slave = is_slave

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.UPDATE_AND_CREATE_TOPIC: self.update_and_create_topic, R.DELETE_TOPIC_IN_BROKER: self.delete_topic,
                R.GET_ALL_TOPIC_CONFIG: self.get_all_topic_config,
                R.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: self.update_and_create_group,
                R.GET_ALL_SUBSCRIPTIONGROUP_CONFIG: self.get_all_group_config,
                R.DELETE_SUBSCRIPTIONGROUP: self.delete_group}

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

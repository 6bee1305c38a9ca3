"""HEART_BEAT, UNREGISTER_CLIENT, CHECK_CLIENT_CONFIG (ClientManageProcessor.java)."""
from __future__ import annotations

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler
from remoting.headers import UnregisterClientRequestHeader

from ..client_manager import ClientChannel, ConsumerManager, ProducerManager, SubscriptionData
from ..config import BrokerConfig
from ..subscription_group import SubscriptionGroupManager
from ..topic_config import TopicConfigManager, retry_topic

# Java enums in a heartbeat may come as names or as ordinals (the C++ clients send ordinals); Java's broker keeps
# the enum and writes its name in every answer (GET_CONSUMER_CONNECTION_LIST)
CONSUME_TYPES = ("CONSUME_ACTIVELY", "CONSUME_PASSIVELY")
MESSAGE_MODELS = ("BROADCASTING", "CLUSTERING")
CONSUME_FROM = ("CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
                "CONSUME_FROM_MIN_OFFSET", "CONSUME_FROM_MAX_OFFSET", "CONSUME_FROM_FIRST_OFFSET",
                "CONSUME_FROM_TIMESTAMP")


def enum_name(value: object, names: tuple[str, ...], default: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return names[value] if 0 <= value < len(names) else default
    if isinstance(value, str) and value.isdigit():
        return enum_name(int(value), names, default)
    return value if isinstance(value, str) and value in names else default


class ClientManageProcessor:
    def __init__(self, config: BrokerConfig, topics: TopicConfigManager, groups: SubscriptionGroupManager,
                 consumers: ConsumerManager, producers: ProducerManager) -> None:
        self.config = config
        self.topics = topics
        self.groups = groups
        self.consumers = consumers
        self.producers = producers

    def table(self) -> dict[int, Handler]:
        return {RequestCode.HEART_BEAT: self.heart_beat, RequestCode.UNREGISTER_CLIENT: self.unregister_client,
                RequestCode.CHECK_CLIENT_CONFIG: self.check_client_config}

    def heart_beat(self, conn, req: RemotingCommand) -> RemotingCommand:
        data = fastjson.loads(req.body or b"{}")
        client_id = str(data.get("clientID") or "")
        for cd in data.get("consumerDataSet") or []:
            group = cd.get("groupName")
            if not group:
                continue
            cfg = self.groups.find(group)
            notify = False
            if cfg is not None:
                notify = cfg.notifyConsumerIdsChangedEnable and self.config.notifyConsumerIdsChangedEnable
                topic_sys_flag = 0x2 if cd.get("unitMode") else 0   # TopicSysFlag unit-sub
                self.topics.create_in_send_back(retry_topic(group), cfg.retryQueueNums, 6, topic_sys_flag)
            subs = [SubscriptionData.from_json(s) for s in cd.get("subscriptionDataSet") or []]
            channel = ClientChannel(conn, client_id, req.language, req.version, 0)
            # joins and subscription changes are logged by the manager
            self.consumers.register(
                group, channel, enum_name(cd.get("consumeType"), CONSUME_TYPES, "CONSUME_PASSIVELY"),
                enum_name(cd.get("messageModel"), MESSAGE_MODELS, "CLUSTERING"),
                enum_name(cd.get("consumeFromWhere"), CONSUME_FROM, "CONSUME_FROM_LAST_OFFSET"), subs, notify)
        for pd in data.get("producerDataSet") or []:
            group = pd.get("groupName")
            if group:
                self.producers.register(group, ClientChannel(conn, client_id, req.language, req.version, 0))
        return make_response(req, ResponseCode.SUCCESS)

    def unregister_client(self, conn, req: RemotingCommand) -> RemotingCommand:
        h = UnregisterClientRequestHeader.decode(req.ext_fields)
        if h.producerGroup:
            self.producers.unregister(h.producerGroup, conn)
        if h.consumerGroup:
            cfg = self.groups.table.get(h.consumerGroup)
            notify = bool(cfg and cfg.notifyConsumerIdsChangedEnable and self.config.notifyConsumerIdsChangedEnable)
            self.consumers.unregister(h.consumerGroup, conn, notify)
        return make_response(req, ResponseCode.SUCCESS, ext_fields={})

    def check_client_config(self, conn, req: RemotingCommand) -> RemotingCommand:
        body = fastjson.loads(req.body or b"{}")
        sd = body.get("subscriptionData") or {}
        expression_type = (sd.get("expressionType") or "TAG").upper()
        if expression_type == "TAG":
            return make_response(req, ResponseCode.SUCCESS)
        if not self.config.enablePropertyFilter:
            return make_response(req, ResponseCode.SYSTEM_ERROR,
                                 f"The broker does not support consumer to filter message by {expression_type}")
        try:
            from ..filter.sql92 import compile_expression
            compile_expression(sd.get("subString") or "")
        except ValueError as e:
            return make_response(req, ResponseCode.SUBSCRIPTION_PARSE_FAILED, str(e))
        return make_response(req, ResponseCode.SUCCESS)

"""Consumer diagnostics (AdminBrokerProcessor.java's consumer family): who is connected, consume progress."""
from __future__ import annotations

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from remoting.headers import GroupRequestHeader
from store.message_store import MessageStore

from ..client_manager import ConsumerManager, ProducerManager
from ..config import BrokerConfig
from ..consumer_offset import ConsumerOffsetManager
from ..topic_config import TopicConfigManager
from .common import last_store_time, mq_key


class ConsumerDiagnosticsProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 consumers: ConsumerManager, producers: ProducerManager, offsets: ConsumerOffsetManager) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.consumers = consumers
        self.producers = producers
        self.offsets = offsets

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.GET_CONSUMER_CONNECTION_LIST: self.get_consumer_connection_list,
                R.GET_PRODUCER_CONNECTION_LIST: self.get_producer_connection_list,
                R.GET_CONSUME_STATS: self.get_consume_stats}

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
                              "lastTimestamp": last_store_time(self.store, topic, q, consumer_off - 1)}
        body = {"consumeTps": 0.0, "offsetTable": table}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

"""Consumer diagnostics (AdminBrokerProcessor.java's consumer family): who is connected, consume progress,
questions forwarded to a consumer (running info, consume a message directly, status), offset reset, and
the consume-queue / time-span / correction-offset views the admin tools print."""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from remoting import fastjson
from remoting.codes import LanguageCode, RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler
from remoting.headers import GroupRequestHeader, Header, required
from store import message as m
from store.message_store import MessageStore

from ..broker2client import Broker2Client
from ..client_manager import ConsumerManager, ProducerManager
from ..config import BrokerConfig
from ..consumer_offset import ConsumerOffsetManager
from ..stats.manager import GROUP_GET_NUMS, BrokerStatsManager
from ..subscription_group import SubscriptionGroupManager
from ..topic_config import TopicConfigManager
from .common import mq_key

LONG_MAX = (1 << 63) - 1


# ---------------------------------------------------------------- request headers of this family (4.9.7 names)
@dataclass(slots=True)
class GetConsumerRunningInfoRequestHeader(Header):
    consumerGroup: str = required()
    clientId: str = required()
    jstackEnable: bool | None = None


@dataclass(slots=True)
class ConsumeMessageDirectlyResultRequestHeader(Header):
    consumerGroup: str = required()
    clientId: str | None = None
    msgId: str | None = None
    brokerName: str | None = None


@dataclass(slots=True)
class ResetOffsetRequestHeader(Header):
    topic: str = required()
    group: str = required()
    timestamp: int = required()
    isForce: bool = required()


@dataclass(slots=True)
class GetConsumerStatusRequestHeader(Header):
    topic: str = required()
    group: str = required()
    clientAddr: str | None = None


@dataclass(slots=True)
class QueryConsumeTimeSpanRequestHeader(Header):
    topic: str = required()
    group: str = required()


@dataclass(slots=True)
class QueryCorrectionOffsetHeader(Header):
    filterGroups: str | None = None
    compareGroup: str = required()
    topic: str = required()


@dataclass(slots=True)
class CloneGroupOffsetRequestHeader(Header):
    srcGroup: str = required()
    destGroup: str = required()
    topic: str | None = None
    offline: bool | None = None


@dataclass(slots=True)
class GetConsumeStatsInBrokerHeader(Header):
    isOrder: bool | None = None


@dataclass(slots=True)
class QueryConsumeQueueRequestHeader(Header):
    """No field is @CFNotNull in Java; a missing number stays the primitive's 0."""
    topic: str | None = None
    queueId: int | None = None
    index: int | None = None
    count: int | None = None
    consumerGroup: str | None = None


def _answer(req: RemotingCommand, resp: RemotingCommand) -> RemotingCommand:
    """A response built away from the request (Broker2Client, or a consumer's own answer) in the request's
    serialization, as Java answers."""
    resp.serialize_type = req.serialize_type
    return resp


async def _answer_later(req: RemotingCommand, pending) -> RemotingCommand:
    return _answer(req, await pending)


def java_date(ms: int) -> str:
    """UtilAll.formatDate(new Date(ms), "yyyy-MM-dd#HH:mm:ss:SSS") in the local time zone (QueueTimeSpan's
    *Str getters, which fastjson writes too)."""
    dt = datetime.fromtimestamp(ms // 1000) + timedelta(milliseconds=ms % 1000)
    return f"{dt.year:04d}-{dt:%m-%d#%H:%M:%S}:{dt.microsecond // 1000:03d}"


def _java_npe(method: str, line: int) -> str:
    """RemotingHelper.exceptionSimpleDesc of the NullPointerException Java's handler throws."""
    return (f"java.lang.NullPointerException, org.apache.rocketmq.broker.processor.AdminBrokerProcessor."
            f"{method}(AdminBrokerProcessor.java:{line})")


class ConsumerDiagnosticsProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 consumers: ConsumerManager, producers: ProducerManager, offsets: ConsumerOffsetManager,
                 groups: SubscriptionGroupManager | None = None, broker_addr: str = "",
                 stats: BrokerStatsManager | None = None) -> None:
        self.config = config
        self.stats = stats
        self.store = store
        self.topics = topics
        self.consumers = consumers
        self.producers = producers
        self.offsets = offsets
        self.groups = groups
        self.broker_addr = broker_addr
        self.to_client = Broker2Client(config.brokerName, store, topics, consumers, offsets)
        self.clock = lambda: int(time.time() * 1000)

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.GET_CONSUMER_CONNECTION_LIST: self.get_consumer_connection_list,
                R.GET_PRODUCER_CONNECTION_LIST: self.get_producer_connection_list,
                R.GET_CONSUME_STATS: self.get_consume_stats,
                R.GET_CONSUMER_RUNNING_INFO: self.get_consumer_running_info,
                R.CONSUME_MESSAGE_DIRECTLY: self.consume_message_directly,
                R.INVOKE_BROKER_TO_RESET_OFFSET: self.reset_offset,
                R.INVOKE_BROKER_TO_GET_CONSUMER_STATUS: self.get_consumer_status,
                R.QUERY_TOPIC_CONSUME_BY_WHO: self.query_topic_consume_by_who,
                R.QUERY_CONSUME_TIME_SPAN: self.query_consume_time_span,
                R.QUERY_CORRECTION_OFFSET: self.query_correction_offset,
                R.CLONE_GROUP_OFFSET: self.clone_group_offset,
                R.GET_BROKER_CONSUME_STATS: self.get_broker_consume_stats,
                R.QUERY_CONSUME_QUEUE: self.query_consume_queue,
                R.GET_ALL_PRODUCER_INFO: self.get_all_producer_info}

    # ------------------------------------------------------------ helpers
    def _mq(self, topic: str, queue_id: int) -> tuple:
        return mq_key({"brokerName": self.config.brokerName, "queueId": queue_id, "topic": topic})

    def _store_time(self, topic: str, queue_id: int, cq_offset: int) -> int:
        """DefaultMessageStore.getMessageStoreTimeStamp: store time of the message at a queue offset, -1 when
        there is none."""
        if cq_offset < 0:
            return -1
        cq = self.store.consume_queue(topic, queue_id)
        e = cq.entry(cq_offset) if cq is not None and cq_offset >= cq.min_offset() else None
        msg = self.store.look_message_by_offset(e[0]) if e else None
        return msg.store_timestamp if msg is not None else -1

    def _filtered_out(self, group: str, topic: str) -> bool:
        """Java's consume-stats rule: a group with live subscriptions is shown only its subscribed topics."""
        info = self.consumers.groups.get(group)
        return bool(info is not None and info.subscriptions and topic not in info.subscriptions)

    def _offsets(self, group: str, topic: str, queues: int) -> dict[tuple, tuple[int, int, int]]:
        """Per queue (broker offset, consumer offset, store time of the last consumed message or 0)."""
        table = {}
        for q in range(queues):
            broker_off = max(self.store.max_offset_in_queue(topic, q), 0)
            consumer_off = max(self.offsets.query(group, topic, q), 0)
            last = self._store_time(topic, q, consumer_off - 1) if consumer_off > 0 else 0
            table[self._mq(topic, q)] = (broker_off, consumer_off, last if last > 0 else 0)
        return table

    def _consume_stats(self, group: str, topic: str, queues: int) -> dict:
        return {"consumeTps": self._tps(group, topic), "offsetTable": {
            mq: {"brokerOffset": b, "consumerOffset": c, "lastTimestamp": t}
            for mq, (b, c, t) in self._offsets(group, topic, queues).items()}}

    def _tps(self, group: str, topic: str) -> float:
        """BrokerStatsManager.tpsGroupGetNums: the group's pulled messages per second over the last minute."""
        item = self.stats.item(GROUP_GET_NUMS, f"{topic}@{group}") if self.stats is not None else None
        return item.in_minute().tps if item is not None else 0.0

    @staticmethod
    def _connection(ch) -> dict:
        return {"clientAddr": getattr(ch.conn, "remote_addr", ""), "clientId": ch.client_id,
                "language": ch.language, "version": ch.version}

    # ------------------------------------------------------------ connections
    def get_consumer_connection_list(self, conn, req):
        h = GroupRequestHeader.decode(req.ext_fields)
        info = self.consumers.groups.get(h.consumerGroup)
        if info is None:
            return make_response(req, ResponseCode.CONSUMER_NOT_ONLINE, f"the consumer group[{h.consumerGroup}] not online")
        body = {"connectionSet": [self._connection(c) for c in info.channels.values()],
                "consumeFromWhere": info.consume_from_where, "consumeType": info.consume_type,
                "messageModel": info.message_model,
                "subscriptionTable": {t: s.to_json() for t, s in info.subscriptions.items()}}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

    def get_producer_connection_list(self, conn, req):
        group = req.ext("producerGroup") or ""
        chans = self.producers.groups.get(group)
        if chans is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"the producer group[{group}] not exist")
        body = {"connectionSet": [self._connection(c) for c in chans.values()]}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

    def get_all_producer_info(self, conn, req):
        """ProducerManager.getProducerTable: remoteIP is the channel's remoteAddress().toString(), "/ip:port"."""
        data = {group: [{"clientId": c.client_id, "language": c.language,
                         "lastUpdateTimestamp": c.last_update_ms,
                         "remoteIP": "/" + (getattr(c.conn, "remote_addr", "") or ""), "version": c.version}
                        for c in chans.values()]
                for group, chans in self.producers.groups.items() if chans}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"data": data}))

    # ------------------------------------------------------------ consume progress
    def get_consume_stats(self, conn, req):
        h = GroupRequestHeader.decode(req.ext_fields)
        topics = [h.topic] if h.topic and h.topic.strip() else self.offsets.topics_of_group(h.consumerGroup)
        table: dict = {}
        tps = 0.0
        for topic in topics:
            tc = self.topics.get(topic)
            if tc is None or self._filtered_out(h.consumerGroup, topic):
                continue
            stats = self._consume_stats(h.consumerGroup, topic, tc.readQueueNums)
            table.update(stats["offsetTable"])
            tps += stats["consumeTps"]
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"consumeTps": tps, "offsetTable": table}))

    def get_broker_consume_stats(self, conn, req):
        """fetchAllConsumeStatsInBroker: for every subscription group, the ConsumeStats of each topic it has
        offsets for (write queues here, read queues in GET_CONSUME_STATS, as Java), and the total lag."""
        h = GetConsumeStatsInBrokerHeader.decode(req.ext_fields)
        only_order = bool(h.isOrder)
        groups = sorted(self.groups.table) if self.groups is not None else []
        out, total_diff = [], 0
        topics_of = self.offsets.topics_by_group()
        for group in groups:
            stats_list = []
            for topic in topics_of.get(group, ()):
                tc = self.topics.get(topic)
                if tc is None or (only_order and not tc.order) or self._filtered_out(group, topic):
                    continue
                offsets = self._offsets(group, topic, tc.writeQueueNums)
                total_diff += sum(b - c for b, c, _ in offsets.values())
                # written as one fragment: this answer has an entry per queue of every group's topics
                stats_list.append({"consumeTps": self._tps(group, topic),
                                   "offsetTable": fastjson.offset_table(offsets)})
            out.append({group: stats_list})
        body = {"brokerAddr": self.broker_addr, "consumeStatsList": out, "totalDiff": total_diff}
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

    def query_topic_consume_by_who(self, conn, req):
        topic = req.ext("topic")
        if topic is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, "the custom field <topic> is null")
        groups = {g for g, info in self.consumers.groups.items() if topic in info.subscriptions}
        groups |= self.offsets.groups_of_topic(topic)
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"groupList": sorted(groups)}))

    def query_consume_time_span(self, conn, req):
        h = QueryConsumeTimeSpanRequestHeader.decode(req.ext_fields)
        tc = self.topics.get(h.topic)
        if tc is None:
            return make_response(req, ResponseCode.TOPIC_NOT_EXIST, f"topic[{h.topic}] not exist")
        spans = []
        for q in range(tc.writeQueueNums):
            min_time = self.store.earliest_message_time(h.topic, q)
            max_off = self.store.max_offset_in_queue(h.topic, q)
            consumer_off = self.offsets.query(h.group, h.topic, q)
            consume_time = self._store_time(h.topic, q, consumer_off - 1) if consumer_off > 0 else min_time
            delay = 0
            if consumer_off < max_off:
                delay = self.clock() - self._store_time(h.topic, q, consumer_off)
            max_time = self._store_time(h.topic, q, max_off - 1)
            spans.append({"consumeTimeStamp": consume_time, "consumeTimeStampStr": java_date(consume_time),
                          "delayTime": delay, "maxTimeStamp": max_time, "maxTimeStampStr": java_date(max_time),
                          "messageQueue": {"brokerName": self.config.brokerName, "queueId": q, "topic": h.topic},
                          "minTimeStamp": min_time, "minTimeStampStr": java_date(min_time)})
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"consumeTimeSpanSet": spans}))

    def query_correction_offset(self, conn, req):
        """ConsumerOffsetManager.queryMinOffsetInAllGroup: per queue the least offset (still in the queue) of
        the groups not filtered out. Java then compares with queryOffset(topic, compareGroup), arguments
        swapped (the key looked up is `compareGroup@topic`): that look-up is kept as it is. Java also drops
        the filtered groups' offsets from its table while filtering (a keySet view); they are kept here."""
        h = QueryCorrectionOffsetHeader.decode(req.ext_fields)
        skip = set(h.filterGroups.split(",")) if h.filterGroups and h.filterGroups.strip() else set()
        result: dict[int, int] = {}
        for key, offsets in self.offsets.table.items():
            parts = key.split("@")
            if parts[0] != h.topic or (len(parts) > 1 and parts[1] in skip):
                continue
            for q, off in offsets.items():
                if off >= self.store.min_offset_in_queue(h.topic, q):
                    result[q] = min(off, result.get(q, LONG_MAX))
        compare = self.offsets.table.get(f"{h.compareGroup}@{h.topic}")
        for q, off in (compare or {}).items():
            cur = result.get(q)
            if cur is None:
                return make_response(req, ResponseCode.SYSTEM_ERROR, _java_npe("queryCorrectionOffset", 1215))
            result[q] = LONG_MAX if cur > off else cur
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"correctionOffsets": result}))

    def clone_group_offset(self, conn, req):
        """cloneGroupOffset: Java clones with the header's topic, also when it iterates the source group's
        topics for a blank one (then nothing is cloned); kept as it is."""
        h = CloneGroupOffsetRequestHeader.decode(req.ext_fields)
        topics = [h.topic] if h.topic and h.topic.strip() else self.offsets.topics_of_group(h.srcGroup)
        for topic in topics:
            if self.topics.get(topic) is None:
                continue
            if not h.offline and self._filtered_out(h.srcGroup, topic):
                continue
            self.offsets.clone_offset(h.srcGroup, h.destGroup, h.topic if h.topic is not None else "null")
        return make_response(req, ResponseCode.SUCCESS)

    def query_consume_queue(self, conn, req):
        h = QueryConsumeQueueRequestHeader.decode(req.ext_fields)
        topic, queue_id, index, count = h.topic or "", h.queueId or 0, h.index or 0, h.count or 0
        cq = self.store.consume_queue(topic, queue_id)
        if cq is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"{queue_id}@{topic} is not exist!")
        body: dict = {"maxQueueIndex": cq.max_offset(), "minQueueIndex": cq.min_offset()}
        if h.consumerGroup is not None:
            sub = self.consumers.find_subscription(h.consumerGroup, topic)
            if sub is None:
                body["filterData"] = f"{h.consumerGroup}@{topic} is not online!"
            else:
                body["subscriptionData"] = sub.to_json()
                # Java's ConsumerFilterManager keeps filter data of SQL92 subscriptions only, so a tag one
                # prints "null"; there is no such manager here, and an SQL92 one prints "null" too (Java: its
                # ConsumerFilterData as pretty JSON)
                body["filterData"] = "null"
        if index < cq.min_offset() or index >= cq.max_offset():
            return make_response(req, ResponseCode.SUCCESS,
                                 f"Index {index} of {queue_id}@{topic} is not exist!")
        _, entries = cq.entries(index, max(count, 0))
        body["queueData"] = [{"eval": False, "physicOffset": phys, "physicSize": size, "tagsCode": tags}
                             for phys, size, tags in entries]
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(body))

    # ------------------------------------------------------------ forwarded to the consumers
    def get_consumer_running_info(self, conn, req):
        h = GetConsumerRunningInfoRequestHeader.decode(req.ext_fields)
        return _answer_later(req, self.to_client.call_consumer(RequestCode.GET_CONSUMER_RUNNING_INFO, req.ext_fields,
                                                               req.body, h.consumerGroup, h.clientId))

    def consume_message_directly(self, conn, req):
        h = ConsumeMessageDirectlyResultRequestHeader.decode(req.ext_fields)
        ext = dict(req.ext_fields or {})
        ext["brokerName"] = self.config.brokerName
        if not h.msgId:
            # MessageDecoder.decodeMessageId wraps the null bytes of a null or empty id
            return make_response(req, ResponseCode.SYSTEM_ERROR, "java.lang.NullPointerException")
        try:
            _host, phys = m.decode_offset_msg_id(h.msgId)
        except (ValueError, IndexError, struct.error):
            phys = -1     # Java decodes any text to some offset, and finds no message there
        view = self.store.select_one_message_by_offset(phys) if phys >= 0 else None
        if view is None:
            # selectOneMessageByOffset found nothing: Java's handler dereferences the null result
            return make_response(req, ResponseCode.SYSTEM_ERROR, _java_npe("consumeMessageDirectly", 1238))
        body = bytes(view)
        view.release()
        return _answer_later(req, self.to_client.call_consumer(RequestCode.CONSUME_MESSAGE_DIRECTLY, ext, body,
                                                               h.consumerGroup, h.clientId))

    def reset_offset(self, conn, req):
        h = ResetOffsetRequestHeader.decode(req.ext_fields)
        for_c = req.language in ("CPP", LanguageCode.CPP)
        return _answer(req, self.to_client.reset_offset(h.topic, h.group, h.timestamp, bool(h.isForce), for_c))

    def get_consumer_status(self, conn, req):
        h = GetConsumerStatusRequestHeader.decode(req.ext_fields)
        return _answer_later(req, self.to_client.get_consume_status(h.topic, h.group, h.clientAddr))

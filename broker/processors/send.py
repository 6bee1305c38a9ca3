"""SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE (SendMessageProcessor.java, AbstractSendMessageProcessor)."""
from __future__ import annotations

import logging
import random
import time
from typing import Callable

from remoting.bodies import PERM_READ, PERM_WRITE
from remoting.codes import MQVersion, RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler
from remoting.headers import (ConsumerSendMsgBackRequestHeader, SendMessageRequestHeader, SendMessageResponseHeader,
                              decode_send_v2)
from store import message as m
from store.message_store import MessageStore
from store.results import PutResult, PutStatus

from ..config import BrokerConfig
from ..fast_failure import FastFailure
from ..metrics.buckets import MESSAGE_SIZE_BUCKETS
from ..schedule import PROPERTY_DELAY, BadDelayLevel, divert_to_schedule
from ..subscription_group import SubscriptionGroupManager
from ..timer_hook import TIMER_TRIGGERS, TimerRefused, divert_to_timer
from ..topic_config import (DLQ_GROUP_TOPIC_PREFIX, DLQ_NUMS_PER_GROUP, NOT_ALLOWED_SEND, RETRY_GROUP_TOPIC_PREFIX,
                            TopicConfigManager, dlq_topic, retry_topic, validate_topic)
from ..transaction.messages import PROPERTY_TRAN_MSG, is_half_request
from ..transaction.service import TransactionalMessageService
from .common import FAQ_SUBSCRIPTION_GROUP, host_of, topic_not_exist_remark

log = logging.getLogger("broker")

PROPERTY_CLUSTER = "CLUSTER"
PROPERTY_WAIT = "WAIT"
PROPERTY_RETRY_TOPIC = "RETRY_TOPIC"
_SIZE_BOUNDS = len(MESSAGE_SIZE_BUCKETS)
_SIZE_SLOTS = _SIZE_BOUNDS + 1     # a count per bucket and +Inf, then the sum
PROPERTY_ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID"
TOPIC_FLAG_UNIT = 0x1
TOPIC_FLAG_UNIT_SUB = 0x2

_PUT_ERRORS = {
    PutStatus.CREATE_MAPEDFILE_FAILED: (ResponseCode.SYSTEM_ERROR, "create mapped file failed, server is busy or broken."),
    PutStatus.MESSAGE_ILLEGAL: (ResponseCode.MESSAGE_ILLEGAL,
                                "the message is illegal, maybe msg body or properties length not matched. "
                                "msg body length limit 128k, msg properties length limit 32k."),
    PutStatus.PROPERTIES_SIZE_EXCEEDED: (ResponseCode.MESSAGE_ILLEGAL,
                                         "the message is illegal, maybe msg body or properties length not matched. "
                                         "msg body length limit 128k, msg properties length limit 32k."),
    PutStatus.SERVICE_NOT_AVAILABLE: (ResponseCode.SERVICE_NOT_AVAILABLE,
                                      "service not available now. It may be caused by one of the following reasons: "
                                      "the broker's disk is full, messages are put to the slave, message store has "
                                      "been shut down, etc."),
    PutStatus.OS_PAGECACHE_BUSY: (ResponseCode.SYSTEM_BUSY, "[PC_SYNCHRONIZED]broker busy, start flow control for a while"),
    PutStatus.UNKNOWN_ERROR: (ResponseCode.SYSTEM_ERROR, "UNKNOWN_ERROR"),
}
# Enum members read off their class cost ~900 instructions each in 3.11: the per-send ones are read once here
_SEND_MESSAGE = RequestCode.SEND_MESSAGE
_SEND_BATCH_MESSAGE = RequestCode.SEND_BATCH_MESSAGE
_PUT_OK = PutStatus.PUT_OK
_SUCCESS = ResponseCode.SUCCESS

_STORED_CODES = {PutStatus.PUT_OK: ResponseCode.SUCCESS, PutStatus.FLUSH_DISK_TIMEOUT: ResponseCode.FLUSH_DISK_TIMEOUT,
                 PutStatus.FLUSH_SLAVE_TIMEOUT: ResponseCode.FLUSH_SLAVE_TIMEOUT,
                 PutStatus.SLAVE_NOT_AVAILABLE: ResponseCode.SLAVE_NOT_AVAILABLE}

# a send whose properties hold none of these is neither a half message, nor timed, nor delayed: the common case
# skips those three checks (each would find its key absent and change nothing)
_SPECIAL_KEYS = frozenset((PROPERTY_DELAY, PROPERTY_TRAN_MSG) + TIMER_TRIGGERS)

# topics validate_topic passed: a producer sends to the same few topics, and the regex match costs ~2k
# instructions per send (bounded: cleared when full)
_VALID_TOPICS: set = set()
_VALID_TOPICS_MAX = 4096


class BatchBodyError(ValueError):
    pass


def _be32(data: bytes, pos: int) -> int:
    """A big-endian Java int (compiled: byte arithmetic on the buffer, no struct call)."""
    v = (data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3]
    return v - 0x100000000 if v >= 0x80000000 else v


def decode_batch_body(body: bytes) -> list[tuple[int, bytes, str]]:
    """MessageDecoder.encodeMessages format: per message total, magic, crc, flag, bodyLen, body, properties
    length (a short), properties."""
    out = []
    pos = 0
    n = len(body)
    while pos < n:
        if pos + 20 > n:
            raise BatchBodyError("truncated batch record")
        total = _be32(body, pos)
        flag = _be32(body, pos + 12)
        body_len = _be32(body, pos + 16)
        if total < 22 or pos + total > n or body_len < 0 or 20 + body_len + 2 > total:
            raise BatchBodyError("bad batch record length")
        at = pos + 20 + body_len
        plen = (body[at] << 8) | body[at + 1]
        if plen >= 0x8000 or 22 + body_len + plen != total:
            raise BatchBodyError("bad batch properties length")
        out.append((flag, body[pos + 20:at], body[at + 2:pos + total].decode("utf-8")))
        pos += total
    return out


_UNSET_HOST = ("127.0.0.1", 0)     # StoredMessage's default store host (put_messages sets the real one)


def _new_message(topic: str, body: bytes, queue_id: int, flag: int, sys_flag: int, born_timestamp: int,
                 born_host: tuple[str, int], reconsume_times: int, properties: str) -> m.StoredMessage:
    """StoredMessage(topic=..., body=..., ...) for a message received: its constructor called positionally
    (parsing nine keywords of its 17 parameters costs ~2k instructions per message, compiled)."""
    return m.StoredMessage(topic, body, queue_id, flag, 0, 0, sys_flag, born_timestamp, born_host, 0, _UNSET_HOST,
                           reconsume_times, 0, properties)


def wait_store_msg_ok(props: dict[str, str]) -> bool:
    """isWaitStoreMsgOK: WAIT absent, or Boolean.parseBoolean of it."""
    wait = props.get(PROPERTY_WAIT)
    return wait is None or wait.lower() == "true"


def stored_properties(props: dict[str, str], cluster: str) -> str:
    """What 4.9.7 stores for a single message: the client's properties (parsed into a HashMap), CLUSTER added,
    WAIT removed, written back in HashMap iteration order. `props` is changed in place: WAIT goes back in at
    the end, as Java puts it back (the delay branch writes the string again from this map, WAIT included)."""
    props[PROPERTY_CLUSTER] = cluster
    peak = len(props)
    wait = props.pop(PROPERTY_WAIT, None)
    text = m.properties_to_string_like_java(props, peak)
    if wait is not None:
        props[PROPERTY_WAIT] = wait
    return text


def message_for_send_back(stored: m.StoredMessage, topic: str, queue_id: int,
                          delay_level: int) -> tuple[m.StoredMessage, dict[str, str]]:
    """The message CONSUMER_SEND_MSG_BACK stores for `stored` (delay level 0 = the DLQ: DELAY "0"), and its
    property map in Java's insertion order (the delay branch rewrites the string from it)."""
    props = stored.props
    props.setdefault(PROPERTY_RETRY_TOPIC, stored.topic)
    props[PROPERTY_WAIT] = "false"
    props[PROPERTY_DELAY] = str(delay_level)
    origin = props.get(PROPERTY_ORIGIN_MESSAGE_ID)
    if origin is None or not origin.strip():
        origin = m.offset_msg_id(stored.store_host, stored.physical_offset)
    props[PROPERTY_ORIGIN_MESSAGE_ID] = origin
    msg = m.StoredMessage(topic=topic, body=stored.body, queue_id=queue_id, flag=stored.flag,
                          sys_flag=stored.sys_flag, born_timestamp=stored.born_timestamp, born_host=stored.born_host,
                          reconsume_times=stored.reconsume_times + 1,
                          properties=m.properties_to_string(m.reorder_properties_like_java(props)))
    return msg, props


class SendProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 groups: SubscriptionGroupManager, store_host: tuple[str, int],
                 transactions: TransactionalMessageService | None = None) -> None:
        self.config = config
        self.transactions = transactions      # None: half messages are refused (NO_PERMISSION)
        self.store = store
        self.topics = topics
        self.groups = groups
        self.store_host = store_host
        self.rng = random.Random()
        # after every put of a send (header, stored messages, result, handling start ms): the broker trace writer
        self.on_stored: Callable[[SendMessageRequestHeader, list[m.StoredMessage], PutResult, int], None] | None = None
        self.fast_failure = FastFailure()   # SYSTEM_BUSY before a send is stored; the broker sets its started one
        self.stats = None   # the broker's BrokerStatsManager (TOPIC_PUT_*, BROKER_PUT_NUMS, SNDBCK_PUT_NUMS)
        self.put_counts = None      # its topic_put table, read as a C field per send
        self.metrics = None         # broker/metrics.BrokerMetrics when the exporter is on: DLQ moves
        self.size_series = None     # ... and its message-size histogram, filled here: stored topic -> buckets, sum

    def set_stats(self, stats) -> None:
        self.stats = stats
        self.put_counts = stats.topic_put

    def _count_put(self, counts: dict, topic: str, num: int, size: int) -> None:
        """BrokerStatsManager.put inline (compiled: a typed dict look-up and three list-item increments of the
        topic's [messages, calls, bytes])."""
        c = counts.get(topic)
        if c is None:
            c = self.stats.put_counter(topic)
        c[0] += num
        c[1] += 1
        c[2] += size

    def _observe_size(self, series: dict, topic: str, num: int, size: int) -> None:
        """rocketmq_message_size: the stored bytes per message of a send (5.x: wrote bytes / count), by stored
        topic (its labels are made at scrape time). Compiled: a dict look-up, a bisect, two increments."""
        s = series.get(topic)
        if s is None:
            s = series[topic] = [0] * (_SIZE_SLOTS + 1)
        v = size // num      # Java's long division
        i = 0
        while i < _SIZE_BOUNDS and v > MESSAGE_SIZE_BUCKETS[i]:
            i += 1
        s[i] += 1
        s[_SIZE_SLOTS] += v

    def table(self) -> dict[int, Handler]:
        return {RequestCode.SEND_MESSAGE: self.send, RequestCode.SEND_MESSAGE_V2: self.send,
                RequestCode.SEND_BATCH_MESSAGE: self.send, RequestCode.CONSUMER_SEND_MSG_BACK: self.send_back}

    def _response(self, req: RemotingCommand, code: int, remark: str | None = None,
                  header: SendMessageResponseHeader | None = None) -> RemotingCommand:
        ext = header.encode() if header else {}
        ext["MSG_REGION"] = self.config.regionId
        ext["TRACE_ON"] = "true" if self.config.traceOn else "false"
        return make_response(req, code, remark, ext_fields=ext)

    def send(self, conn, req: RemotingCommand):
        """The response, or (SYNC_FLUSH) a coroutine that answers once the flush covers the records: an
        ASYNC_FLUSH send is answered inline, without a task per request."""
        ff = self.fast_failure
        if (ff.pending > ff.capacity or time.monotonic() > ff.deadline) and ff.refuse(conn, req):
            return None
        if req.code == _SEND_MESSAGE:
            h = SendMessageRequestHeader.decode(req.ext_fields)
        else:
            h = decode_send_v2(req.ext_fields)
        now = int(time.time() * 1000)
        if self.config.startAcceptSendRequestTimeStamp > now:
            return self._response(req, ResponseCode.SYSTEM_ERROR,
                                  f"broker unable to service, until {self.config.startAcceptSendRequestTimeStamp}")
        tc, error = self._check(conn, req, h)
        if error is not None:
            return error
        queue_id = h.queueId
        if queue_id < 0:
            queue_id = self.rng.randrange(max(tc.writeQueueNums, 1))
        topic = h.topic
        sys_flag = h.sysFlag
        if tc.topicFilterType == "MULTI_TAG":
            sys_flag |= m.MULTI_TAGS_FLAG
        born_host = host_of(conn)
        # the C++ 1.x client flags batches with batch="1" (Java's Boolean.parseBoolean would read false and
        # store the whole batch as one message); "1" is taken as true so its batches arrive as sent
        raw_batch = req.ext("batch" if req.code == _SEND_MESSAGE else "m")
        batch = bool(h.batch) or raw_batch == "1" or req.code == _SEND_BATCH_MESSAGE
        body = bytes(req.body or b"")
        half = False
        if batch:
            msgs, error = self._batch_messages(req, h, topic, queue_id, sys_flag, born_host, body)
            if error is not None:
                return error
            client_props = None
        else:
            store_topic, store_queue, error = self._retry_or_dlq(req, h, queue_id)
            if error is not None:
                return error
            client_props = m.string_to_properties(h.properties or "")
            msg = _new_message(store_topic, body, store_queue, h.flag, sys_flag, h.bornTimestamp, born_host,
                               h.reconsumeTimes or 0, stored_properties(client_props, self.config.brokerClusterName))
            plain = _SPECIAL_KEYS.isdisjoint(client_props)
            half = not plain and is_half_request(client_props)
            if half and (self.config.rejectTransactionMessage or self.transactions is None):
                return self._response(req, ResponseCode.NO_PERMISSION,
                                      f"the broker[{self.config.brokerIP1}] sending transaction message is forbidden")
            try:
                if half:     # a half message is never timed: its commit is (5.x skips the half topic)
                    result = self.transactions.prepare(msg, client_props, self.store.config.max_delay_level)
                else:
                    timed = delayed = False
                    if not plain:
                        timed = divert_to_timer(msg, client_props, self.store.config, now, self.store.timer)
                        delayed = divert_to_schedule(msg, client_props, self.store.config.max_delay_level)
                    if not (timed or delayed):
                        # the map of what is stored (the client's, CLUSTER added, WAIT not stored): the dispatch
                        # reads TAGS/KEYS/UNIQ_KEY from it instead of parsing the string just written from it
                        stored_map = dict(client_props)
                        stored_map.pop(PROPERTY_WAIT, None)
                        if stored_map.get(PROPERTY_CLUSTER):
                            msg.extra["props"] = stored_map
            except BadDelayLevel as e:
                return self._response(req, ResponseCode.SYSTEM_ERROR, f"java.lang.NumberFormatException: {e}")
            except TimerRefused as e:
                return self._response(req, e.code, e.remark)
            msgs = [msg]
        if not half:
            result = self.store.put_messages(msgs)
        # stored (a flush or slave timeout still counts, as Java's sendOK): by the topic stored to, once per
        # request; msgs[0].topic is the schedule / half topic when the message went there
        if result.status is _PUT_OK and self.put_counts is not None:
            self._count_put(self.put_counts, msgs[0].topic, len(msgs), result.append.wrote_bytes)
            if self.size_series is not None:
                self._observe_size(self.size_series, msgs[0].topic, len(msgs), result.append.wrote_bytes)
        if self.on_stored is not None:
            self.on_stored(h, msgs, result, now)
        store_cfg = self.store.config
        if result.status is _PUT_OK and (store_cfg.sync_flush or store_cfg.sync_master):   # store.must_wait(result)
            if client_props is None:
                client_props = m.string_to_properties(h.properties or "")
            if wait_store_msg_ok(client_props):
                return self._stored_response(req, result, queue_id)
        return self._put_response(req, result, queue_id)

    async def _stored_response(self, req: RemotingCommand, result: PutResult, queue_id: int) -> RemotingCommand:
        """SYNC_FLUSH and/or SYNC_MASTER: answered once the flush and the slave's acknowledgement are known."""
        ff = self.fast_failure
        ff.pending += 1     # the sends in flight that sendThreadPoolQueueCapacity bounds (OVERLOAD)
        try:
            return self._put_response(req, await self.store.wait_stored(result), queue_id)
        finally:
            ff.pending -= 1

    def _retry_or_dlq(self, req: RemotingCommand, h: SendMessageRequestHeader, queue_id: int):
        """handleRetryAndDLQ: a message a client sends to %RETRY%<group> itself goes to %DLQ%<group> once its
        reconsume count reached the group's (or the request's) maximum."""
        if not h.topic.startswith(RETRY_GROUP_TOPIC_PREFIX):
            return h.topic, queue_id, None
        group = h.topic[len(RETRY_GROUP_TOPIC_PREFIX):]
        sub = self.groups.find(group)
        if sub is None:
            return None, None, self._response(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
                                              f"subscription group not exist, {group} {FAQ_SUBSCRIPTION_GROUP}")
        max_times = sub.retryMaxTimes
        if req.version >= MQVersion.V3_4_9 and h.maxReconsumeTimes is not None:
            max_times = h.maxReconsumeTimes
        if (h.reconsumeTimes or 0) < max_times:
            return h.topic, queue_id, None
        dlq = dlq_topic(group)
        self.topics.create_in_send_back(dlq, DLQ_NUMS_PER_GROUP, PERM_WRITE | PERM_READ, 0)
        return dlq, self.rng.randrange(99999999) % DLQ_NUMS_PER_GROUP, None

    def send_back(self, conn, req: RemotingCommand) -> RemotingCommand:
        """CONSUMER_SEND_MSG_BACK: a message the consumer could not consume goes to %RETRY%<group> with a delay
        level (0 = 3 + reconsumeTimes), or to %DLQ%<group> once it was retried its maximum number of times."""
        ff = self.fast_failure
        if (ff.pending > ff.capacity or time.monotonic() > ff.deadline) and ff.refuse(conn, req):
            return None
        h = ConsumerSendMsgBackRequestHeader.decode(req.ext_fields)
        sub = self.groups.find(h.group)
        if sub is None:
            return make_response(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
                                 f"subscription group not exist, {h.group} {FAQ_SUBSCRIPTION_GROUP}")
        if not self.config.brokerPermission & PERM_WRITE:
            return make_response(req, ResponseCode.NO_PERMISSION,
                                 f"the broker[{self.config.brokerIP1}] sending message is forbidden")
        if sub.retryQueueNums <= 0:
            return make_response(req, ResponseCode.SUCCESS)
        new_topic = retry_topic(h.group)
        queue_id = self.rng.randrange(99999999) % sub.retryQueueNums
        tc = self.topics.create_in_send_back(new_topic, sub.retryQueueNums, PERM_WRITE | PERM_READ,
                                             TOPIC_FLAG_UNIT_SUB if h.unitMode else 0)
        if not tc.perm & PERM_WRITE:
            return make_response(req, ResponseCode.NO_PERMISSION, f"the topic[{new_topic}] sending message is forbidden")
        stored = self.store.look_message_by_offset(h.offset) if h.offset >= 0 else None
        if stored is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"look message by offset failed, {h.offset}")
        max_times = sub.retryMaxTimes
        if req.version >= MQVersion.V3_4_9 and h.maxReconsumeTimes is not None:
            max_times = h.maxReconsumeTimes
        if stored.reconsume_times >= max_times or h.delayLevel < 0:
            new_topic = dlq_topic(h.group)
            queue_id = self.rng.randrange(99999999) % DLQ_NUMS_PER_GROUP
            self.topics.create_in_send_back(new_topic, DLQ_NUMS_PER_GROUP, PERM_WRITE | PERM_READ, 0)
            delay = 0
        else:
            delay = h.delayLevel or 3 + stored.reconsume_times
        msg, props = message_for_send_back(stored, new_topic, queue_id, delay)
        divert_to_schedule(msg, props, self.store.config.max_delay_level)
        result = self.store.put_message(msg)     # WAIT=false: no flush wait, as Java
        if result.status != PutStatus.PUT_OK:
            return make_response(req, ResponseCode.SYSTEM_ERROR, result.status.value)
        if self.stats is not None:
            self.stats.sent_back(h.group, props.get(PROPERTY_RETRY_TOPIC) or stored.topic, msg.topic,
                                 result.append.wrote_bytes)
        if self.metrics is not None and new_topic.startswith(DLQ_GROUP_TOPIC_PREFIX):
            self.metrics.to_dlq(h.group, props.get(PROPERTY_RETRY_TOPIC) or stored.topic)
        return make_response(req, ResponseCode.SUCCESS)

    def _batch_messages(self, req, h, topic, queue_id, sys_flag, born_host, body):
        if m.transaction_type(sys_flag) != m.TRANSACTION_NOT_TYPE:
            return None, self._response(req, ResponseCode.MESSAGE_ILLEGAL, "batch request does not support transaction")
        if len(body) > self.store.config.maxMessageSize:
            return None, self._response(req, ResponseCode.MESSAGE_ILLEGAL,
                                        f"the message body size over max value, MAX: {self.store.config.maxMessageSize}")
        batch_props = m.string_to_properties(h.properties or "")
        if batch_props.get("DELAY"):
            return None, self._response(req, ResponseCode.MESSAGE_ILLEGAL, "batch message does not support delay")
        batch_props[PROPERTY_CLUSTER] = self.config.brokerClusterName
        batch_str = m.properties_to_string(batch_props)
        try:
            items = decode_batch_body(body)
        except (BatchBodyError, UnicodeDecodeError) as e:
            return None, self._response(req, ResponseCode.MESSAGE_ILLEGAL, f"bad batch body: {e}")
        if not items:
            return None, self._response(req, ResponseCode.MESSAGE_ILLEGAL, "empty batch")
        msgs = []
        for flag, b, props in items:
            # each element keeps its own properties; the batch-level ones are appended (MessageExtEncoder)
            if props and not props.endswith(m.PROPERTY_SEPARATOR) and batch_str:
                full = props + m.PROPERTY_SEPARATOR + batch_str
            else:
                full = props + batch_str
            msgs.append(_new_message(topic, b, queue_id, flag, sys_flag, h.bornTimestamp, born_host,
                                     h.reconsumeTimes or 0, full))
        return msgs, None

    def _check(self, conn, req: RemotingCommand, h: SendMessageRequestHeader):
        """msgCheck: broker/topic permissions, topic validity, auto-creation, queue id."""
        if not self.config.brokerPermission & PERM_WRITE and self.topics.is_order_topic(h.topic):
            return None, self._response(req, ResponseCode.NO_PERMISSION,
                                        f"the broker[{self.store_host[0]}] sending message is forbidden")
        if h.topic not in _VALID_TOPICS:
            bad = validate_topic(h.topic)
            if bad:
                return None, self._response(req, ResponseCode.SYSTEM_ERROR, bad)
            if len(_VALID_TOPICS) >= _VALID_TOPICS_MAX:
                _VALID_TOPICS.clear()
            _VALID_TOPICS.add(h.topic)
        if h.topic in NOT_ALLOWED_SEND:
            return None, self._response(req, ResponseCode.NO_PERMISSION,
                                        f"Sending message to topic[{h.topic}] is forbidden.")
        tc = self.topics.get(h.topic)
        if tc is None:
            if h.topic.startswith(RETRY_GROUP_TOPIC_PREFIX):
                sys_flag = TOPIC_FLAG_UNIT_SUB if h.unitMode else 0
                tc = self.topics.create_in_send_back(h.topic, 1, 6, sys_flag)
            else:
                sys_flag = TOPIC_FLAG_UNIT if h.unitMode else 0
                tc = self.topics.create_in_send(h.topic, h.defaultTopic, h.defaultTopicQueueNums, sys_flag)
            if tc is None:
                return None, self._response(req, ResponseCode.TOPIC_NOT_EXIST, topic_not_exist_remark(h.topic))
        if not tc.perm & PERM_WRITE:
            return None, self._response(req, ResponseCode.NO_PERMISSION,
                                        f"the topic[{h.topic}] sending message is forbidden")
        max_q = max(tc.writeQueueNums, tc.readQueueNums)
        if h.queueId >= max_q:
            return None, self._response(
                req, ResponseCode.SYSTEM_ERROR,
                f"request queueId[{h.queueId}] is illegal, {tc} Producer: {getattr(conn, 'remote_addr', '')}")
        return tc, None

    def _put_response(self, req: RemotingCommand, result: PutResult, queue_id: int) -> RemotingCommand:
        status = result.status
        code = _SUCCESS if status is _PUT_OK else _STORED_CODES.get(status)   # (an Enum's hash is Python code)
        if code is None:
            code, remark = _PUT_ERRORS.get(result.status, (ResponseCode.SYSTEM_ERROR, result.status.value))
            return self._response(req, code, remark)
        a = result.append
        # SendMessageResponseHeader's fields, then the region and trace flag, as _response writes them
        return make_response(req, code, None, ext_fields={
            "msgId": ",".join(a.msg_ids), "queueId": str(queue_id), "queueOffset": str(a.queue_offsets[0]),
            "MSG_REGION": self.config.regionId, "TRACE_ON": "true" if self.config.traceOn else "false"})

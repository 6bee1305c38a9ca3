"""PULL_MESSAGE with long polling (PullMessageProcessor.java)."""
from __future__ import annotations

import logging
import time

from remoting import fastjson
from remoting.bodies import PERM_READ
from remoting.codes import RequestCode, ResponseCode, SerializeType
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler
from remoting.headers import PullMessageRequestHeader, PullMessageResponseHeader
from store import message as m
from store.message_store import MessageStore
from store.results import GetStatus

from ..client_manager import ConsumerManager
from ..config import BrokerConfig
from ..consumer_offset import ConsumerOffsetManager
from ..filter.tag import SqlFilter, TagFilter, parse_tags
from ..long_polling import PullRequestHoldService
from ..subscription_group import SubscriptionGroupManager
from ..topic_config import OFFSET_MOVED_EVENT, TopicConfigManager
from .common import FAQ_SUBSCRIPTION_GROUP, topic_not_exist_remark

log = logging.getLogger("broker")

FLAG_COMMIT_OFFSET = 0x1
FLAG_SUSPEND = 0x2
FLAG_SUBSCRIPTION = 0x4


# Enum members read off their class cost ~900 instructions each in 3.11: the per-pull ones are read once here
_FOUND = GetStatus.FOUND
_SUCCESS = ResponseCode.SUCCESS
_PULL_NOT_FOUND = ResponseCode.PULL_NOT_FOUND
_PULL_OFFSET_MOVED = ResponseCode.PULL_OFFSET_MOVED


class PullProcessor:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 groups: SubscriptionGroupManager, consumers: ConsumerManager, offsets: ConsumerOffsetManager,
                 holds: PullRequestHoldService, broker_ip: str, is_slave: bool = False) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.groups = groups
        self.consumers = consumers
        self.offsets = offsets
        self.holds = holds
        self.broker_ip = broker_ip
        self.is_slave = is_slave
        self.stats = None   # the broker's BrokerStatsManager (GROUP_GET_*, BROKER_GET_NUMS), once per found pull
        # metrics on: (group, topic, queue id) -> the next offset after the last messages pulled (inflight = pulled
        # but not committed), one dict store per found pull
        self.pulled: dict | None = None

    def table(self) -> dict[int, Handler]:
        return {RequestCode.PULL_MESSAGE: self.pull, RequestCode.LITE_PULL_MESSAGE: self.pull}

    def pull(self, conn, req: RemotingCommand):
        """The response, or a coroutine that holds the pull until messages arrive (long polling): a pull that
        finds messages is answered inline, without a task."""
        h = PullMessageRequestHeader.decode(req.ext_fields)
        resp, msg_filter = self._process(req, h, allow_suspend=True)
        if resp is not None:
            return resp
        return self._suspend(req, h, msg_filter)

    async def _suspend(self, req: RemotingCommand, h: PullMessageRequestHeader, msg_filter) -> RemotingCommand:
        # nothing yet: hold the request (long polling), then answer like Java's re-execution, in JSON
        timeout = (h.suspendTimeoutMillis if self.config.longPollingEnable else self.config.shortPollingTimeMills) / 1000
        await self.holds.hold(h.topic, h.queueId, h.queueOffset, msg_filter, timeout)
        resp, _ = self._process(req, h, allow_suspend=False)
        resp.serialize_type = SerializeType.JSON
        return resp

    def _error(self, req: RemotingCommand, code: int, remark: str) -> tuple[RemotingCommand, None]:
        return make_response(req, code, remark, ext_fields={}), None

    def _process(self, req: RemotingCommand, h: PullMessageRequestHeader, allow_suspend: bool):
        """One pass of the pull; (None, filter) means "suspend"."""
        if not self.config.brokerPermission & PERM_READ:
            return self._error(req, ResponseCode.NO_PERMISSION,
                               f"the broker[{self.broker_ip}] pulling message is forbidden")
        group_cfg = self.groups.find(h.consumerGroup)
        if group_cfg is None:
            return self._error(req, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
                               f"subscription group [{h.consumerGroup}] does not exist, {FAQ_SUBSCRIPTION_GROUP}")
        if not group_cfg.consumeEnable:
            return self._error(req, ResponseCode.NO_PERMISSION, f"subscription group no permission, {h.consumerGroup}")
        has_suspend = bool(h.sysFlag & FLAG_SUSPEND)
        has_commit = bool(h.sysFlag & FLAG_COMMIT_OFFSET)
        has_sub = bool(h.sysFlag & FLAG_SUBSCRIPTION)
        tc = self.topics.get(h.topic)
        if tc is None:
            log.error("the topic %s not exist, consumer: %s", h.topic, h.consumerGroup)
            return self._error(req, ResponseCode.TOPIC_NOT_EXIST, topic_not_exist_remark(h.topic))
        if not tc.perm & PERM_READ:
            return self._error(req, ResponseCode.NO_PERMISSION, f"the topic[{h.topic}] pulling message is forbidden")
        if h.queueId < 0 or h.queueId >= tc.readQueueNums:
            return self._error(req, ResponseCode.SYSTEM_ERROR,
                               f"queueId[{h.queueId}] is illegal, topic:[{h.topic}] "
                               f"topicConfig.readQueueNums:[{tc.readQueueNums}] consumer:[{h.consumerGroup}]")
        if has_sub:
            expression_type = h.expressionType or "TAG"
            sub_string = h.subscription
        else:
            info = self.consumers.groups.get(h.consumerGroup)
            if info is None:
                return self._error(req, ResponseCode.SUBSCRIPTION_NOT_EXIST, "the consumer's group info not exist")
            if not group_cfg.consumeBroadcastEnable and info.message_model == "BROADCASTING":
                return self._error(req, ResponseCode.NO_PERMISSION,
                                   f"the consumer group[{h.consumerGroup}] can not consume by broadcast way")
            sd = info.subscriptions.get(h.topic)
            if sd is None:
                return self._error(req, ResponseCode.SUBSCRIPTION_NOT_EXIST, "the consumer's subscription not exist")
            if sd.subVersion < h.subVersion:
                return self._error(req, ResponseCode.SUBSCRIPTION_NOT_LATEST, "the consumer's subscription not latest")
            expression_type = sd.expressionType or "TAG"
            sub_string = sd.subString
        try:
            msg_filter = self._filter(expression_type, sub_string)
        except ValueError as e:
            log.warning("parse the consumer's subscription[%s] failed, group: %s: %s", sub_string, h.consumerGroup, e)
            code = ResponseCode.SYSTEM_ERROR if isinstance(e, _PropertyFilterDisabled) else \
                ResponseCode.SUBSCRIPTION_PARSE_FAILED
            return self._error(req, code, str(e) if code == ResponseCode.SYSTEM_ERROR
                               else "parse the consumer's subscription failed")

        # "*" matches every entry: the store then makes no filter calls per entry
        store_filter = None if type(msg_filter) is TagFilter and msg_filter.all else msg_filter
        parts: list[bytes] = []    # the records, sent as the body's parts (no joined copy)
        # the messages and bytes this get transferred, as the store's running totals move (no pass over parts)
        store_stats = self.store.stats
        got_before = store_stats["get_messages"]
        bytes_before = store_stats["get_bytes"]
        begin = time.monotonic()
        result = self.store.get_message(h.topic, h.queueId, h.queueOffset, h.maxMsgNums, store_filter, None, parts)
        suggest = self._suggest_broker(result.suggest_pulling_from_slave, group_cfg)
        header = PullMessageResponseHeader(suggest, result.next_begin_offset, result.min_offset, result.max_offset)
        status = result.status
        if status is _FOUND:
            code = _SUCCESS
        elif status in (GetStatus.NO_MATCHED_MESSAGE, GetStatus.MESSAGE_WAS_REMOVING):
            code = ResponseCode.PULL_RETRY_IMMEDIATELY
        elif status in (GetStatus.NO_MATCHED_LOGIC_QUEUE, GetStatus.NO_MESSAGE_IN_QUEUE):
            code = ResponseCode.PULL_NOT_FOUND if h.queueOffset == 0 else ResponseCode.PULL_OFFSET_MOVED
        elif status in (GetStatus.OFFSET_FOUND_NULL, GetStatus.OFFSET_OVERFLOW_ONE):
            code = ResponseCode.PULL_NOT_FOUND
        else:   # OFFSET_OVERFLOW_BADLY, OFFSET_TOO_SMALL
            code = ResponseCode.PULL_OFFSET_MOVED
        if code == _PULL_OFFSET_MOVED:
            if not self.is_slave or self.store.config.offsetCheckInSlave:
                self._offset_moved_event(h, result.next_begin_offset)
            else:
                header.suggestWhichBrokerId = group_cfg.brokerId
                code = ResponseCode.PULL_RETRY_IMMEDIATELY
        if allow_suspend and has_commit and not self.is_slave:
            # only on the first pass, whatever the outcome (Java commits before it suspends)
            self.offsets.commit(h.consumerGroup, h.topic, h.queueId, h.commitOffset)
        if code == _PULL_NOT_FOUND and allow_suspend and has_suspend:
            return None, msg_filter
        # _value_: the member's value as a plain attribute (the .value property is a Python-level call)
        resp = make_response(req, code, status._value_, ext_fields=header.encode())
        if code == _SUCCESS:
            resp.body_parts = parts
            stats = self.stats
            if stats is not None:
                # BrokerStatsManager.got inline: [messages, calls, bytes, latency ms] of topic@group
                by_group = stats.group_get.get(h.topic)
                c = by_group.get(h.consumerGroup) if by_group is not None else None
                if c is None:
                    c = stats.get_counter(h.topic, h.consumerGroup)
                c[0] += store_stats["get_messages"] - got_before
                c[1] += 1
                c[2] += store_stats["get_bytes"] - bytes_before
                c[3] += int((time.monotonic() - begin) * 1000)
            pulled = self.pulled
            if pulled is not None:
                pulled[(h.consumerGroup, h.topic, h.queueId)] = result.next_begin_offset
        return resp, msg_filter

    def _suggest_broker(self, pulling_from_slave: bool, group_cfg) -> int:
        """suggestWhichBrokerId: with slaveReadEnable, a consumer far behind (its messages no longer in memory)
        is sent to whichBrokerWhenConsumeSlowly and one that keeps up to the group's brokerId; otherwise the
        master. (Java also marks a slave's answer PULL_RETRY_IMMEDIATELY without slaveReadEnable, but the
        status switch that follows overwrites the code: a slave serves the pull and points back to the master,
        which is how consumers go on reading from a slave whose master is gone.)"""
        if not self.config.slaveReadEnable:
            return 0
        return group_cfg.whichBrokerWhenConsumeSlowly if pulling_from_slave else group_cfg.brokerId

    def _offset_moved_event(self, h: PullMessageRequestHeader, offset_new: int) -> None:
        """generateOffsetMovedEvent: a record in OFFSET_MOVED_EVENT (tags and keys = the group) telling
        operators a consumer's offset was corrected."""
        group = h.consumerGroup
        event = {"consumerGroup": group,
                 "messageQueue": {"brokerName": self.config.brokerName, "queueId": h.queueId, "topic": h.topic},
                 "offsetNew": offset_new, "offsetRequest": h.queueOffset}
        props = m.reorder_properties_like_java({"TAGS": group, "DELAY": "0", "KEYS": group})
        host = self.store.store_host
        msg = m.StoredMessage(topic=OFFSET_MOVED_EVENT, body=fastjson.dumpb(event), born_host=host,
                              born_timestamp=int(time.time() * 1000), properties=m.properties_to_string(props))
        result = self.store.put_message(msg)
        log.warning("PULL_OFFSET_MOVED:correction offset. topic=%s, groupId=%s, requestOffset=%d, newOffset=%d (%s)",
                    h.topic, group, h.queueOffset, offset_new, result.status.value)

    def _filter(self, expression_type: str, sub_string: str | None):
        if expression_type == "TAG" or expression_type.upper() == "TAG":
            # a tag filter depends on its text alone and is never changed: one per distinct text (bounded), not
            # one parsed per pull
            f = _TAG_FILTERS.get(sub_string)
            if f is None:
                if len(_TAG_FILTERS) >= _TAG_FILTERS_MAX:
                    _TAG_FILTERS.clear()
                f = _TAG_FILTERS[sub_string] = TagFilter(*parse_tags(sub_string))
            return f
        if expression_type.upper() != "SQL92":
            raise ValueError(f"unknown expression type {expression_type}")
        if not self.config.enablePropertyFilter:
            raise _PropertyFilterDisabled("The broker does not support consumer to filter message by SQL92")
        from ..filter.sql92 import compile_expression
        return SqlFilter(compile_expression(sub_string or ""))


_TAG_FILTERS: dict[str | None, TagFilter] = {}
_TAG_FILTERS_MAX = 1024


class _PropertyFilterDisabled(ValueError):
    pass

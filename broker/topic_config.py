"""Topic configs of the broker (TopicConfigManager.java): system topics at start, topics.json, auto-creation
through a template topic with PERM_INHERIT, retry/DLQ topics on demand, topic name validation."""
from __future__ import annotations

import logging
import os
import re
import time
from typing import Callable

from remoting import fastjson
from remoting.bodies import PERM_INHERIT, PERM_READ, PERM_WRITE, DataVersion, TopicConfig, TopicConfigSerializeWrapper
from remoting.config import read_config_file

from .config import BrokerConfig
from .config_writer import CoalescedFileWriter

log = logging.getLogger("broker")

AUTO_CREATE_TOPIC_KEY = "TBW102"
SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX"
BENCHMARK_TOPIC = "BenchmarkTest"
SELF_TEST_TOPIC = "SELF_TEST_TOPIC"
OFFSET_MOVED_EVENT = "OFFSET_MOVED_EVENT"
TRANS_HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC"
TRANS_OP_HALF_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
TRANS_CHECK_MAX_TIME_TOPIC = "TRANS_CHECK_MAX_TIME_TOPIC"
RETRY_GROUP_TOPIC_PREFIX = "%RETRY%"
DLQ_GROUP_TOPIC_PREFIX = "%DLQ%"

NOT_ALLOWED_SEND = {SCHEDULE_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC, TRANS_CHECK_MAX_TIME_TOPIC,
                    SELF_TEST_TOPIC, OFFSET_MOVED_EVENT}
_VALID = re.compile(r"^[%|a-zA-Z0-9_-]+$")
TOPIC_MAX_LENGTH = 127


def validate_topic(topic: str | None) -> str | None:
    """TopicValidator: None when valid, else the Java remark."""
    if topic is None or not topic.strip():
        return "The specified topic is blank."
    if not _VALID.match(topic):
        return f"The specified topic[{topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
    if len(topic) > TOPIC_MAX_LENGTH:
        return f"The specified topic[{topic}] is longer than topic max length."
    return None


DLQ_NUMS_PER_GROUP = 1


def retry_topic(group: str) -> str:
    return RETRY_GROUP_TOPIC_PREFIX + group


def dlq_topic(group: str) -> str:
    return DLQ_GROUP_TOPIC_PREFIX + group


class TopicConfigManager:
    def __init__(self, config: BrokerConfig, store_root: str, persist: Callable[[Callable[[], None]], None]) -> None:
        self.config = config
        self.path = os.path.join(store_root, "config", "topics.json")
        self.table: dict[str, TopicConfig] = {}
        self.data_version = DataVersion(int(time.time() * 1000), 0)
        self.system_topics: set[str] = set()
        self._writer = CoalescedFileWriter(self.path, self._encode, persist)
        self.on_change: Callable[[TopicConfig, bool], None] | None = None  # (topic, incremental)
        self._create_system_topics()

    def _system(self, tc: TopicConfig) -> None:
        self.table[tc.topicName] = tc
        self.system_topics.add(tc.topicName)

    def _create_system_topics(self) -> None:
        c = self.config
        self._system(TopicConfig(SELF_TEST_TOPIC, 1, 1, 6))
        if c.autoCreateTopicEnable:
            self._system(TopicConfig(AUTO_CREATE_TOPIC_KEY, c.defaultTopicQueueNums, c.defaultTopicQueueNums,
                                     PERM_INHERIT | PERM_READ | PERM_WRITE))
        self._system(TopicConfig(BENCHMARK_TOPIC, 1024, 1024, 6))
        self._system(TopicConfig(c.brokerClusterName, 16, 16, 7 if c.clusterTopicEnable else PERM_INHERIT))
        self._system(TopicConfig(c.brokerName, 1, 1, 7 if c.brokerTopicEnable else PERM_INHERIT))
        self._system(TopicConfig(OFFSET_MOVED_EVENT, 1, 1, 6))
        self._system(TopicConfig(SCHEDULE_TOPIC, 18, 18, 6))
        if c.traceTopicEnable or c.brokerTraceEnable:   # brokerTraceEnable (ours) writes to it
            self._system(TopicConfig(c.msgTraceTopicName, 1, 1, 6))
        self._system(TopicConfig(f"{c.brokerClusterName}_REPLY_TOPIC", 1, 1, 6))

    def load(self) -> None:
        text = read_config_file(self.path)
        if text is None:
            return
        w = TopicConfigSerializeWrapper.from_json(fastjson.loads(text))
        self.table.update(w.topicConfigTable)
        self.data_version = w.dataVersion
        if not self.config.autoCreateTopicEnable and AUTO_CREATE_TOPIC_KEY in self.table:
            self.table[AUTO_CREATE_TOPIC_KEY].perm = PERM_READ | PERM_WRITE  # no inheriting when disabled

    def replace_all(self, table: dict[str, TopicConfig], data_version: DataVersion) -> None:
        """A slave takes its master's topics (SlaveSynchronize): our table is cleared and refilled, our
        DataVersion becomes the master's, and the file is rewritten; no registration, no version bump."""
        with self._writer.lock:
            self.data_version = DataVersion(data_version.timestamp, data_version.counter)
            self.table.clear()
            self.table.update(table)
        self.persist()

    def persist(self) -> None:
        """Have topics.json rewritten (coalesced: see config_writer; O(1) here, the encoding runs in the
        metadata lane)."""
        self._writer.request()

    def _encode(self) -> str:
        with self._writer.lock:
            table, version = self.table.copy(), self.data_version
        return fastjson.dumps_pretty(TopicConfigSerializeWrapper(table, DataVersion(version.timestamp,
                                                                                    version.counter)))

    def wrapper(self, only: list[TopicConfig] | None = None) -> TopicConfigSerializeWrapper:
        topics = only if only is not None else list(self.table.values())
        return TopicConfigSerializeWrapper({t.topicName: t for t in topics},
                                           DataVersion(self.data_version.timestamp, self.data_version.counter))

    def next_version(self) -> None:
        self.data_version = DataVersion(int(time.time() * 1000), self.data_version.counter + 1)

    def _changed(self, tc: TopicConfig, incremental: bool) -> None:
        self.next_version()
        self.persist()
        if self.on_change:
            self.on_change(tc, incremental)

    def get(self, topic: str) -> TopicConfig | None:
        return self.table.get(topic)

    def update(self, tc: TopicConfig) -> None:
        """UPDATE_AND_CREATE_TOPIC: create or replace, persist, register incrementally."""
        old = self.table.get(tc.topicName)
        self.table[tc.topicName] = tc
        log.info("%s topic config, old: %s new: %s", "update" if old else "create", old, tc)
        self._changed(tc, True)

    def delete(self, topic: str) -> TopicConfig | None:
        old = self.table.pop(topic, None)
        if old is not None:
            self.data_version = DataVersion(int(time.time() * 1000), self.data_version.counter + 1)
            self.persist()
        return old

    def create_in_send(self, topic: str, default_topic: str, client_queue_nums: int,
                       topic_sys_flag: int = 0) -> TopicConfig | None:
        """createTopicInSendMessageMethod: copy the template topic if it may be inherited."""
        existing = self.table.get(topic)
        if existing is not None:
            return existing
        template = self.table.get(default_topic)
        if template is None:
            log.warning("create new topic failed, because the default topic[%s] not exist, producer: %s",
                        default_topic, topic)
            return None
        if default_topic == AUTO_CREATE_TOPIC_KEY and not self.config.autoCreateTopicEnable:
            template.perm = PERM_READ | PERM_WRITE
        if not template.perm & PERM_INHERIT:
            log.warning("create new topic failed, because the default topic[%s] has no perm [%d] producer:[%s]",
                        default_topic, template.perm, topic)
            return None
        nums = min(client_queue_nums, template.writeQueueNums)
        if nums < 0:
            nums = 0
        tc = TopicConfig(topic, nums, nums, template.perm & ~PERM_INHERIT, template.topicFilterType, topic_sys_flag)
        self.table[topic] = tc
        log.info("create new topic by default topic:[%s] config:[%s]", default_topic, tc)
        self._changed(tc, False)
        return tc

    def create_in_send_back(self, topic: str, queue_nums: int, perm: int, topic_sys_flag: int = 0) -> TopicConfig:
        """Retry and DLQ topics: created whatever autoCreateTopicEnable says."""
        existing = self.table.get(topic)
        if existing is not None:
            return existing
        tc = TopicConfig(topic, queue_nums, queue_nums, perm, topicSysFlag=topic_sys_flag)
        self.table[topic] = tc
        log.info("create new topic [%s]", tc)
        self._changed(tc, False)
        return tc

    def is_order_topic(self, topic: str) -> bool:
        tc = self.table.get(topic)
        return bool(tc and tc.order)

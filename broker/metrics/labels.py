"""Label values as 5.x derives them (BrokerMetricsManager, TopicValidator, MixAll)."""
from __future__ import annotations

from store.timer.convert import TIMER_TOPIC

from ..processors.topic_admin import STATIC_SYSTEM_TOPICS, SYSTEM_TOPIC_PREFIX
from ..topic_config import DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, SCHEDULE_TOPIC, TRANS_HALF_TOPIC

SYSTEM_TOPICS = frozenset(STATIC_SYSTEM_TOPICS)
# MixAll's built-in groups, and the prefixes 5.x's isSystemGroup tests (lower-cased)
SYSTEM_GROUPS = frozenset({"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "__MONITOR_CONSUMER", "CLIENT_INNER_PRODUCER",
                           "SELF_TEST_P_GROUP", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY", "CID_ONSAPI_PERMISSION",
                           "CID_ONSAPI_OWNER", "CID_ONSAPI_PULL", "CID_RMQ_SYS_TRANS", "DEFAULT_CONSUMER",
                           "DEFAULT_PRODUCER"})
SYSTEM_GROUP_PREFIXES = ("cid_rmq_sys_", "gid_rmq_sys_")


def is_system_topic(topic: str) -> bool:
    return topic in SYSTEM_TOPICS or topic.startswith(SYSTEM_TOPIC_PREFIX)


def is_system_group(group: str) -> bool:
    return group in SYSTEM_GROUPS or group.lower().startswith(SYSTEM_GROUP_PREFIXES)


def is_system(topic: str, group: str | None = None) -> str:
    return "true" if is_system_topic(topic) or (group is not None and is_system_group(group)) else "false"


def is_retry_or_dlq(topic: str) -> bool:
    return topic.startswith(RETRY_GROUP_TOPIC_PREFIX) or topic.startswith(DLQ_GROUP_TOPIC_PREFIX)


def message_type(stored_topic: str) -> str:
    """TopicMessageType of a send by where it was stored: a delayed or timed message in the schedule or timer
    topic, a half message in the half topic (remoting clients never send FIFO-typed messages)."""
    if stored_topic == SCHEDULE_TOPIC or stored_topic == TIMER_TOPIC:
        return "delay"
    if stored_topic == TRANS_HALF_TOPIC:
        return "transaction"
    return "normal"

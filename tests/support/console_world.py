"""A big cluster's metadata written where a broker loads it at start (config/topics.json,
subscriptionGroup.json, consumerOffset.json, in the broker's own formats), so a test gets 1,000 topics and 200
groups in a second instead of thousands of admin requests."""
from __future__ import annotations

import time
from pathlib import Path

from remoting import fastjson


def topic_name(i: int) -> str:
    return f"ScaleTopic_{i:04d}"


def group_name(i: int) -> str:
    return f"ScaleGroup_{i:03d}"


def write_world(store_root: Path, topics: int, groups: int, queues: int = 8, topics_per_group: int = 5) -> None:
    """Topics of `queues` queues, groups each with stored offsets (0) on `topics_per_group` topics."""
    config = Path(store_root) / "config"
    config.mkdir(parents=True, exist_ok=True)
    version = {"counter": 1, "timestamp": int(time.time() * 1000)}
    table = {topic_name(i): {"order": False, "perm": 6, "readQueueNums": queues, "topicFilterType": "SINGLE_TAG",
                             "topicName": topic_name(i), "topicSysFlag": 0, "writeQueueNums": queues}
             for i in range(topics)}
    (config / "topics.json").write_bytes(fastjson.dumpb({"dataVersion": version, "topicConfigTable": table}))
    subs = {group_name(i): {"brokerId": 0, "consumeBroadcastEnable": True, "consumeEnable": True,
                            "consumeFromMinEnable": True, "groupName": group_name(i),
                            "notifyConsumerIdsChangedEnable": True, "retryMaxTimes": 16, "retryQueueNums": 1,
                            "whichBrokerWhenConsumeSlowly": 1}
            for i in range(groups)}
    (config / "subscriptionGroup.json").write_bytes(
        fastjson.dumpb({"dataVersion": version, "subscriptionGroupTable": subs}))
    offsets = {f"{topic_name((g * topics_per_group + k) % topics)}@{group_name(g)}": {q: 0 for q in range(queues)}
               for g in range(groups) for k in range(topics_per_group)}
    (config / "consumerOffset.json").write_bytes(fastjson.dumpb({"offsetTable": offsets}))

"""Subscription group configs (SubscriptionGroupManager.java), persisted to config/subscriptionGroup.json."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Callable

from remoting import fastjson
from remoting.bodies import DataVersion
from remoting.config import read_config_file

from .config_writer import CoalescedFileWriter

log = logging.getLogger("broker")

_BUILTIN = ["TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP"]
_BUILTIN_BROADCAST = ["CID_ONS-HTTP-PROXY", "CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER"]


@dataclass
class SubscriptionGroupConfig:
    groupName: str
    consumeEnable: bool = True
    consumeFromMinEnable: bool = True
    consumeBroadcastEnable: bool = True
    retryQueueNums: int = 1
    retryMaxTimes: int = 16
    brokerId: int = 0
    whichBrokerWhenConsumeSlowly: int = 1
    notifyConsumerIdsChangedEnable: bool = True

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict) -> "SubscriptionGroupConfig":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def groups_from_json(data: dict | None) -> tuple[dict[str, SubscriptionGroupConfig], DataVersion]:
    """SubscriptionGroupWrapper (subscriptionGroup.json, GET_ALL_SUBSCRIPTIONGROUP_CONFIG body): the table and
    its DataVersion."""
    data = data or {}
    table = {str(name): SubscriptionGroupConfig.from_json(cfg)
             for name, cfg in (data.get("subscriptionGroupTable") or {}).items()}
    return table, DataVersion.from_json(data.get("dataVersion"))


class SubscriptionGroupManager:
    def __init__(self, auto_create: bool, store_root: str, persist: Callable[[Callable[[], None]], None]) -> None:
        self.auto_create = auto_create
        self.path = os.path.join(store_root, "config", "subscriptionGroup.json")
        self.table: dict[str, SubscriptionGroupConfig] = {}
        self.data_version = DataVersion(int(time.time() * 1000), 0)
        self._writer = CoalescedFileWriter(self.path, self._encode, persist)
        for g in _BUILTIN:
            self.table[g] = SubscriptionGroupConfig(g)
        for g in _BUILTIN_BROADCAST:
            self.table[g] = SubscriptionGroupConfig(g, consumeBroadcastEnable=True)

    def load(self) -> None:
        text = read_config_file(self.path)
        if text is None:
            return
        table, self.data_version = groups_from_json(fastjson.loads(text))
        self.table.update(table)

    def replace_all(self, table: dict[str, SubscriptionGroupConfig], data_version: DataVersion) -> None:
        """A slave takes its master's groups (SlaveSynchronize): table cleared and refilled, the master's
        DataVersion, file rewritten."""
        with self._writer.lock:
            self.data_version = DataVersion(data_version.timestamp, data_version.counter)
            self.table.clear()
            self.table.update(table)
        self.persist()

    def to_json(self) -> dict:
        return {"dataVersion": self.data_version.to_json(),
                "subscriptionGroupTable": {k: v.to_json() for k, v in self.table.items()}}

    def persist(self) -> None:
        """Have subscriptionGroup.json rewritten (coalesced: see config_writer; O(1) here)."""
        self._writer.request()

    def _encode(self) -> str:
        with self._writer.lock:
            table, version = self.table.copy(), self.data_version
        return fastjson.dumps_pretty({"dataVersion": version.to_json(),
                                      "subscriptionGroupTable": {k: v.to_json() for k, v in table.items()}})

    def _bump(self) -> None:
        self.data_version = DataVersion(int(time.time() * 1000), self.data_version.counter + 1)
        self.persist()

    def find(self, group: str) -> SubscriptionGroupConfig | None:
        cfg = self.table.get(group)
        if cfg is None and (self.auto_create or group.startswith("CID_RMQ_SYS_")):
            cfg = SubscriptionGroupConfig(group)
            self.table[group] = cfg
            log.info("auto create a subscription group, %s", cfg)
            self._bump()
        return cfg

    def update(self, cfg: SubscriptionGroupConfig) -> None:
        self.table[cfg.groupName] = cfg
        self._bump()

    def delete(self, group: str) -> None:
        if self.table.pop(group, None) is not None:
            self._bump()

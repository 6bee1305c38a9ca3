"""KV config of the NameServer (KVConfigManager.java): namespace -> key -> value, persisted to
`kvConfigPath` as `{"configTable":{ns:{k:v}}}` after every change."""
from __future__ import annotations

import logging
from typing import Callable

from remoting import fastjson
from remoting.bodies import KVTable
from remoting.config import write_file_atomically

log = logging.getLogger("namesrv")

NAMESPACE_ORDER_TOPIC_CONFIG = "ORDER_TOPIC_CONFIG"


class KVConfig:
    def __init__(self, path: str, persist: Callable[[Callable[[], None]], None] | None = None) -> None:
        """`persist` schedules a blocking write (the daemon hands it to its metadata I/O lane); by default
        writes run inline."""
        self.path = path
        self.table: dict[str, dict[str, str]] = {}
        self._schedule = persist or (lambda job: job())

    def load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                content = f.read()
        except FileNotFoundError:
            return
        if not content.strip():
            return
        data = fastjson.loads(content)
        for ns, kv in (data.get("configTable") or {}).items():
            self.table[str(ns)] = {str(k): str(v) for k, v in (kv or {}).items()}
        log.info("load KV config table OK, %d namespaces", len(self.table))

    def put(self, namespace: str, key: str, value: str) -> None:
        self.table.setdefault(namespace, {})[key] = value
        log.info("putKVConfig %s %s %s", namespace, key, value)
        self.persist()

    def delete(self, namespace: str, key: str) -> None:
        kv = self.table.get(namespace)
        if kv is not None and kv.pop(key, None) is not None:
            log.info("deleteKVConfig %s %s", namespace, key)
        self.persist()

    def get(self, namespace: str, key: str) -> str | None:
        kv = self.table.get(namespace)
        return kv.get(key) if kv is not None else None

    def list_by_namespace(self, namespace: str) -> bytes | None:
        kv = self.table.get(namespace)
        if kv is None:
            return None
        return fastjson.dumpb(KVTable(dict(kv)))

    def persist(self) -> None:
        content = fastjson.dumps({"configTable": {ns: dict(kv) for ns, kv in self.table.items()}})
        path = self.path
        self._schedule(lambda: write_file_atomically(path, content))

"""Committed consumer offsets (ConsumerOffsetManager.java): key `topic@group`, queueId -> next offset,
persisted to config/consumerOffset.json (integer map keys unquoted, as Java writes them)."""
from __future__ import annotations

import os
from typing import Callable

from remoting import fastjson
from remoting.config import read_config_file, write_file_atomically


class ConsumerOffsetManager:
    def __init__(self, store_root: str, persist: Callable[[Callable[[], None]], None]) -> None:
        self.path = os.path.join(store_root, "config", "consumerOffset.json")
        self.table: dict[str, dict[int, int]] = {}
        self._persist = persist

    def load(self) -> None:
        text = read_config_file(self.path)
        if text is None:
            return
        data = fastjson.loads(text)
        for key, offsets in (data.get("offsetTable") or {}).items():
            self.table[key] = {int(q): int(o) for q, o in (offsets or {}).items()}

    def commit(self, group: str, topic: str, queue_id: int, offset: int) -> None:
        self.table.setdefault(f"{topic}@{group}", {})[queue_id] = offset

    def query(self, group: str, topic: str, queue_id: int) -> int:
        return self.table.get(f"{topic}@{group}", {}).get(queue_id, -1)

    def topics_of_group(self, group: str) -> list[str]:
        return sorted({k.split("@", 1)[0] for k in self.table if k.split("@", 1)[1] == group})

    def groups_of_topic(self, topic: str) -> set[str]:
        return {k.split("@", 1)[1] for k in self.table if k.split("@", 1)[0] == topic}

    def offsets_of(self, group: str, topic: str) -> dict[int, int]:
        return dict(self.table.get(f"{topic}@{group}", {}))

    def to_json(self) -> dict:
        return {"offsetTable": {k: dict(v) for k, v in self.table.items()}}

    def persist(self) -> None:
        content = fastjson.dumps_pretty(self.to_json())
        path = self.path
        self._persist(lambda: write_file_atomically(path, content))

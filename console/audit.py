"""The audit log: one JSON line per change asked of the console (who, from where, what, on what, the outcome),
appended and flushed before the answer goes out; the audit page shows its tail. Never a password or a secret
key: the actions log names and numbers only."""
from __future__ import annotations

import os
import time
from collections import deque

import orjson


class AuditLog:
    def __init__(self, path: str) -> None:
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def record(self, user: str | None, addr: str | None, action: str, target: str, outcome: str,
               now: float | None = None) -> dict:
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)),
                 "user": user or "-", "addr": addr or "-", "action": action, "target": target, "outcome": outcome}
        with open(self.path, "ab") as f:
            f.write(orjson.dumps(entry) + b"\n")
        return entry

    def tail(self, n: int = 200) -> list[dict]:
        """The last n entries, newest first; a torn or foreign line is skipped, not fatal."""
        try:
            with open(self.path, "rb") as f:
                lines = deque(f, maxlen=n)
        except FileNotFoundError:
            return []
        out = []
        for line in reversed(lines):
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
        return out

"""Browser sessions, in memory only (a restart logs everyone out): a random cookie names a session holding its
CSRF token, the admin logged in on it (if any) and the messages to show on the next page."""
from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field

COOKIE = "rmqc_session"
MAX_SESSIONS = 10_000       # anonymous visitors each get one: bounded, oldest dropped first


@dataclass
class Session:
    token: str
    csrf: str
    expires: float
    user: str | None = None
    flashes: list[tuple[str, str]] = field(default_factory=list)    # (kind, text): "ok" / "error"

    def flash(self, kind: str, text: str) -> None:
        self.flashes.append((kind, text))

    def take_flashes(self) -> list[tuple[str, str]]:
        out, self.flashes = self.flashes, []
        return out

    def csrf_ok(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(presented.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, timeout_s: float, clock=time.monotonic) -> None:
        self.timeout_s = timeout_s
        self.clock = clock
        self._table: dict[str, Session] = {}

    def get(self, token: str | None) -> Session | None:
        s = self._table.get(token or "")
        if s is None:
            return None
        if s.expires < self.clock():
            del self._table[s.token]
            return None
        s.expires = self.clock() + self.timeout_s       # sliding expiry
        return s

    def new(self) -> Session:
        if len(self._table) >= MAX_SESSIONS:
            oldest = min(self._table.values(), key=lambda s: s.expires)
            del self._table[oldest.token]
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock() + self.timeout_s)
        self._table[s.token] = s
        return s

    def login(self, s: Session, user: str) -> Session:
        """A new token and CSRF token on login (no session fixation); the old session is dropped."""
        self._table.pop(s.token, None)
        fresh = self.new()
        fresh.user = user
        fresh.flashes = s.flashes
        return fresh

    def logout(self, s: Session) -> None:
        self._table.pop(s.token, None)

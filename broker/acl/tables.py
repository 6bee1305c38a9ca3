"""What the loaded ACL files say, as the validator reads it: the accounts and the global white list."""
from __future__ import annotations

from dataclasses import dataclass, field

from .address import Matcher


@dataclass(slots=True)
class Account:
    access_key: str
    secret_key: str
    admin: bool
    white: Matcher
    default_topic_perm: int
    default_group_perm: int
    perms: dict[str, int] | None     # topics and %RETRY%groups; None when the account lists neither


@dataclass(slots=True)
class AclTables:
    """What the loaded files say: the global whitelist and the accounts (the first file naming a key wins).
    Pattern answers are remembered per client IP (and per account): a few clients ask thousands of times."""
    global_white: list[Matcher] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    _white: dict = field(default_factory=dict)

    def globally_white(self, ip: str) -> bool:
        hit = self._white.get(ip)
        if hit is None:
            hit = self._remember(ip, any(white(ip) for white in self.global_white))
        return hit

    def account_white(self, account: Account, ip: str) -> bool:
        key = (account.access_key, ip)
        hit = self._white.get(key)
        if hit is None:
            hit = self._remember(key, account.white(ip))
        return hit

    def _remember(self, key, hit: bool) -> bool:
        if len(self._white) >= 4096:       # bounded: many distinct clients only cost the patterns again
            self._white.clear()
        self._white[key] = hit
        return hit

"""The console's settings: `console.properties` (Java-style properties, as the daemons' files) and the command
line, which wins. Read-only unless an admin login is configured: a user with a password hash, or the ACL admin
keys (which also sign every request the console sends, as tools.yml does for mqadmin)."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from remoting.config import ConfigError, apply_properties, read_properties_file

HASH_SCHEME = "pbkdf2_sha256"
HASH_ITERATIONS = 200_000


@dataclass
class ConsoleConfig:
    namesrvAddr: str = ""               # -n wins, then this, then NAMESRV_ADDR
    listenAddress: str = "127.0.0.1"    # loopback unless asked: a console is an admin surface
    listenPort: int = 8080              # rocketmq-dashboard's server.port
    # admin login: a user and `rocketmq-console --hash-password` output, and/or the ACL admin keys
    adminUser: str = ""
    adminPasswordHash: str = ""
    accessKey: str = ""
    secretKey: str = ""
    sessionTimeoutMinutes: int = 30
    auditLogFile: str = ""              # blank: <log dir>/console-audit.log
    requestTimeoutSeconds: float = 5.0  # per admin request
    pollIntervalSeconds: float = 10.0   # charts: how often rates and lag are sampled
    chartWindowSeconds: int = 3600      # charts: how much history is kept (in memory only)

    @property
    def admin_configured(self) -> bool:
        return bool(self.adminUser and self.adminPasswordHash) or bool(self.accessKey and self.secretKey)


def load(path: str | None, overrides: dict[str, str] | None = None) -> ConsoleConfig:
    """The file's keys, then the command line's; unknown keys are an error (a typo must not open a console)."""
    config = ConsoleConfig()
    props = read_properties_file(path) if path else {}
    props.update({k: v for k, v in (overrides or {}).items() if v is not None})
    unknown = apply_properties(props, config)
    if unknown:
        raise ConfigError(f"unknown console properties: {', '.join(sorted(unknown))}")
    if config.adminPasswordHash and not _parse_hash(config.adminPasswordHash):
        raise ConfigError(f"adminPasswordHash is not a {HASH_SCHEME}$<iterations>$<salt>$<hash> value "
                          f"(make one with rocketmq-console --hash-password)")
    if config.pollIntervalSeconds <= 0 or config.chartWindowSeconds <= 0:
        raise ConfigError("pollIntervalSeconds and chartWindowSeconds must be positive")
    if not config.namesrvAddr:
        config.namesrvAddr = os.environ.get("NAMESRV_ADDR", "")
    return config


def hash_password(password: str, salt: bytes | None = None, iterations: int = HASH_ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{HASH_SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def _parse_hash(encoded: str) -> tuple[int, bytes, bytes] | None:
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != HASH_SCHEME:
        return None
    try:
        return int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        return None


def check_password(password: str, encoded: str) -> bool:
    parsed = _parse_hash(encoded)
    if parsed is None:
        return False
    iterations, salt, digest = parsed
    return hmac.compare_digest(hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations), digest)

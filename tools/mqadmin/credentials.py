"""The keys mqadmin signs its requests with (MQAdminStartup + AclUtils.getAclRPCHook, 4.9.7): `accessKey` and
`secretKey` from `$ROCKETMQ_HOME/conf/tools.yml`. No file, a file that does not parse to a mapping, or a blank key
means no signing (Java's null RPC hook). The secret is never printed: a failed load says which file, not what is
in it.

Java takes the home from `-Drocketmq.home.dir`, else ROCKETMQ_HOME; Python has no system properties, so the
environment variable is the one way here. With neither, Java reads the literal path "null/conf/tools.yml" (string
concatenation of a null); we sign nothing instead."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from remoting import signing
from remoting.fastjson import java_string

TOOLS_FILE = "conf/tools.yml"      # MixAll.ACL_CONF_TOOLS_FILE


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str

    def __repr__(self) -> str:      # never the secret, even in a traceback
        return f"Credentials(access_key={self.access_key!r}, secret_key=***)"

    def sign(self, ext: dict | None, body: bytes | None) -> dict[str, str]:
        """AclClientRPCHook.doBeforeRequest on a copy of the request's fields (the header already flattened into
        them): AccessKey added, then Signature over every field and the body."""
        return signing.sign(dict(ext or {}), body, self.access_key, self.secret_key)


def _blank(s: str | None) -> bool:
    return s is None or not s.strip()


def load(path: str | os.PathLike) -> Credentials | None:
    """AclUtils.getAclRPCHook(path): the credentials in a tools.yml, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None         # Java logs "Convert yaml file to data object error" and runs unsigned
    if not isinstance(data, dict) or not data:
        return None
    ak, sk = java_string(data.get("accessKey")), java_string(data.get("secretKey"))
    if _blank(ak) or _blank(sk):
        return None
    return Credentials(ak, sk)


def tools_yml(environ: dict[str, str] | None = None) -> Path | None:
    home = (os.environ if environ is None else environ).get("ROCKETMQ_HOME")
    return Path(home) / TOOLS_FILE if home else None


def from_environment(environ: dict[str, str] | None = None) -> Credentials | None:
    path = tools_yml(environ)
    return load(path) if path is not None else None

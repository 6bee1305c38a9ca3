"""The plain ACL files: where they are (PlainPermissionManager's rules), reading them into AclTables, and the
edits the ACL admin codes make (rewritten whole, atomically, mode 0600, with the file's dataVersion bumped)."""
from __future__ import annotations

import os
import time

import yaml

from remoting.bodies import DataVersion
from remoting.fastjson import java_string

from .address import matcher
from .errors import AclError
from .permission import parse_perm, resource_perms
from .tables import Account, AclTables

DEFAULT_FILE = "conf/plain_acl.yml"
TOOLS_FILE = "/conf/tools.yml"
MIN_KEY_LENGTH = 6       # AclConstants.ACCESS_KEY_MIN_LENGTH / SECRET_KEY_MIN_LENGTH: keys must be longer


def home_dir(rocketmq_home: str) -> str:
    """rocketmq.home.dir; an empty one is the working directory (Java would load nothing and refuse all)."""
    return os.path.normpath(rocketmq_home or os.getcwd())


def default_file(home: str, override: str | None = None) -> str:
    return os.path.normpath(os.path.join(home, override or DEFAULT_FILE))


def acl_files(home: str, default: str) -> list[str]:
    """Every *.yml / *.yaml under conf/acl (tools.yml aside), then the default file if it exists."""
    found: list[str] = []
    root = os.path.join(home, "conf", "acl")
    if os.path.isdir(root):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.normpath(os.path.join(dirpath, name))
                if path != home + TOOLS_FILE and name.endswith((".yml", ".yaml")):
                    found.append(path)
    if os.path.exists(default) and default not in found:
        found.append(default)
    return found


def read_yaml(path: str) -> dict | None:
    """The file as a mapping; None when it is missing or empty. A file that is not YAML raises."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    data = yaml.safe_load(text)
    if data is None or data == {}:
        return None
    if not isinstance(data, dict):
        raise AclError(f"{path} is not a YAML mapping")
    return data


def _strings(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise AclError(f"expected a list, found {type(value).__name__}")
    return [java_string(v) or "" for v in value]


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def check_keys(access_key: str | None, secret_key: str | None) -> None:
    """checkPlainAccessConfig; the message does not repeat the secret (Java's does)."""
    if access_key is None or secret_key is None or len(access_key) <= MIN_KEY_LENGTH \
            or len(secret_key) <= MIN_KEY_LENGTH:
        shown = "null" if access_key is None else access_key
        raise AclError(f"The accessKey={shown} and secretKey=*** cannot be null and length should longer "
                       f"than {MIN_KEY_LENGTH}")


def build_account(entry: dict) -> Account:
    """buildPlainAccessResource from one `accounts` entry."""
    if not isinstance(entry, dict):
        raise AclError(f"an account must be a mapping, found {type(entry).__name__}")
    ak, sk = java_string(entry.get("accessKey")), java_string(entry.get("secretKey"))
    check_keys(ak, sk)
    perms = resource_perms(_strings(entry.get("groupPerms")), is_topic=False)
    perms.update(resource_perms(_strings(entry.get("topicPerms")), is_topic=True))
    return Account(access_key=ak, secret_key=sk, admin=_flag(entry.get("admin")),
                   white=matcher(java_string(entry.get("whiteRemoteAddress"))),
                   default_topic_perm=parse_perm(java_string(entry.get("defaultTopicPerm"))),
                   default_group_perm=parse_perm(java_string(entry.get("defaultGroupPerm"))),
                   perms=perms or None)


def file_version(data: dict | None) -> DataVersion:
    versions = (data or {}).get("dataVersion")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        return DataVersion.from_json(versions[0])
    return DataVersion(int(time.time() * 1000), 0)        # new DataVersion(): now, counter 0


def load(files: list[str]) -> tuple[AclTables, dict[str, DataVersion]]:
    """PlainPermissionManager.load over `files`; raises (AclError, yaml.YAMLError, OSError) on a broken one so
    the caller can keep the config it has."""
    tables = AclTables()
    versions: dict[str, DataVersion] = {}
    for path in files:
        data = read_yaml(path)
        if data is None:
            continue
        for pattern in _strings(data.get("globalWhiteRemoteAddresses")) or ():
            tables.global_white.append(matcher(pattern))
        for entry in data.get("accounts") or ():
            account = build_account(entry)
            tables.accounts.setdefault(account.access_key, account)    # a key in two files: the first wins
        versions[path] = file_version(data)
    return tables, versions


def write_with_next_version(path: str, data: dict) -> DataVersion:
    """updateAclConfigFileVersion + writeDataObject: the file's dataVersion moves on, the file is rewritten."""
    version = file_version(data)
    version = DataVersion(int(time.time() * 1000), version.counter + 1)
    data["dataVersion"] = [{"counter": version.counter, "timestamp": version.timestamp}]
    write_secret_file(path, yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True))
    return version


def write_secret_file(path: str, text: str) -> None:
    """Written to a 0600 temp file, fsynced, renamed into place: never readable by others, never half written,
    and no backup copy of the secrets left beside it."""
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            fd = -1
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    finally:
        if fd >= 0:
            os.close(fd)
    os.replace(tmp, path)

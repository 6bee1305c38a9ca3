"""The broker's ACL service: loads the plain ACL files, reloads them when they change (a broken file keeps the
last good config), checks each request before it is processed, and makes the ACL admin codes' edits."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os

import yaml

from remoting import fastjson
from remoting.bodies import DataVersion
from remoting.command import RemotingCommand
from remoting.java_order import hashmap_order
from remoting.runtime import cancel_and_wait

from . import plain_files as files
from .address import client_ip
from .errors import AclError
from .permission import check_resource_perms
from .tables import AclTables
from .validator import validate

log = logging.getLogger("broker.acl")

WATCH_INTERVAL = 1.0     # seconds between looks at the files (a stat each; the content is hashed on change)


class AclService:
    def __init__(self, rocketmq_home: str, acl_file: str | None = None, watch_interval: float = WATCH_INTERVAL):
        self.home = files.home_dir(rocketmq_home)
        self.default_file = files.default_file(self.home, acl_file)
        self.watch_interval = watch_interval
        self.tables = AclTables()
        self.versions: dict[str, DataVersion] = {}
        self.files: list[str] = []
        self._seen: dict[str, tuple] = {}          # stat of each file at the last load
        self._digests: dict[str, bytes] = {}       # and its content's digest
        self._task: asyncio.Task | None = None
        self._ips: dict[str, str] = {}             # remote "ip:port" -> the IP the patterns see

    # -- loading -------------------------------------------------------------------------------------------
    def load(self) -> bool:
        """Read every ACL file; on any error keep what is loaded and say which file and why."""
        self._ensure_default_file()
        found = files.acl_files(self.home, self.default_file)
        try:
            tables, versions = files.load(found)
        except (AclError, yaml.YAMLError, OSError, ValueError, TypeError) as e:
            log.error("ACL config not reloaded, the last good one stays in force: %s", _reason(e))
            self._remember(found)         # do not retry the same broken content every second
            return False
        self.tables, self.versions, self.files = tables, versions, found
        self._remember(found)
        log.info("ACL config loaded from %d file(s): %d account(s), %d global white address pattern(s)",
                 len(found), len(tables.accounts), len(tables.global_white))
        return True

    def _ensure_default_file(self) -> None:
        if os.path.exists(self.default_file):
            return
        try:
            os.makedirs(os.path.dirname(self.default_file), exist_ok=True)
            os.close(os.open(self.default_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as e:
            log.error("could not create the ACL file %s: %s", self.default_file, e)

    @staticmethod
    def _fingerprints(paths: list[str]) -> dict[str, tuple]:
        out = {}
        for p in paths:
            try:
                st = os.stat(p)
            except OSError:
                continue
            out[p] = (st.st_mtime_ns, st.st_size, st.st_ino)
        return out

    def _remember(self, paths: list[str]) -> None:
        self._seen = self._fingerprints(paths)
        self._digests = {p: _digest(p) for p in self._seen}

    def changed(self) -> bool:
        """A file was added, removed or rewritten since the last load (by stat, then by content)."""
        now = self._fingerprints(files.acl_files(self.home, self.default_file))
        if now == self._seen:
            return False
        if set(now) == set(self._seen) and all(_digest(p) == self._digests.get(p) for p in now):
            self._seen = now          # touched, not changed
            return False
        return True

    async def start(self) -> None:
        self.load()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_interval)
            try:
                if self.changed():
                    log.info("ACL files changed, reloading")
                    self.load()
            except Exception:  # noqa: BLE001 - the watcher must outlive any one bad look
                log.exception("ACL file watch failed")

    # -- the check -----------------------------------------------------------------------------------------
    def check(self, conn, cmd: RemotingCommand) -> None:
        """The server RPC hook: raises AclError when the request may not run."""
        remote = conn.remote_addr
        ip = self._ips.get(remote)
        if ip is None:
            if len(self._ips) >= 4096:
                self._ips.clear()
            ip = self._ips[remote] = client_ip(remote or "")
        try:
            validate(self.tables, cmd, ip)
        except AclError as e:
            log.warning("request %d from %s refused: %s", cmd.code, remote, e.message)
            raise

    # -- the admin codes' edits ----------------------------------------------------------------------------
    def update_account(self, cfg: dict) -> bool:
        """updateAccessConfig: change the account where its key is defined, or add it to the default file."""
        files.check_keys(cfg.get("accessKey"), cfg.get("secretKey"))
        check_resource_perms(cfg.get("topicPerms"))
        check_resource_perms(cfg.get("groupPerms"))
        ak = cfg["accessKey"]
        path = self._file_of(ak)
        if path is not None:
            data = files.read_yaml(path) or {}
            accounts = data.get("accounts")
            if accounts is None:
                data["accounts"] = [_account_entry(None, cfg)]
            else:
                for entry in list(accounts):
                    if isinstance(entry, dict) and str(entry.get("accessKey")) == ak:
                        accounts.remove(entry)
                        accounts.append(_account_entry(entry, cfg))
                        break
        else:
            path = self.default_file
            data = files.read_yaml(path) or {}
            accounts = data.get("accounts") or []
            accounts.append(_account_entry(None, cfg))
            data["accounts"] = accounts
        self._write(path, data)
        return True

    def delete_account(self, access_key: str | None) -> bool:
        if not access_key:
            return False
        path = self._file_of(access_key)
        if path is None:
            return False
        data = files.read_yaml(path)
        if not data:
            return True
        accounts = data.get("accounts") or []
        for entry in accounts:
            if isinstance(entry, dict) and str(entry.get("accessKey")) == access_key:
                accounts.remove(entry)
                data["accounts"] = accounts
                self._write(path, data)
                return True
        return False

    def update_global_white(self, addrs: list[str] | None, path: str | None) -> bool:
        path = os.path.normpath(path) if path else self.default_file
        if addrs is None:
            return False
        if not os.path.isfile(path):
            log.error("%s does not exist or is a directory", path)
            return False
        if not path.startswith(self.home):
            log.error("%s is not in the directory rocketmq.home.dir %s", path, self.home)
            return False
        data = files.read_yaml(path) or {}
        data["globalWhiteRemoteAddresses"] = list(addrs)
        self._write(path, data)
        return True

    def _file_of(self, access_key: str) -> str | None:
        for path in self.files:
            data = files.read_yaml(path) or {}
            if any(isinstance(e, dict) and str(e.get("accessKey")) == access_key for e in data.get("accounts") or ()):
                return path
        return None

    def _write(self, path: str, data: dict) -> None:
        self.versions[path] = files.write_with_next_version(path, data)
        log.info("ACL file %s updated", path)
        self.load()

    # -- what the admin codes read -------------------------------------------------------------------------
    def all_config(self) -> dict:
        """getAllAclConfig: the global white addresses of every file, the accounts (first file per key)."""
        white: list[str] = []
        configs: list[dict] = []
        seen: set[str] = set()
        for path in self.files:
            try:
                data = files.read_yaml(path)
            except (yaml.YAMLError, OSError, AclError):
                continue
            if not data:
                continue
            white.extend(str(x) for x in data.get("globalWhiteRemoteAddresses") or ())
            for entry in data.get("accounts") or ():
                if not isinstance(entry, dict):
                    continue
                ak = fastjson.java_string(entry.get("accessKey"))
                if ak in seen:
                    continue
                seen.add(ak)
                configs.append(_plain_access_config(entry))
        return {"globalWhiteAddrs": white, "plainAccessConfigs": configs}

    def version_json(self) -> str:
        v = self.versions.get(self.default_file) or DataVersion(0, 0)
        return fastjson.dumps(v.to_json())

    def all_versions_json(self) -> str:
        return fastjson.dumps({p: self.versions[p].to_json() for p in hashmap_order(self.versions)})


def _digest(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return hashlib.md5(f.read()).digest()
    except OSError:
        return b""


def _reason(e: Exception) -> str:
    return e.message if isinstance(e, AclError) else f"{type(e).__name__}: {e}"


def _account_entry(existing: dict | None, cfg: dict) -> dict:
    """createAclAccessConfigMap: the fields the request carries replace the entry's; the rest stay."""
    entry = existing if existing is not None else {}
    ak = cfg.get("accessKey")
    if not ak or len(ak) <= files.MIN_KEY_LENGTH:
        raise AclError(f"The accessKey={ak} cannot be null and length should longer than 6")
    entry["accessKey"] = ak
    sk = cfg.get("secretKey")
    if sk:
        if len(sk) <= files.MIN_KEY_LENGTH:
            raise AclError("The secretKey=*** value length should longer than 6")
        entry["secretKey"] = sk
    if cfg.get("whiteRemoteAddress") is not None:
        entry["whiteRemoteAddress"] = cfg["whiteRemoteAddress"]
    entry["admin"] = bool(cfg.get("admin"))
    for key in ("defaultTopicPerm", "defaultGroupPerm"):
        if cfg.get(key):
            entry[key] = cfg[key]
    for key in ("topicPerms", "groupPerms"):
        if cfg.get(key) is not None:
            entry[key] = list(cfg[key])
    return entry


def _plain_access_config(entry: dict) -> dict:
    """A PlainAccessConfig as fastjson writes it: fields by name, nulls left out, admin always there."""
    out = {"accessKey": fastjson.java_string(entry.get("accessKey")), "admin": files._flag(entry.get("admin")),
           "defaultGroupPerm": fastjson.java_string(entry.get("defaultGroupPerm")),
           "defaultTopicPerm": fastjson.java_string(entry.get("defaultTopicPerm")),
           "groupPerms": entry.get("groupPerms"), "secretKey": fastjson.java_string(entry.get("secretKey")),
           "topicPerms": entry.get("topicPerms"), "whiteRemoteAddress": fastjson.java_string(entry.get("whiteRemoteAddress"))}
    return {k: v for k, v in out.items() if v is not None}

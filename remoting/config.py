"""Java-style properties files and the typed config dataclasses they fill.

One loader for every component (namesrv, broker, store): field names are the Java property names, values
are parsed by the field's type, unknown keys are reported (the caller warns), bad values raise ConfigError.
Also holds NettyServerConfig's keys (ServerConfig), which belong to this package.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import re
import time
import typing
from dataclasses import dataclass
from typing import Any, Iterable


log = logging.getLogger("config")

# keys whose values a log line never shows (none of our typed keys is one; a file may carry others)
_SECRET_KEY = re.compile(r"secret|password|passwd|token|accesskey|signature", re.IGNORECASE)


def shown_value(key: str, value: object) -> str:
    return "***" if _SECRET_KEY.search(key) else str(value)


class ConfigError(ValueError):
    pass


def write_file_atomically(path: str, content: str) -> None:
    """MixAll.string2File: write a temp file, keep the old one as .bak, rename into place; fsync so a
    crash leaves either the old or the new file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    if os.path.exists(path):
        try:
            with open(path, "rb") as old, open(path + ".bak", "wb") as bak:
                bak.write(old.read())
        except OSError as e:
            log.warning("could not back up %s: %s", path, e)
    os.replace(tmp, path)


def read_config_file(path: str) -> str | None:
    """ConfigManager.load: the file, or its .bak when the file is missing or empty."""
    for candidate in (path, path + ".bak"):
        try:
            with open(candidate, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        if text.strip():
            return text
    return None


def parse_properties(text: str) -> dict[str, str]:
    """java.util.Properties.load: comments (# !), key=value / key:value / key value, continuations, escapes."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        while _ends_with_continuation(line) and i < len(lines):
            line = line[:-1] + lines[i].lstrip(" \t\f")
            i += 1
        if _ends_with_continuation(line):
            line = line[:-1]
        key, value = _split_key_value(line)
        out[_unescape(key)] = _unescape(value)
    return out


def _ends_with_continuation(line: str) -> bool:
    n = len(line) - len(line.rstrip("\\"))
    return n % 2 == 1


def _split_key_value(line: str) -> tuple[str, str]:
    j = 0
    while j < len(line):
        c = line[j]
        if c == "\\":
            j += 2
            continue
        if c in "=: \t\f":
            break
        j += 1
    key = line[:j]
    rest = line[j:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "u" and i + 6 <= len(s):
                try:
                    out.append(chr(int(s[i + 2:i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def read_properties_file(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return parse_properties(f.read())


def _field_types(obj: Any) -> dict[str, type]:
    hints = typing.get_type_hints(type(obj))
    return {f.name: hints[f.name] for f in dataclasses.fields(obj)}


def _convert(name: str, tp: Any, raw: str) -> Any:
    s = raw.strip()
    try:
        if tp is bool:
            if s.lower() not in ("true", "false"):
                raise ValueError(raw)
            return s.lower() == "true"
        if tp is int:
            return int(s)
        if tp is float:
            return float(s)
    except ValueError:
        raise ConfigError(f"bad value for {name}: {raw!r} (expected {tp.__name__})") from None
    return raw


def apply_properties(props: dict[str, str], *targets: Any) -> list[str]:
    """Set every field of each target dataclass that `props` names; returns the keys no target knows. A field
    whose metadata has a "check" callable is refused (ConfigError) when the check raises ValueError."""
    known: set[str] = set()
    for target in targets:
        checks = {f.name: f.metadata.get("check") for f in dataclasses.fields(target)}
        for name, tp in _field_types(target).items():
            known.add(name)
            if name in props:
                value = _convert(name, tp, props[name])
                check = checks.get(name)
                if check is not None:
                    try:
                        check(value)
                    except ValueError as e:
                        raise ConfigError(f"bad value for {name}: {e}") from None
                setattr(target, name, value)
    return [k for k in props if k not in known]


def format_properties(*targets: Any) -> str:
    """`key=value` lines for every field, as MixAll.printObjectProperties / properties2String print them."""
    lines = []
    for target in targets:
        for f in dataclasses.fields(target):
            v = getattr(target, f.name)
            if isinstance(v, bool):
                v = "true" if v else "false"
            lines.append(f"{f.name}={'' if v is None else v}")
    return "\n".join(lines) + "\n"


def config_items(*targets: Any) -> Iterable[tuple[str, Any]]:
    for target in targets:
        for f in dataclasses.fields(target):
            yield f.name, getattr(target, f.name)


@dataclass
class ServerConfig:
    """NettyServerConfig keys. Thread-pool and allocator keys are accepted for compatibility; the asyncio
    server has no such pools, so they have no effect."""

    listenPort: int = 8888
    serverWorkerThreads: int = 8
    serverCallbackExecutorThreads: int = 0
    serverSelectorThreads: int = 3
    serverOnewaySemaphoreValue: int = 256
    serverAsyncSemaphoreValue: int = 64
    serverChannelMaxIdleTimeSeconds: int = 120
    serverSocketSndBufSize: int = 0
    serverSocketRcvBufSize: int = 0
    writeBufferHighWaterMark: int = 0
    writeBufferLowWaterMark: int = 0
    serverSocketBacklog: int = 1024
    serverPooledByteBufAllocatorEnable: bool = True
    useEpollNativeSelector: bool = False


class RuntimeConfiguration:
    """All config of a running daemon (Configuration.java): typed objects, the extra keys of its file, a data
    version, and where an update is persisted (the -c file when one was given). Used by GET/UPDATE_*_CONFIG."""

    def __init__(self, targets: list[Any], extra: dict[str, str] | None, store_path: typing.Callable[[], str | None],
                 protected: frozenset[str] = frozenset(), log_name: str = "config",
                 protected_remark: str = "Can not update config path") -> None:
        self.targets = targets
        self.protected_remark = protected_remark
        self.extra = dict(extra or {})
        self.store_path = store_path
        self.protected = protected
        self.version = (0, 0)          # DataVersion (timestamp, counter)
        self._log = logging.getLogger(log_name)
        # called after each accepted update with {key: (old, new)} of the keys that changed
        self.listeners: list[typing.Callable[[dict[str, tuple[str | None, str]]], None]] = []
        self._bump()

    def _bump(self) -> None:
        self.version = (int(time.time() * 1000), self.version[1] + 1)

    def data_version_json(self) -> str:
        return f'{{"counter":{self.version[1]},"stateVersion":0,"timestamp":{self.version[0]}}}'

    def format_all(self, secrets: bool = False) -> str:
        """Every key as properties text; keys that name a secret (a TLS key password, ...) only when `secrets`
        (the -c file keeps them; GET_*_CONFIG answers never carry them)."""
        text = format_properties(*self.targets)
        known = {name for name, _ in config_items(*self.targets)}
        for k, v in self.extra.items():
            if k not in known and (secrets or not _SECRET_KEY.search(k)):
                text += f"{k}={v}\n"
        return text

    def _values(self) -> dict[str, str]:
        values = {k: str(v) for k, v in self.extra.items()}
        for line in format_properties(*self.targets).splitlines():
            k, _, v = line.partition("=")
            values[k] = v
        return values

    def update_from_text(self, text: str, source: str = "?") -> tuple[int, str] | None:
        """Apply properties text; returns (response code, remark) on refusal, None on success. Logs one line:
        who asked and each key that changed, old -> new (a refusal is a WARNING naming the keys)."""
        from .codes import ResponseCode
        props = parse_properties(text)
        if self.protected & set(props):
            self._log.warning("config update from %s refused: protected keys %s", source,
                              ", ".join(sorted(self.protected & set(props))))
            return ResponseCode.NO_PERMISSION, self.protected_remark
        try:
            # validate on copies first so a bad value changes nothing
            apply_properties(props, *[dataclasses.replace(t) for t in self.targets])
        except ConfigError as e:
            self._log.warning("config update from %s refused: %s", source, e)
            return ResponseCode.SYSTEM_ERROR, str(e)
        before = self._values()
        unknown = apply_properties(props, *self.targets)
        for k in unknown:
            if k in self.extra:  # Configuration.update merges only keys it already holds
                self.extra[k] = props[k]
        after = self._values()
        changed = {k: (before.get(k), after[k]) for k in props if k in after and before.get(k) != after[k]}
        ignored = sorted(k for k in props if k not in after)
        shown = ", ".join(f"{k} {shown_value(k, old)} -> {shown_value(k, new)}" for k, (old, new) in changed.items())
        self._log.info("config updated by %s: %s%s", source, shown or "no change",
                       f"; unknown keys ignored: {', '.join(ignored)}" if ignored else "")
        self._bump()
        self.persist()
        for listener in self.listeners:
            listener(changed)
        return None

    def persist(self) -> None:
        path = self.store_path()
        if not path:
            return
        try:
            write_file_atomically(path, self.format_all(secrets=True))
        except OSError as e:
            self._log.warning("persist config to %s failed: %s", path, e)

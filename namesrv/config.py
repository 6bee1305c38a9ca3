"""NamesrvConfig: Java property names and defaults (common/.../namesrv/NamesrvConfig.java, 4.9.7 plus the
5.x keys that change behaviour here)."""
from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field

from remoting.codes import ResponseCode
from remoting.config import (ConfigError, ServerConfig, apply_properties, config_items, format_properties,
                             parse_properties, write_file_atomically)

log = logging.getLogger("namesrv")


def _home(*parts: str) -> str:
    return os.path.join(os.path.expanduser("~"), *parts)


@dataclass
class NamesrvConfig:
    rocketmqHome: str = field(default_factory=lambda: os.environ.get("ROCKETMQ_HOME", ""))
    kvConfigPath: str = field(default_factory=lambda: _home("namesrv", "kvConfig.json"))
    configStorePath: str = field(default_factory=lambda: _home("namesrv", "namesrv.properties"))
    productEnvName: str = "center"
    clusterTest: bool = False
    orderMessageEnable: bool = False
    # 5.x: how often expired brokers are scanned for (4.9.7 hard-codes 10 s).
    scanNotActiveBrokerInterval: int = 5000
    # 5.x: whether REGISTER_BROKER responses carry the ORDER_TOPIC_CONFIG KV table (4.9.7 always does).
    returnOrderTopicConfigToBroker: bool = True
    enableAllTopicList: bool = True


def default_server_config() -> ServerConfig:
    cfg = ServerConfig()
    cfg.listenPort = 9876
    return cfg


class NamesrvConfiguration:
    """All config of a running NameServer (Configuration.java): the typed objects, the extra keys of the -c
    file, and where UPDATE_NAMESRV_CONFIG persists them (configStorePath, the -c file when one was given)."""

    def __init__(self, namesrv: NamesrvConfig, server: ServerConfig, extra: dict[str, str] | None = None) -> None:
        self.namesrv = namesrv
        self.server = server
        self.extra = dict(extra or {})

    def format_all(self) -> str:
        text = format_properties(self.namesrv, self.server)
        known = {name for name, _ in config_items(self.namesrv, self.server)}
        for k, v in self.extra.items():
            if k not in known:
                text += f"{k}={v}\n"
        return text

    def update_from_text(self, text: str) -> tuple[int, str] | None:
        """Apply properties text; returns (response code, remark) on refusal, None on success."""
        props = parse_properties(text)
        if "kvConfigPath" in props or "configStorePath" in props:
            return ResponseCode.NO_PERMISSION, "Can not update config path"
        try:
            # validate on copies first so a bad value changes nothing
            trial_ns, trial_srv = dataclasses.replace(self.namesrv), dataclasses.replace(self.server)
            unknown = apply_properties(props, trial_ns, trial_srv)
        except ConfigError as e:
            return ResponseCode.SYSTEM_ERROR, str(e)
        apply_properties(props, self.namesrv, self.server)
        for k in unknown:
            if k in self.extra:  # Configuration.update merges only keys it already holds
                self.extra[k] = props[k]
        self.persist()
        return None

    def persist(self) -> None:
        path = self.namesrv.configStorePath
        if not path:
            return
        try:
            write_file_atomically(path, self.format_all())
        except OSError as e:
            log.warning("persist config to %s failed: %s", path, e)

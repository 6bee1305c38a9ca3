"""NamesrvConfig: Java property names and defaults (common/.../namesrv/NamesrvConfig.java, 4.9.7 plus the
5.x keys that change behaviour here)."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from daemon.config import DaemonConfig
from remoting.config import RuntimeConfiguration, ServerConfig
from remoting.tls import TlsConfig

log = logging.getLogger("namesrv")


def _home(*parts: str) -> str:
    return os.path.join(os.path.expanduser("~"), *parts)


@dataclass
class NamesrvConfig(DaemonConfig):
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
    # the metrics and log keys are daemon/config's; 5556 so a broker's 5557 can share a host
    metricsPromExporterPort: int = 5556


def default_server_config() -> ServerConfig:
    cfg = ServerConfig()
    cfg.listenPort = 9876
    return cfg


class NamesrvConfiguration(RuntimeConfiguration):
    """GET/UPDATE_NAMESRV_CONFIG: persisted to configStorePath (the -c file when one was given); the two
    path keys cannot be changed remotely."""

    def __init__(self, namesrv: NamesrvConfig, server: ServerConfig, extra: dict[str, str] | None = None) -> None:
        self.namesrv = namesrv
        self.server = server
        self.tls = TlsConfig()   # the tls.* keys (remoting/tls), set by namesrv/main
        super().__init__([namesrv, server], extra, lambda: namesrv.configStorePath,
                         frozenset({"kvConfigPath", "configStorePath"}), "namesrv")

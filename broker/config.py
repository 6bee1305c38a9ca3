"""BrokerConfig: Java property names and defaults (common/.../BrokerConfig.java, 4.9.7), and loading a
broker.conf into it plus the server (NettyServerConfig) and store (MessageStoreConfig) configs."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from daemon.config import DaemonConfig
from remoting.config import ServerConfig, apply_properties, read_properties_file
from remoting.tls import ENFORCING, TlsConfig, is_tls_key, load_tls_config
from store.config import MessageStoreConfig

from .java_only_keys import JAVA_ONLY_DEFAULTS



def _local_ip() -> str:
    """Java's default brokerIP1: the first non-loopback IPv4 address (127.0.0.1 when there is none)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))   # no packet is sent: this only selects the outgoing interface
            ip = s.getsockname()[0]
            if not ip.startswith("127."):
                return ip
    except OSError:
        pass
    return "127.0.0.1"


@dataclass
class BrokerConfig(DaemonConfig):   # the metrics and log keys: daemon/config
    rocketmqHome: str = field(default_factory=lambda: os.environ.get("ROCKETMQ_HOME", ""))
    namesrvAddr: str = field(default_factory=lambda: os.environ.get("NAMESRV_ADDR", ""))
    brokerIP1: str = field(default_factory=_local_ip)
    brokerIP2: str = field(default_factory=_local_ip)   # the HA address published to the NameServer
    brokerName: str = field(default_factory=socket.gethostname)
    brokerClusterName: str = "DefaultCluster"
    brokerId: int = 0
    brokerPermission: int = 6
    defaultTopicQueueNums: int = 8
    autoCreateTopicEnable: bool = True
    clusterTopicEnable: bool = True
    brokerTopicEnable: bool = True
    autoCreateSubscriptionGroup: bool = True
    msgTraceTopicName: str = "RMQ_SYS_TRACE_TOPIC"
    traceTopicEnable: bool = False
    flushConsumerOffsetInterval: int = 5000
    rejectTransactionMessage: bool = False
    transactionTimeOut: int = 6000          # ms before a half message may be checked (unless it says otherwise)
    transactionCheckMax: int = 15           # checks before a half message is moved to TRANS_CHECK_MAX_TIME_TOPIC
    transactionCheckInterval: int = 60000   # ms between check runs
    longPollingEnable: bool = True
    shortPollingTimeMills: int = 1000
    notifyConsumerIdsChangedEnable: bool = True
    transferMsgByHeap: bool = True
    autoDeleteUnusedStats: bool = False   # deleting a topic / group also drops its stats items
    regionId: str = "DefaultRegion"
    registerBrokerTimeoutMills: int = 6000
    slaveReadEnable: bool = False
    startAcceptSendRequestTimeStamp: int = 0
    traceOn: bool = True      # only echoed to clients (TRACE_ON in send answers), as in Java
    enablePropertyFilter: bool = False
    compressedRegister: bool = False
    forceRegister: bool = True
    registerNameServerPeriod: int = 30000
    aclEnable: bool = False
    storeReplyMessageEnable: bool = True
    # overload protection (broker/fast_failure): SYSTEM_BUSY instead of storing when sends wait too long
    brokerFastFailureEnable: bool = True
    waitTimeMillsInSendQueue: int = 200
    sendThreadPoolQueueCapacity: int = 10000
    # not in Java: the broker writes Pub trace records to msgTraceTopicName for producers that do not trace
    # (broker/trace/pub_writer); the trace topic is then created as with traceTopicEnable
    brokerTraceEnable: bool = False
    # not in 4.9.7's BrokerConfig: how long a client channel may stay silent (Java hard-codes 120 s)
    channelExpiredTimeout: int = 120000

    def namesrv_list(self) -> list[str]:
        return [a.strip() for a in self.namesrvAddr.split(";") if a.strip()]


@dataclass
class BrokerSettings:
    broker: BrokerConfig
    server: ServerConfig
    store: MessageStoreConfig
    config_file: str | None = None
    extra: dict[str, str] = field(default_factory=dict)   # keys of the file no config object knows
    tls: TlsConfig = field(default_factory=TlsConfig)     # the tls.* keys (remoting/tls)

    @property
    def use_tls(self) -> bool:
        """NettyClientConfig.useTLS: the broker's own connections (NameServers, its master) over TLS."""
        return self.extra.get("useTLS", "false").strip().lower() == "true"

    @property
    def broker_addr(self) -> str:
        return f"{self.broker.brokerIP1}:{self.server.listenPort}"

    @property
    def ha_addr(self) -> str:
        """haServerAddr: brokerIP2 (Java defaults it to the local address, not to brokerIP1) and the HA port."""
        return f"{self.broker.brokerIP2 or self.broker.brokerIP1}:{self.server.listenPort + 1}"


# Java system properties (-D) the broker also takes from its properties file
ACL_FILE_PROPERTY = "rocketmq.acl.plain.file"
SYSTEM_PROPERTIES = frozenset({ACL_FILE_PROPERTY})


def load_settings(config_file: str | None, namesrv: str | None = None,
                  overrides: dict[str, str] | None = None) -> tuple[BrokerSettings, list[str]]:
    broker, server, store = BrokerConfig(), ServerConfig(), MessageStoreConfig()
    server.listenPort = 10911
    props: dict[str, str] = {}
    if config_file:
        props.update(read_properties_file(config_file))
    props.update(overrides or {})
    unknown = apply_properties(props, broker, server, store)
    if namesrv:
        broker.namesrvAddr = namesrv
    if store.brokerRole not in ("ASYNC_MASTER", "SYNC_MASTER", "SLAVE"):
        raise ValueError(f"brokerRole must be ASYNC_MASTER, SYNC_MASTER or SLAVE, not {store.brokerRole!r}")
    store.haListenPort = server.listenPort + 1   # 4.9.7's BrokerStartup overrides any configured value
    if store.brokerRole in ("ASYNC_MASTER", "SYNC_MASTER"):
        broker.brokerId = 0   # BrokerStartup forces masters to id 0
    elif broker.brokerId <= 0:
        raise ValueError("Slave's brokerId must be > 0")
    # relative store paths are resolved against the working directory, once
    store.storePathRootDir = os.path.abspath(store.storePathRootDir)
    if store.storePathCommitLog:
        store.storePathCommitLog = os.path.abspath(store.storePathCommitLog)
    extra = {**JAVA_ONLY_DEFAULTS, **{k: props[k] for k in unknown}}
    tls = load_tls_config(props)
    if "useTLS" not in props:
        # BrokerStartup: useTLS = -Dtls.enable when given, else tls.server.mode == enforcing (a useTLS key wins)
        on = tls.enable if tls.enable_given else tls.server_mode == ENFORCING
        extra["useTLS"] = "true" if on else "false"
    return (BrokerSettings(broker, server, store, config_file, extra, tls),
            [k for k in unknown if k not in JAVA_ONLY_DEFAULTS and k not in SYSTEM_PROPERTIES and not is_tls_key(k)])

"""The keys both daemons' configs share (BrokerConfig and NamesrvConfig inherit them): the 5.x metrics
exporter's (docs/metrics.md) and the daemon log's (ours: Java sets its log in logback XML)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .logs import check_backups, parse_level, parse_size


@dataclass
class DaemonConfig:
    # PROM serves /metrics on metricsPromExporterHost (blank: the broker's brokerIP1, the NameServer's 0.0.0.0)
    metricsExporterType: str = "DISABLE"
    metricsPromExporterHost: str = ""
    metricsPromExporterPort: int = 5557
    metricsLabel: str = ""
    metricsOtelCardinalityLimit: int = 50000
    # the daemon's log (daemon/logs); ROCKETMQ_LOG_DIR overrides logDir, and an empty logDir is ./logs
    logLevel: str = field(default="INFO", metadata={"check": parse_level})
    logMaxFileSize: str = field(default="64MB", metadata={"check": parse_size})   # bytes, or 512KB / 64MB / 1GB
    logMaxBackups: int = field(default=5, metadata={"check": check_backups})
    logDir: str = ""

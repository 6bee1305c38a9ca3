"""The shipped broker-group sets (conf/2m-2s-async, 2m-2s-sync, 2m-noslave) load with our config loader and
can run side by side on one host: no two brokers share a port (main, VIP = -2, HA = +1) or a store
directory; every slave has a master of its name in the set; roles match the set's promise."""
from __future__ import annotations

from pathlib import Path

import pytest

from broker.config import load_settings
from tools.devrun import broker_files

CONF = Path(__file__).resolve().parents[2] / "conf"
ROLES = {"2m-2s-async": "ASYNC_MASTER", "2m-2s-sync": "SYNC_MASTER", "2m-noslave": "ASYNC_MASTER"}


@pytest.mark.parametrize("name", sorted(ROLES))
def test_conf_set_runs_side_by_side(name):
    files = broker_files(str(CONF / name))
    settings = []
    for f in files:
        s, unknown = load_settings(f)
        assert unknown == [], (f, unknown)
        settings.append(s)
    ports = [p for s in settings for p in (s.server.listenPort - 2, s.server.listenPort, s.store.haListenPort)]
    assert len(ports) == len(set(ports)), ports
    assert 9876 not in ports
    metrics = [s.broker.metricsPromExporterPort for s in settings]      # each broker's /metrics, on
    assert all(s.broker.metricsExporterType == "PROM" for s in settings)
    assert len(set(metrics)) == len(metrics) and not set(metrics) & (set(ports) | {5556, 9876}), metrics
    roots = [s.store.storePathRootDir for s in settings]
    assert len(set(roots)) == len(roots)
    masters = {s.broker.brokerName for s in settings if s.store.brokerRole != "SLAVE"}
    slaves = [s for s in settings if s.store.brokerRole == "SLAVE"]
    assert all(s.store.brokerRole == ROLES[name] for s in settings if s.store.brokerRole != "SLAVE")
    assert all(s.broker.brokerName in masters and s.broker.brokerId > 0 for s in slaves)
    assert len(slaves) == (0 if name == "2m-noslave" else 2)
    # masters come first in the start order, so a slave's first registration already names its master
    roles = [s.store.brokerRole for s in settings]
    assert roles == sorted(roles, key=lambda r: r == "SLAVE")


def test_java_only_broker_keys_are_reported_with_java_defaults_and_kept_when_set(tmp_path):
    """Keys of Java's broker config this broker has no use for: reported (getBrokerConfig, exportConfigs read them),
    a configured value kept, no 'unknown property' warning for them."""
    from broker.config import load_settings
    from broker.java_only_keys import JAVA_ONLY_DEFAULTS
    conf = tmp_path / "b.properties"
    conf.write_text("sendMessageThreadPoolNums=8\nnotAJavaKey=1\n")
    settings, unknown = load_settings(str(conf), overrides={"storePathRootDir": str(tmp_path)})
    assert unknown == ["notAJavaKey"]
    assert settings.extra["sendMessageThreadPoolNums"] == "8" and settings.extra["notAJavaKey"] == "1"
    assert settings.extra["useTLS"] == "false" and settings.extra["filterServerNums"] == "0"
    assert set(JAVA_ONLY_DEFAULTS) <= set(settings.extra)

"""daemon/logs: the log keys (logLevel, logMaxFileSize, logMaxBackups, logDir) parsed, refused when bad by both
daemons' loaders, applied (level, rotation, directory); the one-line config-change record."""
from __future__ import annotations

import logging

import pytest

from broker.config import BrokerConfig, load_settings
from daemon import logs
from namesrv.config import NamesrvConfig, NamesrvConfiguration, default_server_config
from remoting.config import ConfigError, apply_properties, format_properties


@pytest.fixture
def root_logging():
    """setup_logging rewires the root logger: put pytest's handlers and level back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
        if h not in handlers:
            h.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


@pytest.mark.parametrize("text,size", [("1024", 1024), ("64MB", 64 << 20), ("512kb", 512 << 10), ("2M", 2 << 20),
                                       ("1GB", 1 << 30), (" 10 KB ", 10 << 10)])
def test_sizes(text, size):
    assert logs.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1", "1.5MB", "64TB", "100", "MB"])
def test_bad_sizes(text):
    with pytest.raises(ValueError):
        logs.parse_size(text)


def test_levels():
    assert logs.parse_level("warn") == logging.WARNING
    assert logs.parse_level(" Debug ") == logging.DEBUG
    with pytest.raises(ValueError, match="not a log level"):
        logs.parse_level("LOUD")


@pytest.mark.parametrize("key,value", [("logLevel", "LOUD"), ("logMaxFileSize", "lots"), ("logMaxBackups", "0"),
                                       ("logMaxBackups", "x")])
def test_both_loaders_refuse_bad_log_values(tmp_path, key, value):
    conf = tmp_path / "broker.conf"
    conf.write_text(f"brokerName=b\n{key}={value}\n")
    with pytest.raises(ConfigError, match=f"bad value for {key}"):
        load_settings(str(conf))
    with pytest.raises(ConfigError, match=f"bad value for {key}"):
        apply_properties({key: value}, NamesrvConfig())


def test_defaults_and_listing():
    b = BrokerConfig()
    assert (b.logLevel, b.logMaxFileSize, b.logMaxBackups, b.logDir) == ("INFO", "64MB", 5, "")
    listed = format_properties(b)   # what GET_BROKER_CONFIG and -p print
    for line in ("logLevel=INFO", "logMaxFileSize=64MB", "logMaxBackups=5", "logDir="):
        assert line + "\n" in listed
    assert "logLevel=INFO\n" in format_properties(NamesrvConfig())


def test_level_suppresses_info(tmp_path, root_logging, monkeypatch):
    monkeypatch.delenv("ROCKETMQ_LOG_DIR", raising=False)
    cfg = NamesrvConfig()
    apply_properties({"logLevel": "WARNING", "logDir": str(tmp_path / "here")}, cfg)
    path = logs.setup_from_config("namesrv", cfg)
    assert path == str(tmp_path / "here" / "namesrv.log")
    logging.getLogger("namesrv").info("an info line")
    logging.getLogger("namesrv").warning("a warning line")
    for h in logging.getLogger().handlers:
        h.flush()
    text = (tmp_path / "here" / "namesrv.log").read_text()
    assert "a warning line" in text and "an info line" not in text


def test_env_overrides_log_dir(tmp_path, root_logging, monkeypatch):
    monkeypatch.setenv("ROCKETMQ_LOG_DIR", str(tmp_path / "env"))
    assert logs.setup_logging("broker", directory=str(tmp_path / "conf")) == str(tmp_path / "env" / "broker.log")


def test_rotation_by_size_and_backups(tmp_path, root_logging, monkeypatch):
    monkeypatch.setenv("ROCKETMQ_LOG_DIR", str(tmp_path))
    logs.setup_logging("broker", "INFO", "2KB", 2)
    log = logging.getLogger("broker")
    for i in range(200):
        log.info("line %03d %s", i, "x" * 60)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["broker.log", "broker.log.1", "broker.log.2"]
    assert all(p.stat().st_size <= 2048 + 200 for p in tmp_path.iterdir())
    assert "line 199" in (tmp_path / "broker.log").read_text()


def test_config_update_logs_keys_old_to_new(caplog, root_logging):
    configuration = NamesrvConfiguration(NamesrvConfig(configStorePath=""), default_server_config())
    configuration.store_path = lambda: None
    configuration.listeners.append(logs.apply_log_level)
    caplog.set_level(logging.INFO, logger="namesrv")
    assert configuration.update_from_text("orderMessageEnable=true\nlogLevel=DEBUG\nnoSuchKey=1\n",
                                          "10.0.0.1:5555") is None
    lines = [r.getMessage() for r in caplog.records if r.name == "namesrv"]
    assert lines == ["config updated by 10.0.0.1:5555: orderMessageEnable false -> true, logLevel INFO -> DEBUG; "
                     "unknown keys ignored: noSuchKey"]
    assert logging.getLogger().level == logging.DEBUG   # a logLevel update applies at once
    caplog.clear()
    refused = configuration.update_from_text("logMaxFileSize=huge\n", "10.0.0.1:5555")
    assert refused is not None and "bad value for logMaxFileSize" in refused[1]
    assert configuration.namesrv.logMaxFileSize == "64MB"
    assert [r.levelname for r in caplog.records if r.name == "namesrv"] == ["WARNING"]


# ---------------------------------------------------------------- event lines of the managers (no daemon needed)

def _lines(caplog, logger: str) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == logger]


def test_namesrv_broker_lines(caplog):
    from namesrv.route_info import RouteInfo
    from remoting.bodies import DataVersion, TopicConfig, TopicConfigSerializeWrapper

    caplog.set_level(logging.INFO, logger="namesrv")
    r = RouteInfo()
    w = TopicConfigSerializeWrapper({"T": TopicConfig("T")}, DataVersion(1, 1))
    conn_a, conn_b = object(), object()
    for now in (0, 30_000):   # the periodic re-registration is no event
        r.register_broker("C", "10.0.0.1:10911", "a", 0, "10.0.0.1:10912", w, [], conn_a, now)
    r.register_broker("C", "10.0.0.2:10911", "b", 0, "10.0.0.2:10912", w, [], conn_b, 0, heartbeat_timeout_ms=500)
    r.register_broker("C", "10.0.0.3:10911", "c", 0, "10.0.0.3:10912", w, [], None, 0)
    r.on_channel_destroy("10.0.0.1:40000", conn_a)
    r.scan_not_active_brokers(1000)
    r.unregister_broker("C", "10.0.0.3:10911", "c", 0)
    assert _lines(caplog, "namesrv") == [
        ("INFO", "broker registered: cluster C, broker a, id 0, address 10.0.0.1:10911, HA 10.0.0.1:10912, 1 topics"),
        ("INFO", "broker registered: cluster C, broker b, id 0, address 10.0.0.2:10911, HA 10.0.0.2:10912, 1 topics"),
        ("INFO", "broker registered: cluster C, broker c, id 0, address 10.0.0.3:10911, HA 10.0.0.3:10912, 1 topics"),
        ("INFO", "broker connection closed: address 10.0.0.1:10911 (broker a, id 0) removed"),
        ("WARNING", "broker expired: address 10.0.0.2:10911 (broker b, id 0), no registration for 1000 ms "
                    "(timeout 500 ms)"),
        ("INFO", "broker unregistered: cluster C, broker c, id 0, address 10.0.0.3:10911; 1 topics left without a "
                 "broker removed: T"),
    ]


def test_client_join_and_leave_lines(caplog):
    from broker.client_manager import ClientChannel, ConsumerManager, ProducerManager, SubscriptionData

    class Conn:
        remote_addr = "10.1.1.1:5000"

    caplog.set_level(logging.INFO, logger="broker")
    clock = [0]
    consumers, producers = ConsumerManager(lambda: clock[0]), ProducerManager(lambda: clock[0])
    c1, c2, p1 = Conn(), Conn(), Conn()
    subs = [SubscriptionData("T")]
    for _ in range(2):   # a repeated heartbeat is no event
        consumers.register("G", ClientChannel(c1, "ip@1", "JAVA", 407, 0), "CONSUME_PASSIVELY", "CLUSTERING",
                           "CONSUME_FROM_LAST_OFFSET", subs, False)
        producers.register("P", ClientChannel(p1, "ip@p", "CPP", 999999, 0))
    consumers.register("G", ClientChannel(c2, "ip@2", "GO", 407, 0), "CONSUME_PASSIVELY", "CLUSTERING",
                       "CONSUME_FROM_LAST_OFFSET", subs, False)
    consumers.unregister("G", c2, False)
    clock[0] = 200_000
    consumers.expire(120_000)
    producers.connection_closed(p1)
    who = "address 10.1.1.1:5000"
    assert _lines(caplog, "broker") == [
        ("INFO", f"consumer joined group G: clientId ip@1, {who}, language JAVA, version V4_9_7, 1 members"),
        ("INFO", f"producer joined group P: clientId ip@p, {who}, language CPP, version 999999, 1 members"),
        ("INFO", f"consumer joined group G: clientId ip@2, {who}, language GO, version V4_9_7, 2 members"),
        ("INFO", f"consumer left group G (unregistered): clientId ip@2, {who}, language GO, version V4_9_7, "
                 "1 members left"),
        ("WARNING", f"consumer expired from group G, silent 200000 ms: clientId ip@1, {who}, language JAVA, "
                    "version V4_9_7, group now empty, removed"),
        ("INFO", f"producer left group P (channel closed): clientId ip@p, {who}, language CPP, version 999999, "
                 "0 members left"),
    ]

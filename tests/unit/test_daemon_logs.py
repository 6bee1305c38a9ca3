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

"""Daemon logging: stderr plus a rotating `<name>.log` in the log directory.

Level, file size, backups and directory come from the daemon's properties file (our keys, not Java's: Java
configures these in logback XML): `logLevel` (INFO), `logMaxFileSize` (64MB; bytes or a size such as 512KB,
64MB, 1GB), `logMaxBackups` (5), `logDir` (empty: ./logs). The environment variable ROCKETMQ_LOG_DIR, when set,
overrides `logDir` (the launchers and the tests give each daemon its own directory that way)."""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
MIN_FILE_SIZE = 1024
FORMAT = "%(asctime)s %(levelname)s %(name)s - %(message)s"


def parse_level(text: str) -> int:
    """A level name (case-insensitive; WARN is WARNING). ValueError names the accepted ones."""
    name = text.strip().upper()
    name = {"WARN": "WARNING", "FATAL": "CRITICAL"}.get(name, name)
    if name not in LEVELS:
        raise ValueError(f"{text!r} is not a log level (one of {', '.join(LEVELS)})")
    return getattr(logging, name)


def parse_size(text: str) -> int:
    """Bytes, or a number with K, M or G (KB, MB, GB; powers of 1024). At least 1 KiB."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a size (bytes, or a number with KB, MB or GB)")
    size = int(m.group(1)) * _UNITS[m.group(2).upper()]
    if size < MIN_FILE_SIZE:
        raise ValueError(f"{text!r} is below the smallest log file size, {MIN_FILE_SIZE} bytes")
    return size


def check_backups(value: int) -> None:
    # RotatingFileHandler never rolls with 0 backups (the file grows without bound), so at least one is kept
    if value < 1:
        raise ValueError(f"{value} backups: must be 1 or more")


def log_dir(configured: str = "") -> str:
    """ROCKETMQ_LOG_DIR, else the configured directory, else ./logs."""
    return os.environ.get("ROCKETMQ_LOG_DIR") or configured or os.path.join(os.getcwd(), "logs")


def setup_logging(name: str, level: str | int = "INFO", max_file_size: str | int = "64MB", backups: int = 5,
                  directory: str = "") -> str:
    """Route the root logger to stderr and `<dir>/<name>.log` (rotated at `max_file_size`, `backups` old files
    kept as <name>.log.1 ...); returns the file's path. Values are checked here too (ValueError)."""
    lvl = parse_level(level) if isinstance(level, str) else level
    size = parse_size(max_file_size) if isinstance(max_file_size, str) else max_file_size
    check_backups(backups)
    path_dir = log_dir(directory)
    os.makedirs(path_dir, exist_ok=True)
    path = os.path.join(path_dir, f"{name}.log")
    fmt = logging.Formatter(FORMAT)
    root = logging.getLogger()
    root.setLevel(lvl)
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(fmt)
    root.addHandler(err)
    fh = logging.handlers.RotatingFileHandler(path, maxBytes=size, backupCount=backups, encoding="utf-8")
    fh.setFormatter(fmt)
    root.addHandler(fh)
    return path


def setup_from_config(name: str, config: object) -> str:
    """setup_logging with the log keys of a BrokerConfig / NamesrvConfig (already checked by the loader)."""
    return setup_logging(name, getattr(config, "logLevel"), getattr(config, "logMaxFileSize"),
                         getattr(config, "logMaxBackups"), getattr(config, "logDir"))


def start_logging(name: str, config: object, prog: str) -> bool:
    """A daemon's log set up from its config, its path said on stderr; False (and why) when it cannot be opened."""
    try:
        path = setup_from_config(name, config)
    except OSError as e:
        print(f"{prog}: cannot open the log: {e}", file=sys.stderr)
        return False
    print(f"logging to {path}", file=sys.stderr)
    return True


def apply_log_level(changed: dict[str, tuple[str | None, str]]) -> None:
    """A RuntimeConfiguration listener: an updated logLevel applies at once (size and backups at restart)."""
    if "logLevel" in changed:
        logging.getLogger().setLevel(parse_level(changed["logLevel"][1]))

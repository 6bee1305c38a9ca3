"""Daemon logging: stderr plus a file under the log directory (ROCKETMQ_LOG_DIR, default ./logs)."""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys


def setup_logging(name: str, level: int = logging.INFO) -> str:
    log_dir = os.environ.get("ROCKETMQ_LOG_DIR") or os.path.join(os.getcwd(), "logs")
    os.makedirs(log_dir, exist_ok=True)
    path = os.path.join(log_dir, f"{name}.log")
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s - %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        root.removeHandler(h)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(fmt)
    root.addHandler(err)
    fh = logging.handlers.RotatingFileHandler(path, maxBytes=64 << 20, backupCount=5, encoding="utf-8")
    fh.setFormatter(fmt)
    root.addHandler(fh)
    return path

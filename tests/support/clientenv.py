"""Third-party RocketMQ clients, each in its own environment under .cache/, created on first use.

Several PyPI packages install into the same top-level module name `rocketmq`, so each gets its own venv.
Creation is idempotent and serialized by a file lock (pytest-xdist or parallel runs are safe).
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from .daemons import ROOT

CACHE = ROOT / ".cache"
INSTALL_TIMEOUT = 900


def _locked_install(name: str, marker: Path, build) -> None:
    if marker.exists():
        return
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not marker.exists():
                build()
                marker.write_text("ok\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def cpp1x_python() -> Path:
    """A venv with PyPI rocketmq==0.4.4 (C++ core 1.x, librocketmq.so bundled in the wheel)."""
    venv = CACHE / "v044"
    py = venv / "bin" / "python"

    def build() -> None:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=INSTALL_TIMEOUT)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "rocketmq==0.4.4"], check=True,
                       timeout=INSTALL_TIMEOUT)

    _locked_install("v044", venv / ".installed", build)
    return py


def client_env(home: Path) -> dict[str, str]:
    """Environment for a client subprocess: its C++ logs go under a temp HOME."""
    env = dict(os.environ)
    env["HOME"] = str(home)
    env.pop("PYTHONPATH", None)
    return env

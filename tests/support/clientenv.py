"""Third-party RocketMQ clients, each in its own environment under .cache/, created on first use.

Several PyPI packages install into the same top-level module name `rocketmq`, so each gets its own venv.
Creation is idempotent and serialized by a file lock (pytest-xdist or parallel runs are safe).
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
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


def _new_venv(venv: Path, *packages: str) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=INSTALL_TIMEOUT)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *packages], check=True,
                   timeout=INSTALL_TIMEOUT)


def cpp1x_python() -> Path:
    """A venv with PyPI rocketmq==0.4.4 (C++ core 1.x, librocketmq.so bundled in the wheel)."""
    venv = CACHE / "v044"
    py = venv / "bin" / "python"

    def build() -> None:
        _new_venv(venv, "rocketmq==0.4.4")

    _locked_install("v044", venv / ".installed", build)
    return py


def _site_packages(py: Path) -> Path:
    out = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True, timeout=60)
    return Path(out.stdout.strip())


def cpp21_python() -> Path:
    """A venv with PyPI rocketmq-client-python==2.0.0 driving the C++ 2.1.0 core.

    The 2.0.0 wheel ships no native library; its rocketmq/ffi.py prefers `rocketmq/librocketmq.so` next to
    itself (falling back to find_library('rocketmq')). That .so is taken from the source package
    rocketmq-python-cvs==2.1.0.3 (a third-party 2.1.0 build) and copied into the installed package.
    """
    venv = CACHE / "v200"
    py = venv / "bin" / "python"

    def build() -> None:
        _new_venv(venv, "rocketmq-client-python==2.0.0")
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            # Only this package must come as an sdist; its build deps (setuptools, wheel) may be wheels.
            subprocess.run([str(py), "-m", "pip", "download", "-q", "--no-deps",
                            "--no-binary", "rocketmq-python-cvs", "rocketmq-python-cvs==2.1.0.3", "-d", tmp],
                           check=True, timeout=INSTALL_TIMEOUT)
            (sdist,) = Path(tmp).glob("rocketmq*python*cvs*2.1.0.3.tar.gz")
            with tarfile.open(sdist) as tar:
                member = next(m for m in tar.getmembers()
                              if m.isfile() and m.name.endswith("/rocketmq/librocketmq.so"))
                src = tar.extractfile(member)
                assert src is not None
                dest = _site_packages(py) / "rocketmq" / "librocketmq.so"
                with open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
        with tempfile.TemporaryDirectory(dir=CACHE) as home:  # loading the library writes no logs, but be safe
            subprocess.run([str(py), "-c", "import rocketmq.client"], check=True, timeout=60,
                           env=cpp21_env(Path(home)))

    _locked_install("v200", venv / ".installed", build)
    return py


def cpp21_env(home: Path) -> dict[str, str]:
    """Environment for a C++ 2.1 client subprocess. That core ignores HOME for its logs: it writes to
    $ROCKETMQ_CLIENT_LOG_DIR, else /logs/rocketmq-client/ at the filesystem root. Keep them under home."""
    env = client_env(home)
    env["ROCKETMQ_CLIENT_LOG_DIR"] = str(home / "logs" / "rocketmq-client")
    return env


ALIONS_VERSION = "3.12.0"


def alions_dir() -> Path:
    """A folder with node_modules/ali-ons (npm ali-ons@3.12.0, pure JS); run node with cwd there or node_env()."""
    root = CACHE / "alions"

    def build() -> None:
        shutil.rmtree(root / "node_modules", ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
        # our own package.json pins the exact version and stops npm from walking up to a parent project
        (root / "package.json").write_text(json.dumps(
            {"name": "alions-env", "private": True, "dependencies": {"ali-ons": ALIONS_VERSION}}, indent=2) + "\n")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", str(root)],
                       check=True, timeout=INSTALL_TIMEOUT, cwd=root, stdout=subprocess.DEVNULL)
        subprocess.run(["node", "-e", "require('ali-ons')"], check=True, timeout=60, cwd=root)

    _locked_install("alions", root / ".installed", build)
    return root


def node_env(home: Path) -> dict[str, str]:
    """Environment for a node subprocess using ali-ons: require('ali-ons') resolves from any cwd."""
    env = client_env(home)
    env["NODE_PATH"] = str(alions_dir() / "node_modules")
    env.setdefault("ALIONS_REBALANCE_MS", "1000")   # ali-ons rebalances on a timer only (see alions_client.js)
    return env


def client_env(home: Path) -> dict[str, str]:
    """Environment for a client subprocess: its C++ logs go under a temp HOME; no ACL keys unless with_acl()."""
    env = dict(os.environ)
    env["HOME"] = str(home)
    env.pop("PYTHONPATH", None)
    env.pop("ACL_ACCESS_KEY", None)
    env.pop("ACL_SECRET_KEY", None)
    return env


def with_acl(env: dict[str, str], acl: tuple[str, str] | None) -> dict[str, str]:
    """The client scripts sign with ACL_ACCESS_KEY / ACL_SECRET_KEY (access key, secret key) when both are set."""
    if acl is not None:
        env["ACL_ACCESS_KEY"], env["ACL_SECRET_KEY"] = acl
    return env

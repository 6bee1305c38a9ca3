"""Start the real daemons as subprocesses on free loopback ports, wait for their boot line, stop them."""
from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from daemon.run import stop_process

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaemonProcess:
    """A daemon subprocess whose stdout is watched for its boot line (an event, not a sleep)."""

    boot_line = ""
    module = ""

    def __init__(self, workdir: Path, props: dict[str, str], extra_args: list[str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.props = dict(props)
        self.extra_args = extra_args or []
        self.conf = self.workdir / f"{self.module.split('.')[0]}.properties"
        self.proc: subprocess.Popen | None = None
        self.stdout_lines: list[str] = []

    @property
    def port(self) -> int:
        return int(self.props["listenPort"])

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "DaemonProcess":
        self.conf.write_text("".join(f"{k}={v}\n" for k, v in self.props.items()))
        env = dict(os.environ, ROCKETMQ_LOG_DIR=str(self.workdir / "logs"), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            # -P: the working directory is not put on sys.path, so a data directory named like one of our
            # packages (a broker's "store/") cannot shadow it
            [sys.executable, "-P", "-m", self.module, "-c", str(self.conf), *self.extra_args],
            cwd=self.workdir, env=env, stdout=subprocess.PIPE, stderr=open(self.workdir / "stderr.txt", "ab"),
            text=True)
        self._wait_for(self.boot_line, BOOT_TIMEOUT)
        return self

    def _wait_for(self, needle: str, timeout: float) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    continue
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"{self.module} exited with {self.proc.wait()} before booting; "
                                       f"stderr: {self.stderr()[-2000:]}")
                self.stdout_lines.append(line)
                if needle in line:
                    return
            raise TimeoutError(f"{self.module} did not print {needle!r} within {timeout}s")
        finally:
            sel.close()

    def stderr(self) -> str:
        p = self.workdir / "stderr.txt"
        return p.read_text(errors="replace") if p.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc is None:
            return 0
        if not stop_process(self.proc, sig, timeout):
            raise subprocess.TimeoutExpired(self.proc.args, timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> "DaemonProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.alive():
            self.stop()


class NamesrvProcess(DaemonProcess):
    module = "namesrv.main"
    boot_line = "The Name Server boot success"

    def __init__(self, workdir: Path, **props: object) -> None:
        base = {"listenPort": str(free_port()), "kvConfigPath": str(Path(workdir) / "kvConfig.json")}
        base.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in props.items()})
        super().__init__(workdir, base)


class BrokerProcess(DaemonProcess):
    module = "broker.main"
    boot_line = "boot success"

    def __init__(self, workdir: Path, namesrv_addr: str, **props: object) -> None:
        port = free_port_pair()
        base = {"listenPort": str(port), "namesrvAddr": namesrv_addr, "brokerIP1": "127.0.0.1",
                "brokerName": "broker-a", "storePathRootDir": str(Path(workdir) / "store"),
                "mappedFileSizeCommitLog": str(4 << 20), "mappedFileSizeConsumeQueue": str(6000)}
        base.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in props.items()})
        super().__init__(workdir, base)


def free_port_pair() -> int:
    """A port p with p-2 (VIP channel) and p+1 (HA) free too."""
    for _ in range(50):
        p = free_port()
        if p < 1100:
            continue
        try:
            socks = []
            for q in (p - 2, p, p + 1):
                s = socket.socket()
                s.bind(("127.0.0.1", q))
                socks.append(s)
            for s in socks:
                s.close()
            return p
        except OSError:
            for s in socks:
                s.close()
    raise RuntimeError("no free port triple")

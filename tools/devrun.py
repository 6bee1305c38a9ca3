"""`make run`: start a NameServer (and, once it exists, a Broker) with the default conf/ in the foreground.
Ctrl-C (or SIGTERM) stops them cleanly, broker first."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT)


def _broker_available() -> bool:
    from broker import main as broker_main
    return getattr(broker_main, "IMPLEMENTED", True)


def main() -> int:
    os.makedirs(os.path.join(ROOT, "data"), exist_ok=True)
    procs = [_start(["namesrv.main", "-c", "conf/namesrv.properties"])]
    if _broker_available():
        procs.append(_start(["broker.main", "-c", "conf/broker.conf"]))
    else:
        print("devrun: broker not built yet, running the NameServer only (127.0.0.1:9876)", flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(p.poll() is None for p in procs):
        time.sleep(0.2)
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    return max((p.returncode or 0) for p in procs) if not stopping else 0


if __name__ == "__main__":
    sys.exit(main())

"""`make run`: start a NameServer, a Broker and the web console with the default conf/ in the foreground; `make run
CONF=conf/2m-2s-sync` (any directory of broker properties files) starts a NameServer and every broker of the
set, masters before slaves. Ctrl-C (or SIGTERM) stops them cleanly, brokers first (slaves before masters)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from daemon.run import stop_process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT)


def _broker_available() -> bool:
    from broker import main as broker_main
    return getattr(broker_main, "IMPLEMENTED", True)


def _wait_listening(port: int, timeout: float) -> None:
    """A broker listens once it has loaded its store and registered with the NameServer."""
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)


def broker_files(conf_dir: str) -> list[str]:
    """The broker properties files of a set, masters first (a slave hears its master from the NameServer)."""
    from remoting.config import read_properties_file
    files = sorted(os.path.join(conf_dir, n) for n in os.listdir(conf_dir) if n.endswith((".properties", ".conf")))
    return sorted(files, key=lambda f: read_properties_file(f).get("brokerRole", "ASYNC_MASTER") == "SLAVE")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.makedirs(os.path.join(ROOT, "data"), exist_ok=True)
    procs = [_start(["namesrv.main", "-c", "conf/namesrv.properties"])]
    masters: list[int] = []
    confs = broker_files(os.path.join(ROOT, args[0])) if args else ["conf/broker.conf"]
    if _broker_available():
        from remoting.config import read_properties_file
        for conf in confs:
            props = read_properties_file(os.path.join(ROOT, conf))
            if props.get("brokerRole") == "SLAVE":
                # a slave learns its master from its first registration: let the masters register first
                for master in masters:
                    _wait_listening(master, 20)
            procs.append(_start(["broker.main", "-c", conf]))
            if props.get("brokerRole") != "SLAVE":
                masters.append(int(props.get("listenPort", "10911")))
    else:
        print("devrun: broker not built yet, running the NameServer only (127.0.0.1:9876)", flush=True)
    # the web console last: it prints its address once listening (conf/console.properties, docs/console.md)
    procs.append(_start(["console.main", "-c", "conf/console.properties"]))
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(p.poll() is None for p in procs):
        time.sleep(0.2)
    for p in reversed(procs):
        stop_process(p)
    return max((p.returncode or 0) for p in procs) if not stopping else 0


if __name__ == "__main__":
    sys.exit(main())

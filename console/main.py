"""`rocketmq-console`: the web console daemon (-n NameServers, -c console.properties, listen address and port).
`--hash-password` prints an adminPasswordHash value for a password read from stdin."""
from __future__ import annotations

import argparse
import getpass
import logging
import sys

from daemon.logs import setup_logging
from daemon.run import run_until_signal, version
from remoting import runtime
from remoting.config import ConfigError

from . import config as console_config
from .service import ConsoleService

log = logging.getLogger("console")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="rocketmq-console", description="RocketMQ-compatible web console")
    p.add_argument("-n", "--namesrvAddr", dest="namesrvAddr", help="NameServer list, host:port;host:port")
    p.add_argument("-c", "--configFile", dest="config_file", help="console.properties")
    p.add_argument("-a", "--listenAddress", dest="listenAddress", help="address to listen on (127.0.0.1)")
    p.add_argument("-p", "--listenPort", dest="listenPort", help="port to listen on (8080; 0 picks a free one)")
    p.add_argument("--hash-password", dest="hash_password", action="store_true",
                   help="print an adminPasswordHash for a password read from stdin, then exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.hash_password:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if not password:
            print("rocketmq-console: empty password", file=sys.stderr)
            return 1
        print(console_config.hash_password(password))
        return 0
    try:
        config = console_config.load(args.config_file, {"namesrvAddr": args.namesrvAddr,
                                                         "listenAddress": args.listenAddress,
                                                         "listenPort": args.listenPort})
    except (OSError, ConfigError) as e:
        print(f"rocketmq-console: {e}", file=sys.stderr)
        return 1
    if not config.namesrvAddr:
        print("rocketmq-console: no NameServer: -n host:port, namesrvAddr in the file, or NAMESRV_ADDR",
              file=sys.stderr)
        return 1
    setup_logging("console")
    service = ConsoleService(config)

    def facts() -> str:
        return f"version {version()}, audit log {service.console.audit.path}"
    try:
        runtime.run(run_until_signal(service.start, service.stop, log, "console stopped", facts))
    except OSError as e:
        log.error("console failed to start: %s", e)
        print(f"rocketmq-console: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

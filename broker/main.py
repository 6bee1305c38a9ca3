"""`broker` / `mqbroker`: the Broker daemon (BrokerStartup.java): -c FILE, -n NAMESRV, -p, clean shutdown."""
from __future__ import annotations

import argparse
import logging
import sys

from daemon.logs import apply_log_level, start_logging
from daemon.run import run_until_signal, version
from remoting import hotpath, runtime
from remoting.config import ConfigError, format_properties
from remoting.tls import TlsError

from .config import BrokerSettings, load_settings
from .controller import Broker

IMPLEMENTED = True
log = logging.getLogger("broker")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mqbroker", description="RocketMQ-compatible Broker")
    p.add_argument("-c", "--configFile", dest="config_file", help="Broker config properties file")
    p.add_argument("-n", "--namesrvAddr", dest="namesrv", help="Name server address list, eg: 192.168.0.1:9876;192.168.0.2:9876")
    p.add_argument("-p", "--printConfigItem", dest="print_config", action="store_true", help="Print all config items")
    p.add_argument("-m", "--printImportantConfig", dest="print_important", action="store_true",
                   help="Print important config items")
    return p.parse_args(argv)


async def serve(settings: BrokerSettings) -> None:
    broker = Broker(settings)

    async def start() -> str:
        await broker.start()
        runtime.tune_gc()
        b = settings.broker
        return (f"The broker[{b.brokerName}, {settings.broker_addr}] boot success. serializeType=JSON"
                + (f" and name server is {b.namesrvAddr}" if b.namesrvAddr else ""))

    def facts() -> str:
        b, s = settings.broker, settings.store
        return (f"version {version()}, cluster {b.brokerClusterName}, brokerId {b.brokerId}, role {s.brokerRole}, "
                f"flushDiskType {s.flushDiskType}, listen port {broker.server.port} (VIP {broker.vip_server.port}, "
                f"HA {s.haListenPort}), store {s.storePathRootDir}")
    broker.configuration.listeners.append(apply_log_level)
    await run_until_signal(start, broker.stop, log, "broker stopped", facts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings, unknown = load_settings(args.config_file, args.namesrv)
    except (OSError, ConfigError, ValueError) as e:
        print(f"mqbroker: {e}", file=sys.stderr)
        return 1
    for key in unknown:
        print(f"warning: unknown property {key} in {args.config_file} (ignored)", file=sys.stderr)
    if args.print_config or args.print_important:
        sys.stdout.write(format_properties(settings.broker, settings.server, settings.store))
        return 0
    if not start_logging("broker", settings.broker, "mqbroker"):
        return 1
    log.info("config:\n%s", format_properties(settings.broker, settings.server, settings.store).rstrip())
    hotpath.log_mode(log)
    try:
        runtime.run(serve(settings))
    except (OSError, RuntimeError, TlsError) as e:
        log.error("broker failed: %s", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

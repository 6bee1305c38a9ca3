"""`namesrv` / `mqnamesrv`: the NameServer daemon (NamesrvStartup.java): -c FILE, -p, clean shutdown."""
from __future__ import annotations

import argparse
import logging
import sys

from daemon.logs import apply_log_level, start_logging
from daemon.run import run_until_signal, version
from remoting import hotpath, runtime
from remoting.codes import SerializeType
from remoting.config import ConfigError, apply_properties, format_properties, read_properties_file
from remoting.tls import is_tls_key, load_tls_config

from .config import NamesrvConfig, NamesrvConfiguration, default_server_config
from .controller import NameServer

log = logging.getLogger("namesrv")


def build_configuration(args: argparse.Namespace) -> NamesrvConfiguration:
    namesrv = NamesrvConfig()
    server = default_server_config()
    extra: dict[str, str] = {}
    if args.config_file:
        props = read_properties_file(args.config_file)
        unknown = apply_properties(props, namesrv, server)
        namesrv.configStorePath = args.config_file
        extra = props
        for key in unknown:
            if not is_tls_key(key):
                print(f"warning: unknown property {key} in {args.config_file} (ignored)", file=sys.stderr)
        print(f"load config properties file OK, {args.config_file}")
    configuration = NamesrvConfiguration(namesrv, server, extra)
    configuration.tls = load_tls_config(extra)   # the file's tls.* keys, JAVA_OPT's -Dtls.*, tls.config.file
    return configuration


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mqnamesrv", description="RocketMQ-compatible NameServer")
    p.add_argument("-c", "--configFile", dest="config_file", help="Name server config properties file")
    p.add_argument("-p", "--printConfigItem", dest="print_config", action="store_true",
                   help="Print all config items")
    p.add_argument("-n", "--namesrvAddr", dest="namesrv_addr", help="accepted for compatibility, unused")
    return p.parse_args(argv)


async def serve(configuration: NamesrvConfiguration) -> None:
    ns = NameServer(configuration)

    async def start() -> str:
        await ns.start()
        runtime.tune_gc()
        return f"The Name Server boot success. serializeType={SerializeType.JSON.name}"

    def facts() -> str:
        n = configuration.namesrv
        return (f"version {version()}, listen port {ns.server.port}, kvConfigPath {n.kvConfigPath}, "
                f"configStorePath {n.configStorePath}")
    configuration.listeners.append(apply_log_level)
    await run_until_signal(start, ns.stop, log, "name server stopped", facts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        configuration = build_configuration(args)
    except (OSError, ConfigError) as e:
        print(f"mqnamesrv: {e}", file=sys.stderr)
        return 1
    if args.print_config:
        sys.stdout.write(format_properties(configuration.namesrv, configuration.server))
        return 0
    if not start_logging("namesrv", configuration.namesrv, "mqnamesrv"):
        return 1
    log.info("config:\n%s", format_properties(configuration.namesrv, configuration.server).rstrip())
    hotpath.log_mode(log)
    try:
        runtime.run(serve(configuration))
    except OSError as e:
        log.error("name server failed to start: %s", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

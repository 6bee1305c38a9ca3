"""mqadmin's entry (MQAdminStartup.main0): no arguments lists the commands, `help SUB` prints a command's usage,
`SUB [options]` runs it. Exit status: 0 on success, 1 on bad options (as Apache) and on a failed command (Apache
prints a stack trace and exits 0; scripts need to see the failure)."""
from __future__ import annotations

import sys

from remoting import runtime

from . import cli, credentials
from .client import AdminClient
from .registry import commands


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    table = commands()
    if not argv:
        print(cli.format_list(table), end="")
        return 0
    if len(argv) == 2 and argv[0] == "help":
        cmd = table.get(argv[1])
        if cmd is None:
            print(f"The sub command {argv[1]} not exist.")
            return 0
        print(cli.format_help(cmd), end="")
        return 0
    cmd = table.get(argv[0])
    if cmd is None:
        print(f"The sub command {argv[0]} not exist.")
        return 0
    try:
        values = cli.parse(cmd, argv[1:])
    except cli.UsageError:
        print(cli.format_help(cmd), end="")
        return 1
    if "h" in values:
        print(cli.format_help(cmd), end="")
        return 0

    async def run() -> None:
        admin = AdminClient(values.get("n"), credentials=credentials.from_environment())
        try:
            await cmd.run(cli.Ctx(values, admin, cmd))
        finally:
            await admin.close()

    try:
        runtime.run(run())
    except KeyboardInterrupt:      # clusterList -i and the like run until interrupted
        return 130
    except cli.CommandError as e:
        sys.stdout.flush()
        print(f"{cmd.java_class} command failed: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - anything else is still a failed command, never a traceback
        sys.stdout.flush()
        print(f"{cmd.java_class} command failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0

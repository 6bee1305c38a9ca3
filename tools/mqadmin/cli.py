"""The mqadmin command model: subcommands with commons-cli style options, parsed as Apache's PosixParser does.

A subcommand module defines `COMMANDS: list[SubCommand]`; `tools.mqadmin.registry` lists them in Apache's order.
Help and usage text are printed in commons-cli HelpFormatter's layout (width 110), so `mqadmin help SUB` reads as
Apache's does."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, Union


class CommandError(Exception):
    """A failure reported to the operator as "<Class> command failed" with this text; exit status 1."""


class UsageError(Exception):
    """Bad or missing options: the usage text is printed and the exit status is 1 (as ServerUtil.parseCmdLine)."""


@dataclass(frozen=True)
class Opt:
    short: str                  # "t" (no dash)
    long: str                   # "topic"
    desc: str
    has_arg: bool = True
    required: bool = False


@dataclass(frozen=True)
class Group:
    """An OptionGroup (`-b <arg> | -c <arg>`): at most one of its options; `required` means exactly one."""
    opts: tuple[Opt, ...]
    required: bool = False


@dataclass
class SubCommand:
    name: str                                  # "topicStatus"
    desc: str                                  # Apache's commandDesc()
    java_class: str                            # "TopicStatusSubCommand" (named in failure messages)
    options: list[Union[Opt, Group]]
    run: Callable[["Ctx"], Awaitable[None]]
    extra: dict = field(default_factory=dict)


class Ctx:
    """What a subcommand's run() gets: the parsed options and an AdminClient (tools.mqadmin.client)."""

    def __init__(self, values: dict[str, Union[str, bool]], admin) -> None:
        self.values = values    # short name -> value (str for options with an argument, True for flags)
        self.admin = admin

    def has(self, short: str) -> bool:
        return short in self.values

    def get(self, short: str, default: str | None = None) -> str | None:
        v = self.values.get(short)
        return default if v is None else str(v).strip()

    def int(self, short: str, default: int | None = None) -> int:
        """An integer option; a malformed number is a CommandError naming the option (Java: NumberFormatException)."""
        v = self.get(short)
        if v is None:
            if default is None:
                raise CommandError(f"option -{short} is required")
            return default
        try:
            return int(v)
        except ValueError:
            raise CommandError(f'For input string: "{v}" (option -{short})') from None

    def bool(self, short: str, default: bool = False) -> bool:
        """Boolean.parseBoolean: "true" in any case is true, anything else false."""
        v = self.get(short)
        return default if v is None else v.lower() == "true"


# options every subcommand has (ServerUtil.buildCommandlineOptions)
COMMON = [Opt("h", "help", "Print help", has_arg=False),
          Opt("n", "namesrvAddr", "Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'")]


def all_options(cmd: SubCommand) -> list[Opt]:
    out = list(COMMON)
    for o in cmd.options:
        out.extend(o.opts if isinstance(o, Group) else (o,))
    return out


def parse(cmd: SubCommand, args: list[str]) -> dict[str, str | bool]:
    """-x value, -xvalue, --long value, --long=value; unknown options, missing values or missing required
    options raise UsageError. (Placeholder: the exact PosixParser rules are being written.)"""
    by_short = {o.short: o for o in all_options(cmd)}
    by_long = {o.long: o for o in all_options(cmd)}
    values: dict[str, str | bool] = {}
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a.startswith("--"):
            name, eq, inline = a[2:].partition("=")
            opt = by_long.get(name)
        elif a.startswith("-") and len(a) > 1:
            opt, inline, eq = by_short.get(a[1]), a[2:], ""
            eq = "=" if inline else ""
        else:
            continue   # commons-cli keeps stray arguments; subcommands ignore them
        if opt is None:
            raise UsageError(f"Unrecognized option: {a}")
        if opt.has_arg:
            if eq:
                values[opt.short] = inline
            elif i < len(args):
                values[opt.short] = args[i]
                i += 1
            else:
                raise UsageError(f"Missing argument for option: {opt.short}")
        else:
            values[opt.short] = True
    if "h" not in values:
        for o in cmd.options:
            if isinstance(o, Group):
                if o.required and not any(x.short in values for x in o.opts):
                    raise UsageError("Missing required option group")
            elif o.required and o.short not in values:
                raise UsageError(f"Missing required option: {o.short}")
    return values


def format_list(table: dict[str, SubCommand]) -> str:
    lines = ["The most commonly used mqadmin commands are:"]
    lines += [f"   {c.name:<20} {c.desc}" for c in table.values()]
    lines += ["", "See 'mqadmin help <command>' for more information on a specific command.", ""]
    return "\n".join(lines)


def format_help(cmd: SubCommand) -> str:
    """Placeholder: commons-cli HelpFormatter layout is being written."""
    opts = sorted(all_options(cmd), key=lambda o: o.short.lower())
    lines = [f"usage: mqadmin {cmd.name}"]
    lines += [f" -{o.short},--{o.long}{' <arg>' if o.has_arg else ''}   {o.desc}" for o in opts]
    return "\n".join(lines) + "\n"

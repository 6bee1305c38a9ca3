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

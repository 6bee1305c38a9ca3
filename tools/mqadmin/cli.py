"""The mqadmin command model: subcommands with commons-cli style options, parsed as Apache's PosixParser does.

A subcommand module defines `COMMANDS: list[SubCommand]`; `tools.mqadmin.registry` lists them in Apache's order.
Help and usage text are printed in commons-cli HelpFormatter's layout (width 110), so `mqadmin help SUB` reads as
Apache's does."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, Union

from remoting.java_order import concurrent_hashmap_order, hashmap_order


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

    def __init__(self, values: dict[str, Union[str, bool]], admin, cmd: "SubCommand | None" = None) -> None:
        self.values = values    # short name -> value (str for options with an argument, True for flags)
        self.admin = admin
        self.cmd = cmd

    def print_help(self) -> None:
        """ServerUtil.printCommandLineHelp: what a command prints when none of its alternatives was given."""
        print(format_help(self.cmd), end="")

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
    """COMMON plus the command's own; a command may redefine -n (Options.addOption replaces by short name)."""
    out = {o.short: o for o in COMMON}
    for o in cmd.options:
        out.update((x.short, x) for x in (o.opts if isinstance(o, Group) else (o,)))
    return list(out.values())


def _strip_hyphens(tok: str) -> str:
    return tok[2:] if tok.startswith("--") else tok[1:] if tok.startswith("-") else tok


def _strip_quotes(s: str) -> str:
    """Util.stripLeadingAndTrailingQuotes (commons-cli 1.5)."""
    if len(s) > 1 and s.startswith('"') and s.endswith('"') and '"' not in s[1:-1]:
        return s[1:-1]
    return s


class _Options:
    """commons-cli Options: look-ups by short or long name, long-name prefix matching."""

    def __init__(self, cmd: SubCommand) -> None:
        self.cmd = cmd
        self.opts = all_options(cmd)
        self.short = {o.short: o for o in self.opts}
        self.long = {o.long: o for o in self.opts}
        self.group_of = {o.short: g for g in cmd.options if isinstance(g, Group) for o in g.opts}

    def has(self, tok: str) -> bool:
        k = _strip_hyphens(tok)
        return k in self.short or k in self.long

    def get(self, tok: str) -> Opt:
        k = _strip_hyphens(tok)
        return self.short[k] if k in self.short else self.long[k]

    def matching(self, tok: str) -> list[str]:
        k = _strip_hyphens(tok)
        if k in self.long:
            return [k]
        return [name for name in self.long if name.startswith(k)]


def _flatten(o: _Options, args: list[str]) -> list[str]:
    """PosixParser.flatten (stopAtNonOption false): split --long=value, burst -tValue and -abc."""
    tokens: list[str] = []
    for tok in args:
        if tok in ("-", "--"):
            tokens.append(tok)
        elif tok.startswith("--"):
            name, eq, value = tok.partition("=")
            found = o.matching(name)
            if not found:
                tokens.append(tok)
            elif len(found) > 1:
                raise UsageError(f"Ambiguous option: '{name}'  (could be: {', '.join(found)})")
            else:
                tokens.append("--" + o.long[found[0]].long)
                if eq:
                    tokens.append(value)
        elif tok.startswith("-"):
            if len(tok) == 2 or o.has(tok):
                tokens.append(tok)
            elif o.matching(tok):
                found = o.matching(tok)
                if len(found) > 1:
                    raise UsageError(f"Ambiguous option: '{tok}'  (could be: {', '.join(found)})")
                tokens.append("-" + o.long[found[0]].long)
            else:
                for i in range(1, len(tok)):
                    ch = tok[i]
                    if ch not in o.short and ch not in o.long:
                        tokens.append(tok)
                        break
                    tokens.append("-" + ch)
                    if o.get(ch).has_arg and len(tok) != i + 1:
                        tokens.append(tok[i + 1:])
                        break
        else:
            tokens.append(tok)
    return tokens


def parse(cmd: SubCommand, args: list[str]) -> dict[str, str | bool]:
    """commons-cli 1.5 PosixParser + Parser.parse: `-t T`, `-tT`, `--topic T`, `--topic=T`, `-topic T`, long-name
    prefixes (`--top T`); an unknown option, a missing argument, two options of one group, or a missing required
    option or group raise UsageError (ServerUtil.parseCmdLine then prints the help and exits 1). Stray arguments
    are kept by commons-cli and ignored by every subcommand. Returns short name -> value (True for flags)."""
    o = _Options(cmd)
    tokens = _flatten(o, args)
    values: dict[str, str | bool] = {}
    selected: dict[int, str] = {}
    i = 0
    while i < len(tokens):
        t = tokens[i]
        i += 1
        if t == "--":
            break                              # the rest are arguments
        if t == "-" or not t.startswith("-"):
            continue
        if not o.has(t):
            raise UsageError(f"Unrecognized option: {t}")
        opt = o.get(t)
        group = o.group_of.get(opt.short)
        if group is not None:
            prev = selected.get(id(group))
            if prev is not None and prev != opt.short:
                raise UsageError(f"The option '{opt.short}' was specified but an option from this group has "
                                 f"already been selected: '{prev}'")
            selected[id(group)] = opt.short
        if opt.has_arg:
            value = None
            if i < len(tokens) and not (tokens[i].startswith("-") and o.has(tokens[i])):
                value = _strip_quotes(tokens[i])
                i += 1
            if value is None:
                raise UsageError(f"Missing argument for option: {opt.short}")
            values.setdefault(opt.short, value)
        else:
            values[opt.short] = True
    missing = [x.short for x in cmd.options if isinstance(x, Opt) and x.required and x.short not in values]
    missing += ["group" for g in cmd.options if isinstance(g, Group) and g.required and id(g) not in selected]
    if missing:
        raise UsageError(f"Missing required option: {', '.join(missing)}")
    return values


def format_list(table: dict[str, SubCommand]) -> str:
    lines = ["The most commonly used mqadmin commands are:"]
    lines += [f"   {c.name:<20} {c.desc}" for c in table.values()]
    lines += ["", "See 'mqadmin help <command>' for more information on a specific command.", ""]
    return "\n".join(lines)


WIDTH = 110
LEFT_PAD = 1
DESC_PAD = 3


def _find_wrap_pos(text: str, width: int, start: int = 0) -> int:
    """HelpFormatter.findWrapPos (commons-cli 1.5)."""
    pos = text.find("\n", start)
    if pos != -1 and pos <= width:
        return pos + 1
    pos = text.find("\t", start)
    if pos != -1 and pos <= width:
        return pos + 1
    if start + width >= len(text):
        return -1
    pos = start + width
    while pos >= start and text[pos] not in " \n\r":
        pos -= 1
    if pos > start:
        return pos
    pos = start + width
    return -1 if pos == len(text) else pos


def _render_wrapped(width: int, tab: int, text: str) -> str:
    """HelpFormatter.renderWrappedText: break at the last blank before `width`, continuation lines indented by
    `tab` spaces."""
    out = []
    pos = _find_wrap_pos(text, width)
    if pos == -1:
        return text.rstrip()
    out.append(text[:pos].rstrip())
    if tab >= width:
        tab = 1
    pad = " " * tab
    while True:
        text = pad + text[pos:].strip()
        pos = _find_wrap_pos(text, width)
        if pos == -1:
            out.append(text)
            return "\n".join(out)
        if len(text) > width and pos == tab - 1:
            pos = width
        out.append(text[:pos].rstrip())


def _key(o: Opt) -> str:
    return o.short.lower()


def _usage_item(o: Opt, required: bool) -> str:
    s = f"-{o.short}" + (" <arg>" if o.has_arg else "")
    return s if required else f"[{s}]"


def format_usage(cmd: SubCommand, app: str | None = None) -> str:
    """HelpFormatter.printUsage: every option sorted by key, groups at their first member's place."""
    app = app or f"mqadmin {cmd.name}"
    group_of = {o.short: g for g in cmd.options if isinstance(g, Group) for o in g.opts}
    opts = sorted(all_options(cmd), key=_key)
    buf = f"usage: {app} "
    done: list[Group] = []
    for n, o in enumerate(opts):
        g = group_of.get(o.short)
        if g is not None:
            if not any(g is d for d in done):
                done.append(g)
                inner = " | ".join(_usage_item(x, True) for x in sorted(g.opts, key=_key))
                buf += inner if g.required else f"[{inner}]"
        else:
            buf += _usage_item(o, o.required)
        if n + 1 < len(opts):
            buf += " "
    return _render_wrapped(WIDTH, buf.index(" ") + 1, buf) + "\n"


def format_options(cmd: SubCommand) -> str:
    """HelpFormatter.renderOptions: ` -s,--long <arg>` padded to the widest, three blanks, the description."""
    opts = sorted(all_options(cmd), key=_key)
    prefixes = [" " * LEFT_PAD + f"-{o.short},--{o.long}" + (" <arg>" if o.has_arg else "") for o in opts]
    width = max(len(p) for p in prefixes)
    rows = [_render_wrapped(WIDTH, width + DESC_PAD, p.ljust(width) + " " * DESC_PAD + (o.desc or ""))
            for p, o in zip(prefixes, opts)]
    return "\n".join(rows) + "\n"


def format_help(cmd: SubCommand) -> str:
    """`mqadmin help SUB` and the text printed on bad options: HelpFormatter.printHelp(width 110, autoUsage)."""
    return format_usage(cmd) + format_options(cmd)


def java_hash_order(keys, concurrent: bool = False) -> list:
    """The iteration order of a java.util.HashMap / HashSet of these String keys added in this order, or with
    `concurrent` of the ConcurrentHashMap behind java.util.Properties (remoting.java_order)."""
    return concurrent_hashmap_order(keys) if concurrent else hashmap_order(keys)

"""Which per-message modules run compiled, and the switch that runs them as plain Python.

The modules listed in COMPILED are ordinary Python sources; `make install` compiles each one in place with
Cython (setup.py), next to its `.py`, with C types declared in a `.pxd` beside it. Python prefers the extension
module, so nothing imports them differently. This module makes sure the compiled form is only used when it is
the same program as the source:

* `ROCKETMQ_PY_PURE=1` in the environment makes every listed module load from its `.py` (the pure mode the tests
  also run in);
* an extension older than its `.py` or `.pxd` (a source edited after the last build) is ignored with a warning,
  so a stale build can never serve old behaviour.

`install()` runs from the packages' `__init__` before any listed module is imported.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings

# The modules of the send and pull paths, chosen by profile (bench/RESULTS.md). setup.py reads this tuple.
COMPILED = (
    "remoting.codec",
    "remoting.command",
    "remoting.connection",
    "remoting.dispatch",
    "remoting.headers",
    "store.message",
    "store.mapped_file",
    "store.commitlog",
    "store.consume_queue",
    "store.index_file",
    "store.dispatch",
    "store.message_store",
    "broker.processors.send",
    "broker.processors.pull",
    "broker.topic_config",
    "broker.processors.common",
    "broker.timer_hook",
    "broker.schedule",
    "broker.transaction.messages",
    "broker.fast_failure",
    "store.results",
    "broker.long_polling",
    # with aclEnable every request is signed and checked (bench/RESULTS.md "Issue 15")
    "remoting.signing",
    "broker.acl.validator",
)

PURE_ENV = "ROCKETMQ_PY_PURE"
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _source_paths(name: str) -> tuple[str, str]:
    base = os.path.join(_ROOT, *name.split("."))
    return base + ".py", base + ".pxd"


def _extension_path(name: str) -> str | None:
    base = os.path.join(_ROOT, *name.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            return base + suffix
    return None


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def _stale(name: str, ext: str) -> bool:
    built = os.path.getmtime(ext)
    return any(os.path.exists(p) and os.path.getmtime(p) > built for p in _source_paths(name))


class _SourceFirst:
    """A meta path finder that loads the listed modules from their `.py` when they must not run compiled."""

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - importlib's signature
        if fullname not in COMPILED:
            return None
        ext = _extension_path(fullname)
        if ext is None:
            return None
        if not pure_requested():
            if not _stale(fullname, ext):
                return None
            warnings.warn(f"{fullname}: compiled module {os.path.basename(ext)} is older than its source; "
                          f"running the source (rebuild with `make install`)", RuntimeWarning, stacklevel=2)
        src = _source_paths(fullname)[0]
        return importlib.util.spec_from_file_location(fullname, src)


_FINDER = _SourceFirst()


def install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def module_modes() -> dict[str, str]:
    """'compiled' or 'pure' for each listed module, as imported in this process."""
    out = {}
    for name in COMPILED:
        mod = sys.modules.get(name)
        if mod is None:
            mod = importlib.import_module(name)
        out[name] = "compiled" if (getattr(mod, "__file__", "") or "").endswith(
            tuple(importlib.machinery.EXTENSION_SUFFIXES)) else "pure"
    return out


def describe() -> str:
    """One line for the daemons' start-up log: the mode, and why when it is pure."""
    modes = module_modes()
    compiled = [n for n, mode in modes.items() if mode == "compiled"]
    if len(compiled) == len(modes):
        return f"compiled hot path ({len(compiled)} modules, Cython)"
    if pure_requested():
        return f"pure-Python hot path ({PURE_ENV} set)"
    if not compiled:
        return "pure-Python hot path (no compiled modules: run `make install` with a C compiler for the fast build)"
    pure = ", ".join(n for n, mode in modes.items() if mode == "pure")
    return f"partly compiled hot path (pure: {pure})"


def log_mode(logger) -> None:  # noqa: ANN001 - a logging.Logger
    """The daemons' start-up line; a warning when the build is missing or partly stale (not asked for)."""
    modes = module_modes()
    degraded = "pure" in modes.values() and not pure_requested()
    (logger.warning if degraded else logger.info)("hot path: %s", describe())

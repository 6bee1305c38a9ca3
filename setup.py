"""Builds the compiled hot path: the modules in remoting.hotpath.COMPILED, compiled in place by Cython from
their own `.py` sources (C types in the `.pxd` beside each). Everything else is in pyproject.toml.

The build never fails an install: without Cython or a working C compiler the extensions are skipped with a
warning and the same modules run as plain Python (remoting.hotpath tells the daemons which mode they run in).
"""
from __future__ import annotations

import ast
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext



def _compiled_sources() -> list[str]:
    """remoting.hotpath.COMPILED (read, not imported: the build must not run the package) as source paths."""
    tree = ast.parse(open(os.path.join(os.path.dirname(__file__) or ".", "remoting", "hotpath.py")).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "COMPILED" for t in node.targets):
            return [name.replace(".", "/") + ".py" for name in ast.literal_eval(node.value)]
    raise RuntimeError("remoting/hotpath.py has no COMPILED tuple")


class OptionalBuildExt(build_ext):
    """build_ext that turns a failed compile into a warning: the pure-Python modules are the fallback."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1   # one gcc per core: the build is most of `make install`

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - no compiler, no headers: fall back, never fail the install
            _warn(f"the compiled hot path was not built ({e}); running pure Python")

    def build_extension(self, ext) -> None:  # noqa: ANN001
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001
            _warn(f"{ext.name} was not compiled ({e}); it runs as pure Python")


def _warn(text: str) -> None:
    sys.stderr.write(f"WARNING: rocketmq-py: {text}\n")


def _extensions() -> list:
    if os.environ.get("ROCKETMQ_PY_NO_COMPILE"):
        _warn("ROCKETMQ_PY_NO_COMPILE is set: not compiling the hot path")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _warn("Cython is not installed: the hot path runs as pure Python")
        return []
    try:
        return cythonize(_compiled_sources(), language_level=3, quiet=True,
                         compiler_directives={"annotation_typing": False, "binding": True,
                                              "embedsignature": True})
    except Exception as e:  # noqa: BLE001
        _warn(f"cythonize failed ({e}); the hot path runs as pure Python")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})

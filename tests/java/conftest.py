"""Java oracle tests: run only when named on the command line (`make test-java` runs `pytest tests/java`), so the
plain `pytest` of `make test` (testpaths = tests) leaves them out: CI cannot build Java."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from .oracle import BUILD_HINT, JavaPrograms, compile_helpers, oracle_missing

HERE = Path(__file__).resolve().parent


def _named(config: pytest.Config) -> bool:
    for arg in config.args:
        p = Path(arg.split("::", 1)[0]).resolve()
        if p == HERE or HERE in p.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if HERE in collection_path.parents and not _named(config):
        return True
    return None


@pytest.fixture(scope="session")
def java(tmp_path_factory) -> JavaPrograms:
    """The oracle is required here: absent, every test errors with how to build it (never a silent pass)."""
    why = oracle_missing()
    if why:
        pytest.fail(f"Java oracle tests NOT RUN: {why}; {BUILD_HINT}", pytrace=False)
    return JavaPrograms(compile_helpers(tmp_path_factory.mktemp("java-classes")))


class Phases:
    """Seconds per phase of each scenario, printed in the terminal summary."""

    rows: list[tuple[str, str, float]] = []

    def __init__(self, test: str) -> None:
        self.test = test
        self.t = time.monotonic()

    def __call__(self, phase: str) -> None:
        now = time.monotonic()
        self.rows.append((self.test, phase, now - self.t))
        self.t = now


@pytest.fixture
def phase(request) -> Phases:
    return Phases(request.node.name)


def pytest_terminal_summary(terminalreporter) -> None:
    if not Phases.rows:
        return
    terminalreporter.section("Java oracle scenario phases (seconds)")
    for test, name, secs in Phases.rows:
        terminalreporter.write_line(f"{secs:7.1f}  {test}: {name}")

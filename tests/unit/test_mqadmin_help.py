"""`mqadmin` and `mqadmin help SUB` print the bytes Apache RocketMQ 4.9.7's mqadmin prints
(tests/golden/mqadmin-4.9.7, captured from the Java tool)."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from tools.mqadmin.main import main
from tools.mqadmin.registry import APACHE_ORDER, commands

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "mqadmin-4.9.7"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(list(argv))
    return rc, out.getvalue()


def test_command_list_matches_apache():
    assert [n for n in APACHE_ORDER if n not in commands()] == []
    rc, out = run()
    ours = out.splitlines(keepends=True)
    golden = (GOLDEN / "commands.txt").read_text()
    # Apache's list, then ours (importMetadata) inserted before the closing hint
    extra = [line for line in ours if line not in golden.splitlines(keepends=True)]
    assert [line.split()[0] for line in extra] == ["importMetadata"]
    assert rc == 0 and "".join(x for x in ours if x not in extra) == golden


@pytest.mark.parametrize("golden", sorted((GOLDEN / "help").glob("*.txt")), ids=lambda p: p.stem)
def test_help_matches_apache(golden):
    rc, out = run("help", golden.stem)
    assert rc == 0
    assert out == golden.read_text()


def test_help_of_unknown_command():
    assert run("help", "nope") == (0, "The sub command nope not exist.\n")
    assert run("nope") == (0, "The sub command nope not exist.\n")


def test_command_list_lines_in_apache_order():
    """Whatever subcommands are present are listed with Apache's text and in Apache's order."""
    rc, out = run()
    golden = (GOLDEN / "commands.txt").read_text().splitlines()
    ours = [line for line in out.splitlines() if not line.startswith("   importMetadata")]
    positions = [golden.index(line) for line in ours]
    assert rc == 0 and positions == sorted(positions)

"""The store microscope reads a Java store read-only."""
from __future__ import annotations

import subprocess
import sys

from tests.support.daemons import ROOT
from tests.support.stores import FIXTURES


def run(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "store.tools", str(FIXTURES / "store"), *args], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_summary_queue_and_msg():
    s = run("summary")
    assert "abort=absent" in s and "FixtureA/1: files=22 maxOffset=631" in s and "commitlog: 4 files" in s
    q = run("queue", "FixtureA", "1", "0", "2").splitlines()
    assert q[0].startswith("0: phys=588 size=208 tagsCode=2598920 -> @588 size=208 topic=FixtureA queue=1 qoffset=0")
    assert "msgId=7F00000100009FCF000000000000024C" in q[0]
    assert "BLANK end-of-file marker (68 bytes to the end)" in run("msg", "1048508")

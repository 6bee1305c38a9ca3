"""The benchmarks run and count (tiny volumes, no timing asserted), so they never rot."""
from __future__ import annotations

import subprocess
import sys

from tests.support.daemons import ROOT


def test_namesrv_route_bench_runs_and_counts():
    out = subprocess.run([sys.executable, "-m", "bench.namesrv_routes", "--seconds", "0.3", "--connections", "2",
                          "--topics", "5"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()[:2]
    assert header.split()[0] == "requests/s"
    assert int(row.split()[0]) > 0

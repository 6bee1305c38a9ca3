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


def test_store_bench_runs_and_counts():
    out = subprocess.run([sys.executable, "-m", "bench.store_bench", "--messages", "2000", "--sync-messages", "200",
                          "--file-size", str(1 << 20)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[1:]}
    assert set(rows) == {"append_async_flush", "read_sequential", "append_sync_flush"}
    assert all(int(r[1]) > 0 for r in rows.values())

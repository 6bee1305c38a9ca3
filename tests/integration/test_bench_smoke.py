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


def test_scale_scenario_runs_and_reports(tmp_path):
    """bench/run scenario s at a tiny scale: every row is printed, with plausible figures."""
    out_md = tmp_path / "scale.md"
    out = subprocess.run([sys.executable, "-m", "bench.run", "--only", "s", "--scale-connections", "200",
                          "--scale-topics", "50", "--scale-groups", "20", "--scale-processes", "2",
                          "--scale-idle", "2", "--scale-lookups", "100", "--duration", "1.5", "--out", str(out_md)],
                         capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-2000:]
    md = out_md.read_text()
    rows = {}
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 8 and cells[0] == "s":
            rows[cells[1]] = cells[2:]

    def row(prefix: str) -> list[str]:
        found = [v for k, v in rows.items() if k.startswith(prefix)]
        assert len(found) == 1, (prefix, list(rows))
        return found[0]

    def num(cell: str) -> float:
        return float(cell.replace(",", ""))

    world = row("create 50 topics x 8 queues + 20 groups")
    conns = row("open 200 connections")         # every connection opened and had its first heartbeat answered
    idle = row("idle 2 s, 200 connections heartbeating")
    route = row("GET_ROUTEINFO_BY_TOPIC on the NameServer, 50 topics")
    route_small = row("GET_ROUTEINFO_BY_TOPIC on the NameServer, fresh small world")
    stats = row("GET_TOPIC_STATS_INFO")
    everything = row("GET_ALL_TOPIC_CONFIG")
    big, small = row("produce 1 KiB, 16 senders, big world"), row("produce 1 KiB, 16 senders, fresh small world")
    closed = row("the same, big world, connections closed")
    for r in (world, conns, route, route_small, stats, everything, big, closed, small):
        assert num(r[0]) > 0 and 0 < num(r[2]) <= num(r[3]), r          # a rate, then p50 <= p99
    assert num(idle[0]) >= 0 and num(big[1]) > 0 and num(small[1]) > 0
    assert all(num(r[5]) > 5 for r in (world, conns, big, closed, small))      # broker RSS (anon) MiB
    note = next(line for line in md.splitlines() if line.startswith("- s: broker RSS"))
    assert "200 heartbeating connections" in note and "Failures: none." in note and "ratio " in note

"""The standard benchmark scenarios against freshly started daemons; prints and writes a markdown table.

    bench/run [--duration 10] [--backlog-mb 1024] [--only a,c] [--driver asyncio|cpp] [--out bench/last-run.md]

1 KiB messages on a topic with 8 queues unless a scenario says otherwise:
  a   produce only, ASYNC_FLUSH, 16 senders, sync sends          a/2 the same at half of a's rate (p99)
  b   produce only, SYNC_FLUSH, 16 senders                       c   drain a backlog of --backlog-mb MiB
  d   produce and consume together                               e   batches of 32, 16 senders
  f   100 producer connections + 100 consumers (100 queues)      g   16 KiB and 128 B messages
  store   the store-only benchmark (bench.store_bench, no network)
Every scenario gets a new NameServer and Broker (Java's default 1 GiB commit-log files) in a temporary
directory; the broker's CPU% and peak RSS are read from /proc while the load runs.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from remoting import runtime
from bench.client import create_topic
from tests.support.daemons import ROOT, BrokerProcess, NamesrvProcess

CLK_TCK = os.sysconf("SC_CLK_TCK")


class ProcSampler:
    """CPU time and peak RSS of one process, sampled from /proc in a background thread."""

    def __init__(self, pid: int, period: float = 0.25) -> None:
        self.pid = pid
        self.period = period
        self.peak_rss = 0
        self.rss_samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime

    def rss(self) -> int:
        """Anonymous resident memory: the heap, not the mmapped store files (those pages are page cache)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
        return 0

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            r = self.rss()
            self.rss_samples.append(r)
            self.peak_rss = max(self.peak_rss, r)

    def __enter__(self) -> "ProcSampler":
        self.t0, self.cpu0 = time.monotonic(), self.cpu_seconds()
        self.peak_rss = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.elapsed = time.monotonic() - self.t0
        self.cpu_pct = (self.cpu_seconds() - self.cpu0) / self.elapsed * 100 if self.elapsed else 0.0


@dataclass
class Row:
    scenario: str
    what: str
    result: dict
    cpu_pct: float = 0.0
    rss_mib: float = 0.0
    note: str = ""


@dataclass
class Cluster:
    workdir: Path
    flush: str = "ASYNC_FLUSH"
    props: dict = field(default_factory=dict)

    def __enter__(self) -> "Cluster":
        self.ns = NamesrvProcess(self.workdir / "namesrv").start()
        self.broker = BrokerProcess(self.workdir / "broker", self.ns.addr, flushDiskType=self.flush,
                                    mappedFileSizeCommitLog=1 << 30, mappedFileSizeConsumeQueue=300000 * 20,
                                    **self.props).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for d in (self.broker, self.ns):
            if d.alive():
                d.stop()

    def topic(self, name: str, queues: int = 8) -> str:
        runtime.run(create_topic(self.broker.addr, name, queues))
        return name


def tool(module: str, *args: object, timeout: float = 300) -> dict:
    """Run bench.producer / bench.consumer with --json and return its summary."""
    cmd = [sys.executable, "-m", module, *map(str, args), "--json"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0 or '{' not in out.stdout:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-3000:]}{out.stdout[-1000:]}")
    return summary(out.stdout)


def summary(stdout: str) -> dict:
    """The JSON summary line a load generator run with --json prints last."""
    return json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])


def produce(c: Cluster, topic: str, args: argparse.Namespace, *extra: object) -> dict:
    return tool("bench.producer", "-n", c.ns.addr, "-t", topic, "-d", args.duration, "--driver", args.driver, *extra)


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.rows: list[Row] = []
        self.peak_a = 0

    def cluster(self, name: str, flush: str = "ASYNC_FLUSH") -> Cluster:
        return Cluster(self.tmp / name, flush)

    def measured(self, c: Cluster, scenario: str, what: str, fn, note: str = "") -> dict:
        with ProcSampler(c.broker.proc.pid) as s:
            result = fn()
        self.add(Row(scenario, what, result, s.cpu_pct, s.peak_rss / 2**20, note))
        return result

    def add(self, row: Row) -> None:
        self.rows.append(row)
        r = row.result
        print(f"  {row.scenario:>4} {row.what:<44} {r['msgs_per_s']:>9,} msgs/s {r['mb_per_s']:>7} MB/s "
              f"p50 {r['p50_ms']:>7} p99 {r['p99_ms']:>7} ms  cpu {row.cpu_pct:5.0f}%  rss {row.rss_mib:6.0f} MiB",
              flush=True)

    # ------------------------------------------------------------ scenarios
    def a(self) -> None:
        with self.cluster("a") as c:
            t = c.topic("BenchA")
            r = self.measured(c, "a", "produce 1 KiB, async flush, 16 senders", lambda: produce(c, t, self.args, "-w", 16))
            self.peak_a = r["msgs_per_s"]
            half = max(1, self.peak_a // 2)
            self.measured(c, "a/2", f"same at half rate ({half:,}/s)",
                          lambda: produce(c, t, self.args, "-w", 16, "--tps", half))

    def b(self) -> None:
        with self.cluster("b", "SYNC_FLUSH") as c:
            t = c.topic("BenchB")
            self.measured(c, "b", "produce 1 KiB, SYNC_FLUSH, 16 senders", lambda: produce(c, t, self.args, "-w", 16))

    def c(self) -> None:
        msgs = self.args.backlog_mb * 1024
        with self.cluster("c") as c:
            t = c.topic("BenchC")
            fill = self.measured(c, "c0", f"fill backlog {self.args.backlog_mb} MiB (batches of 32)", lambda: tool(
                "bench.producer", "-n", c.ns.addr, "-t", t, "-d", 600, "-w", 8, "-b", 32, "-m", "async", "-i", 4,
                "--messages", msgs))
            self.measured(c, "c", f"consume backlog of {fill['msgs']:,} msgs", lambda: tool(
                "bench.consumer", "-n", c.ns.addr, "-t", t, "-d", 300, "--drain", "-p", 2))

    def together(self, c: Cluster, scenario: str, topic: str, consumer_args: list[str], producer,
                 labels: tuple[str, str]) -> None:
        """A consumer subprocess tails `topic` while `producer()` runs; one row for each side."""
        with ProcSampler(c.broker.proc.pid) as s:
            cons = subprocess.Popen([sys.executable, "-m", "bench.consumer", "-n", c.ns.addr, "-t", topic,
                                     "-d", str(self.args.duration + 2), *consumer_args, "--json"],
                                    cwd=ROOT, stdout=subprocess.PIPE, text=True)
            prod = producer()
            out, _ = cons.communicate(timeout=self.args.duration + 60)
        for what, result in zip(labels, (prod, summary(out))):
            self.add(Row(scenario, what, result, s.cpu_pct, s.peak_rss / 2**20))

    def d(self) -> None:
        with self.cluster("d") as c:
            t = c.topic("BenchD")
            self.together(c, "d", t, ["-p", "1"], lambda: produce(c, t, self.args, "-w", 16),
                          ("produce (with a consumer running)", "consume (latency = born to consumed)"))

    def e(self) -> None:
        with self.cluster("e") as c:
            t = c.topic("BenchE")
            self.measured(c, "e", "produce batches of 32, 16 senders", lambda: produce(c, t, self.args, "-w", 16, "-b", 32))

    def f(self) -> None:
        with self.cluster("f") as c:
            t = c.topic("BenchF", 100)
            self.together(c, "f", t, ["-p", "1", "-c", "100"],
                          lambda: tool("bench.producer", "-n", c.ns.addr, "-t", t, "-d", self.args.duration,
                                       "-w", 100, "-c", 50, "-p", 2),
                          ("100 producer connections (sync sends)", "100 consumers, one queue each"))

    def g(self) -> None:
        for size, label in ((16384, "16 KiB"), (128, "128 B")):
            with self.cluster(f"g{size}") as c:
                t = c.topic("BenchG")
                self.measured(c, "g", f"produce {label}, 16 senders",
                              lambda: produce(c, t, self.args, "-w", 16, "-s", size))

    def store(self) -> None:
        out = subprocess.run([sys.executable, "-m", "bench.store_bench", *self.args.store_args], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
        for line in out.stdout.splitlines()[1:4]:
            name, rate, mb = line.split()[:3]
            self.add(Row("store", name.replace("_", " "), {"msgs_per_s": int(rate), "mb_per_s": float(mb),
                                                           "p50_ms": "", "p99_ms": ""}))


def markdown(rows: list[Row], args: argparse.Namespace, seconds: float) -> str:
    lines = [f"Run {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()} "
             f"({os.cpu_count()} cores), `bench/run {' '.join(args.argv)}`, {seconds:.0f} s in all, driver {args.driver}.",
             "", "| scenario | what | msgs/s | MB/s | p50 ms | p99 ms | broker CPU % | broker RSS (anon) MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        res = r.result
        cpu = f"{r.cpu_pct:.0f}" if r.cpu_pct else ""
        rss = f"{r.rss_mib:.0f}" if r.rss_mib else ""
        lines.append(f"| {r.scenario} | {r.what} | {res['msgs_per_s']:,} | {res['mb_per_s']} | {res['p50_ms']} | "
                     f"{res['p99_ms']} | {cpu} | {rss} |")
    return "\n".join(lines) + "\n"


SCENARIOS = ("a", "b", "c", "d", "e", "f", "g", "store")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario")
    p.add_argument("--backlog-mb", type=int, default=1024)
    p.add_argument("--only", default=",".join(SCENARIOS))
    p.add_argument("--driver", choices=("asyncio", "cpp"), default="asyncio")
    p.add_argument("--store-args", default="", help="arguments for bench.store_bench, space-separated")
    p.add_argument("--out", default=str(ROOT / "bench" / "last-run.md"))
    args = p.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    args.store_args = args.store_args.split()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        bench = Bench(args, Path(tmp))
        for name in args.only.split(","):
            if name not in SCENARIOS:
                p.error(f"unknown scenario {name}")
            print(f"scenario {name}", flush=True)
            getattr(bench, name)()
    md = markdown(bench.rows, args, time.monotonic() - t0)
    Path(args.out).write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

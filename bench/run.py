"""The standard benchmark scenarios against freshly started daemons; prints and writes a markdown table.

    bench/run [--duration 10] [--backlog-mb 1024] [--only a,c] [--driver asyncio|cpp] [--out bench/last-run.md]
    bench/run --vs-java [--vs-java-seconds 40] [--vs-java-only produce,batch,together,drain,syncflush]

1 KiB messages on a topic with 8 queues unless a scenario says otherwise:
  a   produce only, ASYNC_FLUSH, 16 senders, sync sends          a/2 the same at half of a's rate (p99)
  b   produce only, SYNC_FLUSH, 16 senders                       c   drain a backlog of --backlog-mb MiB
  d   produce and consume together                               e   batches of 32, 16 senders
  f   100 producer connections + 100 consumers (100 queues)      g   16 KiB and 128 B messages
  h   HA catch-up: empty SLAVEs copy a master's --backlog-mb MiB of commit log (Bench.h; ~4 min at 1 GiB)
  s   scale: 5,000 topics x 8 queues, 1,000 groups, 10,000 heartbeating connections: RSS, idle CPU, heartbeat
      and route-lookup latency, sends against a fresh small world (bench.scale; --scale-*)
  m   the metrics exporter's cost: d with metrics off and on (scraped every second), alternating
  store   the store-only benchmark (bench.store_bench, no network)
Every scenario gets a new NameServer and Broker (Java's default 1 GiB commit-log files) in a temporary
directory; the broker's CPU% and peak RSS are read from /proc while the load runs.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from remoting import fastjson, runtime
from remoting.bodies import KVTable
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from bench.client import create_topic
from bench.profile_summary import _name, stacks, summarise
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


class SystemCpu:
    """The whole machine's CPU over a window, from /proc/stat: busy and iowait, as % of all cores (other work
    on the machine shows as busy beyond the processes measured)."""

    @staticmethod
    def _read() -> list[int]:
        return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]

    def __enter__(self) -> "SystemCpu":
        self.t0 = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        d = [b - a for a, b in zip(self.t0, self._read())]
        total = sum(d[:8]) or 1   # user nice system idle iowait irq softirq steal
        self.busy_pct = (total - d[3] - d[4]) / total * 100
        self.iowait_pct = d[4] / total * 100


class Scraper:
    """GET `url` every `period` seconds in a thread, as Prometheus scrapes (scenario m)."""

    def __init__(self, url: str, period: float = 1.0) -> None:
        import urllib.request
        self.url, self.period, self.count, self.seconds = url, period, 0, 0.0
        self._open = urllib.request.urlopen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            began = time.monotonic()
            with self._open(self.url, timeout=10) as resp:
                resp.read()
            self.count += 1
            self.seconds += time.monotonic() - began

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)


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
    return tool_wait(tool_start(module, *args), timeout)


def tool_start(module: str, *args: object) -> subprocess.Popen:
    """The same, started in the background; `tool_wait` collects the summary."""
    cmd = [sys.executable, "-m", module, *map(str, args), "--json"]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def tool_wait(proc: subprocess.Popen, timeout: float = 300) -> dict:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    if proc.returncode != 0 or '{' not in out:
        raise RuntimeError(f"{' '.join(proc.args)} failed ({proc.returncode}): {err[-3000:]}{out[-1000:]}")
    return summary(out)


def summary(stdout: str) -> dict:
    """The JSON summary line a load generator run with --json prints last."""
    return json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])


def produce(c: Cluster, topic: str, args: argparse.Namespace, *extra: object) -> dict:
    return tool("bench.producer", "-n", c.ns.addr, "-t", topic, "-d", args.duration, "--driver", args.driver, *extra)


# ------------------------------------------------------------ HA catch-up (scenario h)

HA_FILE = 1 << 30            # Java's default commit-log file size
HA_MARGIN = 16 << 20         # room left in the file the fill goes to
JAVA_INT_MAX = (1 << 31) - 1  # mappedFileSizeCommitLog is a Java int


def ha_sizes(backlog_mb: int) -> tuple[int, int]:
    """(commit-log file size, commit-log bytes to fill) for scenario h. An empty slave copies only the master's
    LAST commit-log file (Java), so the whole fill must sit in the first one: with Java's 1 GiB files the fill
    is at most 1 GiB - 16 MiB; a larger --backlog-mb gets one file big enough for it (a Java int at most)."""
    want = backlog_mb << 20
    if want <= HA_FILE:
        return HA_FILE, min(want, HA_FILE - HA_MARGIN)
    size = -(-(want + HA_MARGIN) // (64 << 20)) * (64 << 20)
    if size > JAVA_INT_MAX:
        raise SystemExit(f"--backlog-mb {backlog_mb} does not fit one commit-log file for scenario h (max 2031)")
    return size, want


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank q-quantile (0 when empty)."""
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


def broker_info(addr: str, timeout: float = 10) -> dict[str, str]:
    """GET_BROKER_RUNTIME_INFO as a dict."""
    async def go() -> dict[str, str]:
        client = RemotingClient()
        try:
            resp = await client.invoke(addr, make_request(RequestCode.GET_BROKER_RUNTIME_INFO), timeout)
            if resp.code != ResponseCode.SUCCESS:
                raise RuntimeError(f"runtime info of {addr}: {resp.code} {resp.remark}")
            return KVTable.from_json(fastjson.loads(resp.body)).table
        finally:
            await client.close()
    return runtime.run(go())


# where a slave's time goes during catch-up: the first bucket whose function is on a sample's stack (checked
# in this order) gets the sample
HA_BUCKETS = (
    ("store I/O thread: flush of the commit log / consume queues (fdatasync runs outside the GIL)",
     ("MappedFile.flush",)),
    ("HA report to the master (8-byte send; on loopback the kernel runs the master's TCP transmit in it)",
     ("MasterLink.report",)),
    ("reput: record decode (CommitLog.check_at: message.decode, hosts, properties)", ("CommitLog.check_at",)),
    ("reput: index (IndexService.build: key hash, IndexFile.put)", ("IndexService.build",)),
    ("reput: consume queue (ConsumeQueue.put)", ("ConsumeQueue.put",)),
    ("reput: dispatch request, listeners, loop", ("dispatch_request", "MessageStore._dispatch", "MessageStore.reput")),
    ("mmap write (CommitLog.append_data)", ("CommitLog.append_data",)),
    ("socket read into the HA buffer (MasterLink.data_received self; uvloop's recv is Runner.run self time)",
     ("MasterLink.data_received",)),
)


def ha_profile_buckets(lines: list[str]) -> tuple[int, dict[str, int], dict[str, int]]:
    """(samples, samples per thread name, samples per HA_BUCKETS label + "other") of a py-spy --threads raw
    profile."""
    threads: dict[str, int] = {}
    buckets: dict[str, int] = {label: 0 for label, _ in HA_BUCKETS}
    buckets["event loop (uvloop: epoll, recv, callbacks; Runner.run self)"] = 0
    buckets["executor threads waiting for work (idle, but py-spy counts part of it as active)"] = 0
    buckets["other"] = 0
    total = 0
    for raw, count in stacks(lines):
        total += count
        thread = raw[0].split(": ", 1)[-1] if raw[0].startswith("thread ") else "?"
        threads[thread] = threads.get(thread, 0) + count
        frames = [_name(f).rpartition(":")[2] for f in raw if not f.startswith(("thread ", "process "))]
        for label, needles in HA_BUCKETS:
            if any(f.startswith(nd) for f in frames for nd in needles):
                buckets[label] += count
                break
        else:
            leaf = frames[-1] if frames else ""
            if leaf == "Runner.run":
                buckets["event loop (uvloop: epoll, recv, callbacks; Runner.run self)"] += count
            elif leaf == "_worker":
                buckets["executor threads waiting for work (idle, but py-spy counts part of it as active)"] += count
            else:
                buckets["other"] += count
    return total, threads, buckets


class CatchUpProbe:
    """From a thread, every `period` s: GET_BROKER_RUNTIME_INFO to the master, then to the slave, each answer
    timed. The slave has caught up at the first round where its commitLogMaxOffset reaches the master's read
    just before it (with a producer running the master moves on; the slave then holds everything the master
    held a moment earlier). Probing stops there, so the latencies are those of the catch-up."""

    def __init__(self, master: str, slave: str, period: float = 0.05, timeout: float = 5.0) -> None:
        self.master, self.slave = master, slave
        self.period, self.timeout = period, timeout
        self.master_ms: list[float] = []
        self.slave_ms: list[float] = []
        self.slave_log: list[tuple[float, float]] = []     # (monotonic time sent, ms) of every slave answer
        self.failures = {"master": 0, "slave": 0}
        self.first: tuple[float, int] | None = None     # (time, slave commitLogMaxOffset) of the first answer
        self.caught_up = threading.Event()
        self.caught_up_at = 0.0
        self.caught_up_offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: runtime.run(self._run()), daemon=True)

    def start(self) -> "CatchUpProbe":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    async def _ask(self, client: RemotingClient, addr: str, times: list[float], who: str) -> int | None:
        t0 = time.perf_counter()
        sent = time.monotonic()
        try:
            resp = await client.invoke(addr, make_request(RequestCode.GET_BROKER_RUNTIME_INFO), self.timeout)
            times.append((time.perf_counter() - t0) * 1000)
            if who == "slave":
                self.slave_log.append((sent, times[-1]))
            if resp.code != ResponseCode.SUCCESS:
                self.failures[who] += 1
                return None
            return int(KVTable.from_json(fastjson.loads(resp.body)).table["commitLogMaxOffset"])
        except Exception:  # noqa: BLE001 - a timeout or a dropped connection counts as a failed probe
            times.append((time.perf_counter() - t0) * 1000)
            self.failures[who] += 1
            return None

    async def _run(self) -> None:
        client = RemotingClient()
        try:
            while not self._stop.is_set():
                t0 = time.monotonic()
                master_end = await self._ask(client, self.master, self.master_ms, "master")
                slave_end = await self._ask(client, self.slave, self.slave_ms, "slave")
                if slave_end is not None and self.first is None:
                    self.first = (time.monotonic(), slave_end)
                if master_end and slave_end is not None and slave_end >= master_end:
                    self.caught_up_at, self.caught_up_offset = time.monotonic(), slave_end
                    self.caught_up.set()
                    return
                await asyncio.sleep(max(0.0, self.period - (time.monotonic() - t0)))
        finally:
            await client.close()


class PySpy:
    """py-spy record of one process until stopped (SIGINT makes py-spy write its raw profile)."""

    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        self.out = out
        exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        self.proc = None
        self.error = "" if exe else "py-spy not installed"
        if exe:
            cmd = [exe, "record", "-r", str(rate), "--threads", "--format", "raw", "-o", str(out), "-p", str(pid),
                   "-d", "3600"]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop(self) -> list[str]:
        """The raw profile's lines (empty if py-spy failed; `error` says why)."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.out.exists():
            self.error = f"py-spy wrote no profile: {err.strip()[-500:]}"
            return []
        return self.out.read_text().splitlines()


def _blank(value: object, spec: str = "") -> str:
    return "" if value in ("", None) else format(value, spec)


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.rows: list[Row] = []
        self.notes: list[str] = []
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
        print(f"  {row.scenario:>4} {row.what:<44} {_blank(r['msgs_per_s'], ','):>9} msgs/s {r['mb_per_s']:>7} MB/s "
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

    def h(self) -> None:
        """HA catch-up. A master is filled with --backlog-mb MiB of commit log (1 KiB messages, batches of 32),
        all in its first commit-log file (an empty slave starts at the master's last file, as in Java). Then:
        the loopback+page-cache limit for copying those bytes between two processes (bench.loopback_copy);
        an empty SLAVE catching up with the idle master; another doing the same under py-spy (unless
        --no-profile); another catching up while 16 senders produce on the master (for at most --duration s
        and 80 % of the idle catch-up); the same producer with no slave. Every 50 ms during a catch-up both
        brokers answer GET_BROKER_RUNTIME_INFO (timed). Each slave is stopped and deleted before the next."""
        a = self.args
        file_size, fill_bytes = ha_sizes(a.backlog_mb)
        work = self.tmp / "h"
        load = os.getloadavg()
        props = {"brokerName": "bench-ha", "mappedFileSizeCommitLog": file_size,
                 "mappedFileSizeConsumeQueue": 300000 * 20}
        topic = "BenchH"
        ns = NamesrvProcess(work / "namesrv").start()
        master = None
        try:
            master = BrokerProcess(work / "master", ns.addr, brokerRole="ASYNC_MASTER", **props).start()
            runtime.run(create_topic(master.addr, topic, 8))
            fill = ("bench.producer", "-n", ns.addr, "-t", topic, "-d", 600, "-w", 8, "-b", 32, "-m", "async",
                    "-i", 4, "--messages")
            tool(*fill, 256)   # one batch per sender: the stored size of one message
            info = broker_info(master.addr)
            per_msg = int(info["commitLogMaxOffset"]) / int(info["putMessageTimesTotal"])
            rest = max(256, int((fill_bytes - int(info["commitLogMaxOffset"])) // per_msg) // 256 * 256)
            with ProcSampler(master.proc.pid) as s:
                r = tool(*fill, rest, timeout=1200)
            info = broker_info(master.addr)
            end = int(info["commitLogMaxOffset"])
            self.add(Row("h0", f"fill {end / 2**20:.0f} MiB of commit log (batches of 32)", r, s.cpu_pct,
                         s.peak_rss / 2**20))
            self.notes.append(
                f"- h: commit-log files of {file_size / 2**20:.0f} MiB"
                f"{' (Java default)' if file_size == HA_FILE else ' (larger than Java default: --backlog-mb)'} "
                f"on master and slaves; the master holds {int(info['putMessageTimesTotal']):,} messages of 1 KiB "
                f"({per_msg:.0f} bytes stored each), {end:,} bytes, all in its first file, so an empty slave "
                f"copies all of it. Load average before the scenario: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.")

            src = Path(master.props["storePathRootDir"]) / "commitlog" / f"{0:020d}"
            limit = self._loopback_limit(src, end, work / "copy.tmp")

            idle = self._catch_up(ns, master, work / "slave1", props, "h", "slave catch-up, idle master", limit)
            if a.profile:   # py-spy slows the slave down: a catch-up of its own, the same bytes again
                self._catch_up(ns, master, work / "slave2", props, "h/spy", "the same under py-spy -r 100", limit,
                               profile=True)
            duration = max(1.0, min(a.duration, 0.8 * idle["seconds"]))
            producer = ("bench.producer", "-n", ns.addr, "-t", topic, "-d", duration, "--driver", a.driver,
                        "-w", 16)
            busy = self._catch_up(ns, master, work / "slave3", props, "h+p", "slave catch-up, producer running",
                                  limit, producer=producer)
            with ProcSampler(master.proc.pid) as s:
                base = tool(*producer)
            self.add(Row("h+p", "produce 1 KiB, 16 senders, no slave", base, s.cpu_pct, s.peak_rss / 2**20))
            loaded = busy["producer"]
            overlap = "" if busy["seconds"] >= duration else " (it ended first: part of the producer's run had none)"
            if base["msgs_per_s"]:
                self.notes.append(
                    f"- h+p: the master's sends while a slave catches up: {loaded['msgs_per_s']:,} msgs/s, p50 "
                    f"{loaded['p50_ms']} / p99 {loaded['p99_ms']} ms, against {base['msgs_per_s']:,} msgs/s, p50 "
                    f"{base['p50_ms']} / p99 {base['p99_ms']} ms with no slave "
                    f"({loaded['msgs_per_s'] / base['msgs_per_s'] * 100:.0f} %); the producer ran {duration:.1f} s, "
                    f"the catch-up took {busy['seconds']:.1f} s{overlap}.")
        finally:
            for d in (master, ns):
                if d is not None and d.alive():
                    d.stop(timeout=120)

    def _loopback_limit(self, src: Path, nbytes: int, dst: Path) -> float:
        """Best of three copies of the master's bytes over loopback into an mmap, for reads of at most 1 MiB and
        at most 32 KiB (haTransferBatchSize); returns the best MB/s."""
        best_all = 0.0
        for chunk, label in ((1 << 20, "1 MiB"), (32 << 10, "32 KiB")):
            runs = [tool("bench.loopback_copy", src, dst, "--bytes", nbytes, "--chunk", chunk) for _ in range(3)]
            best = max(runs, key=lambda r: r["mb_per_s"])
            best_all = max(best_all, best["mb_per_s"])
            self.add(Row("h/lim", f"loopback+page cache limit, recv <= {label} (best of 3)",
                         {"msgs_per_s": "", "mb_per_s": best["mb_per_s"], "p50_ms": "", "p99_ms": ""}))
            self.notes.append(
                f"- h/lim ({label} reads): sendfile(2) from the master's commit-log file -> loopback TCP -> "
                f"recv_into(2) straight into an mmap of a new sparse file, {nbytes:,} bytes, two processes; "
                f"MB/s of the three runs {', '.join(str(r['mb_per_s']) for r in runs)}; an msync of the copy "
                f"afterwards wrote {', '.join(str(r['msync_mb_per_s']) for r in runs)} MB/s to the disk.")
        return best_all

    def _catch_up(self, ns: NamesrvProcess, master: BrokerProcess, workdir: Path, props: dict, scenario: str,
                  what: str, limit: float, profile: bool = False, producer: tuple | None = None) -> dict:
        """Start an empty SLAVE of `master` (it learns the master's HA address from the NameServer) and time
        it until its commit log reaches the master's; rows for the slave, the master and the producer."""
        before = broker_info(master.addr)
        t_launch = time.monotonic()
        slave = BrokerProcess(workdir, ns.addr, brokerRole="SLAVE", brokerId=1, **props).start()
        t_boot = time.monotonic()
        spy = PySpy(slave.proc.pid, self.tmp / "h-slave.prof.txt") if profile else None
        prod = tool_start(*producer) if producer else None
        probe = CatchUpProbe(master.addr, slave.addr).start()
        deadline = 120 + int(before["commitLogMaxOffset"]) / 1e6   # at least 1 MB/s
        try:
            with SystemCpu() as machine, ProcSampler(master.proc.pid) as sm, ProcSampler(slave.proc.pid) as ss:
                ok = probe.caught_up.wait(deadline)
            probe.stop()
            lines = spy.stop() if spy else []
            if not ok:
                raise RuntimeError(f"{scenario}: the slave did not catch up within {deadline:.0f} s "
                                   f"(slave stderr: {slave.stderr()[-2000:]})")
            # consume queues and index follow the copy (Java's reput): when are they complete too?
            dispatch_deadline = time.monotonic() + deadline
            while broker_info(slave.addr)["dispatchBehindBytes"] != "0" and time.monotonic() < dispatch_deadline:
                time.sleep(0.1)
            dispatched_at = time.monotonic()
            produced = tool_wait(prod, timeout=self.args.duration + 120) if prod else None
            sinfo = broker_info(slave.addr)
        finally:
            probe.stop()
            if prod is not None and prod.poll() is None:
                prod.kill()
            slave.stop(timeout=120)
            shutil.rmtree(workdir, ignore_errors=True)
        start = int(sinfo["commitLogMinOffset"])
        copied = probe.caught_up_offset - start
        seconds = probe.caught_up_at - t_launch
        first_t, first_off = probe.first
        window = probe.caught_up_at - first_t
        mb_s = (probe.caught_up_offset - first_off) / window / 1e6 if window > 0 else 0.0
        per_msg = int(before["commitLogMaxOffset"]) / max(1, int(before["putMessageTimesTotal"]))
        result = {"msgs_per_s": round(copied / per_msg / seconds), "mb_per_s": round(mb_s, 1),
                  "p50_ms": round(percentile(probe.slave_ms, 0.5), 2),
                  "p99_ms": round(percentile(probe.slave_ms, 0.99), 2), "seconds": seconds}
        dispatch_s = dispatched_at - t_launch
        result["dispatched_s"] = round(dispatch_s, 1)
        self.add(Row(scenario, f"{what}: {copied / 1e6:,.0f} MB copied in {seconds:.1f} s, dispatched in "
                     f"{dispatch_s:.1f} s", result, ss.cpu_pct, ss.peak_rss / 2**20))
        self.add(Row(scenario, "master meanwhile (latency: its runtime info)",
                     {"msgs_per_s": "", "mb_per_s": "", "p50_ms": round(percentile(probe.master_ms, 0.5), 2),
                      "p99_ms": round(percentile(probe.master_ms, 0.99), 2)}, sm.cpu_pct, sm.peak_rss / 2**20))
        if produced is not None:
            self.add(Row(scenario, "produce 1 KiB, 16 senders, slave catching up", produced, sm.cpu_pct,
                         sm.peak_rss / 2**20))
        slow = [t for t, ms in probe.slave_log if ms > 15]
        gaps = sorted(b - a for a, b in zip(slow, slow[1:]))
        cadence = f" (median {gaps[len(gaps) // 2]:.2f} s apart)" if gaps else ""
        self.notes.append(
            f"- {scenario} ({what}): the slave copied {copied:,} bytes from offset {start:,} ({copied / per_msg:,.0f} "
            f"messages); launch to caught up {seconds:.1f} s (boot {t_boot - t_launch:.1f} s), to every record "
            f"dispatched into consume queues and index {dispatch_s:.1f} s ({copied / dispatch_s / 1e6:.1f} MB/s); "
            f"{mb_s:.1f} MB/s "
            f"from its first answer to caught up, {mb_s / limit * 100:.1f} % of the loopback limit "
            f"({limit} MB/s). Slave runtime info every 50 ms: {len(probe.slave_ms)} answers, p50 "
            f"{percentile(probe.slave_ms, 0.5):.2f} / p99 {percentile(probe.slave_ms, 0.99):.2f} / max "
            f"{max(probe.slave_ms, default=0):.2f} ms, {len(slow)} over 15 ms{cadence}, "
            f"{probe.failures['slave']} failed; master p50 "
            f"{percentile(probe.master_ms, 0.5):.2f} / p99 {percentile(probe.master_ms, 0.99):.2f} / max "
            f"{max(probe.master_ms, default=0):.2f} ms, {probe.failures['master']} failed. CPU (100 % = one core) "
            f"slave {ss.cpu_pct:.0f} %, master {sm.cpu_pct:.0f} %, the whole machine busy {machine.busy_pct:.0f} % of "
            f"{os.cpu_count()} cores (iowait {machine.iowait_pct:.0f} %); peak RSS (anon) slave "
            f"{ss.peak_rss / 2**20:.0f} MiB, master {sm.peak_rss / 2**20:.0f} MiB.")
        if spy is not None:
            self._profile_note(scenario, lines, spy, window)
        result["producer"] = produced
        return result

    def _profile_note(self, scenario: str, lines: list[str], spy: PySpy, seconds: float) -> None:
        if not lines:
            self.notes.append(f"- {scenario}: no profile ({spy.error})")
            return
        if self.args.profile_out:
            shutil.copyfile(spy.out, self.args.profile_out)
        total, self_c, incl = summarise(lines)
        _, threads, buckets = ha_profile_buckets(lines)
        top = 15
        per_thread = ", ".join(f"{name} {n} ({n / seconds:.0f}/s)" for name, n in
                               sorted(threads.items(), key=lambda kv: -kv[1]))
        self.notes.append(
            f"- {scenario}: py-spy of the slave during the catch-up (`py-spy record -r 100 --threads --format raw "
            f"-p PID`, {total} samples of active threads over {seconds:.1f} s: {per_thread}; 100/s = always busy):")
        self.notes.append("")
        self.notes.append("| where the slave's time goes | % of samples |")
        self.notes.append("|---|---:|")
        for label, n in sorted(buckets.items(), key=lambda kv: -kv[1]):
            self.notes.append(f"| {label} | {n / total * 100:.1f} |")
        self.notes.append("")
        self.notes.append("| self % | function | | inclusive % | function |")
        self.notes.append("|---:|---|---|---:|---|")
        for (sn, sc), (iname, ic) in zip(self_c.most_common(top), incl.most_common(top)):
            self.notes.append(f"| {sc / total * 100:.1f} | `{sn}` | | {ic / total * 100:.1f} | `{iname}` |")
        self.notes.append("")

    def t(self) -> None:
        """The 5.x timer: pending timers against memory, disk and send throughput; a due burst (bench/timer_bench)."""
        from bench.timer_bench import run
        run(self)

    def s(self) -> None:
        """Scale: cost against the number of topics, groups and connections (bench/scale)."""
        from bench.scale import run
        run(self)

    def m(self) -> None:
        """The exporter's cost: scenario d (produce with a consumer tailing) with metrics off, on and scraped every
        15 s (Prometheus' usual interval) and on and scraped every second (a stress case), each twice,
        interleaved; broker CPU per message produced is the steadier figure on a shared 2-core machine."""
        from tests.support.daemons import free_port
        modes = {"off": "metrics off", "on": "metrics on, scraped every 15 s", "scraped": "metrics on, scraped every 1 s"}
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in modes}
        scrapes: list[float] = []
        for i, mode in enumerate(list(modes) * 2):
            port = free_port()
            props = {"metricsExporterType": "PROM", "metricsPromExporterHost": "127.0.0.1",
                     "metricsPromExporterPort": port} if mode != "off" else {}
            with Cluster(self.tmp / f"m{i}", props=props) as c:
                t = c.topic("BenchM")
                scraper = Scraper(f"http://127.0.0.1:{port}/metrics", 1.0 if mode == "scraped" else 15.0) \
                    if mode != "off" else None
                before = len(self.rows)
                self.together(c, f"m/{mode}", t, ["-p", "1"], lambda: produce(c, t, self.args, "-w", 16),
                              ("produce, " + modes[mode], "consume"))
                if scraper is not None:
                    scraper.stop()
                    scrapes.append(scraper.seconds / max(scraper.count, 1))
                prod = self.rows[before]
                rate = prod.result["msgs_per_s"] or 1
                runs[mode].append((rate, prod.cpu_pct / 100 / rate * 1e6))
        rate = {k: sum(r for r, _ in v) / len(v) for k, v in runs.items()}
        cpu = {k: sum(c for _, c in v) / len(v) for k, v in runs.items()}
        figures = "; ".join(f"{k} {rate[k]:,.0f} msgs/s ({(rate[k] / rate['off'] - 1) * 100:+.1f} %), "
                            f"{cpu[k]:.1f} us CPU per message ({(cpu[k] / cpu['off'] - 1) * 100:+.1f} %)"
                            for k in modes)
        self.notes.append(f"m: produce rate and broker CPU per message produced (with the consumer's pulls): "
                          f"{figures}; a scrape took {sum(scrapes) / max(len(scrapes), 1) * 1000:.1f} ms")

    def store(self) -> None:
        out = subprocess.run([sys.executable, "-m", "bench.store_bench", *self.args.store_args], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
        for line in out.stdout.splitlines()[1:4]:
            name, rate, mb = line.split()[:3]
            self.add(Row("store", name.replace("_", " "), {"msgs_per_s": int(rate), "mb_per_s": float(mb),
                                                           "p50_ms": "", "p99_ms": ""}))


def markdown(rows: list[Row], args: argparse.Namespace, seconds: float, notes: list[str] = ()) -> str:
    lines = [f"Run {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()} "
             f"({os.cpu_count()} cores), `bench/run {' '.join(args.argv)}`, {seconds:.0f} s in all, driver {args.driver}.",
             "", "| scenario | what | msgs/s | MB/s | p50 ms | p99 ms | broker CPU % | broker RSS (anon) MiB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        res = r.result
        cpu = f"{r.cpu_pct:.0f}" if r.cpu_pct else ""
        rss = f"{r.rss_mib:.0f}" if r.rss_mib else ""
        lines.append(f"| {r.scenario} | {r.what} | {_blank(res['msgs_per_s'], ',')} | {res['mb_per_s']} | "
                     f"{res['p50_ms']} | {res['p99_ms']} | {cpu} | {rss} |")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


SCENARIOS = ("a", "b", "c", "d", "e", "f", "g", "h", "t", "s", "m", "store")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario")
    p.add_argument("--backlog-mb", type=int, default=1024)
    p.add_argument("--only", default=",".join(SCENARIOS))
    p.add_argument("--driver", choices=("asyncio", "cpp"), default="asyncio")
    p.add_argument("--store-args", default="", help="arguments for bench.store_bench, space-separated")
    p.add_argument("--out", default=str(ROOT / "bench" / "last-run.md"))
    p.add_argument("--no-profile", dest="profile", action="store_false",
                   help="scenario h: skip the extra catch-up under py-spy (h/spy)")
    p.add_argument("--profile-out", default="", help="scenario h: keep the slave's raw py-spy profile here")
    p.add_argument("--timers", type=int, default=1_000_000, help="scenario t: timed messages left pending")
    p.add_argument("--burst", type=int, default=100_000, help="scenario t: timed messages due in one second")
    p.add_argument("--scale-connections", type=int, default=10_000, help="scenario s: heartbeating connections")
    p.add_argument("--scale-topics", type=int, default=5_000, help="scenario s: topics (8 queues each)")
    p.add_argument("--scale-groups", type=int, default=1_000, help="scenario s: consumer groups")
    p.add_argument("--scale-processes", type=int, default=4, help="scenario s: client processes")
    p.add_argument("--scale-idle", type=float, default=20.0, help="scenario s: seconds of idle heartbeating")
    p.add_argument("--scale-lookups", type=int, default=2000, help="scenario s: route lookups timed")
    p.add_argument("--vs-java", action="store_true",
                   help="instead: Apache's Java benchmark tools against the Java 4.9.7 pair and against ours, with "
                        "ratios (bench.vs_java; needs the Java oracle)")
    p.add_argument("--vs-java-seconds", type=float, default=40.0, help="--vs-java: seconds per scenario and broker")
    p.add_argument("--vs-java-only", default="", help="--vs-java: scenarios (produce,batch,together,drain,syncflush)")
    args = p.parse_args(argv)
    if args.vs_java:
        from bench import vs_java   # imports this module: loaded only when asked for
        return vs_java.main(["--seconds", str(args.vs_java_seconds)]
                            + (["--only", args.vs_java_only] if args.vs_java_only else []))
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
    md = markdown(bench.rows, args, time.monotonic() - t0, bench.notes)
    Path(args.out).write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

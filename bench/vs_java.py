"""Side by side with the Java broker: Apache's own benchmark tools (4.9.7, from the Java oracle) against our
NameServer + Broker and against the Java 4.9.7 pair, in one run, with the ratio ours / Java.

    .venv/bin/python -m bench.vs_java [--seconds 40] [--only produce,batch,together,drain,syncflush]

Scenarios (1 KiB messages, the tools' default topic setup: auto-created through TBW102):
  produce     bench-producer -s 1024 -w 16 (single sync sends)
  batch       BatchProducer -s 1024 -w 16 -b 16 (messages per second)
  together    bench-producer and bench-consumer at once (consume TPS reported beside the send TPS)
  drain       a backlog written first by bench-producer, then bench-consumer reads it (consume TPS)
  syncflush   bench-producer against a SYNC_FLUSH broker
  own-a       our bench.producer as in `bench/run` scenario a (16 sync senders, 1 KiB), against both brokers:
              what the issue's own-bench targets ask of a broker, measured on the Java one too
  own-e       the same as scenario e (batches of 32)
Send figures are the mean of the tool's 10-s windows after the first; consume figures the mean of the
windows that consumed anything (a short drain ends inside its first window). Broker and tool CPU (% of one core) are
read from /proc, so the Java tool's own share of the 2 cores is visible. Needs the oracle at
$JAVA_ORACLE_HOME or /tmp/javarmq. This is the measuring half of issue 12's `bench/run --vs-java`.
"""
from __future__ import annotations

import argparse
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from bench.run import ProcSampler, tool_start, tool_wait
from tests.java.oracle import ORACLE_HOME, JavaBroker, JavaNamesrv, java_env, oracle_missing
from tests.support.daemons import BrokerProcess, NamesrvProcess
from daemon.run import stop_process

SCENARIOS = ("produce", "batch", "together", "drain", "syncflush", "own-a", "own-e")
OWN = {"own-a": ["-w", 16], "own-e": ["-w", 16, "-b", 32]}
_SEND = re.compile(r"Send TPS:\s*(\d+)(?: Send MPS:\s*(\d+))?")
_CONSUME = re.compile(r"Current Time: \d+ TPS:\s*(\d+)")
BIG_FILES = {"mappedFileSizeCommitLog": 1 << 30}


def _tool(workdir: Path, name: str, *args: object) -> tuple[subprocess.Popen, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"{name.rsplit('.', 1)[-1]}.txt"
    cmd = ([str(ORACLE_HOME / "bin" / name)] if "." not in name
           else [str(ORACLE_HOME / "bin" / "run-class"), name])
    with open(out, "ab") as f:
        proc = subprocess.Popen([*cmd, *map(str, args)], cwd=workdir, env=java_env(workdir / "home"), stdout=f,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, out


def _load(proc: subprocess.Popen, seconds: float) -> ProcSampler:
    """Let a tool run for `seconds`, sampling its CPU."""
    with ProcSampler(proc.pid) as sampler:
        time.sleep(seconds)
    return sampler


def _stop(proc: subprocess.Popen) -> None:
    stop_process(proc, timeout=30)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _steady(values: list[float]) -> float:
    values = values[1:] or values
    return sum(values) / len(values) if values else 0.0


def _sends(path: Path, mps: bool = False) -> float:
    rows = _SEND.findall(path.read_text(errors="replace"))
    return _steady([float(r[1] if mps and r[1] else r[0]) for r in rows])


def _consumes(path: Path) -> float:
    """Mean of the consumer's windows that consumed anything: a drain can end inside its first window, and a
    consumer started before its topic exists consumes nothing until its first rebalance."""
    busy = [float(x) for x in _CONSUME.findall(path.read_text(errors="replace")) if float(x) > 0]
    return sum(busy) / len(busy) if busy else 0.0


def producer_args(ns: str, topic: str) -> list[object]:
    return ["-n", ns, "-t", topic, "-s", 1024, "-w", 16]


def run_scenario(name: str, work: Path, ns: str, broker_pid: int, seconds: float) -> dict:
    """The figures of one scenario against one (already started) broker."""
    topic = f"Bench_{name}"
    if name in OWN:
        # our load generator does not auto-create topics: Apache's mqadmin creates it on either broker first
        _tool(work / "create", "mqadmin", "updateTopic", "-n", ns, "-c", "DefaultCluster", "-t", topic)[0].wait(60)
    with ProcSampler(broker_pid) as usage:
        if name in OWN:
            # its senders are forked workers: their CPU is read as the reaped children's, around the run
            c0, t0 = _children_cpu(), time.monotonic()
            sent = tool_wait(tool_start("bench.producer", "-n", ns, "-t", topic, "-d", seconds, *OWN[name]),
                             seconds + 120)
            tool = SimpleNamespace(cpu_pct=(_children_cpu() - c0) / (time.monotonic() - t0) * 100)
            result = {"msgs_per_s": sent["msgs_per_s"]}
        elif name in ("produce", "syncflush"):
            p, out = _tool(work, "bench-producer", *producer_args(ns, topic))
            tool = _load(p, seconds)
            _stop(p)
            result = {"msgs_per_s": _sends(out)}
        elif name == "batch":
            p, out = _tool(work, "org.apache.rocketmq.example.benchmark.BatchProducer",
                           *producer_args(ns, topic), "-b", 16)
            tool = _load(p, seconds)
            _stop(p)
            result = {"msgs_per_s": _sends(out, mps=True)}
        elif name == "together":
            # the producer creates the topic; a consumer started before would wait for its 30-s route refresh
            p, out = _tool(work, "bench-producer", *producer_args(ns, topic))
            time.sleep(3)
            c, cout = _tool(work / "c", "bench-consumer", "-n", ns, "-t", topic, "-g", "CID_bench_together")
            tool = _load(p, seconds)
            _stop(p)
            _stop(c)
            result = {"msgs_per_s": _sends(out), "consumed_per_s": _consumes(cout)}
        else:   # drain: fill for `seconds`, then read it back
            p, _ = _tool(work / "fill", "bench-producer", *producer_args(ns, topic))
            time.sleep(seconds)
            _stop(p)
            c, cout = _tool(work, "bench-consumer", "-n", ns, "-t", topic, "-g", "CID_bench_drain")
            tool = _load(c, seconds)
            _stop(c)
            result = {"msgs_per_s": _consumes(cout)}
    result.update(broker_cpu=usage.cpu_pct, broker_rss=usage.peak_rss / 2**20, tool_cpu=tool.cpu_pct)
    return result


def ours(root: Path, name: str, seconds: float) -> dict:
    props = dict(BIG_FILES, flushDiskType="SYNC_FLUSH" if name == "syncflush" else "ASYNC_FLUSH")
    with NamesrvProcess(root / "ns") as ns, BrokerProcess(root / "broker", ns.addr, **props) as br:
        return run_scenario(name, root / "tools", ns.addr, br.proc.pid, seconds)


def java(root: Path, name: str, seconds: float) -> dict:
    props = dict(BIG_FILES, flushDiskType="SYNC_FLUSH" if name == "syncflush" else "ASYNC_FLUSH")
    # `with` starts them (DaemonProcess.__enter__): calling start() as well would leave a first JVM running
    with JavaNamesrv(root / "ns") as ns, JavaBroker(root / "broker", ns.addr, **props) as br:
        return run_scenario(name, root / "tools", ns.addr, br.proc.pid, seconds)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=40.0, help="seconds of load per scenario and broker")
    p.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    args = p.parse_args(argv)
    missing = oracle_missing()
    if missing:
        raise SystemExit(f"bench.vs_java needs the Java oracle: {missing}")
    names = [n for n in args.only.split(",") if n]
    for n in names:
        if n not in SCENARIOS:
            p.error(f"unknown scenario {n}")
    rows = []
    # a killed JVM may still be writing its logs as the directory goes: cleanup errors are not results
    with tempfile.TemporaryDirectory(prefix="bench-vs-java-", ignore_cleanup_errors=True) as tmp:
        for n in names:
            print(f"{n}: ours, then Java, {args.seconds:.0f} s each", flush=True)
            mine = ours(Path(tmp) / n / "ours", n, args.seconds)
            time.sleep(2)
            theirs = java(Path(tmp) / n / "java", n, args.seconds)
            rows.append((n, mine, theirs))
            time.sleep(2)
    print("| scenario | Java msgs/s | ours msgs/s | ours / Java | broker CPU % Java / ours | tool CPU % Java run / ours "
          "| broker RSS MiB Java / ours |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n, mine, theirs in rows:
        j, o = theirs["msgs_per_s"], mine["msgs_per_s"]
        extra = ""
        if "consumed_per_s" in mine:
            extra = f" (consumed {theirs['consumed_per_s']:,.0f} / {mine['consumed_per_s']:,.0f})"
        print(f"| {n} | {j:,.0f} | {o:,.0f}{extra} | {o / j if j else 0:.2f} | {theirs['broker_cpu']:.0f} / "
              f"{mine['broker_cpu']:.0f} | {theirs['tool_cpu']:.0f} / {mine['tool_cpu']:.0f} | "
              f"{theirs['broker_rss']:.0f} / {mine['broker_rss']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

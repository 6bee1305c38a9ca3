"""Transactional sends, side by side: Apache's own benchmark TransactionProducer (4.9.7, from the Java oracle)
against our NameServer + Broker and against the Java 4.9.7 pair, in one run.

    .venv/bin/python -m bench.transactions [--seconds 45] [--threads 16] [--size 1024] [--unknown 0.1]

The producer sends with --threads threads; a share --unknown of the local transactions answer UNKNOW, and
the broker's check asks about those (half of the answers roll back). Printed per broker: send TPS (mean of
the producer's 10-s windows after the first), average and max RT, checks answered, and the producer's own
correctness counters: `unexpectedCheck` (a check for a transaction it had already decided) and
`duplicatedCheck` (a second check for one it answered). The check runs every 5 s on both brokers (Java's
default is 60 s) so checks happen within the run. Needs the oracle at $JAVA_ORACLE_HOME or /tmp/javarmq.
"""
from __future__ import annotations

import argparse
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.run import ProcSampler
from tests.java.oracle import ORACLE_HOME, JavaBroker, JavaNamesrv, java_env, oracle_missing
from tests.support.daemons import BrokerProcess, NamesrvProcess

PRODUCER = "org.apache.rocketmq.example.benchmark.TransactionProducer"
BROKER_PROPS = {"transactionCheckInterval": 5000, "flushDiskType": "ASYNC_FLUSH"}
_LINE = re.compile(r"Send TPS:\s*(\d+) Max RT\(ms\):\s*(\d+) AVG RT\(ms\):\s*([\d.]+) Send Failed: (\d+) "
                   r"check: (\d+) unexpectedCheck: (\d+) duplicatedCheck: (\d+)")


def run_producer(workdir: Path, namesrv: str, args: argparse.Namespace, broker_pid: int) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    out_path = workdir / "producer.txt"
    with ProcSampler(broker_pid) as usage, open(out_path, "wb") as out:
        proc = subprocess.Popen([str(ORACLE_HOME / "bin" / "run-class"), PRODUCER, "-n", namesrv, "-t", "BenchTx",
                                 "-w", str(args.threads), "-s", str(args.size), "-su", str(args.unknown),
                                 "-cr", "0.5"], cwd=workdir, env=java_env(workdir / "home"), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=args.seconds)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    rows = [tuple(float(x) for x in m.groups()) for m in _LINE.finditer(out_path.read_text(errors="replace"))]
    steady = rows[1:] or rows
    if not steady:
        raise SystemExit(f"no statistics from {PRODUCER}; see {out_path}")
    return {"tps": sum(r[0] for r in steady) / len(steady), "max_rt": max(r[1] for r in steady),
            "avg_rt": sum(r[2] for r in steady) / len(steady), "failed": sum(r[3] for r in rows),
            "checks": sum(r[4] for r in rows), "unexpected": sum(r[5] for r in rows),
            "duplicated": sum(r[6] for r in rows), "cpu": usage.cpu_pct, "rss": usage.peak_rss / 2**20}


def ours(root: Path, args: argparse.Namespace) -> dict:
    with NamesrvProcess(root / "ns") as ns, BrokerProcess(root / "broker", ns.addr, **BROKER_PROPS,
                                                         mappedFileSizeCommitLog=1 << 30) as br:
        return run_producer(root / "producer", ns.addr, args, br.proc.pid)


def java(root: Path, args: argparse.Namespace) -> dict:
    # `with` starts them (DaemonProcess.__enter__): calling start() as well would leave a first JVM running
    with JavaNamesrv(root / "ns") as ns, JavaBroker(root / "broker", ns.addr, **BROKER_PROPS,
                                                    mappedFileSizeCommitLog=1 << 30) as br:
        return run_producer(root / "producer", ns.addr, args, br.proc.pid)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=45.0)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--unknown", type=float, default=0.1)
    p.add_argument("--only", choices=("ours", "java"), help="one broker only")
    args = p.parse_args(argv)
    missing = oracle_missing()
    if missing:
        raise SystemExit(f"bench.transactions needs the Java oracle: {missing}")
    results = {}
    # a killed JVM may still be writing its logs as the directory goes: cleanup errors are not results
    with tempfile.TemporaryDirectory(prefix="bench-tx-", ignore_cleanup_errors=True) as tmp:
        for name, fn in (("ours", ours), ("java", java)):
            if args.only and name != args.only:
                continue
            print(f"{name}: {PRODUCER} -w {args.threads} -s {args.size} -su {args.unknown} -cr 0.5, "
                  f"{args.seconds:.0f} s", flush=True)
            results[name] = fn(Path(tmp) / name, args)
            time.sleep(2)      # let the machine settle between the two brokers
    print("| broker | send TPS | avg RT ms | max RT ms | failed | checks | unexpectedCheck | duplicatedCheck "
          "| broker CPU % | broker RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['tps']:,.0f} | {r['avg_rt']:.1f} | {r['max_rt']:.0f} | {r['failed']:.0f} | "
              f"{r['checks']:.0f} | {r['unexpected']:.0f} | {r['duplicated']:.0f} | {r['cpu']:.0f} | {r['rss']:.0f} |")
    if len(results) == 2:
        print(f"ours / java send TPS: {results['ours']['tps'] / max(results['java']['tps'], 1):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`bench/producer --driver cpp`: the same load through the C++-core client PyPI rocketmq==0.4.4 (threads, sync
sends), for the figure a user of that client sees. The client lives in .cache/v044, made on first use."""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from bench.stats import Histogram
from tests.support.clientenv import client_env, cpp1x_python

SCRIPT = Path(__file__).parent / "scripts" / "cpp_producer.py"


def run_cpp_producer(args: argparse.Namespace) -> dict:
    if args.batch > 1 or args.mode != "sync":
        raise SystemExit("--driver cpp sends single messages synchronously (-b 1 -m sync)")
    with tempfile.TemporaryDirectory() as home:
        proc = subprocess.Popen([str(cpp1x_python()), str(SCRIPT), args.namesrv, args.topic, args.group,
                                 str(args.size), str(args.senders), str(args.duration), str(args.tps)],
                                stdout=subprocess.PIPE, text=True, env=client_env(Path(home)), cwd=home)
        done = None
        for line in proc.stdout:
            item = json.loads(line)
            if "tick" in item and not args.json:
                print(f"Send TPS: {item['tick']} MB/s: {item['tick'] * args.size / 1e6:.1f}", flush=True)
            elif "done" in item:
                done = item
        proc.wait(timeout=args.duration + 60)
    if done is None:
        raise SystemExit(f"the C++ client driver failed (exit {proc.returncode})")
    d, elapsed = done["done"], done["elapsed"]
    hist = Histogram()
    hist.merge({int(k): v for k, v in d["hist"].items()})
    result = {"msgs": d["msgs"], "bytes": d["msgs"] * args.size, "errors": d["errors"], "seconds": round(elapsed, 3),
              "msgs_per_s": round(d["msgs"] / elapsed), "mb_per_s": round(d["msgs"] * args.size / elapsed / 1e6, 1),
              "avg_ms": round(d["rt_sum"] / d["rt_n"] / 1000, 3) if d["rt_n"] else 0.0,
              "max_ms": round(d["rt_max"] / 1000, 3), "p50_ms": hist.quantile(0.5), "p99_ms": hist.quantile(0.99),
              "p999_ms": hist.quantile(0.999), "client_retries": d["retries"], "worker_errors": []}
    print(json.dumps(result) if args.json else
          f"[Send summary, C++ client] msgs: {result['msgs']} TPS: {result['msgs_per_s']} MB/s: {result['mb_per_s']} "
          f"Avg RT(ms): {result['avg_ms']} Max RT(ms): {result['max_ms']} p50: {result['p50_ms']} "
          f"p99: {result['p99_ms']} p999: {result['p999_ms']} errors: {result['errors']} "
          f"client retries: {result['client_retries']}", flush=True)
    return result

"""NameServer route-lookup throughput and latency, client and server on this machine.

Starts a real `namesrv`, registers one broker with N topics, then C concurrent connections each keep one
GET_ROUTEINFO_BY_TOPIC in flight for D seconds. Prints requests/s and p50/p99/max latency, and compares
with bench/baselines/namesrv_routes.json when present.

    .venv/bin/python -m bench.namesrv_routes [--connections 8] [--seconds 5] [--topics 100]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from remoting.bodies import TopicConfig
from remoting.client import RemotingClient
from remoting.codes import RequestCode
from remoting.command import make_request
from bench import baseline
from remoting import runtime
from tests.support.brokers import register
from tests.support.daemons import NamesrvProcess



async def worker(addr: str, topics: list[str], deadline: float, lat: list[float], idx: int) -> int:
    client = RemotingClient()
    n = 0
    try:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            resp = await client.invoke(addr, make_request(RequestCode.GET_ROUTEINFO_BY_TOPIC,
                                                          {"topic": topics[(idx + n) % len(topics)]}), timeout=5)
            lat.append(time.perf_counter() - t0)
            assert resp.code == 0
            n += 1
    finally:
        await client.close()
    return n


async def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp, NamesrvProcess(Path(tmp)) as ns:
        broker = RemotingClient()  # stays connected: the namesrv drops a broker whose connection closes
        topics = [f"BenchTopic{i}" for i in range(args.topics)]
        await register(broker, ns.addr, "DefaultCluster", "broker-a", 0, "127.0.0.1:10911",
                       [TopicConfig(t, 8, 8, 6) for t in topics])
        lat: list[float] = []
        t0 = time.perf_counter()
        counts = await asyncio.gather(*[worker(ns.addr, topics, t0 + args.seconds, lat, i)
                                        for i in range(args.connections)])
        elapsed = time.perf_counter() - t0
        await broker.close()
    lat.sort()
    q = statistics.quantiles(lat, n=100)
    return {"requests_per_s": round(sum(counts) / elapsed), "p50_ms": round(q[49] * 1000, 3),
            "p99_ms": round(q[98] * 1000, 3), "max_ms": round(lat[-1] * 1000, 3),
            "connections": args.connections, "topics": args.topics, "seconds": args.seconds}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--topics", type=int, default=100)
    p.add_argument("--save-baseline", action="store_true")
    args = p.parse_args(argv)
    result = runtime.run(run(args))
    print(f"{'requests/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    print(f"{result['requests_per_s']:>12} {result['p50_ms']:>8} {result['p99_ms']:>8} {result['max_ms']:>8}")
    base = baseline.load("namesrv_routes")
    if base:
        print(f"baseline: {base['requests_per_s']} requests/s -> "
              f"{baseline.change(result['requests_per_s'], base['requests_per_s'])}")
    if args.save_baseline:
        baseline.save("namesrv_routes", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

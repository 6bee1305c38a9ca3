"""Producer load generator, in the spirit of Apache RocketMQ's benchmark/producer.sh.

    bench/producer -n 127.0.0.1:9876 -t BenchTopic -s 1024 -w 16 -d 20 [-b 32] [-m sync|async|oneway]
                   [-p 2] [-c 1] [--tps N] [--driver asyncio|cpp] [--json]

`-w` concurrent senders spread over `-p` processes, each process with `-c` connections to the broker. In
`sync` mode a sender waits for each answer (Java's send()); in `async` mode it keeps `-i` sends in flight
(Java's send(msg, callback)); `oneway` counts what was written. `--driver cpp` runs the same load with the
C++-core client `rocketmq==0.4.4` (threads, sync sends) instead of our asyncio client.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time

from bench.client import BenchConnection, SendEncoder, connect, topic_route
from bench.stats import Histogram, Ticker, Window, run_workers
from remoting import runtime


async def _produce(q, args: argparse.Namespace, senders: int, index: int) -> tuple[Window, Histogram, dict]:
    addr, queues = await topic_route(args.namesrv, args.topic)
    conns: list[BenchConnection] = [await connect(addr) for _ in range(args.connections)]
    encoder = SendEncoder(args.group, args.topic, args.size, args.batch, oneway=args.mode == "oneway")
    if args.deliver_at:
        # timed messages (the 5.x timer): TIMER_DELIVER_MS at --deliver-at, spread evenly over --deliver-spread s
        plain, rng, spread = encoder.message_props, random.Random(index), int(args.deliver_spread * 1000)
        encoder.message_props = lambda: (f"{plain()}TIMER_DELIVER_MS\x01"
                                         f"{args.deliver_at + (rng.randrange(spread) if spread else 0)}\x02")
    ticker, hist = Ticker(q), Histogram()
    deadline = time.monotonic() + args.duration
    inflight = 1 if args.mode == "sync" else args.inflight
    rate = args.tps / args.processes / senders / args.batch if args.tps else 0.0
    per = args.batch
    quota = -(-args.messages // (args.processes * senders * args.batch)) if args.messages else -1  # sends each

    async def sender(i: int) -> None:
        conn = conns[i % len(conns)]
        slots = asyncio.Semaphore(inflight)
        queue_id = (index * senders + i) % queues
        next_at = time.monotonic()
        sends = 0
        while time.monotonic() < deadline and sends != quota:
            sends += 1
            if rate:
                next_at += 1.0 / rate
                delay = next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await slots.acquire()
            opaque = conn.next_opaque()
            frame, nbytes = encoder.frame(opaque, queue_id)
            queue_id = (queue_id + 1) % queues
            if args.mode == "oneway":
                conn.send(frame, opaque, None)
                ticker.second.record(per, nbytes, None)
                slots.release()
                await conn.drain()
                continue
            t0 = time.perf_counter_ns()

            def done(code: int, _ext: dict, _body: bytes | None, t0: int = t0, nbytes: int = nbytes) -> None:
                slots.release()
                if code == 0:
                    us = (time.perf_counter_ns() - t0) // 1000
                    ticker.second.record(per, nbytes, us)
                    hist.add(us)
                else:
                    ticker.second.errors += 1
            conn.send(frame, opaque, done)
            await conn.drain()
        for _ in range(inflight):   # wait for this sender's answers, bounded
            try:
                async with asyncio.timeout(5.0):
                    await slots.acquire()
            except TimeoutError:
                break

    t0 = time.monotonic()
    tick = asyncio.create_task(ticker.run())
    await asyncio.gather(*[sender(i) for i in range(senders)])
    elapsed = time.monotonic() - t0
    for c in conns:
        ticker.second.errors += c.fail_pending()
        c.transport.close()
    ticker.stop()
    await tick
    return ticker.total, hist, {"elapsed_max": elapsed}


def _worker(q, args: argparse.Namespace, senders: int, index: int) -> None:
    try:
        total, hist, extra = runtime.run(_produce(q, args, senders, index))
        # the parent prints the ticks each second and sums these totals for the summary
        q.put(("done", total, dict(hist.counts), extra))
    except BaseException as e:  # noqa: BLE001 - report, do not hang the parent
        q.put(("error", f"{type(e).__name__}: {e}"))


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", "--namesrv", default=os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876"))
    p.add_argument("-t", "--topic", default="BenchmarkTest")
    p.add_argument("-g", "--group", default="benchmark_producer")
    p.add_argument("-s", "--size", type=int, default=1024, help="message body bytes")
    p.add_argument("-w", "--senders", type=int, default=16, help="concurrent senders (threads for --driver cpp)")
    p.add_argument("-d", "--duration", type=float, default=20.0, help="seconds")
    p.add_argument("-b", "--batch", type=int, default=1, help="messages per send (SEND_BATCH_MESSAGE when > 1)")
    p.add_argument("-m", "--mode", choices=("sync", "async", "oneway"), default="sync")
    p.add_argument("-i", "--inflight", type=int, default=16, help="sends in flight per sender in async mode")
    p.add_argument("-p", "--processes", type=int, default=2)
    p.add_argument("-c", "--connections", type=int, default=1, help="connections per process")
    p.add_argument("--messages", type=int, default=0,
                   help="stop after about this many messages in all (rounded up to whole sends per sender)")
    p.add_argument("--tps", type=float, default=0.0, help="target messages/s in all (0 = as fast as possible)")
    p.add_argument("--driver", choices=("asyncio", "cpp"), default="asyncio")
    p.add_argument("--deliver-at", type=int, default=0, help="timed messages: TIMER_DELIVER_MS (epoch ms)")
    p.add_argument("--deliver-spread", type=float, default=0.0, help="timed messages: spread over this many s")
    p.add_argument("--json", action="store_true", help="print only the summary, as one JSON line")
    args = p.parse_args(argv)
    args.processes = max(1, min(args.processes, args.senders))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.driver == "cpp":
        from bench.cpp_driver import run_cpp_producer
        result = run_cpp_producer(args)
    else:
        shares = _split(args.senders, args.processes)
        result = run_workers(_worker, [(args, n, i) for i, n in enumerate(shares)], "Send", args.duration,
                             as_json=args.json)
    return 0 if result["msgs"] > 0 and not result["worker_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())

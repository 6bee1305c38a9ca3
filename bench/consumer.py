"""Consumer load generator, in the spirit of Apache RocketMQ's benchmark/consumer.sh.

    bench/consumer -n 127.0.0.1:9876 -t BenchTopic -d 20 [-p 2] [--batch 32] [--drain] [--from-offset 0] [--json]

The topic's queues are shared out over `-p` processes; each process keeps one PULL_MESSAGE in flight per queue
(as the Java push consumer does), with long polling when caught up. Every record of every pull body is walked
and checked (its queue, offsets strictly ascending), and the latency printed is born-to-consumer (B2C), as
the Java benchmark reports it. `--drain` stops each queue at the first empty answer (backlog drain);
otherwise it runs for `-d` seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

from bench.client import connect, pull_frame, topic_route, walk_records
from bench.stats import Histogram, Ticker, Window, run_workers
from remoting import runtime
from remoting.codes import ResponseCode


async def _consume(q, args: argparse.Namespace, shares: list[list[int]]) -> tuple[Window, Histogram, dict]:
    """One connection per consumer instance; `shares` holds each instance's queues."""
    addr, _queues = await topic_route(args.namesrv, args.topic)
    conns = [await connect(addr) for _ in shares]
    owner = {qid: conns[i] for i, s in enumerate(shares) for qid in s}
    queue_ids = [qid for s in shares for qid in s]
    ticker, hist = Ticker(q), Histogram()
    t0 = time.monotonic()
    deadline = t0 + args.duration
    first_msg: list[float] = []
    last_msg = [t0]
    suspend_ms = 0 if args.drain else 1000
    ended = asyncio.Event()
    running = len(queue_ids)

    def pull(queue_id: int, offset: int) -> None:
        conn = owner[queue_id]
        opaque = conn.next_opaque()

        def done(code: int, ext: dict, body: bytes | None) -> None:
            nonlocal running
            now_ms = int(time.time() * 1000)
            next_offset = offset
            finished = time.monotonic() >= deadline
            if code == ResponseCode.SUCCESS and body:
                try:
                    count, born = walk_records(body, queue_id, offset)
                except ValueError as e:
                    ticker.second.errors += 1
                    q.put(("error", str(e)))
                    count, born = 0, []
                for b in born:
                    hist.add(max(0, now_ms - b) * 1000)
                ticker.second.record(count, len(body), None)
                last_msg[0] = time.monotonic()
                if not first_msg:
                    first_msg.append(last_msg[0])
                next_offset = int(ext["nextBeginOffset"])
            elif code in (ResponseCode.PULL_NOT_FOUND, ResponseCode.PULL_RETRY_IMMEDIATELY,
                          ResponseCode.PULL_OFFSET_MOVED):
                next_offset = int(ext.get("nextBeginOffset", offset))
                if args.drain and code == ResponseCode.PULL_NOT_FOUND:
                    finished = True
            else:
                ticker.second.errors += 1
                finished = finished or code < 0
            if finished:
                running -= 1
                if running == 0:
                    ended.set()
                return
            pull(queue_id, next_offset)

        conn.send(pull_frame(opaque, args.group, args.topic, queue_id, offset, args.batch, suspend_ms, 0),
                  opaque, done)

    tick = asyncio.create_task(ticker.run())
    for qid in queue_ids:
        pull(qid, args.from_offset)
    try:
        async with asyncio.timeout(args.duration + 10):
            await ended.wait()
    except TimeoutError:
        ticker.second.errors += sum(c.fail_pending() for c in conns)
    for c in conns:
        c.transport.close()
    # from the first message to the last: the rate while messages flowed, not connection set-up or idle tails
    elapsed = last_msg[0] - first_msg[0] if first_msg and last_msg[0] > first_msg[0] else time.monotonic() - t0
    ticker.stop()
    await tick
    return ticker.total, hist, {"elapsed_max": elapsed}


def _worker(q, args: argparse.Namespace, shares: list[list[int]]) -> None:
    try:
        total, hist, extra = runtime.run(_consume(q, args, shares))
        q.put(("done", total, dict(hist.counts), extra))
    except BaseException as e:  # noqa: BLE001
        q.put(("error", f"{type(e).__name__}: {e}"))


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", "--namesrv", default=os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876"))
    p.add_argument("-t", "--topic", default="BenchmarkTest")
    p.add_argument("-g", "--group", default=f"benchmark_consumer_{os.getpid()}")
    p.add_argument("-d", "--duration", type=float, default=20.0, help="seconds (an upper bound with --drain)")
    p.add_argument("-p", "--processes", type=int, default=2)
    p.add_argument("-c", "--consumers", type=int, default=0,
                   help="consumer instances (one connection each, queues shared out; default one per process)")
    p.add_argument("--batch", type=int, default=32, help="maxMsgNums per pull (Java's pullBatchSize)")
    p.add_argument("--from-offset", type=int, default=0)
    p.add_argument("--drain", action="store_true", help="stop each queue at its first empty answer")
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    _addr, queues = runtime.run(topic_route(args.namesrv, args.topic))
    instances = max(1, min(args.consumers or args.processes, queues))
    procs = max(1, min(args.processes, instances))
    shares = [[qid for qid in range(queues) if qid % instances == i] for i in range(instances)]
    per_proc = [shares[i::procs] for i in range(procs)]
    result = run_workers(_worker, [(args, s) for s in per_proc], "Consume",
                         args.duration, as_json=args.json)
    return 0 if not result["worker_errors"] and not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())

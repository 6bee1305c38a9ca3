"""Store-only benchmark (no network): append 1 KiB messages with ASYNC_FLUSH and SYNC_FLUSH, then read them
back sequentially through consume queues. Prints msgs/s and MB/s per phase.

    .venv/bin/python -m bench.store_bench [--messages 200000] [--size 1024] [--sync-messages 20000]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time

from bench import baseline
from remoting import runtime
from store import message as m
from store.config import MessageStoreConfig
from store.message_store import MessageStore



def make(i: int, body: bytes) -> m.StoredMessage:
    return m.StoredMessage(topic="BenchTopic", body=body, queue_id=i % 8, born_timestamp=i,
                           born_host=("10.0.0.1", 5000),
                           properties=f"UNIQ_KEY\x01{i:032X}\x02TAGS\x01TagA\x02KEYS\x01k{i}")


async def run(args: argparse.Namespace) -> dict:
    out = {}
    body = b"x" * args.size
    with tempfile.TemporaryDirectory() as tmp:
        for mode, n in (("ASYNC_FLUSH", args.messages), ("SYNC_FLUSH", args.sync_messages)):
            cfg = MessageStoreConfig(storePathRootDir=f"{tmp}/{mode}", flushDiskType=mode,
                                     mappedFileSizeCommitLog=args.file_size)
            s = MessageStore(cfg)
            s.load()
            s.start()
            msgs = [make(i, body) for i in range(n)]
            t0 = time.perf_counter()
            if mode == "ASYNC_FLUSH":
                for msg in msgs:
                    s.put_message(msg)
            else:
                # many producers at once, as a broker sees them: group commit covers each batch of waiters
                await asyncio.gather(*[s.put_message_async(msg) for msg in msgs])
            dt = time.perf_counter() - t0
            out[f"append_{mode.lower()}"] = {"msgs_per_s": round(n / dt), "mb_per_s": round(n * args.size / dt / 1e6, 1)}
            if mode == "ASYNC_FLUSH":
                t0 = time.perf_counter()
                got = 0
                for q in range(8):
                    off = 0
                    while True:
                        res = s.get_message("BenchTopic", q, off, 32)
                        if res.status.name != "FOUND":
                            break
                        got += res.message_count
                        off = res.next_begin_offset
                        res.release()
                dt = time.perf_counter() - t0
                assert got == n, (got, n)
                out["read_sequential"] = {"msgs_per_s": round(n / dt), "mb_per_s": round(n * args.size / dt / 1e6, 1)}
            await s.shutdown()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="store-only benchmark")
    p.add_argument("--messages", type=int, default=200_000)
    p.add_argument("--sync-messages", type=int, default=20_000)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--file-size", type=int, default=1 << 30)
    p.add_argument("--save-baseline", action="store_true")
    args = p.parse_args(argv)
    result = runtime.run(run(args))
    print(f"{'phase':<22} {'msgs/s':>10} {'MB/s':>8}")
    base = baseline.load("store_bench")
    for phase, r in result.items():
        extra = ""
        if phase in base:
            extra = f"   baseline {base[phase]['msgs_per_s']} ({baseline.change(r['msgs_per_s'], base[phase]['msgs_per_s'])})"
        print(f"{phase:<22} {r['msgs_per_s']:>10} {r['mb_per_s']:>8}{extra}")
    if args.save_baseline:
        baseline.save("store_bench", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

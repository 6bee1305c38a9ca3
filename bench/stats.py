"""Counting for the load generators: a mergeable latency histogram, per-second ticks from worker processes,
and the report lines (per-second TPS, MB/s, average/max RT, then p50/p99/p999 and a summary)."""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import queue
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable


def bucket(us: int) -> int:
    """Latency bucket in microseconds: exact below 1 ms, 10 µs steps to 10 ms, 100 µs steps above."""
    if us < 1000:
        return us
    if us < 10000:
        return us - us % 10
    return us - us % 100


@dataclass
class Histogram:
    counts: Counter = field(default_factory=Counter)
    total: int = 0

    def add(self, us: int) -> None:
        self.counts[bucket(us)] += 1
        self.total += 1

    def merge(self, other: dict[int, int]) -> None:
        for k, v in other.items():
            self.counts[int(k)] += v
            self.total += v

    def quantile(self, q: float) -> float:
        """The q-quantile in milliseconds (0 when empty)."""
        if not self.total:
            return 0.0
        rank = q * self.total
        seen = 0
        for k in sorted(self.counts):
            seen += self.counts[k]
            if seen >= rank:
                return k / 1000
        return max(self.counts) / 1000


@dataclass
class Window:
    """What a worker counted during one second (or the whole run)."""
    msgs: int = 0
    nbytes: int = 0
    errors: int = 0
    rt_sum_us: int = 0
    rt_n: int = 0
    rt_max_us: int = 0

    def record(self, msgs: int, nbytes: int, rt_us: int | None) -> None:
        self.msgs += msgs
        self.nbytes += nbytes
        if rt_us is not None:
            self.rt_sum_us += rt_us
            self.rt_n += 1
            if rt_us > self.rt_max_us:
                self.rt_max_us = rt_us

    def add(self, other: "Window") -> None:
        self.msgs += other.msgs
        self.nbytes += other.nbytes
        self.errors += other.errors
        self.rt_sum_us += other.rt_sum_us
        self.rt_n += other.rt_n
        self.rt_max_us = max(self.rt_max_us, other.rt_max_us)


class Ticker:
    """A worker's counting: `second` is the current second's Window; once a second it goes to the parent's
    queue and into `total`."""

    def __init__(self, q) -> None:
        self.q = q
        self.second = Window()
        self.total = Window()
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(1.0):
                    await self._stop.wait()
            except TimeoutError:
                pass
            self.q.put(("tick", self.second))
            self.total.add(self.second)
            self.second = Window()

    def stop(self) -> None:
        self._stop.set()


def run_workers(target: Callable, args_per_worker: list[tuple], label: str, duration: float,
                quiet: bool = False, as_json: bool = False) -> dict:
    """Run `target(report_queue, *args)` in one process per entry, print a line per second and a summary.

    A worker puts ("tick", Window) about once a second and ("done", Window, histogram dict, extra dict) at the
    end, or ("error", text)."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=target, args=(q, *a), daemon=True) for a in args_per_worker]
    for p in procs:
        p.start()
    total = Window()
    hist = Histogram()
    extra: dict = {}
    done = 0
    errors: list[str] = []
    second = Window()
    t0 = time.monotonic()
    next_print = t0 + 1.0
    deadline = t0 + duration + 60  # the workers stop themselves; this only bounds a hang
    while done < len(procs):
        timeout = max(0.05, min(next_print, deadline) - time.monotonic())
        try:
            item = q.get(timeout=timeout)
        except queue.Empty:
            item = None
        if item is not None:
            kind = item[0]
            if kind == "tick":
                second.add(item[1])
            elif kind == "done":
                done += 1
                total.add(item[1])
                hist.merge(item[2])
                for k, v in item[3].items():
                    extra[k] = max(extra.get(k, 0), v) if k.endswith("_max") else extra.get(k, 0) + v
            elif kind == "error":
                done += 1
                errors.append(item[1])
        now = time.monotonic()
        if now >= next_print:
            if not quiet and not as_json:
                avg = second.rt_sum_us / second.rt_n / 1000 if second.rt_n else 0.0
                print(f"{label} TPS: {second.msgs:d} MB/s: {second.nbytes / 1e6:.1f} Avg RT(ms): {avg:.3f} "
                      f"Max RT(ms): {second.rt_max_us / 1000:.3f} Errors: {second.errors}", flush=True)
            second = Window()
            next_print = now + 1.0
        if now > deadline:
            errors.append("workers did not finish in time")
            break
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
    elapsed = float(extra.pop("elapsed_max", 0.0)) or (time.monotonic() - t0)
    result = {
        "msgs": total.msgs, "bytes": total.nbytes, "errors": total.errors, "seconds": round(elapsed, 3),
        "msgs_per_s": round(total.msgs / elapsed) if elapsed else 0,
        "mb_per_s": round(total.nbytes / elapsed / 1e6, 1) if elapsed else 0.0,
        "avg_ms": round(total.rt_sum_us / total.rt_n / 1000, 3) if total.rt_n else 0.0,
        "max_ms": round(total.rt_max_us / 1000, 3),
        "p50_ms": hist.quantile(0.50), "p99_ms": hist.quantile(0.99), "p999_ms": hist.quantile(0.999),
        **extra, "worker_errors": errors,
    }
    if as_json:
        print(json.dumps(result), flush=True)
    else:
        print(f"[{label} summary] msgs: {result['msgs']} TPS: {result['msgs_per_s']} MB/s: {result['mb_per_s']} "
              f"Avg RT(ms): {result['avg_ms']} Max RT(ms): {result['max_ms']} p50: {result['p50_ms']} "
              f"p99: {result['p99_ms']} p999: {result['p999_ms']} errors: {result['errors']}"
              + (f" worker failures: {errors}" if errors else ""), flush=True)
    return result

"""Scenario t of bench/run (the 5.x timer): sends with no timer pending; --timers timed messages (1 KiB,
TIMER_DELIVER_MS spread over an hour starting in 10 minutes) and the time until all are in the wheel; broker
memory (RssAnon = heap, RssFile = mapped store pages) and the timer files on disk before and after; the same
sends with the timers pending; then --burst timers due in one second (into their own topic) and how fast and
how late they are put back, with a py-spy profile of the broker during that delivery."""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from bench.profile_summary import summarise
from bench.run import Bench, Cluster, PySpy, Row, broker_info, produce, tool, tool_start, tool_wait
from remoting.client import RemotingClient
from remoting.codes import RequestCode
from remoting.command import make_request

QUEUES = 8


def memory(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon, RssFile in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(line.split()[1]) * 1024
    return out


def disk(path: Path) -> tuple[int, int]:
    """(apparent bytes, allocated bytes) of a file or a directory's files (the wheel is a sparse file)."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    stats = [os.stat(p) for p in files]
    return sum(s.st_size for s in stats), sum(s.st_blocks * 512 for s in stats)


def wait_enqueued(addr: str, timeout: float) -> float:
    """Seconds until the timer has taken every timer-topic entry into its wheel (timerOffsetBehind 0)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if broker_info(addr).get("timerOffsetBehind") == "0":
            return time.monotonic() - t0
        time.sleep(0.2)
    raise TimeoutError("timer enqueue did not catch up")


async def _watch_burst(addr: str, topic: str, total: int, due_end_ms: int, timeout: float) -> tuple[int, int]:
    """(first put-back ms, last put-back ms) of the burst topic, from its queues' max offsets every 20 ms."""
    client = RemotingClient()
    first = 0
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = 0
            for q in range(QUEUES):
                resp = await client.invoke(addr, make_request(RequestCode.GET_MAX_OFFSET,
                                                              {"topic": topic, "queueId": str(q)}), 5)
                n += int(resp.ext("offset"))
            now = int(time.time() * 1000)
            if n and not first:
                first = now
            if n >= total:
                return first, now
            await asyncio.sleep(0.02 if time.time() * 1000 > due_end_ms - 200 else 0.2)
        raise TimeoutError(f"burst: {n} of {total} put back")
    finally:
        await client.close()


def run(b: Bench) -> None:
    a = b.args
    n, burst = a.timers, a.burst
    with Cluster(b.tmp / "t") as c:
        store = Path(c.broker.props["storePathRootDir"])
        pid = c.broker.proc.pid
        plain = c.topic("BenchTimerPlain", QUEUES)
        timed = c.topic("BenchTimer", QUEUES)
        burst_topic = c.topic("BenchTimerBurst", QUEUES)
        mem0 = memory(pid)
        lines: list[str] = []
        b.measured(c, "t0", "produce 1 KiB, 16 senders, no timer pending", lambda: produce(c, plain, a, "-w", 16))
        start = int(time.time() * 1000) + 600_000
        fill = b.measured(c, "t1", f"send {n:,} timers (1 KiB, due over 1 h from +10 min)", lambda: tool(
            "bench.producer", "-n", c.ns.addr, "-t", timed, "-d", 1800, "-w", 16, "--messages", n,
            "--deliver-at", start, "--deliver-spread", 3600, timeout=1900))
        catch_up = wait_enqueued(c.broker.addr, 600)
        info = broker_info(c.broker.addr)
        mem1 = memory(pid)
        wheel, log = disk(store / "timerwheel"), disk(store / "timerlog")
        b.measured(c, "t2", f"produce 1 KiB, 16 senders, {int(info['timerCongestNum']):,} timers pending",
                   lambda: produce(c, plain, a, "-w", 16))
        # the burst: all due within one second, a tick far enough ahead to send them all first; alone (t3), then
        # again with 16 senders producing from half a second before the tick ends (t4)
        results = []
        for label, with_sends in (("t3", False), ("t4", True)):
            send_s = burst / max(fill["msgs_per_s"], 1000) + 15
            tick = (int(time.time()) + int(send_s)) * 1000
            topic = burst_topic if not with_sends else c.topic("BenchTimerBurst2", QUEUES)
            sent = tool("bench.producer", "-n", c.ns.addr, "-t", topic, "-d", 600, "-w", 16, "--messages", burst,
                        "--deliver-at", tick + 1, "--deliver-spread", 0.998, timeout=700)
            if time.time() * 1000 > tick:
                b.notes.append(f"- {label}: the burst's sends ended {time.time() * 1000 - tick:.0f} ms after its "
                               "tick began: raise the margin")
            wait_enqueued(c.broker.addr, 300)
            beside = None
            if with_sends:
                time.sleep(max(0.0, (tick + 500) / 1000 - time.time()))
                beside = tool_start("bench.producer", "-n", c.ns.addr, "-t", plain, "-d", a.duration, "-w", 16)
            spy = PySpy(pid, b.tmp / f"{label}-burst.raw") if a.profile and not with_sends else None
            first, last = asyncio.run(_watch_burst(c.broker.addr, topic, sent["msgs"], tick + 1000, 600))
            # the event loop's stacks only: the flush threads' fdatasync waits are not delivery work
            lines = [ln for ln in (spy.stop() if spy else []) if "concurrent/futures/thread.py" not in ln] or lines
            rate = sent["msgs"] / max((last - first) / 1000, 0.001)
            b.add(Row(label, f"{sent['msgs']:,} timers due in one second: put back"
                      + (" (sends beside)" if with_sends else ""),
                      {"msgs_per_s": int(rate), "mb_per_s": round(rate * 1024 / 2**20, 1), "p50_ms": "", "p99_ms": ""}))
            if beside is not None:
                b.add(Row(label, f"produce 1 KiB, 16 senders, {a.duration:.0f} s from that burst's tick on",
                          tool_wait(beside)))
            results.append((label, sent, first - (tick + 1000), last - (tick + 1000), rate))
        mib = 2**20
        b.notes += [
            f"- t1: {fill['msgs']:,} timed sends at {fill['msgs_per_s']:,} msgs/s; the wheel had every one "
            f"{catch_up:.1f} s after the last send; runtime info then: timerCongestNum "
            f"{info['timerCongestNum']}, timerOffsetBehind {info['timerOffsetBehind']}, timerEnqueueTps "
            f"{info['timerEnqueueTps']}",
            f"- broker memory before any timer / with {int(info['timerCongestNum']):,} pending: RssAnon "
            f"{mem0['RssAnon'] / mib:.0f} / {mem1['RssAnon'] / mib:.0f} MiB, RssFile {mem0['RssFile'] / mib:.0f} / "
            f"{mem1['RssFile'] / mib:.0f} MiB (mapped commit log, timer log and wheel pages: page cache), VmRSS "
            f"{mem0['VmRSS'] / mib:.0f} / {mem1['VmRSS'] / mib:.0f} MiB",
            f"- timer files on disk: timerwheel {wheel[0] / mib:.1f} MiB apparent, {wheel[1] / mib:.2f} MiB "
            f"allocated (sparse: only written slots); timerlog {log[0] / mib:.0f} MiB apparent, "
            f"{log[1] / mib:.1f} MiB allocated ({n:,} units of 52 bytes = {n * 52 / mib:.1f} MiB)",
        ]
        for label, sent, first_at, last_at, rate in results:
            b.notes.append(f"- {label}: {sent['msgs']:,} sent at {sent['msgs_per_s']:,} msgs/s, all due in the tick "
                           f"ending at T; first put back T{first_at:+d} ms, last T{last_at:+d} ms (the delivery lag "
                           f"of the last one), {rate:,.0f} msgs/s")
        if lines:
            total, self_c, incl = summarise(lines)
            b.notes += ["", f"py-spy of the broker's event loop during the burst ({total} samples at 100/s):", "",
                        "| self % | function | | inclusive % | function |", "|---:|---|---|---:|---|"]
            for (sn, sc), (iname, ic) in zip(self_c.most_common(15), incl.most_common(15)):
                b.notes.append(f"| {sc / total * 100:.1f} | `{sn}` | | {ic / total * 100:.1f} | `{iname}` |")
            b.notes.append("")

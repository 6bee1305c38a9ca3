"""Scenario s of bench/run: how the broker's cost grows with the size of its world.

A broker gets --topics topics x 8 queues and --groups consumer groups (admin requests, a bounded number in
flight), then --connections client connections spread over several processes (`python -m bench.scale
clients ...`), each a consumer of one group that heartbeats (HEART_BEAT with a HeartbeatData body, as the
Java client builds it) on connecting and every 30 s after, staggered evenly over the period. Measured:
the broker's RssAnon before the world, after the topics/groups and after the connections; its CPU while
the connections only heartbeat; heartbeat round trips; route lookups (GET_ROUTEINFO_BY_TOPIC on the
NameServer, GET_TOPIC_STATS_INFO and GET_ALL_TOPIC_CONFIG on the broker); 1 KiB sync sends with 16
senders (bench.producer, as scenario a) in the big world and in a fresh small one.

A client process reads commands on stdin, one a line: `phase NAME` (heartbeat round trips from now on are
counted under NAME), `stop` (close everything, print the summary as one JSON line); it prints
`{"event": "ready", ...}` once all its connections are open and have had their first heartbeat answered.

    .venv/bin/python -m bench.run --only s [--scale-connections 10000 --scale-topics 5000 --scale-groups 1000]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from bench.stats import Histogram
from remoting import fastjson, runtime
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_request
from remoting.connection import Connection

TOPIC_FMT = "ScaleTopic-{:05d}"
GROUP_FMT = "ScaleGroup-{:05d}"
HEARTBEAT_PERIOD = 30.0          # MQClientInstance heartbeatBrokerInterval
FD_MARGIN = 256                  # descriptors the broker needs besides client connections (store files, ...)


def raise_nofile() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard limit; returns the (soft, hard) now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        want = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def process_nofile(pid: int) -> int:
    """The soft 'Max open files' of a running process, from /proc (0 when unreadable; -1 unlimited)."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft = line.split()[3]
                return -1 if soft == "unlimited" else int(soft)
    except OSError:
        pass
    return 0


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def latency_row(hist: Histogram) -> tuple[float, float]:
    return round(hist.quantile(0.5), 3), round(hist.quantile(0.99), 3)


# ------------------------------------------------------------ the world: topics and groups

def group_body(group: str) -> bytes:
    """SubscriptionGroupConfig as mqadmin updateSubGroup sends it (Java defaults)."""
    return fastjson.dumpb({"brokerId": 0, "consumeBroadcastEnable": True, "consumeEnable": True,
                           "consumeFromMinEnable": True, "groupName": group, "notifyConsumerIdsChangedEnable": True,
                           "retryMaxTimes": 16, "retryQueueNums": 1, "whichBrokerWhenConsumeSlowly": 1})


def topic_ext(topic: str, queues: int) -> dict[str, str]:
    return {"topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
            "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}


async def build_world(broker: str, topics: int, groups: int, queues: int = 8, in_flight: int = 32,
                      timeout: float = 30.0) -> dict:
    """UPDATE_AND_CREATE_TOPIC for every topic, then UPDATE_AND_CREATE_SUBSCRIPTIONGROUP for every group, on
    one connection with at most `in_flight` requests outstanding. Returns counts, seconds and the request
    latency histograms."""
    client = RemotingClient()
    out: dict = {}
    try:
        for kind, n, build in (
                ("topics", topics,
                 lambda i: make_request(RequestCode.UPDATE_AND_CREATE_TOPIC, topic_ext(TOPIC_FMT.format(i), queues))),
                ("groups", groups,
                 lambda i: make_request(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {},
                                        group_body(GROUP_FMT.format(i))))):
            hist, failed = Histogram(), []
            todo = iter(range(n))

            async def worker() -> None:
                for i in todo:
                    t0 = time.perf_counter_ns()
                    resp = await client.invoke(broker, build(i), timeout)
                    hist.add((time.perf_counter_ns() - t0) // 1000)
                    if resp.code != ResponseCode.SUCCESS:
                        failed.append(f"{kind} {i}: {resp.code} {resp.remark}")
            t0 = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(max(1, min(in_flight, n)))))
            if failed:
                raise RuntimeError(f"{len(failed)} {kind} not created, first: {failed[0]}")
            out[kind] = {"count": n, "seconds": time.monotonic() - t0, "hist": hist}
    finally:
        await client.close()
    return out


# ------------------------------------------------------------ lookups

async def timed_requests(addr: str, build, count: int, in_flight: int = 1, timeout: float = 10.0) -> dict:
    """`count` requests `build(i)` to `addr`, `in_flight` at a time; latency histogram, rate, failures, and
    the size of the last body answered."""
    client = RemotingClient()
    hist, failed, size = Histogram(), [0], [0]
    todo = iter(range(count))

    async def worker() -> None:
        for i in todo:
            t0 = time.perf_counter_ns()
            resp = await client.invoke(addr, build(i), timeout)
            hist.add((time.perf_counter_ns() - t0) // 1000)
            if resp.code != ResponseCode.SUCCESS:
                failed[0] += 1
            size[0] = len(resp.body or b"")
    try:
        t0 = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(max(1, min(in_flight, count)))))
        seconds = time.monotonic() - t0
    finally:
        await client.close()
    return {"count": count, "failed": failed[0], "per_s": count / seconds if seconds else 0.0, "hist": hist,
            "body_bytes": size[0]}


def route_request(topics: int, rng: random.Random):
    return lambda _i: make_request(RequestCode.GET_ROUTEINFO_BY_TOPIC,
                                   {"topic": TOPIC_FMT.format(rng.randrange(topics))})


def topic_stats_request(topics: int, rng: random.Random):
    return lambda _i: make_request(RequestCode.GET_TOPIC_STATS_INFO, {"topic": TOPIC_FMT.format(rng.randrange(topics))})


# ------------------------------------------------------------ heartbeating clients (a subprocess each)

def heartbeat_body(client_id: str, group: str, topic: str) -> bytes:
    """HeartbeatData of a push consumer (DefaultMQPushConsumer: its topic and %RETRY%group) whose client
    instance also holds the inner producer group, as a Java 4.9 client sends it."""
    sub = {"classFilterMode": False, "codeSet": [], "expressionType": "TAG", "subString": "*",
           "subVersion": int(time.time() * 1000), "tagsSet": []}
    return fastjson.dumpb({
        "clientID": client_id,
        "consumerDataSet": [{"consumeFromWhere": "CONSUME_FROM_LAST_OFFSET", "consumeType": "CONSUME_PASSIVELY",
                             "groupName": group, "messageModel": "CLUSTERING",
                             "subscriptionDataSet": [dict(sub, topic=topic), dict(sub, topic="%RETRY%" + group)],
                             "unitMode": False}],
        "producerDataSet": [{"groupName": "CLIENT_INNER_PRODUCER"}]})


class _Ignore:
    """Requests the broker sends a client (NOTIFY_CONSUMER_IDS_CHANGED, oneway) need no answer here."""

    def on_request(self, conn: Connection, cmd: RemotingCommand) -> None:
        pass


_IGNORE = _Ignore()


class HeartbeatClients:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.conns: list[Connection | None] = []
        self.bodies: list[bytes] = []
        self.phase = "connect"
        self.hists: dict[str, Histogram] = {"connect": Histogram()}
        self.errors: dict[str, int] = {"connect": 0}
        self.connect_failed = 0
        self._pending: set[asyncio.Task] = set()

    def _record(self, phase: str, us: int | None) -> None:
        if us is None:
            self.errors[phase] = self.errors.get(phase, 0) + 1
        else:
            self.hists.setdefault(phase, Histogram()).add(us)

    async def _beat(self, i: int) -> bool:
        conn = self.conns[i]
        phase = self.phase
        if conn is None or conn.closed:
            self._record(phase, None)
            return False
        t0 = time.perf_counter_ns()
        try:
            resp = await conn.request(make_request(RequestCode.HEART_BEAT, {}, self.bodies[i]), 10.0)
        except Exception:  # noqa: BLE001 - a timeout or a dropped connection counts as a failed heartbeat
            self._record(phase, None)
            return False
        self._record(phase, (time.perf_counter_ns() - t0) // 1000 if resp.code == ResponseCode.SUCCESS else None)
        return resp.code == ResponseCode.SUCCESS

    async def _open(self, i: int, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            _t, conn = await asyncio.wait_for(loop.create_connection(lambda: Connection(_IGNORE), host, port), 10.0)
        except (OSError, asyncio.TimeoutError):
            self.connect_failed += 1
            return
        self.conns[i] = conn
        await self._beat(i)

    async def run(self) -> dict:
        a = self.args
        host, port = a.broker.rsplit(":", 1)
        for k in range(a.count):
            g = a.first + k
            group = g % a.groups
            self.bodies.append(heartbeat_body(f"127.0.0.1@scale-{os.getpid()}-{g}", GROUP_FMT.format(group),
                                              TOPIC_FMT.format(group % a.topics)))
        self.conns = [None] * a.count
        t0 = time.monotonic()
        todo = iter(range(a.count))

        async def opener() -> None:
            for i in todo:
                await self._open(i, host, int(port))
        await asyncio.gather(*(opener() for _ in range(max(1, min(a.connect_in_flight, a.count)))))
        connected = sum(1 for c in self.conns if c is not None)
        print(json.dumps({"event": "ready", "connected": connected, "failed": self.connect_failed,
                          "seconds": time.monotonic() - t0, "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}),
              flush=True)

        # every connection beats once per period, at a phase set by its index among all the processes'
        # connections, so the broker sees an even stream of total/period heartbeats per second
        start = time.monotonic()
        due = deque(sorted((start + ((a.first + i) / a.total) * a.period, i) for i in range(a.count)))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read_commands, args=(loop, stop), daemon=True).start()
        while not stop.is_set():
            now = time.monotonic()
            while due and due[0][0] <= now:
                at, i = due.popleft()
                due.append((at + a.period, i))
                task = asyncio.ensure_future(self._beat(i))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
            wait = min(0.05, max(0.0, due[0][0] - now)) if due else 0.05
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except asyncio.TimeoutError:
                pass
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=10)
        lost = sum(1 for c in self.conns if c is not None and c.closed)
        for c in self.conns:
            if c is not None:
                c.close()
        return {"event": "summary", "connected": connected, "connect_failed": self.connect_failed,
                "lost": lost, "phases": {p: {"counts": dict(self.hists.get(p, Histogram()).counts), "errors": n}
                                         for p, n in {**dict.fromkeys(self.hists, 0), **self.errors}.items()}}

    def _read_commands(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["phase"] and len(words) == 2:
                loop.call_soon_threadsafe(setattr, self, "phase", words[1])
            elif words[:1] == ["stop"]:
                break
        loop.call_soon_threadsafe(stop.set)   # stop, or the parent went away (EOF)


def clients_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench.scale clients")
    p.add_argument("--broker", required=True)
    p.add_argument("--first", type=int, default=0, help="global index of this process's first connection")
    p.add_argument("--count", type=int, required=True, help="connections of this process")
    p.add_argument("--total", type=int, required=True, help="connections of all the processes (stagger)")
    p.add_argument("--topics", type=int, required=True)
    p.add_argument("--groups", type=int, required=True)
    p.add_argument("--period", type=float, default=HEARTBEAT_PERIOD)
    p.add_argument("--connect-in-flight", type=int, default=64)
    args = p.parse_args(argv)
    soft, _hard = raise_nofile()
    if soft != -1 and soft < args.count + 64:
        print(f"RLIMIT_NOFILE {soft} is too low for {args.count} connections", file=sys.stderr)
        return 2
    print(json.dumps(runtime.run(HeartbeatClients(args).run())), flush=True)
    return 0


class _CpuTotal:
    value = 0.0

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class ClientFleet:
    """The client processes of the scenario, driven over their stdin."""

    def __init__(self, broker: str, connections: int, processes: int, topics: int, groups: int,
                 period: float = HEARTBEAT_PERIOD) -> None:
        self.procs: list[subprocess.Popen] = []
        self.ready: list[dict] = []
        shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
        first = 0
        from tests.support.daemons import ROOT
        for n in shares:
            if not n:
                continue
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "bench.scale", "clients", "--broker", broker, "--first", str(first),
                 "--count", str(n), "--total", str(connections), "--topics", str(topics), "--groups", str(groups),
                 "--period", str(period)],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            first += n

    def wait_ready(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            line = ""
            while not line.startswith("{"):
                if time.monotonic() > deadline:
                    raise TimeoutError("heartbeat clients not ready in time")
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"heartbeat client exited {proc.wait()}: {proc.stderr.read()[-2000:]}")
            self.ready.append(json.loads(line))
        return {"connected": sum(r["connected"] for r in self.ready), "failed": sum(r["failed"] for r in self.ready),
                "seconds": max(r["seconds"] for r in self.ready)}

    def command(self, line: str) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.stdin.write(line + "\n")
                proc.stdin.flush()

    def stop(self, timeout: float = 60.0) -> dict:
        """Stop every process; merged heartbeat histograms and error counts per phase."""
        self.command("stop")
        phases: dict[str, dict] = {}
        lost = 0
        for proc in self.procs:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            lines = [ln for ln in out.splitlines() if ln.startswith("{") and '"summary"' in ln]
            if not lines:
                raise RuntimeError(f"heartbeat client ended {proc.returncode} without a summary: {err[-2000:]}")
            s = json.loads(lines[-1])
            lost += s["lost"]
            for name, ph in s["phases"].items():
                acc = phases.setdefault(name, {"hist": Histogram(), "errors": 0})
                acc["hist"].merge(ph["counts"])
                acc["errors"] += ph["errors"]
        phases["_lost"] = {"hist": Histogram(), "errors": lost}
        return phases

    @contextlib.contextmanager
    def sampled(self):
        """CPU % (of one core) of all the client processes together over the block (yields a holder)."""
        from bench.run import ProcSampler
        samplers = [ProcSampler(p.pid) for p in self.procs if p.poll() is None]
        holder = _CpuTotal()
        t0, cpu0 = time.monotonic(), [s.cpu_seconds() for s in samplers]
        try:
            yield holder
        finally:
            elapsed = time.monotonic() - t0
            used = sum(s.cpu_seconds() - c0 for s, c0 in zip(samplers, cpu0))
            holder.value = used / elapsed * 100 if elapsed else 0.0

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# ------------------------------------------------------------ the scenario (called by bench/run)

def _rate_row(what: str, rate: float, hist: Histogram, cpu: float, rss: float) -> "Row":
    from bench.run import Row
    p50, p99 = latency_row(hist)
    return Row("s", what, {"msgs_per_s": round(rate), "mb_per_s": "", "p50_ms": p50, "p99_ms": p99}, cpu, rss / 2**20)


def _connections_allowed(pid: int, wanted: int, notes: list[str]) -> tuple[int, int]:
    """(connections to open, the broker's RLIMIT_NOFILE): fewer than wanted when its limit is too low."""
    limit = process_nofile(pid)
    room = limit - FD_MARGIN - open_fds(pid)
    if limit == -1 or room >= wanted:
        return wanted, limit
    room = max(0, room)
    notes.append(f"- s: the broker's RLIMIT_NOFILE is {limit}: {room:,} connections instead of {wanted:,} (it "
                 f"inherits the limit of whoever starts bench/run; raise `ulimit -n`)")
    return room, limit


def _big_world(bench, c) -> dict:
    """World, connections, idle, lookups and sends on one broker; returns what the rows and notes need."""
    from bench.run import ProcSampler, SystemCpu, produce

    a = bench.args
    topics, groups = a.scale_topics, a.scale_groups
    rng = random.Random(7)
    pid = c.broker.proc.pid
    r: dict = {}
    conns, r["limit"] = _connections_allowed(pid, a.scale_connections, bench.notes)
    rss = ProcSampler(pid).rss
    time.sleep(1.0)
    r["rss_empty"] = rss()
    with ProcSampler(pid) as r["s_world"]:
        r["world"] = runtime.run(build_world(c.broker.addr, topics, groups))
    r["rss_world"] = rss()

    r["processes"] = max(1, min(a.scale_processes, conns // 500 or 1))
    fleet = ClientFleet(c.broker.addr, conns, r["processes"], topics, groups)
    try:
        with ProcSampler(pid) as r["s_conn"]:
            r["ready"] = fleet.wait_ready(timeout=600)
        time.sleep(2.0)   # answers and NOTIFY_CONSUMER_IDS_CHANGED written, registrations sent
        r["rss_conns"], r["fds"] = rss(), open_fds(pid)
        fleet.command("phase idle")
        with ProcSampler(pid) as r["s_idle"], ProcSampler(c.ns.proc.pid) as r["s_ns_idle"]:
            time.sleep(a.scale_idle)
        fleet.command("phase lookup")
        with ProcSampler(c.ns.proc.pid) as r["s_routes"]:
            r["routes"] = runtime.run(timed_requests(c.ns.addr, route_request(topics, rng), a.scale_lookups))
        with ProcSampler(pid) as r["s_stats"]:
            r["stats"] = runtime.run(timed_requests(c.broker.addr, topic_stats_request(topics, rng), a.scale_lookups))
        with ProcSampler(pid) as r["s_all"]:
            r["all_cfg"] = runtime.run(timed_requests(
                c.broker.addr, lambda _i: make_request(RequestCode.GET_ALL_TOPIC_CONFIG), 10))
        fleet.command("phase send")
        with SystemCpu() as r["m_big"], ProcSampler(pid) as r["s_big"], fleet.sampled() as r["s_fleet"]:
            r["big"] = produce(c, TOPIC_FMT.format(0), a, "-w", 16)
        r["phases"] = fleet.stop()
    finally:
        fleet.kill()
    # the same sends with the connections closed: the big tables alone
    time.sleep(1.0)
    with SystemCpu() as r["m_closed"], ProcSampler(pid) as r["s_closed"]:
        r["closed"] = produce(c, TOPIC_FMT.format(0), a, "-w", 16)
    r["ns_rss"] = ProcSampler(c.ns.proc.pid).rss()
    return r


def _small_world(bench, c) -> dict:
    from bench.run import ProcSampler, SystemCpu, produce

    r: dict = {}
    t = c.topic("ScaleSmall")
    with ProcSampler(c.ns.proc.pid) as r["s_routes"]:
        r["routes"] = runtime.run(timed_requests(
            c.ns.addr, lambda _i: make_request(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": t}),
            bench.args.scale_lookups))
    with SystemCpu() as r["m_send"], ProcSampler(c.broker.proc.pid) as r["s_send"]:
        r["send"] = produce(c, t, bench.args, "-w", 16)
    return r


def run(bench) -> None:
    from bench.run import Cluster, Row

    a = bench.args
    topics, groups = a.scale_topics, a.scale_groups
    raise_nofile()   # this process's client connections (lookups) and what it passes on
    with Cluster(bench.tmp / "s-big") as c:
        b = _big_world(bench, c)
    with Cluster(bench.tmp / "s-small") as c:
        sm = _small_world(bench, c)

    none = {"hist": Histogram(), "errors": 0}
    phases, ready, world = b["phases"], b["ready"], b["world"]
    both = Histogram()
    for kind in ("topics", "groups"):
        both.merge(world[kind]["hist"].counts)
    secs = world["topics"]["seconds"] + world["groups"]["seconds"]
    bench.add(_rate_row(f"create {topics:,} topics x 8 queues + {groups:,} groups (admin req/s)",
                        (topics + groups) / secs if secs else 0, both, b["s_world"].cpu_pct, b["rss_world"]))
    connected = ready["connected"]
    bench.add(_rate_row(f"open {connected:,} connections, first heartbeat each (conn/s)",
                        connected / ready["seconds"] if ready["seconds"] else 0, phases.get("connect", none)["hist"],
                        b["s_conn"].cpu_pct, b["rss_conns"]))
    idle = phases.get("idle", none)
    bench.add(_rate_row(f"idle {a.scale_idle:.0f} s, {connected:,} connections heartbeating every 30 s (hb/s)",
                        idle["hist"].total / a.scale_idle, idle["hist"], b["s_idle"].cpu_pct, b["s_idle"].peak_rss))
    bench.add(_rate_row(f"GET_ROUTEINFO_BY_TOPIC on the NameServer, {topics:,} topics (req/s; namesrv CPU/RSS)",
                        b["routes"]["per_s"], b["routes"]["hist"], b["s_routes"].cpu_pct, b["s_routes"].peak_rss))
    bench.add(_rate_row("GET_ROUTEINFO_BY_TOPIC on the NameServer, fresh small world (req/s; namesrv CPU/RSS)",
                        sm["routes"]["per_s"], sm["routes"]["hist"], sm["s_routes"].cpu_pct, sm["s_routes"].peak_rss))
    bench.add(_rate_row("GET_TOPIC_STATS_INFO of one topic on the broker (req/s)", b["stats"]["per_s"],
                        b["stats"]["hist"], b["s_stats"].cpu_pct, b["s_stats"].peak_rss))
    bench.add(_rate_row(f"GET_ALL_TOPIC_CONFIG, whole table ({b['all_cfg']['body_bytes'] / 2**20:.1f} MiB body; req/s)",
                        b["all_cfg"]["per_s"], b["all_cfg"]["hist"], b["s_all"].cpu_pct, b["s_all"].peak_rss))
    big, small = b["big"], sm["send"]
    bench.add(Row("s", "produce 1 KiB, 16 senders, big world", big, b["s_big"].cpu_pct, b["s_big"].peak_rss / 2**20))
    bench.add(Row("s", "the same, big world, connections closed", b["closed"], b["s_closed"].cpu_pct,
                  b["s_closed"].peak_rss / 2**20))
    bench.add(Row("s", "produce 1 KiB, 16 senders, fresh small world", small, sm["s_send"].cpu_pct,
                  sm["s_send"].peak_rss / 2**20))

    send = phases.get("send", none)
    errors = {f"heartbeats ({k})" if k != "_lost" else "connections lost": v["errors"]
              for k, v in phases.items() if v["errors"]}
    errors.update({f"{k} failed": v["failed"] for k, v in (("route lookups", b["routes"]), ("small-world route "
                   "lookups", sm["routes"]), ("topic stats", b["stats"]), ("all topic config", b["all_cfg"]))
                   if v["failed"]})
    ratio = big["msgs_per_s"] / small["msgs_per_s"] if small["msgs_per_s"] else 0.0
    closed_ratio = b["closed"]["msgs_per_s"] / small["msgs_per_s"] if small["msgs_per_s"] else 0.0
    rss_empty, rss_world, rss_conns = b["rss_empty"], b["rss_world"], b["rss_conns"]
    bench.notes.append(
        f"- s: broker RSS (anon) {rss_empty / 2**20:.1f} MiB empty, {rss_world / 2**20:.1f} MiB with {topics:,} "
        f"topics x 8 queues + {groups:,} groups (+{(rss_world - rss_empty) / 2**10 / max(1, topics + groups):.1f} "
        f"KiB per topic/group), {rss_conns / 2**20:.1f} MiB with {connected:,} heartbeating connections "
        f"(+{(rss_conns - rss_world) / 2**10 / max(1, connected):.1f} KiB each; {b['fds']:,} fds open, limit "
        f"{b['limit']}); NameServer RSS {b['ns_rss'] / 2**20:.1f} MiB. Topics created at "
        f"{topics / world['topics']['seconds']:,.0f}/s, groups at {groups / world['groups']['seconds']:,.0f}/s "
        f"(32 in flight). {connected:,} connections in {ready['seconds']:.1f} s over {b['processes']} client "
        f"processes ({ready['failed']} failed to connect). Idle: broker CPU {b['s_idle'].cpu_pct:.1f} %, NameServer "
        f"{b['s_ns_idle'].cpu_pct:.1f} %, {idle['hist'].total:,} heartbeats in {a.scale_idle:.0f} s. Heartbeats "
        f"during the sends: p50 {send['hist'].quantile(0.5):.2f} / p99 {send['hist'].quantile(0.99):.2f} ms "
        f"({send['hist'].total:,}). Sync sends, 16 senders: {big['msgs_per_s']:,} msgs/s in the big world, "
        f"{small['msgs_per_s']:,} in a fresh small one: ratio {ratio:.2f} (with the connections closed: "
        f"{b['closed']['msgs_per_s']:,} msgs/s, ratio {closed_ratio:.2f}). Machine CPU busy during those sends "
        f"(of {os.cpu_count()} cores): {b['m_big'].busy_pct:.0f} % (the heartbeating client processes "
        f"{b['s_fleet']:.0f} % of one core), {b['m_closed'].busy_pct:.0f} %, {sm['m_send'].busy_pct:.0f} %. "
        f"Failures: {errors or 'none'}.")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["clients"]:
        return clients_main(argv[1:])
    print("usage: python -m bench.scale clients ... (the scenario itself runs as: bench/run --only s)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

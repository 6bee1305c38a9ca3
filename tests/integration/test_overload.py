"""Overload protection end to end (broker/fast_failure): the real daemons, sends offered at about three times
the rate the broker stores them, over many connections. The broker answers part of them SYSTEM_BUSY with
Java's remarks instead of queueing without bound; its memory and the latency of what it answers stay
bounded; every send acknowledged SEND_OK is in the store (and nothing else is); once the load drops, sends
are stored normally again.

The client is the load generators' (bench/client): pre-rendered SEND_MESSAGE_V2 frames, answers matched by
opaque, here with the remark kept. It runs in the test process, the broker in its own: one core each.
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter

import pytest

from bench.client import BenchConnection, SendEncoder, create_topic
from remoting import fastjson, runtime
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from store import message as m
from tests.support.daemons import BrokerProcess, NamesrvProcess

TOPIC = "OverloadTopic"
QUEUES = 8
CONNS = 16
SIZE = 256
WAIT_MS = 100                # waitTimeMillsInSendQueue for this test (Java's default is 200)
CALIBRATE_S = 1.5
FLOOD_S = 6.0
MAX_OUT_PER_CONN = 3000      # the client's own bound on unanswered sends per connection
# BrokerFastFailure.cleanExpiredRequest and NettyRemotingAbstract.processRequestCommand, 4.9.7
JAVA_REMARK = re.compile(r"\[(TIMEOUT|PCBUSY)_CLEAN_QUEUE\]broker busy, start flow control for a while, "
                         r"period in queue: \d+ms, size of queue: \d+|"
                         r"\[(REJECTREQUEST|OVERLOAD)\]system busy, start flow control for a while")


class Answers(BenchConnection):
    """BenchConnection handing the whole response header (code, remark, extFields) to the callback."""

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos, n = 0, len(buf)
        while n - pos >= 8:
            length = int.from_bytes(buf[pos:pos + 4], "big")
            hlen = int.from_bytes(buf[pos + 5:pos + 8], "big")
            end = pos + 4 + length
            if end > n:
                break
            header = json.loads(bytes(buf[pos + 8:pos + 8 + hlen]))
            pos = end
            if header.get("flag", 0) & 1:
                cb = self._pending.pop(header["opaque"], None)
                if cb is not None:
                    cb(header["code"], header, None)
        if pos:
            del buf[:pos]


class Load:
    """Sends and what came back: per answer its code and latency; the acknowledged (queue, offset) -> key."""

    def __init__(self, conns: list[Answers]) -> None:
        self.conns = conns
        self.encoder = SendEncoder("PID_overload", TOPIC, SIZE)
        plain = self.encoder.message_props
        self.last_key = ""

        def props() -> str:
            s = plain()
            self.last_key = s.split("\x01", 2)[1].split("\x02", 1)[0]
            return s
        self.encoder.message_props = props
        self.codes: Counter[int] = Counter()
        self.remarks: Counter[str] = Counter()
        self.latency_ms: list[float] = []
        self.acked: dict[tuple[int, int], str] = {}
        self.sent = 0
        self.queue = 0
        self.outstanding = 0
        self.drained = asyncio.Event()
        self.refill_until = 0.0      # closed loop: an answer sends the next one on its connection until then

    def send(self, conn: Answers) -> None:
        opaque = conn.next_opaque()
        queue_id = self.queue = (self.queue + 1) % QUEUES
        frame, _n = self.encoder.frame(opaque, queue_id)
        key, t0 = self.last_key, time.perf_counter()

        def done(code: int, header: dict, _body) -> None:
            self.outstanding -= 1
            self.codes[code] += 1
            self.latency_ms.append((time.perf_counter() - t0) * 1000)
            if self.refill_until and time.monotonic() < self.refill_until:
                self.send(conn)
            elif not self.outstanding:
                self.drained.set()
            if code == ResponseCode.SUCCESS:
                ext = header["extFields"]
                self.acked[(int(ext["queueId"]), int(ext["queueOffset"]))] = key
            else:
                self.remarks[header.get("remark") or ""] += 1
        self.sent += 1
        self.outstanding += 1
        self.drained.clear()
        conn.send(frame, opaque, done)

    async def closed_loop(self, seconds: float, window: int) -> None:
        """Each connection keeps `window` sends in flight for `seconds`, then its answers are awaited."""
        self.refill_until = time.monotonic() + seconds
        for conn in self.conns:
            for _ in range(window):
                self.send(conn)
        await asyncio.wait_for(self.drained.wait(), seconds + 20)
        self.refill_until = 0.0

    async def open_loop(self, seconds: float, rate: float) -> int:
        """`rate` sends a second spread over the connections whatever comes back (up to the client's own bound
        per connection); returns how many the client had to skip at that bound."""
        skipped = 0
        t0 = time.monotonic()
        end = t0 + seconds
        per_conn = rate / len(self.conns)

        async def one(conn: Answers) -> None:
            nonlocal skipped
            done = 0
            while (now := time.monotonic()) < end:
                due = int((now - t0) * per_conn)
                while done < due:
                    done += 1
                    if conn.in_flight >= MAX_OUT_PER_CONN:
                        skipped += 1
                    else:
                        self.send(conn)
                await asyncio.sleep(0.002)
        await asyncio.gather(*(one(c) for c in self.conns))
        return skipped

    async def wait_answers(self, timeout: float) -> None:
        if self.outstanding:
            await asyncio.wait_for(self.drained.wait(), timeout)

    def p99(self) -> float:
        lat = sorted(self.latency_ms)
        return lat[int(len(lat) * 0.99)] if lat else 0.0


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def rss_kib(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                out[key] = int(rest.split()[0])
    return out


@pytest.fixture
def cluster(tmp_path):
    with NamesrvProcess(tmp_path / "ns") as ns, \
            BrokerProcess(tmp_path / "broker", ns.addr, waitTimeMillsInSendQueue=WAIT_MS,
                          mappedFileSizeCommitLog=64 << 20, mappedFileSizeConsumeQueue=600000) as broker:
        runtime.run(create_topic(broker.addr, TOPIC, QUEUES))
        yield broker


async def _read_back(addr: str, acked: dict[tuple[int, int], str], sample: int) -> tuple[dict[int, int], list, dict]:
    client = RemotingClient()
    try:
        max_offsets = {}
        for q in range(QUEUES):
            resp = await client.invoke(addr, make_request(RequestCode.GET_MAX_OFFSET,
                                                          {"topic": TOPIC, "queueId": str(q)}), 5)
            max_offsets[q] = int(resp.ext("offset"))
        wrong = []
        for (q, off), key in random.Random(7).sample(sorted(acked.items()), min(sample, len(acked))):
            resp = await client.invoke(addr, make_request(RequestCode.PULL_MESSAGE, {
                "consumerGroup": "CID_overload", "topic": TOPIC, "queueId": str(q), "queueOffset": str(off),
                "maxMsgNums": "1", "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0",
                "subscription": "*", "subVersion": "0", "expressionType": "TAG"}), 5)
            got = m.decode(resp.body).props.get("UNIQ_KEY") if resp.code == ResponseCode.SUCCESS else resp.code
            if got != key:
                wrong.append(((q, off), key, got))
        resp = await client.invoke(addr, make_request(RequestCode.GET_BROKER_RUNTIME_INFO, {}), 5)
        info = fastjson.loads(resp.body)["table"]
        send_queue = {k: v for k, v in info.items() if k.startswith("sendThreadPoolQueue")}
        return max_offsets, wrong, send_queue
    finally:
        await client.close()


def test_overload_answers_system_busy_and_loses_nothing(cluster):
    broker = cluster
    pid = broker.proc.pid

    async def scenario():
        conns = [await asyncio.wait_for(asyncio.get_running_loop().create_connection(
            Answers, *broker.addr.rsplit(":", 1)), 5) for _ in range(CONNS)]
        conns = [c for _t, c in conns]
        load = Load(conns)
        # what the broker sustains: every connection with a few sends in flight
        t0 = time.monotonic()
        await load.closed_loop(CALIBRATE_S, 16)
        sustained = load.codes[ResponseCode.SUCCESS] / (time.monotonic() - t0)
        rss_before = rss_kib(pid)
        calm = dict(load.codes)
        # about three times that, open loop
        load.latency_ms.clear()
        peak = dict(rss_before)

        async def sample_rss():
            while True:
                now = rss_kib(pid)
                peak.update({k: max(peak[k], v) for k, v in now.items()})
                await asyncio.sleep(0.25)
        sampler = asyncio.create_task(sample_rss())
        t1 = time.monotonic()
        cpu0 = cpu_s(pid)
        skipped = await load.open_loop(FLOOD_S, 3 * sustained)
        offered = (load.sent - sum(calm.values())) / (time.monotonic() - t1)
        await load.wait_answers(20)
        cpu_share = (cpu_s(pid) - cpu0) / (time.monotonic() - t1)
        sampler.cancel()
        flood = {code: n - calm.get(code, 0) for code, n in load.codes.items()}
        flood_p99 = load.p99()
        # the load dropped: one send at a time is stored again, promptly (a send caught by a scheduling hiccup
        # of this shared machine may still be refused; the client retries it, as Java's does SYSTEM_BUSY)
        before = Counter(load.codes)
        load.latency_ms.clear()
        for i in range(1, 101):
            for _attempt in range(3):
                load.send(conns[0])
                await load.wait_answers(5)
                if load.codes[ResponseCode.SUCCESS] - before[ResponseCode.SUCCESS] == i:
                    break
        after = (load.codes - before, sorted(load.latency_ms)[len(load.latency_ms) // 2])
        for c in conns:
            c.transport.close()
        return load, after, sustained, offered, skipped, flood, flood_p99, rss_before, peak, cpu_share

    load, after, sustained, offered, skipped, flood, flood_p99, rss_before, peak, cpu_share = runtime.run(scenario())
    report = (f"sustained {sustained:.0f}/s, offered {offered:.0f}/s (skipped {skipped}), flood answers {flood}, "
              f"p99 {flood_p99:.0f} ms, broker CPU {cpu_share:.0%}, rss {rss_before} -> peak {peak}, "
              f"remarks {load.remarks.most_common(3)}")
    print(report)
    busy = flood.get(ResponseCode.SYSTEM_BUSY, 0)
    assert offered > 2 * sustained, report
    # overload is answered SYSTEM_BUSY, with Java's remarks, and only that
    assert busy > 0 and set(flood) <= {ResponseCode.SUCCESS, ResponseCode.SYSTEM_BUSY}, report
    assert all(JAVA_REMARK.fullmatch(r) for r in load.remarks), report
    assert flood.get(ResponseCode.SUCCESS, 0) > 0, report
    # bounded: the broker's own memory and the time to an answer
    assert peak["RssAnon"] - rss_before["RssAnon"] < 64 * 1024, report
    assert flood_p99 < 4000, report   # unprotected, this load reaches 5 s and more within the 6 s
    # once the load is gone, sends are stored and answered promptly
    assert after[0][ResponseCode.SUCCESS] == 100 and after[0][ResponseCode.SYSTEM_BUSY] <= 5, (after, report)
    assert after[1] < 50, (after, report)
    # every acknowledged send is stored, and nothing refused was: the queues hold exactly the acked offsets
    max_offsets, wrong, send_queue = runtime.run(_read_back(broker.addr, load.acked, 300))
    assert send_queue["sendThreadPoolQueueCapacity"] == "10000" and send_queue["sendThreadPoolQueueSize"] == "0"
    for q in range(QUEUES):
        acked = sorted(off for qq, off in load.acked if qq == q)
        assert acked == list(range(max_offsets[q])), (q, max_offsets[q], len(acked), report)
    assert sum(max_offsets.values()) == load.codes[ResponseCode.SUCCESS] and wrong == [], wrong[:5]

"""The broker's own cost of one send, without network or client: a real Broker (started in this process, no
NameServer) is fed SEND_MESSAGE_V2 frames the way the Java 4.9.7 producer writes them, straight into the
Connection that would read them off the socket; its answers go to a transport that only counts bytes.

    python -m bench.send_path [--sends 20000] [--json] [--batch 0] [--pull] [--callgrind] [--metrics] [--acl]

Prints microseconds of CPU per send (or per message of a batch). With --callgrind it runs itself under
valgrind twice, feeding the N frames and only building them (both after the same warm-up), and prints
instructions per send: exact and repeatable whatever else the machine does, which is how bench/RESULTS.md
compares builds
(ROCKETMQ_PY_PURE=1 for the pure one; about a minute for 1000 sends).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

from broker.config import load_settings
from broker.controller import Broker
from remoting import codec, hotpath, runtime, signing
from remoting.codes import RequestCode, SerializeType
from remoting.command import RemotingCommand
from remoting.connection import Connection

TOPIC = "BenchmarkTest"
GROUP = "BenchmarkConsumerGroup"
WARMUP = 100
TUNE_GC = os.environ.get("BENCH_DEFAULT_GC", "") == ""


class CountingTransport:
    """Stands in for the socket: answers are counted, never sent."""

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0

    def get_extra_info(self, name: str, default=None):  # noqa: ANN001, ANN201
        return ("10.0.0.9", 50123) if name == "peername" else default

    def writelines(self, parts) -> None:  # noqa: ANN001
        data = b"".join(parts)
        self.bytes += len(data)
        pos = 0
        while pos + 4 <= len(data):   # one writelines carries every answer of a loop turn
            pos += 4 + int.from_bytes(data[pos:pos + 4], "big")
            self.frames += 1

    def write(self, data) -> None:  # noqa: ANN001
        self.writelines([data])

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


# --acl: the broker checks every request (aclEnable) and the frames are signed by this account, which has the
# bench topic and group listed, so the check runs whole: signature, then a permission per resource
ACL_KEY, ACL_SECRET = "bench-key", "bench-secret"
ACL_FILE = f"""accounts:
  - accessKey: {ACL_KEY}
    secretKey: {ACL_SECRET}
    admin: true
    topicPerms: [{TOPIC}=PUB|SUB]
    groupPerms: [{GROUP}=SUB]
"""


def _signed(ext: dict, body: bytes | None, acl: bool) -> dict:
    return signing.sign(ext, body, ACL_KEY, ACL_SECRET) if acl else ext


def _send_frame(i: int, body: bytes, stype: SerializeType, batch: int, acl: bool = False) -> bytes:
    uniq = f"0A000009C3CB18B4AAC2{i:012X}"
    if batch:
        one = []
        for j in range(batch):
            props = f"UNIQ_KEY\x01{uniq[:-4]}{j:04X}\x02WAIT\x01true".encode()
            rec_len = 4 + 4 + 4 + 4 + 4 + len(body) + 2 + len(props)
            one.append(struct.pack(">iiiii", rec_len, 0, 0, 0, len(body)) + body + struct.pack(">h", len(props)) + props)
        body = b"".join(one)
        props_text = "WAIT\x01true"
        code = RequestCode.SEND_BATCH_MESSAGE
    else:
        props_text = f"UNIQ_KEY\x01{uniq}\x02WAIT\x01true\x02TAGS\x01TagA"
        code = RequestCode.SEND_MESSAGE_V2
    ext = {"a": "ProducerGroup_bench", "b": TOPIC, "c": "TBW102", "d": "4", "e": str(i % 8), "f": "0",
           "g": str(1764445612345 + i), "h": "0", "i": props_text, "j": "0", "k": "false", "m": "true" if batch else "false"}
    cmd = RemotingCommand(code=code, language="JAVA", version=399, opaque=i + 1000,
                          ext_fields=_signed(ext, body, acl), body=body, serialize_type=stype)
    return codec.encode_frame(cmd)


def _free_port_pair() -> int:
    """A port whose successor is free too (the broker's HA port is listenPort + 1)."""
    while True:
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


def _pull_frame(n: int, queue_id: int, offset: int, stype: SerializeType, acl: bool = False) -> bytes:
    """What the Java 4.9.7 push consumer sends: commit + suspend + subscription flags, 32 messages."""
    ext = {"consumerGroup": GROUP, "topic": TOPIC, "queueId": str(queue_id), "queueOffset": str(offset),
           "maxMsgNums": "32", "sysFlag": "7", "commitOffset": str(offset), "suspendTimeoutMillis": "15000",
           "subscription": "*", "subVersion": "1764445612345", "expressionType": "TAG"}
    cmd = RemotingCommand(code=RequestCode.PULL_MESSAGE, language="JAVA", version=399, opaque=n + 5000000,
                          ext_fields=_signed(ext, None, acl), serialize_type=stype)
    return codec.encode_frame(cmd)


async def run(sends: int, stype: SerializeType, batch: int, pull: int = -1,
              feed: bool = True, metrics: bool = False, acl: bool = False) -> tuple[float, int, int]:
    """pull -1: time the sends. 0/1: store the sends first, then time pulling them all back (1) or nothing (0,
    the baseline the callgrind figure subtracts). feed False: build the frames but send none (the sends'
    callgrind baseline, so building them is not charged to the broker)."""
    with tempfile.TemporaryDirectory(prefix="bench-send-path-") as tmp:
        port = _free_port_pair()
        settings, _ = load_settings(None, overrides={
            "storePathRootDir": tmp, "listenPort": str(port), "namesrvAddr": "", "brokerIP1": "127.0.0.1",
            "mappedFileSizeCommitLog": str(1 << 30),
            # the feed below is an overload by design (and valgrind slows it 50x): measure stores, not refusals
            "brokerFastFailureEnable": "false", "osPageCacheBusyTimeOutMills": str(10 ** 9),
            # --metrics: the Prometheus exporter on (its recorders on the send and pull paths and the dispatcher)
            **({"metricsExporterType": "PROM", "metricsPromExporterHost": "127.0.0.1",
                "metricsPromExporterPort": str(_free_port_pair() + 1)} if metrics else {}),
            **({"aclEnable": "true", "rocketmqHome": tmp} if acl else {})})
        if acl:
            os.makedirs(os.path.join(tmp, "conf"))
            with open(os.path.join(tmp, "conf", "plain_acl.yml"), "w") as f:
                f.write(ACL_FILE)
        broker = Broker(settings)
        await broker.start("127.0.0.1")
        if TUNE_GC:
            runtime.tune_gc()   # as the daemons do once started
        try:
            transport = CountingTransport()
            conn = Connection(broker.dispatcher)
            conn.connection_made(transport)  # type: ignore[arg-type]
            create = RemotingCommand(code=RequestCode.UPDATE_AND_CREATE_TOPIC, opaque=1, ext_fields=_signed({
                "topic": TOPIC, "defaultTopic": "TBW102", "readQueueNums": "8", "writeQueueNums": "8", "perm": "6",
                "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}, None, acl))
            conn.data_received(codec.encode_frame(create))
            await asyncio.sleep(0)
            body = b"x" * 1024
            for i in range(WARMUP):   # one-time costs (header decoders built, caches filled) stay out of the figure
                conn.data_received(_send_frame(sends + i, body, stype, batch, acl))
            frames = [_send_frame(i, body, stype, batch, acl) for i in range(sends)]
            if pull >= 0:
                for i, frame in enumerate(frames):
                    conn.data_received(frame)
                    if i % 64 == 63:
                        await asyncio.sleep(0)
                frames = []
                for q in range(8):
                    top = broker.store.max_offset_in_queue(TOPIC, q)
                    frames += [_pull_frame(len(frames), q, off, stype, acl) for off in range(0, top, 32)]
                if not pull:
                    frames = []   # the baseline builds the same pull frames, and feeds none
                conn.data_received(_pull_frame(-1, 0, 0, stype, acl))   # warm-up: one-time costs out of the figure
                await asyncio.sleep(0)
                pulled = broker.store.stats["get_messages"]
            await asyncio.sleep(0.05)
            before = transport.frames
            t0 = time.process_time()
            for i, frame in enumerate(frames if feed else ()):
                conn.data_received(frame)
                if i % 64 == 63:
                    await asyncio.sleep(0)   # let the loop flush the answers, as it does between socket reads
            await asyncio.sleep(0)
            cpu = time.process_time() - t0
            if pull >= 0:
                return cpu, transport.frames - before, broker.store.stats["get_messages"] - pulled
            stored = broker.store.stats["put_messages"] - WARMUP * max(batch, 1)
            return cpu, transport.frames - before, stored
        finally:
            await broker.stop()


# Compiled, callgrind counts only inside the connection's read callback (the request is decoded, handled and
# answered there): the store's timers and flush thread run per second, not per message, and the runs under
# valgrind last minutes, so counting them made the figure move by thousands between runs of the same build.
# Pure Python has no C symbol to toggle on: the whole process is counted, as before.
_TOGGLE = "*Connection_*data_received"


def _instructions(sends: int, extra: list[str]) -> tuple[int, str]:
    toggle = [] if hotpath.module_modes().get("remoting.connection") != "compiled" else \
        [f"--toggle-collect={_TOGGLE}"]
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *toggle,
                          sys.executable, "-m", "bench.send_path", "--sends", str(sends), *extra],
                         capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHONHASHSEED": "0"})   # same dict layouts each run
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or not found:
        raise SystemExit(f"callgrind run failed: {out.stderr[-2000:]}")
    return int(found.group(1)), out.stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sends", type=int, default=20000)
    p.add_argument("--json", action="store_true", help="JSON headers (our bench client, older clients)")
    p.add_argument("--batch", type=int, default=0, help="messages per SEND_BATCH_MESSAGE (0: single sends)")
    p.add_argument("--pull", action="store_true",
                   help="store the sends untimed, then measure PULL_MESSAGE (32 per pull) draining them")
    p.add_argument("--pull-none", action="store_true", help=argparse.SUPPRESS)   # --callgrind's baseline runs
    p.add_argument("--feed-none", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--callgrind", action="store_true", help="instructions per message, exact (needs valgrind)")
    p.add_argument("--metrics", action="store_true", help="with the Prometheus exporter on (metricsExporterType=PROM)")
    p.add_argument("--acl", action="store_true", help="ACL on (aclEnable), every request signed and checked")
    args = p.parse_args()
    kind = "pulled" if args.pull else "sent"
    if args.callgrind:
        extra = (["--json"] if args.json else []) + ["--batch", str(args.batch)] + (["--pull"] if args.pull else []) \
            + (["--metrics"] if args.metrics else []) + (["--acl"] if args.acl else [])
        if args.pull:
            total, out = _instructions(args.sends, extra)
            base, _ = _instructions(args.sends, extra + ["--pull-none"])
            count = int(re.search(r"(\d+) pulled", out).group(1))
        else:
            total, base = _instructions(args.sends, extra)[0], _instructions(args.sends, extra + ["--feed-none"])[0]
            count = args.sends * max(args.batch, 1)
        print(f"mode: {hotpath.describe()}")
        print(f"{(total - base) / count:,.0f} instructions per message {kind} ({args.sends} sends, batch "
              f"{args.batch}, {'JSON' if args.json else 'ROCKETMQ'} headers)")
        return
    stype = SerializeType.JSON if args.json else SerializeType.ROCKETMQ
    pull = (0 if args.pull_none else 1) if args.pull else -1
    cpu, answered, count = runtime.run(run(args.sends, stype, args.batch, pull, not args.feed_none, args.metrics,
                                             args.acl))
    print(f"mode: {hotpath.describe()}")
    print(f"{args.sends} sends ({stype.name} headers, batch {args.batch}): {answered} answered, {count} {kind}, "
          f"{cpu * 1e6 / max(count, 1):.1f} us CPU per message")


if __name__ == "__main__":
    main()

"""A lean asyncio RocketMQ client for the load generators: what a Java client puts on the wire (JSON headers,
SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE / PULL_MESSAGE), with as little client CPU per request as possible,
because on this machine the driver and the broker share two cores.

Frames are built from a pre-rendered header template (only opaque, queue, timestamp and UNIQ_KEY change);
`tests/integration/test_bench_smoke.py` checks that the template decodes to the same command the
remoting codec builds. Responses are matched by opaque and handed to a callback (no future per request).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import struct
import time
from typing import Callable

from remoting import fastjson
from remoting.bodies import TopicRouteData
from remoting.client import RemotingClient
from remoting.codes import CURRENT_VERSION, RequestCode, ResponseCode
from remoting.command import make_request

_PREFIX = struct.Struct(">II")
_RECORD_HEAD = struct.Struct(">iiiii q q i q")  # total, magic, crc, queueId, flag, queueOffset, physOffset, sysFlag, born
_BORNHOST_V6 = 1 << 4
_BATCH_HEAD = struct.Struct(">iiiii")

Callback = Callable[[int, dict, bytes | None], None]


def _json_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _frame(header: bytes, body: bytes | None = None) -> bytes:
    blen = len(body) if body else 0
    return _PREFIX.pack(4 + len(header) + blen, len(header)) + header + (body or b"")


class BenchConnection(asyncio.Protocol):
    """Frames in and out on one TCP connection; responses go to the callback registered under their opaque."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._pending: dict[int, Callback] = {}
        self._opaque = itertools.count(1)
        self._writable = asyncio.Event()
        self._writable.set()
        self.closed = asyncio.get_event_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc) -> None:
        pending, self._pending = self._pending, {}
        for cb in pending.values():
            cb(-1, {}, None)
        self._writable.set()
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    async def drain(self) -> None:
        await self._writable.wait()

    def next_opaque(self) -> int:
        return next(self._opaque)

    def send(self, frame: bytes, opaque: int, callback: Callback | None) -> None:
        if callback is not None:
            self._pending[opaque] = callback
        self.transport.write(frame)

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def fail_pending(self) -> int:
        pending, self._pending = self._pending, {}
        for cb in pending.values():
            cb(-2, {}, None)
        return len(pending)

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos = 0
        n = len(buf)
        while n - pos >= 8:
            length, ori = _PREFIX.unpack_from(buf, pos)
            end = pos + 4 + length
            if end > n:
                break
            hlen = ori & 0xFFFFFF
            header = json.loads(bytes(buf[pos + 8:pos + 8 + hlen]))
            body = bytes(buf[pos + 8 + hlen:end]) if end > pos + 8 + hlen else None
            pos = end
            if header.get("flag", 0) & 1:
                cb = self._pending.pop(header["opaque"], None)
                if cb is not None:
                    cb(header["code"], header.get("extFields") or {}, body)
        if pos:
            del buf[:pos]


async def connect(addr: str) -> BenchConnection:
    host, port = addr.rsplit(":", 1)
    loop = asyncio.get_running_loop()
    _t, conn = await asyncio.wait_for(loop.create_connection(BenchConnection, host, int(port)), 5)
    return conn


async def topic_route(namesrv: str, topic: str, timeout: float = 20.0) -> tuple[str, int]:
    """(master address, write queue count) of the topic's first broker; waits for the route to appear."""
    client = RemotingClient()
    deadline = time.monotonic() + timeout
    try:
        while True:
            resp = await client.invoke(namesrv, make_request(RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic}), 5)
            if resp.code == ResponseCode.SUCCESS:
                route = TopicRouteData.from_json(fastjson.loads(resp.body))
                bd = route.brokerDatas[0]
                qd = next(q for q in route.queueDatas if q.brokerName == bd.brokerName)
                return bd.brokerAddrs[0], qd.writeQueueNums
            if time.monotonic() > deadline:
                raise RuntimeError(f"no route for {topic}: {resp.code} {resp.remark}")
            await asyncio.sleep(0.2)
    finally:
        await client.close()


async def create_topic(broker: str, topic: str, queues: int) -> None:
    """UPDATE_AND_CREATE_TOPIC on the broker (it re-registers with the NameServer at once)."""
    client = RemotingClient()
    try:
        ext = {"topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
               "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}
        resp = await client.invoke(broker, make_request(RequestCode.UPDATE_AND_CREATE_TOPIC, ext), 10)
        if resp.code != ResponseCode.SUCCESS:
            raise RuntimeError(f"create topic {topic}: {resp.code} {resp.remark}")
    finally:
        await client.close()


# ---------------------------------------------------------------- producing

class UniqKeys:
    """32-hex message ids like the Java client's (a per-process prefix, then a counter)."""

    def __init__(self) -> None:
        self.prefix = f"7F000001{os.getpid() & 0xFFFF:04X}{int(time.time()) & 0xFFFFFFFF:08X}{os.urandom(2).hex().upper()}"
        self.counter = itertools.count()

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFF:08X}"


class SendEncoder:
    """SEND_MESSAGE_V2 (one message) or SEND_BATCH_MESSAGE (`batch` > 1) frames as the Java client writes them."""

    def __init__(self, group: str, topic: str, size: int, batch: int = 1, oneway: bool = False,
                 tags: str = "TagA") -> None:
        self.batch = batch
        self.body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
        self.keys = UniqKeys()
        self.tags = tags
        code = RequestCode.SEND_BATCH_MESSAGE if batch > 1 else RequestCode.SEND_MESSAGE_V2
        self._flag = 2 if oneway else 0
        head = (f'{{"code":{int(code)},"extFields":{{"a":{_json_str(group)},"b":{_json_str(topic)},'
                f'"c":"TBW102","d":"4","e":"')
        self._head = head
        self._tail = (f'"j":"0","k":"false","m":"{"true" if batch > 1 else "false"}"}},"flag":{self._flag},'
                      f'"language":"JAVA","opaque":')
        self._end = f',"serializeTypeCurrentRPC":"JSON","version":{CURRENT_VERSION}}}'

    def message_props(self) -> str:
        return f"UNIQ_KEY\x01{self.keys.next()}\x02WAIT\x01true\x02TAGS\x01{self.tags}\x02"

    def frame(self, opaque: int, queue_id: int) -> tuple[bytes, int]:
        """The frame and the number of body bytes it carries."""
        if self.batch > 1:
            body = b"".join(self._batch_element() for _ in range(self.batch))
            props = "WAIT\x01true\x02"
        else:
            body = self.body
            props = self.message_props()
        header = (f'{self._head}{queue_id}","f":"0","g":"{int(time.time() * 1000)}","h":"0",'
                  f'"i":{_json_str(props)},{self._tail}{opaque}{self._end}').encode()
        return _frame(header, body), len(self.body) * self.batch

    def _batch_element(self) -> bytes:
        props = f"UNIQ_KEY\x01{self.keys.next()}\x02TAGS\x01{self.tags}\x02".encode()
        total = 20 + len(self.body) + 2 + len(props)
        return _BATCH_HEAD.pack(total, 0, 0, 0, len(self.body)) + self.body + struct.pack(">h", len(props)) + props


# ---------------------------------------------------------------- consuming

FLAG_COMMIT_OFFSET, FLAG_SUSPEND, FLAG_SUBSCRIPTION = 0x1, 0x2, 0x4


def pull_frame(opaque: int, group: str, topic: str, queue_id: int, offset: int, max_msgs: int,
               suspend_ms: int, commit_offset: int) -> bytes:
    sys_flag = FLAG_SUBSCRIPTION | (FLAG_SUSPEND if suspend_ms > 0 else 0) | (FLAG_COMMIT_OFFSET if commit_offset > 0 else 0)
    ext = {"consumerGroup": group, "topic": topic, "queueId": str(queue_id), "queueOffset": str(offset),
           "maxMsgNums": str(max_msgs), "sysFlag": str(sys_flag), "commitOffset": str(max(commit_offset, 0)),
           "suspendTimeoutMillis": str(max(suspend_ms, 0)), "subscription": "*", "subVersion": "0",
           "expressionType": "TAG"}
    header = json.dumps({"code": int(RequestCode.PULL_MESSAGE), "extFields": ext, "flag": 0, "language": "JAVA",
                         "opaque": opaque, "serializeTypeCurrentRPC": "JSON", "version": CURRENT_VERSION},
                        separators=(",", ":")).encode()
    return _frame(header)


def walk_records(body: bytes, queue_id: int, expect_offset: int) -> tuple[int, list[int]]:
    """Count the stored records of a pull body, checking they are this queue's, in order from `expect_offset`;
    returns (count, born timestamps)."""
    pos = 0
    n = len(body)
    born: list[int] = []
    off = expect_offset
    while pos < n:
        total, _magic, _crc, qid, _flag, qoff, _phys, _sys, born_ts = _RECORD_HEAD.unpack_from(body, pos)
        if qid != queue_id or qoff < off:
            raise ValueError(f"record for queue {qid} offset {qoff}, expected queue {queue_id} offset >= {off}")
        off = qoff + 1
        born.append(born_ts)
        pos += total
    if pos != n:
        raise ValueError("pull body ends inside a record")
    return len(born), born

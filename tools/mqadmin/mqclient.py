"""The bits of a producer and a pull consumer the tools need (DefaultMQProducer / DefaultMQPullConsumer as
mqadmin uses them): routes to message queues, SEND_MESSAGE_V2 with the Java client's header fields,
HEART_BEAT / UNREGISTER_CLIENT around a producer's life, PULL_MESSAGE and the offset look-ups."""
from __future__ import annotations

import itertools
import os
import socket
import time
from dataclasses import dataclass, field

from remoting import fastjson
from remoting.bodies import TopicRouteData
from remoting.codes import RequestCode, ResponseCode
from store import message as m

from .cli import CommandError
from .client import AdminClient, AdminError
from .msgfmt import MQ, java_hashset_order, send_result

PERM_READ, PERM_WRITE = 4, 2
DEFAULT_TOPIC, DEFAULT_TOPIC_QUEUE_NUMS = "TBW102", 4
FLAG_SUSPEND, FLAG_SUBSCRIPTION = 0x2, 0x4


def _local_ip() -> str:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def client_id(instance: str | None = None) -> str:
    """ClientConfig.buildMQClientId: ip@instanceName (mqadmin sets the instance name to the current ms)."""
    return f"{_local_ip()}@{instance or int(time.time() * 1000)}"


class UniqIds:
    """MessageClientIDSetter-shaped ids: ip, pid, a per-run word, then time and a counter (32 hex)."""

    def __init__(self) -> None:
        ip = bytes(int(x) for x in _local_ip().split("."))
        self.prefix = ip.hex().upper() + f"{os.getpid() & 0xFFFF:04X}" + os.urandom(4).hex().upper()
        self.counter = itertools.count()

    def next(self) -> str:
        return f"{self.prefix}{int(time.time()) & 0xFFFFFFFF:08X}{next(self.counter) & 0xFFFF:04X}"


def write_queues(route: TopicRouteData, topic: str) -> list[tuple[MQ, str]]:
    """The writable queues of a topic with their master address (MQClientInstance.topicRouteData2TopicPublishInfo)."""
    masters = {b.brokerName: b.brokerAddrs.get(0) for b in route.brokerDatas}
    out = []
    for qd in sorted(route.queueDatas, key=lambda q: q.brokerName):
        addr = masters.get(qd.brokerName)
        if addr and qd.perm & PERM_WRITE:
            out += [(MQ(topic, qd.brokerName, i), addr) for i in range(qd.writeQueueNums)]
    return out


def read_queues(route: TopicRouteData, topic: str) -> list[MQ]:
    """topicRouteData2TopicSubscribeInfo: the readable queues, in the order of Java's HashSet of them."""
    out = []
    for qd in route.queueDatas:
        if qd.perm & PERM_READ:
            out += [MQ(topic, qd.brokerName, i) for i in range(qd.readQueueNums)]
    return java_hashset_order(out)


def broker_addr(route: TopicRouteData, broker_name: str, master_only: bool = False) -> str:
    for b in route.brokerDatas:
        if b.brokerName == broker_name:
            addr = b.brokerAddrs.get(0)
            if addr is None and not master_only and b.brokerAddrs:
                addr = b.brokerAddrs[min(b.brokerAddrs)]
            if addr:
                return addr
    raise CommandError(f"The broker[{broker_name}] not exist")


@dataclass
class SendResult:
    status: str
    msg_id: str
    offset_msg_id: str
    mq: MQ
    queue_offset: int

    def __str__(self) -> str:
        return send_result(self.status, self.msg_id, self.offset_msg_id, self.mq, self.queue_offset)


_SEND_STATUS = {ResponseCode.SUCCESS: "SEND_OK", ResponseCode.FLUSH_DISK_TIMEOUT: "FLUSH_DISK_TIMEOUT",
                ResponseCode.FLUSH_SLAVE_TIMEOUT: "FLUSH_SLAVE_TIMEOUT",
                ResponseCode.SLAVE_NOT_AVAILABLE: "SLAVE_NOT_AVAILABLE"}


@dataclass
class Producer:
    """A producer group on top of an AdminClient's connections."""
    admin: AdminClient
    group: str
    instance: str | None = None
    ids: UniqIds = field(default_factory=UniqIds)
    routes: dict[str, TopicRouteData] = field(default_factory=dict)
    brokers: set[str] = field(default_factory=set)
    # round robin over the write queues from a random start (MQFaultStrategy without latency fault)
    rr: itertools.count = field(default_factory=lambda: itertools.count(int.from_bytes(os.urandom(2), "big")))

    def __post_init__(self) -> None:
        self.client_id = client_id(self.instance)

    async def queues(self, topic: str) -> list[tuple[MQ, str]]:
        if topic not in self.routes:
            try:
                self.routes[topic] = await self.admin.route(topic)
            except AdminError as e:
                if e.code != ResponseCode.TOPIC_NOT_EXIST:
                    raise
                # a topic without a route is sent through TBW102's brokers, which create it (the Java producer
                # does so with at most defaultTopicQueueNums = 4 queues per broker)
                try:
                    default = await self.admin.route(DEFAULT_TOPIC)
                except AdminError:
                    raise CommandError(f"No route info of this topic: {topic}") from None
                for qd in default.queueDatas:
                    qd.writeQueueNums = min(qd.writeQueueNums, DEFAULT_TOPIC_QUEUE_NUMS)
                    qd.readQueueNums = min(qd.readQueueNums, DEFAULT_TOPIC_QUEUE_NUMS)
                self.routes[topic] = default
        qs = write_queues(self.routes[topic], topic)
        if not qs:
            raise CommandError(f"No route info of this topic: {topic}")
        for _, addr in qs:
            if addr not in self.brokers:
                self.brokers.add(addr)
                await self.heartbeat(addr)
        return qs

    async def heartbeat(self, addr: str) -> None:
        body = {"clientID": self.client_id, "consumerDataSet": [], "producerDataSet": [{"groupName": self.group},
                                                                                     {"groupName": "CLIENT_INNER_PRODUCER"}]}
        await self.admin.ok(addr, RequestCode.HEART_BEAT, {}, fastjson.dumpb(body))

    async def shutdown(self) -> None:
        for addr in self.brokers:
            try:
                await self.admin.call(addr, RequestCode.UNREGISTER_CLIENT,
                                      {"clientID": self.client_id, "producerGroup": self.group})
            except CommandError:
                pass

    async def send(self, topic: str, body: bytes, tags: str | None = None, keys: str | None = None,
                   mq: MQ | None = None, addr: str | None = None, props: dict[str, str] | None = None,
                   timeout: float | None = None) -> SendResult:
        if mq is None or addr is None:
            qs = await self.queues(topic)
            if mq is not None:
                hit = [a for q, a in qs if q == mq]
                if not hit:
                    raise CommandError(f"The message queue {mq} is not writable or does not exist")
                addr = hit[0]
            else:
                mq, addr = qs[next(self.rr) % len(qs)]
        p = dict(props or {})
        if keys:
            p["KEYS"] = keys
        if tags:
            p["TAGS"] = tags
        p.setdefault("WAIT", "true")
        uniq = p.setdefault("UNIQ_KEY", self.ids.next())
        ext = {"a": self.group, "b": topic, "c": "TBW102", "d": "4", "e": str(mq.queue_id), "f": "0",
               "g": str(int(time.time() * 1000)), "h": "0", "i": m.properties_to_string(p), "j": "0",
               "k": "false", "m": "false"}
        resp = await self.admin.call(addr, RequestCode.SEND_MESSAGE_V2, ext, body, timeout)
        status = _SEND_STATUS.get(resp.code)
        if status is None:
            raise AdminError(resp.code, resp.remark)
        return SendResult(status, uniq, resp.ext("msgId", ""), mq, int(resp.ext("queueOffset", "0") or 0))


# ---------------------------------------------------------------- pulling

@dataclass
class PullResult:
    status: str                      # FOUND, NO_NEW_MSG, NO_MATCHED_MSG, OFFSET_ILLEGAL
    next_begin: int
    min_offset: int
    max_offset: int
    messages: list[m.StoredMessage]


_PULL_STATUS = {ResponseCode.SUCCESS: "FOUND", ResponseCode.PULL_NOT_FOUND: "NO_NEW_MSG",
                ResponseCode.PULL_RETRY_IMMEDIATELY: "NO_MATCHED_MSG", ResponseCode.PULL_OFFSET_MOVED: "OFFSET_ILLEGAL"}


def _tags_match(msg: m.StoredMessage, tags: set[str] | None) -> bool:
    return tags is None or (msg.tags in tags)


def parse_sub(expression: str | None) -> set[str] | None:
    """The tag set of a TAG expression ("*" or blank: everything)."""
    if not expression or expression.strip() in ("*", ""):
        return None
    return {t.strip() for t in expression.split("||") if t.strip()}


async def pull(admin: AdminClient, addr: str, group: str, mq: MQ, offset: int, max_nums: int,
               sub: str = "*", suspend_ms: int = 0) -> PullResult:
    """One PULL_MESSAGE; with `suspend_ms` the broker holds it that long for a new message (long polling)."""
    flag = FLAG_SUBSCRIPTION | (FLAG_SUSPEND if suspend_ms else 0)
    ext = {"consumerGroup": group, "topic": mq.topic, "queueId": str(mq.queue_id), "queueOffset": str(offset),
           "maxMsgNums": str(max_nums), "sysFlag": str(flag), "commitOffset": "0",
           "suspendTimeoutMillis": str(suspend_ms or 20000), "subscription": sub or "*", "subVersion": "0",
           "expressionType": "TAG"}
    resp = await admin.call(addr, RequestCode.PULL_MESSAGE, ext,
                            timeout=(suspend_ms / 1000 + admin.timeout) if suspend_ms else None)
    status = _PULL_STATUS.get(resp.code)
    if status is None:
        raise AdminError(resp.code, resp.remark)

    def num(k: str) -> int:
        return int(resp.ext(k, "0") or 0)
    msgs: list[m.StoredMessage] = []
    if status == "FOUND":
        tags = parse_sub(sub)
        msgs = [x for x in m.decode_all(resp.body or b"") if _tags_match(x, tags)]
        if not msgs:
            status = "NO_MATCHED_MSG"
    return PullResult(status, num("nextBeginOffset"), num("minOffset"), num("maxOffset"), msgs)


async def queue_offset(admin: AdminClient, addr: str, code: int, mq: MQ, timestamp: int | None = None) -> int:
    """GET_MIN_OFFSET / GET_MAX_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP: the `offset` of the answer."""
    ext = {"topic": mq.topic, "queueId": str(mq.queue_id)}
    if timestamp is not None:
        ext["timestamp"] = str(timestamp)
    resp = await admin.ok(addr, code, ext)
    return int(resp.ext("offset", "0") or 0)


async def min_offset(admin: AdminClient, addr: str, mq: MQ) -> int:
    return await queue_offset(admin, addr, RequestCode.GET_MIN_OFFSET, mq)


async def max_offset(admin: AdminClient, addr: str, mq: MQ) -> int:
    return await queue_offset(admin, addr, RequestCode.GET_MAX_OFFSET, mq)


async def search_offset(admin: AdminClient, addr: str, mq: MQ, timestamp: int) -> int:
    return await queue_offset(admin, addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, mq, timestamp)


async def queue_window(admin: AdminClient, addr: str, mq: MQ, begin: int | None = None,
                       end: int | None = None) -> tuple[int, int]:
    """The offsets [lo, hi) of a queue: min and max, or those of the begin / end timestamps
    (SEARCH_OFFSET_BY_TIMESTAMP), as printMsg and consumeMessage walk a time range."""
    lo = await min_offset(admin, addr, mq)
    hi = await max_offset(admin, addr, mq)
    if begin is not None:
        lo = await search_offset(admin, addr, mq, begin)
    if end is not None:
        hi = await search_offset(admin, addr, mq, end)
    return lo, hi

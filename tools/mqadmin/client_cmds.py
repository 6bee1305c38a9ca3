"""Producer-side subcommands: producerConnection, producer, sendMsgStatus, checkMsgSendRT, clusterRT (the last
three send with tools.mqadmin.mqclient.Producer, as Java's do with a DefaultMQProducer)."""
from __future__ import annotations

import asyncio
import datetime as dt
import random
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

from remoting.codes import RequestCode

from . import adminext as ax
from .cli import CommandError, Ctx, Opt, SubCommand
from .mqclient import Producer
from store.message import java_hashmap_order

from .msgfmt import java_str, version_desc


def format_producer_connections(body: dict) -> str:
    out = []
    for i, c in enumerate(body.get("connectionSet") or [], 1):
        out.append(f"{i:04d}  {java_str(c.get('clientId')):<32} {java_str(c.get('clientAddr')):<22} "
                   f"{java_str(c.get('language')):<8} {version_desc(int(c.get('version', 0)))}\n")
    return "".join(out)


async def producer_connections(admin, group: str, topic: str) -> dict:
    """examineProducerConnectionInfo (producerConnection's data, the console's too): GET_PRODUCER_CONNECTION_LIST
    to a broker of the topic; none connected is an error as in Java."""
    route = await admin.route(topic)
    if not route.brokerDatas:
        raise CommandError("Not found the producer group connection")
    addr = ax.select_addr(random.choice(route.brokerDatas))
    body = {}
    if addr:
        body = ax.body_json(await admin.ok(addr, RequestCode.GET_PRODUCER_CONNECTION_LIST, {"producerGroup": group}))
    if not body.get("connectionSet"):
        raise CommandError("Not found the producer group connection")
    return body


async def producer_connection(ctx: Ctx) -> None:
    sys.stdout.write(format_producer_connections(await producer_connections(ctx.admin, ctx.get("g"), ctx.get("t"))))


def format_producers(body: dict) -> str:
    """ProducerSubCommand: one line per producer instance (ProducerInfo.toString)."""
    out = []
    data = body.get("data") or {}
    for group in java_hashmap_order(list(data)):
        infos = data[group]
        if not infos:
            out.append(f"producer group ({group}) instances are empty\n")
            continue
        for p in infos:
            out.append(f"producer group ({group}) instance : clientId={java_str(p.get('clientId'))},"
                       f"remoteIP={java_str(p.get('remoteIP'))}, language={java_str(p.get('language'))}, "
                       f"version={int(p.get('version', 0))}, lastUpdateTimestamp={int(p.get('lastUpdateTimestamp', 0))}\n")
    return "".join(out)


async def producer(ctx: Ctx) -> None:
    resp = await ctx.admin.ok(ctx.get("b"), RequestCode.GET_ALL_PRODUCER_INFO)
    sys.stdout.write(format_producers(ax.body_json(resp)))


def _hello(size: int) -> bytes:
    """SendMsgStatusCommand.buildMessage's body: "hello jodie" repeated for every 11 bytes asked."""
    return b"hello jodie" * ((size + 10) // 11)


async def send_msg_status(ctx: Ctx) -> None:
    broker = ctx.get("b")
    size, count = ctx.int("s", 128), ctx.int("c", 50)
    p = Producer(ctx.admin, "PID_SMSC", instance=f"PID_SMSC_{int(time.time() * 1000)}")
    try:
        await p.send(broker, _hello(16))
        for _ in range(count):
            begin = time.monotonic()
            result = await p.send(broker, _hello(size))
            sys.stdout.write(f"rt={int((time.monotonic() - begin) * 1000)}ms, SendResult={result}\n")
            sys.stdout.flush()
    finally:
        await p.shutdown()


async def check_msg_send_rt(ctx: Ctx) -> None:
    topic = ctx.get("t")
    amount, size = ctx.int("a", 100), ctx.int("s", 128)
    p = Producer(ctx.admin, str(int(time.time() * 1000)))
    body = b"a" * size
    broker, qid = "null", "0"
    elapsed = 0
    try:
        sys.stdout.write(f"{'#Broker Name':<32}  {'#QID':<4}  {'#Send Result':<20}    #RT\n")
        queues = await p.queues(topic)
        for i in range(amount):
            mq, addr = queues[i % len(queues)]
            broker, qid = mq.broker_name, str(mq.queue_id)
            start = time.monotonic()
            try:
                await p.send(topic, body, mq=mq, addr=addr)
                ok = True
            except CommandError:
                ok = False
            rt = int((time.monotonic() - start) * 1000)
            if i != 0:
                elapsed += rt
            sys.stdout.write(f"{broker:<32}  {qid:<4}  {'true' if ok else 'false':<20}    {rt}\n")
        avg = elapsed / (amount - 1) if amount != 1 else float("nan")   # Java divides a double: 0/0 is NaN
        sys.stdout.write(f"Avg RT: {_java_double2(avg)}\n")
    finally:
        await p.shutdown()


def _java_double2(v: float) -> str:
    """String.format("%.2f") of a double (NaN and Infinity as Java writes them)."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return f"{v:.2f}"


def china_time(now: float | None = None) -> str:
    """CLusterSendMsgRTCommand.getCurTime: yyyy-MM-dd HH:mm:ss in GMT+8."""
    t = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.timezone(dt.timedelta(hours=8)))
    return t.strftime("%Y-%m-%d %H:%M:%S")


async def cluster_rt(ctx: Ctx) -> None:
    info = await ctx.admin.cluster_info()
    amount, size, interval = ctx.int("a", 100), ctx.int("s", 128), ctx.int("i", 10)
    tlog = ctx.has("p") and ctx.get("p").lower() == "true"
    room = ctx.get("m", "noname")
    # Java walks the HashMap / HashSets of the decoded ClusterInfo
    clusters = [ctx.get("c")] if ctx.has("c") else java_hashmap_order(list(info.clusterAddrTable))
    p = Producer(ctx.admin, str(int(time.time() * 1000)))
    body = b"a" * size
    try:
        if not tlog:
            sys.stdout.write(f"{'#Cluster Name':<24}  {'#Broker Name':<24}  {'#RT':<4}  {'#successCount':<8}  "
                             f"{'#failCount':<8}\n")
        while True:
            for cluster in clusters:
                names = info.clusterAddrTable.get(cluster)
                if names is None:
                    sys.stdout.write(f"cluster [{cluster}] not exist")
                    break
                for name in java_hashmap_order(list(names)):
                    ok = fail = elapsed = 0
                    for i in range(amount):
                        start = time.monotonic()
                        try:
                            await p.send(name, body)
                            ok += 1
                        except CommandError:
                            fail += 1
                        if i != 0:
                            elapsed += int((time.monotonic() - start) * 1000)
                    rt = elapsed / (amount - 1) if amount != 1 else float("nan")
                    if not tlog:
                        sys.stdout.write(f"{cluster:<24}  {name:<24}  {_java_double2(rt):<8}  {ok:<16}  {fail:<16}\n")
                    else:
                        r = "NaN" if rt != rt else str(Decimal(rt).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                        sys.stdout.write(f"{china_time()}|{room}|{cluster}|{name}|{r}\n")
                    sys.stdout.flush()
            await asyncio.sleep(interval)
    finally:
        await p.shutdown()


COMMANDS = [
    SubCommand("sendMsgStatus", "send msg to broker.", "SendMsgStatusCommand",
               [Opt("b", "brokerName", "Broker Name", required=True),
                Opt("s", "messageSize", "Message Size, Default: 128"),
                Opt("c", "count", "send message count, Default: 50")], send_msg_status),
    SubCommand("producerConnection", "Query producer's socket connection and client version",
               "ProducerConnectionSubCommand",
               [Opt("g", "producerGroup", "producer group name", required=True),
                Opt("t", "topic", "topic name", required=True)], producer_connection),
    SubCommand("producer", "Query producer's instances, connection, status, etc.", "ProducerSubCommand",
               [Opt("b", "broker", "broker address", required=True)], producer),
    SubCommand("checkMsgSendRT", "check message send response time", "CheckMsgSendRTCommand",
               [Opt("t", "topic", "topic name", required=True),
                Opt("a", "amount", "message amount | default 100"),
                Opt("s", "size", "message size | default 128 Byte")], check_msg_send_rt),
    SubCommand("clusterRT", "List All clusters Message Send RT", "CLusterSendMsgRTCommand",
               [Opt("c", "cluster", "cluster name | default display all cluster"),
                Opt("a", "amount", "message amount | default 100"),
                Opt("s", "size", "message size | default 128 Byte"),
                Opt("p", "print log", "print as tlog | default false"),
                Opt("m", "machine room", "machine room name | default noname"),
                Opt("i", "interval", "print interval | default 10 seconds")], cluster_rt),
]


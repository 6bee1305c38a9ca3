"""Message subcommands: queryMsgById, queryMsgByKey, queryMsgByUniqueKey, queryMsgByOffset, queryMsgTraceById,
printMsg, printMsgByQueue, sendMessage, consumeMessage, queryCq, with the layouts of their Java classes."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from remoting import fastjson, trace
from remoting.codes import RequestCode, ResponseCode
from store import message as m

from . import adminext as ax
from . import mqclient as mc
from .cli import CommandError, Ctx, Opt, SubCommand
from .client import AdminError
from .msgfmt import (MQ, TOOLS_CONSUMER_GROUP, consume_directly_result, human2, java_str, parse_long,
                     parse_timestamp)
from .trace_view import render, views_of

BODY_DIR = "/tmp/rocketmq/msgbodys"


# ---------------------------------------------------------------- a message as Java prints it

def java_props(props: dict[str, str]) -> str:
    """HashMap.toString of the message's properties, in HashMap order."""
    return "{" + ", ".join(f"{k}={props[k]}" for k in m.java_hashmap_order(list(props))) + "}"


def client_msg_id(msg: m.StoredMessage) -> str:
    """MessageClientExt.getMsgId: the UNIQ_KEY, else the offset message id."""
    return msg.props.get("UNIQ_KEY") or offset_id(msg)


def offset_id(msg: m.StoredMessage) -> str:
    return m.offset_msg_id(msg.store_host, msg.physical_offset)


def _host(h: tuple[str, int]) -> str:
    return f"{h[0]}:{h[1]}"


def message_detail(msg: m.StoredMessage, body_path: str, with_offset_id: bool = True) -> str:
    """QueryMsgByIdSubCommand.printMsg's rows (queryMsgByUniqueKey's showMessage has no OffsetID row)."""
    props = msg.props
    rows = []
    if with_offset_id:
        rows.append(("OffsetID:", offset_id(msg)))
    rows += [("Topic:", msg.topic), ("Tags:", f"[{java_str(props.get('TAGS'))}]"),
             ("Keys:", f"[{java_str(props.get('KEYS'))}]"), ("Queue ID:", msg.queue_id),
             ("Queue Offset:", msg.queue_offset), ("CommitLog Offset:", msg.physical_offset),
             ("Reconsume Times:", msg.reconsume_times), ("Born Timestamp:", human2(msg.born_timestamp)),
             ("Store Timestamp:", human2(msg.store_timestamp)), ("Born Host:", _host(msg.born_host)),
             ("Store Host:", _host(msg.store_host)), ("System Flag:", msg.sys_flag),
             ("Properties:", java_props(props)), ("Message Body Path:", body_path)]
    return "".join(f"{name:<20} {value}\n" for name, value in rows)


def write_body(msg: m.StoredMessage, suffix: str = "") -> str:
    os.makedirs(BODY_DIR, exist_ok=True)
    path = os.path.join(BODY_DIR, client_msg_id(msg) + suffix)
    with open(path, "wb") as f:
        f.write(msg.decompressed_body())
    return path


def message_ext(msg: m.StoredMessage, broker_name: str | None = None) -> str:
    """MessageExt.toString (with Message.toString inside), as printMsg shows a pulled message."""
    body = ", ".join(str(b - 256 if b > 127 else b) for b in msg.body)
    return (f"MessageExt [brokerName={java_str(broker_name)}, queueId={msg.queue_id}, storeSize={msg.store_size}, "
            f"queueOffset={msg.queue_offset}, sysFlag={msg.sys_flag}, bornTimestamp={msg.born_timestamp}, "
            f"bornHost=/{_host(msg.born_host)}, storeTimestamp={msg.store_timestamp}, "
            f"storeHost=/{_host(msg.store_host)}, msgId={offset_id(msg)}, commitLogOffset={msg.physical_offset}, "
            f"bodyCRC={msg.body_crc}, reconsumeTimes={msg.reconsume_times}, "
            f"preparedTransactionOffset={msg.prepared_transaction_offset}, "
            f"toString()=Message{{topic='{msg.topic}', flag={msg.flag}, properties={java_props(msg.props)}, "
            f"body=[{body}], transactionId='null'}}]")


def pulled_line(msg: m.StoredMessage, broker_name: str, charset: str, print_body: bool) -> str:
    """PrintMessageSubCommand.printMessage: MSGID, the MessageExt and the body (or NOT PRINT BODY)."""
    if print_body:
        try:
            text = msg.decompressed_body().decode(charset, "replace")
        except LookupError:
            raise CommandError(f"unsupported charset {charset}") from None
    else:
        text = "NOT PRINT BODY"
    return f"MSGID: {client_msg_id(msg)} {message_ext(msg, broker_name)} BODY: {text}\n"


def with_pull_props(msg: m.StoredMessage, res: mc.PullResult) -> m.StoredMessage:
    """PullAPIWrapper adds MIN_OFFSET / MAX_OFFSET to every pulled message."""
    props = msg.props
    props["MIN_OFFSET"] = str(res.min_offset)
    props["MAX_OFFSET"] = str(res.max_offset)
    msg.properties = m.properties_to_string(props)
    return msg


@dataclass
class MessageTrack:
    """One group's consumption of a message, as queryMsgById's MessageTrack lines show it."""
    group: str
    track_type: str      # CONSUMED, CONSUMED_BUT_FILTERED, NOT_CONSUME_YET, NOT_ONLINE, PULL, UNKNOWN
    exception_desc: str | None = None

    def __str__(self) -> str:
        return (f"MessageTrack [consumerGroup={self.group}, trackType={self.track_type}, "
                f"exceptionDesc={java_str(self.exception_desc)}]")


async def message_tracks(admin, msg: m.StoredMessage) -> list[MessageTrack]:
    """messageTrackDetail: which groups consume the message's topic and whether they have consumed it."""
    out = []
    for group in await ax.topic_consumed_by(admin, msg.topic):
        kind, desc = "UNKNOWN", None
        try:
            cc = await ax.consumer_connection(admin, group)
        except ax.ClientError as e:
            desc = e.java_desc()
        except AdminError as e:
            if e.code == ResponseCode.CONSUMER_NOT_ONLINE:
                kind = "NOT_ONLINE"
            desc = f"CODE:{e.code} DESC:{e.remark}"
        except CommandError as e:
            desc = str(e)
        else:
            if cc.get("consumeType") == "CONSUME_ACTIVELY":
                kind = "PULL"
            elif cc.get("consumeType") == "CONSUME_PASSIVELY":
                try:
                    consumed = await _consumed(admin, msg, group)
                except ax.ClientError as e:
                    if e.code == ResponseCode.CONSUMER_NOT_ONLINE:
                        kind = "NOT_ONLINE"
                    desc = f"CODE:{e.code} DESC:{e.remark}"
                    consumed = None
                except AdminError as e:
                    if e.code == ResponseCode.CONSUMER_NOT_ONLINE:
                        kind = "NOT_ONLINE"
                    desc = f"CODE:{e.code} DESC:{e.remark}"
                    consumed = None
                if consumed is True:
                    kind = "CONSUMED"
                    sd = (cc.get("subscriptionTable") or {}).get(msg.topic)
                    if sd is not None:
                        tags = set(sd.get("tagsSet") or [])
                        if tags and "*" not in tags and msg.tags not in tags:
                            kind = "CONSUMED_BUT_FILTERED"
                elif consumed is False:
                    kind = "NOT_CONSUME_YET"
        out.append(MessageTrack(group, kind, desc))
    return out


async def track_text(admin, msg: m.StoredMessage) -> str:
    """The MessageTrack lines printed after a message (WARN: No Consumer when no group consumes its topic)."""
    tracks = await message_tracks(admin, msg)
    if not tracks:
        return "\n\nWARN: No Consumer"
    return "\n\n" + "".join(str(t) for t in tracks)


async def _consumed(admin, msg: m.StoredMessage, group: str) -> bool:
    table, _ = await ax.consume_stats(admin, group)
    info = await admin.cluster_info()
    for mq, w in table.items():
        if mq.topic == msg.topic and mq.queue_id == msg.queue_id:
            bd = info.brokerAddrTable.get(mq.broker_name)
            if bd is not None and bd.brokerAddrs.get(0) == _host(msg.store_host):
                if int(w.get("consumerOffset", 0)) > msg.queue_offset:
                    return True
    return False


async def print_found(ctx: Ctx, msg: m.StoredMessage) -> None:
    sys.stdout.write(message_detail(msg, write_body(msg)))
    sys.stdout.flush()
    await _track(ctx, msg)


async def _track(ctx: Ctx, msg: m.StoredMessage) -> None:
    try:
        sys.stdout.write(await track_text(ctx.admin, msg))
    except Exception as e:  # noqa: BLE001 - Java prints the stack trace of a failed track and goes on
        print(f"messageTrackDetail failed: {e}", file=sys.stderr)


# ---------------------------------------------------------------- queryMsgById / ByUniqueKey / ByKey / ByOffset

async def consume_directly(admin, group: str, client: str, msg: m.StoredMessage) -> dict:
    """CONSUME_MESSAGE_DIRECTLY to the message's store host, which hands it to the client: the client's
    ConsumeMessageDirectlyResult (a client that does not answer: the broker's CONSUME_MSG_TIMEOUT error)."""
    addr = _host(msg.store_host)
    resp = await admin.ok(addr, RequestCode.CONSUME_MESSAGE_DIRECTLY,
                          {"consumerGroup": group, "clientId": client, "msgId": offset_id(msg)},
                          timeout=admin.timeout * 3)
    return ax.body_json(resp)


async def query_msg_by_id(ctx: Ctx) -> None:
    ids = [x.strip() for x in ctx.get("i").split(",") if x.strip()]
    if ctx.has("g") and ctx.has("d"):
        for msg_id in ids:
            try:
                msg = await ax.view_message(ctx.admin, msg_id)
                answer = await consume_directly(ctx.admin, ctx.get("g"), ctx.get("d"), msg)
                sys.stdout.write(consume_directly_result(answer))
            except CommandError as e:   # Java prints the stack trace and goes on with the next id
                print(f"consumeMessageDirectly {msg_id} failed: {e}", file=sys.stderr)
                ctx.values["_failed"] = True
        if ctx.values.get("_failed"):
            raise CommandError("consumeMessageDirectly failed")
        return
    if ctx.has("s"):
        if ctx.get("s").lower() != "true":
            return
        p = mc.Producer(ctx.admin, "ReSendMsgById")
        try:
            for msg_id in ids:
                msg = await ax.view_message(ctx.admin, msg_id)
                sys.stdout.write(f"prepare resend msg. originalMsgId={msg_id}")
                # DefaultMQProducer.send(MessageExt): the stored properties go again, UNIQ_KEY included
                result = await p.send(msg.topic, msg.decompressed_body(), props=msg.props)
                sys.stdout.write(str(result))
        finally:
            await p.shutdown()
        return
    for msg_id in ids:
        await print_found(ctx, await ax.view_message(ctx.admin, msg_id))


async def query_msg_by_unique_key(ctx: Ctx) -> None:
    msg_id, topic = ctx.get("i"), ctx.get("t")
    if ctx.has("g") and ctx.has("d"):
        # consumeMessageDirectly(group, client, topic, msgId): an offset id is used as is, a unique key is looked up
        try:
            msg = await ax.view_message(ctx.admin, msg_id)
        except Exception:  # noqa: BLE001 - as Java: any failure of the offset-id reading means "a unique key"
            msg = (await ax.query_message(ctx.admin, topic, msg_id, 32, unique=True))[0]
        answer = await consume_directly(ctx.admin, ctx.get("g"), ctx.get("d"), msg)
        sys.stdout.write(consume_directly_result(answer))
        return
    found = await ax.query_message(ctx.admin, topic, msg_id, 32, unique=True)
    found.sort(key=lambda x: x.store_timestamp)
    for i, msg in enumerate(found if ctx.has("a") else found[:1]):
        sys.stdout.write(message_detail(msg, write_body(msg, f"_{i}" if i else ""), with_offset_id=False))
        sys.stdout.flush()
        await _track(ctx, msg)


async def query_msg_by_key(ctx: Ctx) -> None:
    topic, key = ctx.get("t"), ctx.get("k")
    found = await ax.query_message(ctx.admin, topic, key, 64)
    sys.stdout.write(f"{'#Message ID':<50} {'#QID':>4} {'#Offset':>40}\n")
    for msg in found:
        sys.stdout.write(f"{client_msg_id(msg):<50} {msg.queue_id:>4} {msg.queue_offset:>40}\n")


async def query_msg_by_offset(ctx: Ctx) -> None:
    topic, broker = ctx.get("t"), ctx.get("b")
    mq = MQ(topic, broker, ctx.int("i"))
    offset = parse_long(ctx.get("o"), "option -o")
    addr = mc.broker_addr(await ctx.admin.route(topic), broker)
    res = await mc.pull(ctx.admin, addr, TOOLS_CONSUMER_GROUP, mq, offset, 1)
    if res.status == "FOUND":
        await print_found(ctx, with_pull_props(res.messages[0], res))


async def query_msg_trace(ctx: Ctx) -> None:
    msg_id = ctx.get("i")
    topic = ctx.get("t") or trace.DEFAULT_TRACE_TOPIC
    found = await ax.query_message(ctx.admin, topic, msg_id, 64, 0, int(time.time() * 1000))
    sys.stdout.write(render(views_of(msg_id, found)))


# ---------------------------------------------------------------- printMsg / printMsgByQueue / consumeMessage

async def _queue_window(ctx: Ctx, addr: str, mq: MQ, begin: int | None, end: int | None) -> tuple[int, int]:
    return await mc.queue_window(ctx.admin, addr, mq, begin, end)


async def _pull_window(ctx: Ctx, addr: str, mq: MQ, lo: int, hi: int, sub: str):
    """Pull results of one queue from lo up to hi, 32 at a time (the tools' consumer group); a failed pull is
    reported and ends the walk, as does a result that is not FOUND or NO_MATCHED_MSG after it is yielded."""
    offset = lo
    while offset < hi:
        try:
            res = await mc.pull(ctx.admin, addr, TOOLS_CONSUMER_GROUP, mq, offset, 32, sub)
        except CommandError as e:
            print(f"pull {mq} at {offset} failed: {e}", file=sys.stderr)
            return
        offset = res.next_begin
        yield offset, res
        if res.status not in ("FOUND", "NO_MATCHED_MSG"):
            return


def _opt_time(ctx: Ctx, short: str) -> int | None:
    return parse_timestamp(ctx.get(short)) if ctx.has(short) else None


async def print_msg(ctx: Ctx) -> None:
    topic = ctx.get("t")
    charset = ctx.get("c", "UTF-8")
    sub = ctx.get("s", "*")
    print_body = (not ctx.has("d")) or ctx.get("d").lower() == "true"
    begin, end = _opt_time(ctx, "b"), _opt_time(ctx, "e")
    route = await ctx.admin.route(topic)
    for mq in mc.read_queues(route, topic):
        addr = mc.broker_addr(route, mq.broker_name)
        lo, hi = await _queue_window(ctx, addr, mq, begin, end)
        sys.stdout.write(f"minOffset={lo}, maxOffset={hi}, {mq}\n")
        async for offset, res in _pull_window(ctx, addr, mq, lo, hi, sub):
            if res.status == "FOUND":
                for msg in res.messages:
                    sys.stdout.write(pulled_line(with_pull_props(msg, res), mq.broker_name, charset, print_body))
            elif res.status == "NO_MATCHED_MSG":
                sys.stdout.write(f"{mq} no matched msg. status={res.status}, offset={offset}\n")
            else:
                sys.stdout.write(f"{mq} print msg finished. status={res.status}, offset={offset}\n")
        sys.stdout.write("--------------------------------------------------------\n")
        sys.stdout.flush()


async def print_msg_by_queue(ctx: Ctx) -> None:
    topic, broker = ctx.get("t"), ctx.get("a")
    charset = ctx.get("c", "UTF-8")
    print_msg_ = ctx.has("p") and ctx.get("p").lower() == "true"
    print_body = ctx.has("d") and ctx.get("d").lower() == "true"
    by_tag = ctx.has("f") and ctx.get("f").lower() == "true"
    sub = ctx.get("s", "*")
    mq = MQ(topic, broker, ctx.int("i"))
    begin, end = _opt_time(ctx, "b"), _opt_time(ctx, "e")
    addr = mc.broker_addr(await ctx.admin.route(topic), broker)
    lo, hi = await _queue_window(ctx, addr, mq, begin, end)
    counts: dict[str, int] = {}
    async for _offset, res in _pull_window(ctx, addr, mq, lo, hi, sub):
        if res.status != "FOUND":
            break
        for msg in res.messages:
            if by_tag and msg.tags and msg.tags.strip():
                counts[msg.tags] = counts.get(msg.tags, 0) + 1
            if print_msg_:
                sys.stdout.write(pulled_line(with_pull_props(msg, res), broker, charset, print_body))
    if by_tag:
        sys.stdout.write(format_tag_counts(counts))


def format_tag_counts(counts: dict[str, int]) -> str:
    """printCalculateByTag: most frequent tags first (a stable sort of HashMap order)."""
    order = m.java_hashmap_order(list(counts))
    return "".join(f"Tag: {t:<30} Count: {counts[t]}\n" for t in sorted(order, key=lambda t: -counts[t]))


async def _pull_range(ctx: Ctx, addr: str, group: str, mq: MQ, lo: int, hi: int) -> None:
    """ConsumeMessageCommand.pullMessageByQueue: lo..hi inclusive."""
    offset = lo
    while offset <= hi:
        try:
            res = await mc.pull(ctx.admin, addr, group, mq, offset, max(1, min(hi - offset + 1, 2**31 - 1)))
        except CommandError as e:
            print(f"pull {mq} at {offset} failed: {e}", file=sys.stderr)
            return
        offset = res.next_begin
        if res.status == "FOUND":
            sys.stdout.write("Consume ok\n")
            for msg in res.messages:
                sys.stdout.write(pulled_line(with_pull_props(msg, res), mq.broker_name, "UTF-8", True))
        elif res.status == "NO_MATCHED_MSG":
            sys.stdout.write(f"{mq} no matched msg. status={res.status}, offset={offset}\n")
        else:
            sys.stdout.write(f"{mq} print msg finished. status={res.status}, offset={offset}\n")
            return


async def consume_message(ctx: Ctx) -> None:
    topic = ctx.get("t")
    group = ctx.get("g", TOOLS_CONSUMER_GROUP)
    count = 128
    if ctx.has("c"):
        count = parse_long(ctx.get("c"), "option -c")
        if count <= 0:
            sys.stdout.write("Please input a positive messageNumber!")
            return
    broker = ctx.get("b")
    if ctx.has("i") and not ctx.has("b"):
        sys.stdout.write("Please set the brokerName before queueId!")
        return
    if ctx.has("o") and not ctx.has("i"):
        sys.stdout.write("Please set queueId before offset!")
        return
    offset = parse_long(ctx.get("o"), "option -o") if ctx.has("o") else 0
    now = int(time.time() * 1000)
    begin = end = 0
    if ctx.has("s"):
        begin = parse_timestamp(ctx.get("s"))
        if begin > now:
            sys.stdout.write("Please set the beginTimestamp before now!")
            return
    if ctx.has("e"):
        end = parse_timestamp(ctx.get("e"))
        if end > now:
            sys.stdout.write("Please set the endTimestamp before now!")
            return
        if begin > end:
            sys.stdout.write("Please make sure that the beginTimestamp is less than or equal to the endTimestamp")
            return
    route = await ctx.admin.route(topic)
    if ctx.has("i"):
        mq = MQ(topic, broker, ctx.int("i"))
        addr = mc.broker_addr(route, broker)
        lo, hi = await _queue_window(ctx, addr, mq, begin or None, end or None)
        if offset > hi:
            sys.stdout.write(f"{mq} no matched msg, offset={offset}\n")
            return
        lo = max(lo, offset)
        if hi - lo > count:
            sys.stdout.write(f"The oldler {count} message will be provided\n")
            hi = lo + count - 1
        await _pull_range(ctx, addr, group, mq, lo, hi)
        return
    left = count
    for mq in mc.read_queues(route, topic):
        if left == 0:
            return
        addr = mc.broker_addr(route, mq.broker_name)
        lo, hi = await _queue_window(ctx, addr, mq, begin or None, end or None)
        if hi - lo > left:
            sys.stdout.write(f"The older {left} message of the {mq.queue_id} queue will be provided\n")
            hi = lo + left - 1
            left = 0
        else:
            left = left - (hi - lo) - 1
        await _pull_range(ctx, addr, group, mq, lo, hi)


# ---------------------------------------------------------------- sendMessage

async def send_message(ctx: Ctx) -> None:
    topic, body = ctx.get("t"), ctx.get("p")
    keys, tags, broker = ctx.get("k"), ctx.get("c"), ctx.get("b")
    qid = -1
    if ctx.has("i"):
        if not ctx.has("b"):
            sys.stdout.write("Broker name must be set if the queue is chosen!")
            return
        qid = ctx.int("i")
    p = mc.Producer(ctx.admin, str(int(time.time() * 1000)))
    try:
        if broker is not None and qid > -1:
            mq = MQ(topic, broker, qid)
            result = await p.send(topic, body.encode("utf-8"), tags, keys, mq=mq)
        else:
            result = await p.send(topic, body.encode("utf-8"), tags, keys)
    finally:
        await p.shutdown()
    sys.stdout.write(f"{'#Broker Name':<32}  {'#QID':<4}  {'#Send Result':<20}    #MsgId\n")
    sys.stdout.write(f"{result.mq.broker_name:<32}  {result.mq.queue_id:<4}  {result.status:<20}    {result.msg_id}\n")


# ---------------------------------------------------------------- queryCq

def format_cq(body: dict, index: int) -> str:
    out = []
    if body.get("subscriptionData") is not None:
        out.append(f"Subscription data: \n{fastjson.dumps_pretty(body['subscriptionData'])}\n")
        out.append("======================================\n")
    if body.get("filterData") is not None:
        out.append(f"Filter data: \n{body['filterData']}\n")
        out.append("======================================\n")
    out.append(f"Queue data: \nmax: {int(body.get('maxQueueIndex', 0))}, min: {int(body.get('minQueueIndex', 0))}\n")
    out.append("======================================\n")
    for i, q in enumerate(body.get("queueData") or [], index):
        out.append(f"idx: {i}\n")
        out.append(f"ConsumeQueueData{{physicOffset={q.get('physicOffset', 0)}, physicSize={q.get('physicSize', 0)}, "
                   f"tagsCode={q.get('tagsCode', 0)}, extendDataJson='{java_str(q.get('extendDataJson'))}', "
                   f"bitMap='{java_str(q.get('bitMap'))}', eval={java_str(q.get('eval', False))}, "
                   f"msg='{java_str(q.get('msg'))}'}}\n")
        out.append("======================================\n")
    return "".join(out)


async def query_cq(ctx: Ctx) -> None:
    topic = ctx.get("t")
    qid, index, count = ctx.int("q"), parse_long(ctx.get("i"), "option -i"), ctx.int("c", 10)
    broker = ctx.get("b")
    if not broker:
        route = await ctx.admin.route(topic)
        if not route.brokerDatas:
            raise CommandError("No topic route data!")
        broker = route.brokerDatas[0].brokerAddrs.get(0)
        if not broker:
            raise CommandError("No master of the topic's first broker")
    ext = {"topic": topic, "queueId": str(qid), "index": str(index), "count": str(count)}
    if ctx.has("g"):
        ext["consumerGroup"] = ctx.get("g")
    resp = await ctx.admin.ok(broker, RequestCode.QUERY_CONSUME_QUEUE, ext)
    sys.stdout.write(format_cq(ax.body_json(resp), index))


_TS_B = "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"
_TS_E = "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"

COMMANDS = [
    SubCommand("queryMsgById", "Query Message by Id", "QueryMsgByIdSubCommand",
               [Opt("i", "msgId", "Message Id", required=True),
                Opt("g", "consumerGroup", "consumer group name"),
                Opt("d", "clientId", "The consumer's client id"),
                Opt("s", "sendMessage", "resend message"),
                Opt("u", "unitName", "unit name")], query_msg_by_id),
    SubCommand("queryMsgByKey", "Query Message by Key", "QueryMsgByKeySubCommand",
               [Opt("t", "topic", "topic name", required=True),
                Opt("k", "msgKey", "Message Key", required=True)], query_msg_by_key),
    SubCommand("queryMsgByUniqueKey", "Query Message by Unique key", "QueryMsgByUniqueKeySubCommand",
               [Opt("i", "msgId", "Message Id", required=True),
                Opt("g", "consumerGroup", "consumer group name"),
                Opt("d", "clientId", "The consumer's client id"),
                Opt("t", "topic", "The topic of msg", required=True),
                Opt("a", "showAll", "Print all message, the limit is 32", has_arg=False)], query_msg_by_unique_key),
    SubCommand("queryMsgByOffset", "Query Message by offset", "QueryMsgByOffsetSubCommand",
               [Opt("t", "topic", "topic name", required=True),
                Opt("b", "brokerName", "Broker Name", required=True),
                Opt("i", "queueId", "Queue Id", required=True),
                Opt("o", "offset", "Queue Offset", required=True)], query_msg_by_offset),
    SubCommand("queryMsgTraceById", "query a message trace", "QueryMsgTraceByIdSubCommand",
               [Opt("i", "msgId", "Message Id", required=True),
                Opt("t", "traceTopic", "The name value of message trace topic")], query_msg_trace),
    SubCommand("printMsg", "Print Message Detail", "PrintMessageSubCommand",
               [Opt("t", "topic", "topic name", required=True),
                Opt("c", "charsetName ", "CharsetName(eg: UTF-8,GBK)"),
                Opt("s", "subExpression ", "Subscribe Expression(eg: TagA || TagB)"),
                Opt("b", "beginTimestamp ", _TS_B),
                Opt("e", "endTimestamp ", _TS_E),
                Opt("d", "printBody ", "print body")], print_msg),
    SubCommand("printMsgByQueue", "Print Message Detail", "PrintMessageByQueueCommand",
               [Opt("t", "topic", "topic name", required=True),
                Opt("a", "brokerName ", "broker name", required=True),
                Opt("i", "queueId ", "queue id", required=True),
                Opt("c", "charsetName ", "CharsetName(eg: UTF-8,GBK)"),
                Opt("s", "subExpression ", "Subscribe Expression(eg: TagA || TagB)"),
                Opt("b", "beginTimestamp ", _TS_B),
                Opt("e", "endTimestamp ", _TS_E),
                Opt("p", "print msg", "print msg. eg: true | false(default)"),
                Opt("d", "printBody ", "print body. eg: true | false(default)"),
                Opt("f", "calculate", "calculate by tag. eg: true | false(default)")], print_msg_by_queue),
    SubCommand("queryCq", "Query cq command.", "QueryConsumeQueueCommand",
               [Opt("t", "topic", "topic name", required=True),
                Opt("q", "queue", "queue num, ie. 1", required=True),
                Opt("i", "index", "start queue index.", required=True),
                Opt("c", "count", "how many."),
                Opt("b", "broker", "broker addr."),
                Opt("g", "consumer", "consumer group.")], query_cq),
    SubCommand("sendMessage", "Send a message", "SendMessageCommand",
               [Opt("t", "topic", "Topic name", required=True),
                Opt("p", "body", "UTF-8 string format of the message body", required=True),
                Opt("k", "key", "Message keys"),
                Opt("c", "tags", "Message tags"),
                Opt("b", "broker", "Send message to target broker"),
                Opt("i", "qid", "Send message to target queue"),
                Opt("m", "msgTraceEnable", "Message Trace Enable, Default: false")], send_message),
    SubCommand("consumeMessage", "Consume message", "ConsumeMessageCommand",
               [Opt("t", "topic", "Topic name", required=True),
                Opt("b", "brokerName", "Broker name"),
                Opt("i", "queueId", "Queue Id"),
                Opt("o", "offset", "Queue offset"),
                Opt("g", "consumerGroup", "Consumer group name"),
                Opt("s", "beginTimestamp ", _TS_B),
                Opt("e", "endTimestamp ", _TS_E),
                Opt("c", "MessageNumber", "Number of message to be consumed")], consume_message),
]

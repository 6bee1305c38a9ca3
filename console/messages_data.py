"""What the message, dead-letter and send pages show, asked of the cluster through mqadmin's code: a message by
id (offset id or unique key), by key, by time range, by queue offset; the newest messages of a topic; a message's
view (fields, properties, body as text/hex/JSON, tracks, trace); a dead letter sent back to its group's retry
topic. Nothing is kept between requests."""
from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable

from remoting import trace
from remoting.codes import ResponseCode
from store import message as m
from tools.mqadmin import adminext as ax
from tools.mqadmin import mqclient as mc
from tools.mqadmin.cli import CommandError
from tools.mqadmin.client import AdminClient, AdminError
from tools.mqadmin.message_cmds import MessageTrack, client_msg_id, message_tracks, offset_id
from tools.mqadmin.msgfmt import MQ, RETRY_PREFIX, TOOLS_CONSUMER_GROUP, ms_or_date
from tools.mqadmin.trace_view import TraceView, views_of

DLQ_PREFIX = "%DLQ%"
ROW_CAP = 2000            # a time-range query lists at most this many messages (rocketmq-dashboard: 2,000)
PULL_BATCH = 32           # the broker's maxTransferCountOnMessageInMemory
KEY_QUERY_MAX = 64        # queryMsgByKey's maxNum
PRESETS = [("30m", "last 30 min", 30 * 60), ("1h", "1 h", 3600), ("6h", "6 h", 6 * 3600),
           ("24h", "24 h", 24 * 3600), ("3d", "3 days", 3 * 86400)]
_HEX_ID = re.compile(r"^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{40}$")
# set by the broker as it stores a message; a resent dead letter must not carry them (DELAY would schedule it)
_BROKER_PROPS = ("DELAY", "REAL_TOPIC", "REAL_QID", "MIN_OFFSET", "MAX_OFFSET", "WAIT", "CLUSTER")


class Invalid(ValueError):
    """A query that cannot be asked (malformed id, end before begin, ...): shown on the page, status 400."""


class NotFound(LookupError):
    """The cluster answered: no such message / topic."""


@dataclass
class Row:
    """A message as the result tables show it."""
    msg: m.StoredMessage
    broker_name: str = ""

    @property
    def msg_id(self) -> str:
        return client_msg_id(self.msg)

    @property
    def offset_id(self) -> str:
        return offset_id(self.msg)

    @property
    def tags(self) -> str:
        return self.msg.props.get("TAGS", "")

    @property
    def keys(self) -> str:
        return self.msg.props.get("KEYS", "")

    @property
    def born_host(self) -> str:
        return f"{self.msg.born_host[0]}:{self.msg.born_host[1]}"

    @property
    def store_host(self) -> str:
        return f"{self.msg.store_host[0]}:{self.msg.store_host[1]}"


@dataclass
class Found:
    rows: list[Row] = field(default_factory=list)
    capped: bool = False
    total: int = 0            # messages in the range (the offsets between), before the cap
    note: str = ""


# ---------------------------------------------------------------- input

async def answered(query: Awaitable[Found]) -> tuple[Found | None, str, int]:
    """A query's result, or what the page says instead and its status: 400 for a query that cannot be asked,
    404 for nothing there, 200 with the broker's refusal."""
    try:
        return await query, "", 200
    except Invalid as e:
        return None, str(e), 400
    except NotFound as e:
        return None, str(e), 404
    except AdminError as e:
        return None, f"the broker refused the query: {e}", 200


def parse_time(raw: str, what: str) -> int:
    """A time from a form: datetime-local (yyyy-MM-ddTHH:mm[:ss]), yyyy-MM-dd HH:mm[:ss], milliseconds or
    mqadmin's yyyy-MM-dd#HH:mm:ss:SSS; local time."""
    s = raw.strip()
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return int(datetime.strptime(s, fmt).timestamp() * 1000)
        except ValueError:
            pass
    v = ms_or_date(s)
    if v is None or v < 0:
        raise Invalid(f"{what} {raw!r} is not a time (yyyy-MM-dd HH:mm[:ss] or milliseconds)")
    return v


def time_range(preset: str, begin: str, end: str, now_ms: int | None = None) -> tuple[int, int]:
    """A preset ("30m" ... "3d") up to now, or an explicit begin/end (end defaults to now)."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    if begin.strip():
        b = parse_time(begin, "begin")
        e = parse_time(end, "end") if end.strip() else now
        if e < b:
            raise Invalid("end is before begin")
        return b, e
    for key, _label, seconds in PRESETS:
        if preset == key:
            return now - seconds * 1000, now
    raise Invalid(f"unknown time range {preset!r}: choose a preset or give begin (and end)")


def check_msg_id(msg_id: str) -> str:
    msg_id = msg_id.strip()
    if not _HEX_ID.match(msg_id):
        raise Invalid(f"{msg_id!r} is not a message id (32 hex digits: a unique key or an IPv4 offset id)")
    return msg_id.upper()


def int_value(raw: str, what: str, lo: int = 0) -> int:
    try:
        v = int(raw.strip())
    except ValueError:
        raise Invalid(f"{what} must be a whole number, not {raw!r}") from None
    if v < lo:
        raise Invalid(f"{what} must be at least {lo}")
    return v


# ---------------------------------------------------------------- look-ups

async def _broker_addrs(admin: AdminClient) -> set[str]:
    info = await admin.cluster_info()
    return {a for bd in info.brokerAddrTable.values() for a in bd.brokerAddrs.values()}


async def _route(admin: AdminClient, topic: str):
    try:
        return await admin.route(topic)
    except AdminError as e:
        if e.code == ResponseCode.TOPIC_NOT_EXIST:
            raise NotFound(f"topic {topic} does not exist") from None
        raise


async def by_id(admin: AdminClient, msg_id: str, topic: str = "") -> list[Row]:
    """queryMsgById's look-up: an offset id of a broker of this cluster is read where it points
    (VIEW_MESSAGE_BY_ID); anything else is a unique key (UNIQ_KEY), looked up in its topic (queryMsgByUniqueKey)."""
    msg_id = check_msg_id(msg_id)
    try:
        (host, port), _ = m.decode_offset_msg_id(msg_id)
        addr = f"{host}:{port}"
    except (ValueError, IndexError):
        addr = ""
    if addr and addr in await _broker_addrs(admin):
        try:
            return [Row(await ax.view_message(admin, msg_id))]
        except AdminError as e:
            raise NotFound(f"no message {msg_id}: {e.remark}") from None
    if not topic:
        raise Invalid(f"{msg_id} is not the offset id of a broker of this cluster: give its topic to find it "
                      "by unique key")
    await _route(admin, topic)
    try:
        found = await ax.query_message(admin, topic, msg_id, 32, unique=True)
    except AdminError as e:
        if e.code == ResponseCode.NO_MESSAGE:
            raise NotFound(f"no message {msg_id} in topic {topic}") from None
        raise
    return [Row(x) for x in sorted(found, key=lambda x: x.store_timestamp)]


async def by_key(admin: AdminClient, topic: str, key: str) -> Found:
    """queryMsgByKey: QUERY_MESSAGE to a broker of each broker group of the topic."""
    await _route(admin, topic)
    try:
        found = await ax.query_message(admin, topic, key, KEY_QUERY_MAX)
    except AdminError as e:
        if e.code == ResponseCode.NO_MESSAGE:
            return Found(note=f"no message of topic {topic} has key {key}")
        raise
    rows = sorted((Row(x) for x in found), key=lambda r: -r.msg.store_timestamp)
    return Found(rows, total=len(rows))


async def _pull_between(admin: AdminClient, addr: str, mq: MQ, lo: int, hi: int, sub: str = "*") -> list:
    """The messages of one queue at offsets lo..hi-1, pulled with the tools' group (no offset committed)."""
    out = []
    offset = lo
    while offset < hi:
        res = await mc.pull(admin, addr, TOOLS_CONSUMER_GROUP, mq, offset, min(PULL_BATCH, hi - offset), sub)
        if res.status not in ("FOUND", "NO_MATCHED_MSG") or res.next_begin <= offset:
            break
        out += [x for x in res.messages if x.queue_offset < hi]
        offset = res.next_begin
    return out


async def by_time(admin: AdminClient, topic: str, begin: int, end: int, cap: int = ROW_CAP) -> Found:
    """rocketmq-dashboard's queryMessageByTopic: per readable queue the offsets of begin and end
    (SEARCH_OFFSET_BY_TIMESTAMP), the messages between pulled, those stored in [begin, end] kept, newest first,
    at most `cap` (each queue pulls at most its newest `cap`)."""
    route = await _route(admin, topic)

    async def queue(mq: MQ) -> tuple[int, list]:
        addr = mc.broker_addr(route, mq.broker_name)
        lo, hi = await mc.queue_window(admin, addr, mq, begin, end)
        # the end offset is the first message at or after `end`: include it, the filter below drops it if later
        maxo = await mc.max_offset(admin, addr, mq)
        hi = min(hi + 1, maxo)
        if hi <= lo:
            return 0, []
        msgs = await _pull_between(admin, addr, mq, max(lo, hi - cap), hi)
        return hi - lo, [Row(x, mq.broker_name) for x in msgs if begin <= x.store_timestamp <= end]
    queues = mc.read_queues(route, topic)
    if not queues:
        return Found(note=f"topic {topic} has no readable queue (its permission forbids reading)")
    parts = await asyncio.gather(*(queue(q) for q in queues))
    rows = [r for _, rs in parts for r in rs]
    rows.sort(key=lambda r: (-r.msg.store_timestamp, r.msg.queue_id, -r.msg.queue_offset))
    total = max(sum(n for n, _ in parts), len(rows))
    return Found(rows[:cap], capped=len(rows) > cap or total > cap, total=total)


async def by_offset(admin: AdminClient, topic: str, broker: str, queue_id: int, offset: int) -> Found:
    """queryMsgByOffset: one pull of one message at the offset."""
    route = await _route(admin, topic)
    names = sorted(b.brokerName for b in route.brokerDatas)
    if not broker:
        if len(names) != 1:
            raise Invalid(f"topic {topic} is on brokers {', '.join(names)}: choose one")
        broker = names[0]
    if broker not in names:
        raise Invalid(f"topic {topic} has no queues on broker {broker}")
    addr = mc.broker_addr(route, broker)
    res = await mc.pull(admin, addr, TOOLS_CONSUMER_GROUP, MQ(topic, broker, queue_id), offset, 1)
    if res.status != "FOUND":
        return Found(note=f"no message at offset {offset} of queue {queue_id} on {broker} "
                          f"(the queue holds offsets {res.min_offset} to {max(res.max_offset - 1, res.min_offset)}; "
                          f"pull status {res.status})")
    return Found([Row(res.messages[0], broker)], total=1)


async def latest(admin: AdminClient, topic: str, count: int, sub: str = "*") -> Found:
    """The newest `count` messages of each readable queue (printMsg's pull, no group offset committed)."""
    route = await _route(admin, topic)

    async def queue(mq: MQ) -> list[Row]:
        addr = mc.broker_addr(route, mq.broker_name)
        lo, hi = await mc.queue_window(admin, addr, mq)
        msgs = await _pull_between(admin, addr, mq, max(lo, hi - count), hi, sub)
        return [Row(x, mq.broker_name) for x in msgs]
    parts = await asyncio.gather(*(queue(q) for q in mc.read_queues(route, topic)))
    rows = [r for rs in parts for r in rs]
    rows.sort(key=lambda r: (-r.msg.store_timestamp, r.msg.queue_id))
    return Found(rows, total=len(rows))


# ---------------------------------------------------------------- a message's view

@dataclass
class Body:
    text: str
    hex: str
    json: str | None      # pretty-printed when the body parses as JSON
    utf8: bool
    size: int


def body_views(raw: bytes) -> Body:
    try:
        text, utf8 = raw.decode("utf-8"), True
    except UnicodeDecodeError:
        text, utf8 = raw.decode("utf-8", "replace"), False
    lines = []
    for i in range(0, len(raw), 16):
        chunk = raw[i:i + 16]
        printable = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{i:08x}  {chunk.hex(' '):<47}  {printable}")
    pretty = None
    if utf8:
        try:
            pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return Body(text, "\n".join(lines), pretty, utf8, len(raw))


def system_fields(row: Row) -> list[tuple[str, object]]:
    x = row.msg
    return [("Topic", x.topic), ("Message ID", row.msg_id), ("Offset message ID", row.offset_id),
            ("Tags", row.tags), ("Keys", row.keys), ("Queue ID", x.queue_id), ("Queue offset", x.queue_offset),
            ("Commit log offset", x.physical_offset), ("Store host", row.store_host), ("Born host", row.born_host),
            ("Born time", ("time", x.born_timestamp)), ("Store time", ("time", x.store_timestamp)),
            ("Reconsume times", x.reconsume_times), ("System flag", x.sys_flag), ("Flag", x.flag),
            ("Body CRC", x.body_crc), ("Stored size", x.store_size),
            ("Prepared transaction offset", x.prepared_transaction_offset)]


async def tracks(admin: AdminClient, row: Row) -> tuple[list[MessageTrack], str]:
    """queryMsgById's MessageTracks; a failure to work them out is shown, not raised (as mqadmin prints it)."""
    try:
        return await message_tracks(admin, row.msg), ""
    except (CommandError, OSError) as e:
        return [], str(e)


async def trace_views(admin: AdminClient, msg_id: str, trace_topic: str) -> tuple[list[TraceView], str]:
    """queryMsgTraceById: the trace records of the message in the trace topic (a note when there are none)."""
    try:
        found = await ax.query_message(admin, trace_topic, msg_id, 64, 0, int(time.time() * 1000))
    except AdminError as e:
        if e.code == ResponseCode.TOPIC_NOT_EXIST:
            return [], f"no trace topic {trace_topic} in this cluster (message trace is off)"
        if e.code == ResponseCode.NO_MESSAGE:
            return [], f"no trace of this message in {trace_topic}"
        raise
    views = views_of(msg_id, found)
    return views, "" if views else f"no trace of this message in {trace_topic}"


async def online_clients(admin: AdminClient, groups: list[str]) -> dict[str, list[str]]:
    """The connected client ids of each group (GET_CONSUMER_CONNECTION_LIST), for the resend form."""
    async def one(group: str) -> list[str]:
        try:
            cc = await ax.consumer_connection(admin, group)
        except CommandError:
            return []
        return sorted(str(c.get("clientId")) for c in cc.get("connectionSet") or ())
    found = await asyncio.gather(*(one(g) for g in groups))
    return dict(zip(groups, found))


# ---------------------------------------------------------------- dead letters

def dlq_topic(group: str) -> str:
    return DLQ_PREFIX + group


async def resend_dead_letter(admin: AdminClient, producer: mc.Producer, group: str, msg_id: str) -> mc.SendResult:
    """A dead letter of `group` back to %RETRY%<group>, so the group's consumers receive it again: body, keys,
    tags and user properties kept; RETRY_TOPIC names the original topic (as the broker's send-back keeps it, so
    clients restore it); the broker's own properties (DELAY, REAL_TOPIC, ...) dropped."""
    (row,) = await by_id(admin, msg_id)
    x = row.msg
    if x.topic != dlq_topic(group):
        raise Invalid(f"message {msg_id} is in {x.topic}, not in {dlq_topic(group)}")
    props = {k: v for k, v in x.props.items() if k not in _BROKER_PROPS}
    props.setdefault("RETRY_TOPIC", x.topic)
    props.setdefault("ORIGIN_MESSAGE_ID", row.offset_id)
    return await producer.send(RETRY_PREFIX + group, x.decompressed_body(), props=props)


EXPORT_FIELDS = ["msgId", "offsetMsgId", "topic", "originalTopic", "tags", "keys", "brokerName", "queueId",
                 "queueOffset", "storeTime", "bornTime", "bornHost", "storeHost", "reconsumeTimes", "body",
                 "bodyBase64"]


def export_record(row: Row) -> dict:
    x = row.msg
    raw = x.decompressed_body()
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {"msgId": row.msg_id, "offsetMsgId": row.offset_id, "topic": x.topic,
            "originalTopic": x.props.get("RETRY_TOPIC", ""), "tags": row.tags, "keys": row.keys,
            "brokerName": row.broker_name, "queueId": x.queue_id, "queueOffset": x.queue_offset,
            "storeTime": x.store_timestamp, "bornTime": x.born_timestamp, "bornHost": row.born_host,
            "storeHost": row.store_host, "reconsumeTimes": x.reconsume_times, "body": text,
            "bodyBase64": base64.b64encode(raw).decode(), "properties": x.props}


def export_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, EXPORT_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        rec = export_record(r)
        rec["body"] = rec["body"] if rec["body"] is not None else ""
        w.writerow(rec)
    return out.getvalue()


def export_json(rows: list[Row]) -> str:
    return json.dumps([export_record(r) for r in rows], indent=2, ensure_ascii=False)


TRACE_TOPIC = trace.DEFAULT_TRACE_TOPIC

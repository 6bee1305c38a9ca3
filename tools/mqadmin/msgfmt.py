"""Pieces the message/consumer/client subcommands share: Java's text forms (MQVersion names, UtilAll date
formats, MessageQueue keys and order, toString()s of the bodies mqadmin prints) as pure functions, so the
output can be checked without a broker (tests/unit/test_mqadmin_format.py)."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from remoting.codes import VERSION_NAMES, version_desc  # noqa: F401 - re-exported for the subcommands

from .cli import CommandError

RETRY_PREFIX = "%RETRY%"
TOOLS_CONSUMER_GROUP = "TOOLS_CONSUMER"
JAVA_LONG_MAX = 2**63 - 1


# ---------------------------------------------------------------- MQVersion

# ---------------------------------------------------------------- dates and strings

def front(s: str | None, size: int) -> str:
    """UtilAll.frontStringAtLeast: the first `size` characters."""
    if s is None:
        return "null"
    return s[:size]


def java_bool(b: bool) -> str:
    return "true" if b else "false"


def java_str(v: Any) -> str:
    """String.valueOf for the values printed with %s."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return java_bool(v)
    return str(v)


def format_date(ms: int) -> str:
    """UtilAll.formatDate(new Date(ms), "yyyy-MM-dd HH:mm:ss"), local time."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def human2(ms: int) -> str:
    """UtilAll.timeMillisToHumanString2: yyyy-MM-dd HH:mm:ss,SSS (local time)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms // 1000)) + f",{ms % 1000:03d}"


def human(ms: int) -> str:
    """UtilAll.timeMillisToHumanString: yyyyMMddHHmmssSSS (local time)."""
    return time.strftime("%Y%m%d%H%M%S", time.localtime(ms // 1000)) + f"{ms % 1000:03d}"


def parse_date_ssss(s: str) -> int | None:
    """UtilAll.parseDate(s, "yyyy-MM-dd#HH:mm:ss:SSS") in ms (local time); None if it does not parse."""
    try:
        d = dt.datetime.strptime(s, "%Y-%m-%d#%H:%M:%S:%f")
    except ValueError:
        return None
    frac = s.rsplit(":", 1)[1]
    return int(time.mktime(d.replace(microsecond=0).timetuple())) * 1000 + int(frac)


def ms_or_date(s: str) -> int | None:
    """Milliseconds, or a yyyy-MM-dd#HH:mm:ss:SSS local time; None when it is neither."""
    try:
        return int(s)
    except ValueError:
        return parse_date_ssss(s)


def parse_timestamp(s: str, now_ms: int | None = None) -> int:
    """The -b/-e/-s timestamp of printMsg and friends: milliseconds or yyyy-MM-dd#HH:mm:ss:SSS."""
    v = ms_or_date(s.strip())
    if v is None:
        raise CommandError(f"Unparseable date: \"{s}\" (expected currentTimeMillis or yyyy-MM-dd#HH:mm:ss:SSS)")
    return v


def parse_long(s: str, what: str) -> int:
    try:
        return int(s.strip())
    except ValueError:
        raise CommandError(f'For input string: "{s}" ({what})') from None


# ---------------------------------------------------------------- MessageQueue

@dataclass(frozen=True, order=True)
class MQ:
    """A MessageQueue; field order gives Java's compareTo (topic, brokerName, queueId)."""
    topic: str
    broker_name: str
    queue_id: int

    def __str__(self) -> str:
        return f"MessageQueue [topic={self.topic}, brokerName={self.broker_name}, queueId={self.queue_id}]"

    def key(self) -> tuple:
        """The fastjson object-key form remoting.fastjson writes and reads (fields alphabetical)."""
        return (("brokerName", self.broker_name), ("queueId", self.queue_id), ("topic", self.topic))


def mq_hash(mq: MQ) -> int:
    """MessageQueue.hashCode (brokerName, queueId, topic with prime 31), as a 32-bit value."""
    from store.message import java_string_hash
    h = 1
    h = (31 * h + java_string_hash(mq.broker_name)) & 0xFFFFFFFF
    h = (31 * h + mq.queue_id) & 0xFFFFFFFF
    return (31 * h + java_string_hash(mq.topic)) & 0xFFFFFFFF


def java_hashset_order(mqs: list[MQ]) -> list[MQ]:
    """Iteration order of a java.util.HashSet the queues were added to in this order (bucket of the spread
    hash in a table grown at 3/4 load, insertion order within a bucket)."""
    cap = 16
    while len(mqs) > cap * 3 // 4:
        cap *= 2
    pos = {q: i for i, q in enumerate(mqs)}

    def bucket(q: MQ) -> int:
        h = mq_hash(q)
        return (h ^ (h >> 16)) & (cap - 1)
    return sorted(mqs, key=lambda q: (bucket(q), pos[q]))


def mq_of(key: Any) -> MQ:
    """A MessageQueue map key as remoting.fastjson.loads gives it (a tuple of pairs), or a dict."""
    d = dict(key) if isinstance(key, tuple) else (key if isinstance(key, dict) else {})
    if not d and isinstance(key, str):   # a JSON-string key: the stringified object
        from remoting import fastjson
        d = fastjson.loads(key)
    return MQ(str(d.get("topic")), str(d.get("brokerName")), int(d.get("queueId", 0)))


def mq_table(table: dict | None) -> dict[MQ, Any]:
    return {mq_of(k): v for k, v in (table or {}).items()}


# ---------------------------------------------------------------- enums

CONSUME_TYPES = ("CONSUME_ACTIVELY", "CONSUME_PASSIVELY")
MESSAGE_MODELS = ("BROADCASTING", "CLUSTERING")
CONSUME_FROM = ("CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
                "CONSUME_FROM_MIN_OFFSET", "CONSUME_FROM_MAX_OFFSET", "CONSUME_FROM_FIRST_OFFSET",
                "CONSUME_FROM_TIMESTAMP")


def enum_name(v: Any, names: tuple[str, ...]) -> str:
    """A Java enum as fastjson reads it: its name, or its ordinal (some peers write ordinals)."""
    if isinstance(v, bool) or v is None:
        return java_str(v)
    if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
        i = int(v)
        return names[i] if 0 <= i < len(names) else str(v)
    return str(v)


def connection_enums(cc: dict) -> dict:
    """A ConsumerConnection with its consumeType / messageModel / consumeFromWhere as enum names."""
    cc = dict(cc)
    cc["consumeType"] = enum_name(cc.get("consumeType"), CONSUME_TYPES)
    cc["messageModel"] = enum_name(cc.get("messageModel"), MESSAGE_MODELS)
    cc["consumeFromWhere"] = enum_name(cc.get("consumeFromWhere"), CONSUME_FROM)
    return cc


# ---------------------------------------------------------------- bodies printed with toString / formatString

def consume_directly_result(d: dict) -> str:
    """ConsumeMessageDirectlyResult.toString."""
    return (f"ConsumeMessageDirectlyResult [order={java_str(d.get('order', False))}, "
            f"autoCommit={java_str(d.get('autoCommit', True))}, consumeResult={java_str(d.get('consumeResult'))}, "
            f"remark={java_str(d.get('remark'))}, spentTimeMills={d.get('spentTimeMills', 0)}]")


def process_queue_info(p: dict) -> str:
    """ProcessQueueInfo.toString."""
    g = p.get
    return (f"ProcessQueueInfo [commitOffset={g('commitOffset', 0)}, cachedMsgMinOffset={g('cachedMsgMinOffset', 0)}, "
            f"cachedMsgMaxOffset={g('cachedMsgMaxOffset', 0)}, cachedMsgCount={g('cachedMsgCount', 0)}, "
            f"cachedMsgSizeInMiB={g('cachedMsgSizeInMiB', 0)}, "
            f"transactionMsgMinOffset={g('transactionMsgMinOffset', 0)}, "
            f"transactionMsgMaxOffset={g('transactionMsgMaxOffset', 0)}, "
            f"transactionMsgCount={g('transactionMsgCount', 0)}, locked={java_str(g('locked', False))}, "
            f"tryUnlockTimes={g('tryUnlockTimes', 0)}, lastLockTimestamp={human(int(g('lastLockTimestamp', 0)))}, "
            f"droped={java_str(g('droped', False))}, lastPullTimestamp={human(int(g('lastPullTimestamp', 0)))}, "
            f"lastConsumeTimestamp={human(int(g('lastConsumeTimestamp', 0)))}]")


def _sub_string(sd: dict) -> str:
    return java_str(sd.get("subString"))


def java_properties_order(keys: list[str]) -> list[str]:
    """Iteration order of a java.util.Properties on JDK 9+ (a ConcurrentHashMap of initial capacity 8, i.e. a
    16-bucket table grown when 3/4 full): by bucket of the spread hash, insertion order within a bucket
    (bins split on a resize may come out in another order; ConsumerRunningInfo has a dozen properties)."""
    from store.message import java_string_hash
    cap = 16
    while len(keys) >= cap * 3 // 4:
        cap *= 2
    pos = {k: i for i, k in enumerate(keys)}

    def bucket(k: str) -> int:
        h = java_string_hash(k) & 0xFFFFFFFF
        return ((h ^ (h >> 16)) & 0x7FFFFFFF) & (cap - 1)
    return sorted(pos, key=lambda k: (bucket(k), pos[k]))


def running_info_text(info: dict) -> str:
    """ConsumerRunningInfo.formatString. Properties in java.util.Properties order; the subscription set, mq table and status table sorted as Java's TreeSet/TreeMaps are."""
    out = ["#Consumer Properties#\n"]
    props = info.get("properties") or {}
    for k in java_properties_order([str(x) for x in props]):
        out.append(f"{k:<40}: {java_str(props[k])}\n")
    out.append("\n\n#Consumer Subscription#\n")
    subs = sorted(info.get("subscriptionSet") or [], key=lambda sd: f"{sd.get('topic')}@{sd.get('subString')}")
    for i, sd in enumerate(subs, 1):
        out.append(f"{i:03d} Topic: {java_str(sd.get('topic')):<40} "
                   f"ClassFilter: {java_str(bool(sd.get('classFilterMode', False))):<8} "
                   f"SubExpression: {_sub_string(sd)}\n")
    mqs = sorted(mq_table(info.get("mqTable")).items())
    out.append("\n\n#Consumer Offset#\n")
    out.append(f"{'#Topic':<64}  {'#Broker Name':<32}  {'#QID':<4}  {'#Consumer Offset':<20}\n")
    for mq, pq in mqs:
        out.append(f"{mq.topic:<32}  {mq.broker_name:<32}  {mq.queue_id:<4}  {int(pq.get('commitOffset', 0)):<20}\n")
    out.append("\n\n#Consumer MQ Detail#\n")
    out.append(f"{'#Topic':<64}  {'#Broker Name':<32}  {'#QID':<4}  {'#ProcessQueueInfo':<20}\n")
    for mq, pq in mqs:
        out.append(f"{mq.topic:<64}  {mq.broker_name:<32}  {mq.queue_id:<4}  {process_queue_info(pq)}\n")
    out.append("\n\n#Consumer RT&TPS#\n")
    out.append(f"{'#Topic':<64}  {'#Pull RT':>14} {'#Pull TPS':>14} {'#Consume RT':>14} {'#ConsumeOK TPS':>14} "
               f"{'#ConsumeFailed TPS':>18} {'#ConsumeFailedMsgsInHour':>25}\n")
    for topic, st in sorted((info.get("statusTable") or {}).items()):
        g = st.get
        out.append(f"{topic:<32}  {float(g('pullRT', 0)):14.2f} {float(g('pullTPS', 0)):14.2f} "
                   f"{float(g('consumeRT', 0)):14.2f} {float(g('consumeOKTPS', 0)):14.2f} "
                   f"{float(g('consumeFailedTPS', 0)):18.2f} {int(g('consumeFailedMsgs', 0)):25d}\n")
    if info.get("jstack") is not None:
        out.append("\n\n#Consumer jstack#\n")
        out.append(str(info["jstack"]))
    return "".join(out)


def send_result(status: str, msg_id: str, offset_msg_id: str, mq: MQ, queue_offset: int) -> str:
    """SendResult.toString."""
    return (f"SendResult [sendStatus={status}, msgId={msg_id}, offsetMsgId={offset_msg_id}, messageQueue={mq}, "
            f"queueOffset={queue_offset}]")

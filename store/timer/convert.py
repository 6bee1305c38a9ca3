"""The message moves of the 5.x timer: property names (MessageConst), what a due or rolled message looks like
when it is put back (TimerMessageStore.convert / convertMessage)."""
from __future__ import annotations

import functools
import struct

from .. import message as m

TIMER_TOPIC = "rmq_sys_wheel_timer"          # TopicValidator.SYSTEM_TOPIC_PREFIX + "wheel_timer"
PROPERTY_REAL_TOPIC = "REAL_TOPIC"
PROPERTY_REAL_QUEUE_ID = "REAL_QID"
PROPERTY_TIMER_DELAY_SEC = "TIMER_DELAY_SEC"
PROPERTY_TIMER_DELIVER_MS = "TIMER_DELIVER_MS"
PROPERTY_TIMER_DELAY_MS = "TIMER_DELAY_MS"
PROPERTY_TIMER_OUT_MS = "TIMER_OUT_MS"
PROPERTY_TIMER_ENQUEUE_MS = "TIMER_ENQUEUE_MS"
PROPERTY_TIMER_DEQUEUE_MS = "TIMER_DEQUEUE_MS"
PROPERTY_TIMER_ROLL_TIMES = "TIMER_ROLL_TIMES"
PROPERTY_TIMER_DEL_UNIQKEY = "TIMER_DEL_UNIQKEY"
# the 4.x name (MessageConst.PROPERTY_STARTDE_LIVER_TIME) Alibaba-cloud style clients set: deliver at epoch ms
PROPERTY_STARTDELIVERTIME = "__STARTDELIVERTIME"
NEVER_ENQUEUED = 2**63 - 1                   # TIMER_ENQUEUE_MS of a message delivered without entering the wheel


_I32 = struct.Struct(">i")
_I16 = struct.Struct(">h")


def record_properties(buf, pos: int) -> str | None:
    """The properties string of the stored record at `pos`, read without decoding the rest (the enqueue needs
    three properties of each timer message, not its body)."""
    try:
        sys_flag = _I32.unpack_from(buf, pos + m.SYSFLAG_POSITION)[0]
        p = pos + 48 + (20 if sys_flag & m.BORNHOST_V6_FLAG else 8) + 8
        p += (20 if sys_flag & m.STOREHOSTADDRESS_V6_FLAG else 8) + 12
        p += 4 + _I32.unpack_from(buf, p)[0]
        p += 1 + buf[p]
        n = _I16.unpack_from(buf, p)[0]
        return bytes(buf[p + 2:p + 2 + n]).decode("utf-8")
    except (struct.error, IndexError, UnicodeDecodeError):
        return None


def property_of(text: str, key: str) -> str | None:
    """One property's value from a properties string (name\x01value\x02...), without building the map."""
    needle = key + m.NAME_VALUE_SEPARATOR
    i = text.find(needle)
    while i != -1:
        if i == 0 or text[i - 1] == m.PROPERTY_SEPARATOR:
            start = i + len(needle)
            end = text.find(m.PROPERTY_SEPARATOR, start)
            return text[start:end if end != -1 else len(text)] or None
        i = text.find(needle, i + 1)
    return None


def out_ms(props: dict[str, str]) -> int | None:
    raw = props.get(PROPERTY_TIMER_OUT_MS)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def put_back(stored: m.StoredMessage, props: dict[str, str], enqueue_ms: int, roll: bool,
             now_ms: int) -> m.StoredMessage | None:
    """The message to store for a due timer unit, made from the decoded record `stored` (changed in place): to
    REAL_TOPIC/REAL_QID, or (a roll) to the timer topic again with TIMER_ROLL_TIMES + 1. As 5.x, the properties string is written before REAL_TOPIC/REAL_QID
    leave the map, so the stored message keeps them; TIMER_ENQUEUE_MS and TIMER_DEQUEUE_MS are added.
    None when the record has no usable real topic/queue."""
    if enqueue_ms != -1:
        props[PROPERTY_TIMER_ENQUEUE_MS] = str(enqueue_ms)
    if roll:
        times = props.get(PROPERTY_TIMER_ROLL_TIMES)
        props[PROPERTY_TIMER_ROLL_TIMES] = str(int(times) + 1 if times and times.isdigit() else 1)
    props[PROPERTY_TIMER_DEQUEUE_MS] = str(now_ms)
    if roll:
        topic, queue_id = stored.topic, stored.queue_id
    else:
        topic = props.get(PROPERTY_REAL_TOPIC)
        qid = props.get(PROPERTY_REAL_QUEUE_ID)
        if not topic or qid is None or not qid.lstrip("-").isdigit():
            return None
        queue_id = int(qid)
    sep, pair = m.PROPERTY_SEPARATOR, m.NAME_VALUE_SEPARATOR
    # the decoded record becomes the message to store (a fresh StoredMessage per put-back cost 10 % of a burst):
    # body, flag, sys flag, born time and host and reconsume times stay; the store sets the rest
    stored.topic, stored.queue_id, stored.prepared_transaction_offset = topic, queue_id, 0
    stored.properties = sep.join([k + pair + props[k] for k in _java_order(tuple(props))])
    stored.extra = {"props": props}
    return stored


@functools.lru_cache(maxsize=1024)
def _java_order(keys: tuple[str, ...]) -> list[str]:
    # the messages of one producer carry the same property names: their HashMap order is computed once
    return m.java_hashmap_order(list(keys))

"""Message-trace records: the body format clients write to the trace topic (TraceDataEncoder, 4.9.7), shared by
the broker (which can write Pub records itself) and mqadmin queryMsgTraceById. Pure functions, no I/O.

A trace message's body is a run of records. Each record is its fields joined by CONTENT (\\x01) and ended by
FIELD (\\x02). Its KEYS are the traced messages' msgIds and keys, space-joined, so the store's index finds a
message's trace by its msgId.

Variants seen in the wild, all decoded here:
- Pub with 13 fields (no offsetMsgId, old clients) or 15 (a trailing clientHost, old clients);
- SubAfter in the CLOUD form: it stops after contextCode with a CONTENT separator and no FIELD terminator,
  so it runs into the next record (Java's own decoder then fails on the merged line);
- SubAfter of the C++ 2.x core: 6 fields (no contextCode, timestamp or group);
- absent strings written by Java as "null" (StringBuilder.append of a null String).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable, Union

CONTENT = "\x01"   # TraceConstants.CONTENT_SPLITOR: between fields
FIELD = "\x02"     # TraceConstants.FIELD_SPLITOR: after a record
DEFAULT_TRACE_TOPIC = "RMQ_SYS_TRACE_TOPIC"
CLOUD_TRACE_TOPIC_PREFIX = "rmq_sys_TRACE_DATA_"   # + regionId: the CLOUD channel's (and the C++ 2.x core's) topic
KEY_SEPARATOR = " "
MAX_TRACE_BODY = 128000 - 10 * 1000   # a client's trace producer sends a batch before it passes this


class MessageType(enum.IntEnum):
    """common/message/MessageType: written as its ordinal."""
    Normal_Msg = 0
    Trans_Msg_Half = 1
    Trans_msg_Commit = 2
    Delay_Msg = 3


def _bool(s: str) -> bool:
    return s.lower() == "true"   # Boolean.parseBoolean


def _text(b: bool) -> str:
    return "true" if b else "false"


@dataclass(frozen=True)
class Pub:
    timestamp: int
    region_id: str
    group: str
    topic: str
    msg_id: str
    tags: str
    keys: str
    store_host: str
    body_length: int
    cost_time: int
    msg_type: int
    offset_msg_id: str | None
    success: bool
    client_host: str | None = None   # the 15th field of old clients

    def fields(self) -> list[str]:
        f = ["Pub", str(self.timestamp), self.region_id, self.group, self.topic, self.msg_id, self.tags, self.keys,
             self.store_host, str(self.body_length), str(self.cost_time), str(self.msg_type)]
        if self.offset_msg_id is not None or self.client_host is not None:
            f.append(self.offset_msg_id or "")
        f.append(_text(self.success))
        if self.client_host is not None:
            f.append(self.client_host)
        return f


@dataclass(frozen=True)
class SubBefore:
    timestamp: int
    region_id: str
    group: str
    request_id: str
    msg_id: str
    retry_times: int
    keys: str

    def fields(self) -> list[str]:
        return ["SubBefore", str(self.timestamp), self.region_id, self.group, self.request_id, self.msg_id,
                str(self.retry_times), self.keys]


@dataclass(frozen=True)
class SubAfter:
    request_id: str
    msg_id: str
    cost_time: int
    success: bool
    keys: str
    context_code: int | None = None   # absent in the C++ 2.x form
    timestamp: int | None = None      # absent in the CLOUD and C++ 2.x forms, with group
    group: str | None = None

    @property
    def cloud(self) -> bool:
        return self.context_code is not None and self.timestamp is None

    def fields(self) -> list[str]:
        f = ["SubAfter", self.request_id, self.msg_id, str(self.cost_time), _text(self.success), self.keys]
        if self.context_code is not None:
            f.append(str(self.context_code))
            if self.timestamp is not None:
                f += [str(self.timestamp), self.group or ""]
        return f


@dataclass(frozen=True)
class EndTransaction:
    timestamp: int
    region_id: str
    group: str
    topic: str
    msg_id: str
    tags: str
    keys: str
    store_host: str
    msg_type: int
    transaction_id: str
    transaction_state: str   # LocalTransactionState name: COMMIT_MESSAGE, ROLLBACK_MESSAGE, UNKNOW
    from_transaction_check: bool

    def fields(self) -> list[str]:
        return ["EndTransaction", str(self.timestamp), self.region_id, self.group, self.topic, self.msg_id, self.tags,
                self.keys, self.store_host, str(self.msg_type), self.transaction_id, self.transaction_state,
                _text(self.from_transaction_check)]


TraceRecord = Union[Pub, SubBefore, SubAfter, EndTransaction]
TYPE_NAMES = ("Pub", "SubBefore", "SubAfter", "EndTransaction")


def encode(record: TraceRecord) -> str:
    """One record as a client writes it; the CLOUD SubAfter ends with CONTENT and no FIELD, as Java's."""
    text = CONTENT.join(record.fields())
    if isinstance(record, SubAfter) and record.cloud:
        return text + CONTENT
    return text + FIELD


def encode_all(records: Iterable[TraceRecord]) -> str:
    return "".join(encode(r) for r in records)


def trace_keys(records: Iterable[TraceRecord]) -> list[str]:
    """TraceTransferBean.transKey: each record's msgId, then its keys split on spaces; first-seen order, once each."""
    out: dict[str, None] = {}
    for r in records:
        out[r.msg_id] = None
        if r.keys:
            for k in r.keys.split(KEY_SEPARATOR):
                if k:
                    out[k] = None
    return list(out)


class TraceDecodeError(ValueError):
    pass


def _pub(f: list[str]) -> Pub:
    if len(f) < 13:
        raise TraceDecodeError(f"Pub with {len(f)} fields")
    offset_id = f[12] if len(f) >= 14 else None
    success = f[13] if len(f) >= 14 else f[12]
    return Pub(int(f[1]), f[2], f[3], f[4], f[5], f[6], f[7], f[8], int(f[9]), int(f[10]), int(f[11]),
               offset_id, _bool(success), f[14] if len(f) >= 15 else None)


def _sub_before(f: list[str]) -> SubBefore:
    if len(f) < 7:
        raise TraceDecodeError(f"SubBefore with {len(f)} fields")
    return SubBefore(int(f[1]), f[2], f[3], f[4], f[5], int(f[6]), f[7] if len(f) > 7 else "")


def _sub_after(f: list[str]) -> SubAfter:
    if len(f) < 6:
        raise TraceDecodeError(f"SubAfter with {len(f)} fields")
    code = int(f[6]) if len(f) >= 7 and f[6] else None
    ts = int(f[7]) if len(f) >= 9 else None
    return SubAfter(f[1], f[2], int(f[3]), _bool(f[4]), f[5], code, ts, f[8] if ts is not None else None)


def _end_transaction(f: list[str]) -> EndTransaction:
    if len(f) < 13:
        raise TraceDecodeError(f"EndTransaction with {len(f)} fields")
    return EndTransaction(int(f[1]), f[2], f[3], f[4], f[5], f[6], f[7], f[8], int(f[9]), f[10], f[11], _bool(f[12]))


_DECODERS = {"Pub": _pub, "SubBefore": _sub_before, "SubAfter": _sub_after, "EndTransaction": _end_transaction}


def _split_cloud_sub_after(fields: list[str]) -> list[list[str]]:
    """A chunk between FIELD terminators holds one record, except after a CLOUD SubAfter (7 fields, no
    terminator), which the next record follows directly: cut there."""
    out = []
    while (fields and fields[0] == "SubAfter" and len(fields) > 7
           and (fields[7] in _DECODERS or (fields[7] == "" and len(fields) == 8))):
        out.append(fields[:7])
        fields = fields[8:] if fields[7] == "" else fields[7:]
    if fields and fields != [""]:
        out.append(fields)
    return out


def decode(text: str) -> tuple[list[TraceRecord], list[str]]:
    """Every record of a trace body, in order, and a note per chunk that is not a record (unknown type,
    missing or non-numeric fields): one bad record does not hide the others."""
    records: list[TraceRecord] = []
    bad: list[str] = []
    for chunk in text.split(FIELD):
        if not chunk:
            continue
        for fields in _split_cloud_sub_after(chunk.split(CONTENT)):
            decoder = _DECODERS.get(fields[0])
            if decoder is None:
                bad.append(f"unknown trace record type {fields[0][:40]!r}")
                continue
            try:
                records.append(decoder(fields))
            except (TraceDecodeError, ValueError, IndexError) as e:
                bad.append(f"{fields[0]}: {e}")
    return records, bad

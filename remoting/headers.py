"""Typed request/response headers mapped to and from `extFields` (every value is a string on the wire).

One dataclass per Java header class, field names exactly as the Java fields. `required()` marks Java's
@CFNotNull. Decoding a missing required field or a value that does not parse raises HeaderError, which the
dispatcher turns into an error response (Java would log and carry on with a null).
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T", bound="Header")

_REQUIRED = "required"


def required() -> Any:
    return field(default=None, metadata={_REQUIRED: True})


class HeaderError(Exception):
    def __init__(self, header: str, key: str, kind: str, value: str | None = None) -> None:
        self.header, self.key, self.kind, self.value = header, key, kind, value
        if kind == "missing":
            msg = f"the custom field <{key}> is null"
        else:
            msg = f"the custom field <{key}> of {header} has an invalid {kind} value: {value!r}"
        super().__init__(msg)


def _parse_bool(s: str) -> bool:
    return s.strip().lower() == "true"  # Java Boolean.parseBoolean


def _parse_int(s: str) -> int:
    return int(s)   # int() itself ignores surrounding whitespace, as Java's header decoding trims


def _parse_float(s: str) -> float:
    return float(s)


_PARSERS = {str: str, int: _parse_int, bool: _parse_bool, float: _parse_float}


def _base_type(tp: Any) -> type:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if args else tp


class Header:
    """Base of all headers; subclasses are slotted dataclasses. The field spec is computed once per class."""

    @classmethod
    def _fields(cls) -> tuple[tuple[str, Any, bool], ...]:
        spec = cls.__dict__.get("_spec_cache")
        if spec is None:
            hints = typing.get_type_hints(cls)
            spec = tuple((f.name, _base_type(hints[f.name]), bool(f.metadata.get(_REQUIRED)))
                         for f in dataclasses.fields(cls))  # type: ignore[arg-type]
            setattr(cls, "_spec_cache", spec)
        return spec

    @classmethod
    def decode(cls: type[T], ext_fields: dict[str, str] | None) -> T:
        plan = cls.__dict__.get("_plan_cache")
        if plan is None:
            plan = _decode_plan(cls)
            setattr(cls, "_plan_cache", plan)
        return cls(*_decode_values(cls.__name__, plan, ext_fields or {}))

    @classmethod
    def decode_generic(cls: type[T], ext_fields: dict[str, str] | None) -> T:
        """The reference decoder the compiled one must agree with (tests compare them)."""
        ext = ext_fields or {}
        values: dict[str, Any] = {}
        for name, tp, req in cls._fields():
            raw = ext.get(name)
            if raw is None:
                if req:
                    raise HeaderError(cls.__name__, name, "missing")
                continue
            try:
                values[name] = _PARSERS[tp](raw)
            except (ValueError, KeyError):
                raise HeaderError(cls.__name__, name, tp.__name__, raw) from None
        return cls(**values)

    def encode(self) -> dict[str, str]:
        """extFields for this header: null fields are left out, booleans as true/false."""
        out: dict[str, str] = {}
        for name, _tp, _req in self._fields():
            v = getattr(self, name)
            if v is None:
                continue
            out[name] = ("true" if v else "false") if isinstance(v, bool) else str(v)
        return out


_KINDS = {str: 0, int: 1, bool: 2, float: 3}
_KIND_NAMES = ("str", "int", "bool", "float")


def _decode_plan(cls: type) -> tuple:
    """Per field, in declaration order (the dataclass's positional order): name, parser kind, required, default."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return tuple((name, _KINDS[tp], req, defaults[name]) for name, tp, req in cls._fields())


def _decode_values(cname: str, plan: tuple, ext: dict[str, str]) -> list:
    """The constructor arguments for a header (compiled: a typed loop instead of a decoder per class; a send or
    pull decodes a header per request). Same parsing and the same HeaderError as decode_generic."""
    values = []
    for name, kind, req, default in plan:
        v = ext.get(name)
        if v is None:
            if req:
                raise HeaderError(cname, name, "missing")
            values.append(default)
        elif kind == 0:
            values.append(v)
        else:
            try:
                if kind == 1:
                    values.append(_parse_int(v))
                elif kind == 2:
                    values.append(_parse_bool(v))
                else:
                    values.append(_parse_float(v))
            except (ValueError, KeyError):
                raise HeaderError(cname, name, _KIND_NAMES[kind], v) from None
    return values


# ---------------------------------------------------------------- namesrv headers (common/.../protocol/header/namesrv)

@dataclass(slots=True)
class RegisterBrokerRequestHeader(Header):
    brokerName: str = required()
    brokerAddr: str = required()
    clusterName: str = required()
    haServerAddr: str = required()
    brokerId: int = required()
    heartbeatTimeoutMillis: int | None = None  # 5.x
    enableActingMaster: bool | None = None  # 5.x
    compressed: bool | None = None
    bodyCrc32: int | None = None


@dataclass(slots=True)
class RegisterBrokerResponseHeader(Header):
    haServerAddr: str | None = None
    masterAddr: str | None = None


@dataclass(slots=True)
class UnRegisterBrokerRequestHeader(Header):
    brokerName: str = required()
    brokerAddr: str = required()
    clusterName: str = required()
    brokerId: int = required()


@dataclass(slots=True)
class QueryDataVersionRequestHeader(Header):
    brokerName: str = required()
    brokerAddr: str = required()
    clusterName: str = required()
    brokerId: int = required()


@dataclass(slots=True)
class QueryDataVersionResponseHeader(Header):
    changed: bool | None = None


@dataclass(slots=True)
class GetRouteInfoRequestHeader(Header):
    topic: str = required()
    acceptStandardJsonOnly: bool | None = None


@dataclass(slots=True)
class PutKVConfigRequestHeader(Header):
    namespace: str = required()
    key: str = required()
    value: str = required()


@dataclass(slots=True)
class GetKVConfigRequestHeader(Header):
    namespace: str = required()
    key: str = required()


@dataclass(slots=True)
class GetKVConfigResponseHeader(Header):
    value: str | None = None


@dataclass(slots=True)
class DeleteKVConfigRequestHeader(Header):
    namespace: str = required()
    key: str = required()


@dataclass(slots=True)
class GetKVListByNamespaceRequestHeader(Header):
    namespace: str = required()


@dataclass(slots=True)
class WipeWritePermOfBrokerRequestHeader(Header):
    brokerName: str = required()


@dataclass(slots=True)
class WipeWritePermOfBrokerResponseHeader(Header):
    wipeTopicCount: int = required()


@dataclass(slots=True)
class AddWritePermOfBrokerRequestHeader(Header):
    brokerName: str = required()


@dataclass(slots=True)
class AddWritePermOfBrokerResponseHeader(Header):
    addTopicCount: int = required()


@dataclass(slots=True)
class DeleteTopicFromNamesrvRequestHeader(Header):
    topic: str = required()
    clusterName: str | None = None


@dataclass(slots=True)
class GetTopicsByClusterRequestHeader(Header):
    cluster: str = required()


# ---------------------------------------------------------------- broker headers (common/.../protocol/header)

@dataclass(slots=True)
class SendMessageRequestHeader(Header):
    producerGroup: str = required()
    topic: str = required()
    defaultTopic: str = required()
    defaultTopicQueueNums: int = required()
    queueId: int = required()
    sysFlag: int = required()
    bornTimestamp: int = required()
    flag: int = required()
    properties: str | None = None
    reconsumeTimes: int | None = None
    unitMode: bool | None = None
    batch: bool | None = None
    maxReconsumeTimes: int | None = None
    bname: str | None = None


@dataclass(slots=True)
class SendMessageRequestHeaderV2(Header):
    """Single-letter keys of SendMessageRequestHeaderV2 (a..n)."""
    a: str = required()
    b: str = required()
    c: str = required()
    d: int = required()
    e: int = required()
    f: int = required()
    g: int = required()
    h: int = required()
    i: str | None = None
    j: int | None = None
    k: bool | None = None
    l: int | None = None  # noqa: E741 - the Java field name
    m: bool | None = None
    n: str | None = None

    def to_v1(self) -> SendMessageRequestHeader:
        return SendMessageRequestHeader(self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h, self.i,
                                        self.j, self.k, self.m, self.l, self.n)


_V2 = "SendMessageRequestHeaderV2"


def _v2_str(ext: dict[str, str], key: str) -> str:
    v = ext.get(key)
    if v is None:
        raise HeaderError(_V2, key, "missing")
    return v


def _v2_int(ext: dict[str, str], key: str, required: bool = True) -> int | None:
    v = ext.get(key)
    if v is None:
        if required:
            raise HeaderError(_V2, key, "missing")
        return None
    try:
        return _parse_int(v)
    except (ValueError, KeyError):
        raise HeaderError(_V2, key, "int", v) from None


def _v2_opt_bool(ext: dict[str, str], key: str) -> bool | None:
    v = ext.get(key)
    return None if v is None else _parse_bool(v)


def decode_send_v2(ext_fields: dict[str, str] | None) -> SendMessageRequestHeader:
    """SendMessageRequestHeaderV2.decode(ext).to_v1() in one step, without the V2 object: the header of every
    send from the Java and C++ clients. Fields are read in declaration order, so the first bad one raises the
    same HeaderError as the generic decoder (tests compare the two)."""
    ext = ext_fields or {}
    a = _v2_str(ext, "a")
    b = _v2_str(ext, "b")
    c = _v2_str(ext, "c")
    d = _v2_int(ext, "d")
    e = _v2_int(ext, "e")
    f = _v2_int(ext, "f")
    g = _v2_int(ext, "g")
    h = _v2_int(ext, "h")
    i = ext.get("i")
    j = _v2_int(ext, "j", False)
    k = _v2_opt_bool(ext, "k")
    l_ = _v2_int(ext, "l", False)
    m_ = _v2_opt_bool(ext, "m")
    return SendMessageRequestHeader(a, b, c, d, e, f, g, h, i, j, k, m_, l_, ext.get("n"))


@dataclass(slots=True)
class SendMessageResponseHeader(Header):
    msgId: str = required()
    queueId: int = required()
    queueOffset: int = required()
    transactionId: str | None = None


@dataclass(slots=True)
class PullMessageRequestHeader(Header):
    consumerGroup: str = required()
    topic: str = required()
    queueId: int = required()
    queueOffset: int = required()
    maxMsgNums: int = required()
    sysFlag: int = required()
    commitOffset: int = required()
    suspendTimeoutMillis: int = required()
    subscription: str | None = None
    subVersion: int = required()
    expressionType: str | None = None
    bname: str | None = None


@dataclass(slots=True)
class PullMessageResponseHeader(Header):
    suggestWhichBrokerId: int = required()
    nextBeginOffset: int = required()
    minOffset: int = required()
    maxOffset: int = required()


@dataclass(slots=True)
class QueryConsumerOffsetRequestHeader(Header):
    consumerGroup: str = required()
    topic: str = required()
    queueId: int = required()
    setZeroIfNotFound: bool | None = None
    bname: str | None = None


@dataclass(slots=True)
class OffsetResponseHeader(Header):
    """QueryConsumerOffset / GetMaxOffset / GetMinOffset / SearchOffset response headers: one `offset`."""
    offset: int = required()


@dataclass(slots=True)
class UpdateConsumerOffsetRequestHeader(Header):
    consumerGroup: str = required()
    topic: str = required()
    queueId: int = required()
    commitOffset: int = required()
    bname: str | None = None


@dataclass(slots=True)
class UnregisterClientRequestHeader(Header):
    clientID: str = required()
    producerGroup: str | None = None
    consumerGroup: str | None = None


@dataclass(slots=True)
class GetConsumerListByGroupRequestHeader(Header):
    consumerGroup: str = required()


@dataclass(slots=True)
class NotifyConsumerIdsChangedRequestHeader(Header):
    consumerGroup: str = required()


@dataclass(slots=True)
class TopicQueueRequestHeader(Header):
    """GetMaxOffset / GetMinOffset / GetEarliestMsgStoretime requests: topic + queueId."""
    topic: str = required()
    queueId: int = required()
    bname: str | None = None


@dataclass(slots=True)
class SearchOffsetRequestHeader(Header):
    topic: str = required()
    queueId: int = required()
    timestamp: int = required()
    bname: str | None = None


@dataclass(slots=True)
class GetEarliestMsgStoretimeResponseHeader(Header):
    timestamp: int = required()


@dataclass(slots=True)
class ViewMessageRequestHeader(Header):
    offset: int = required()
    topic: str | None = None


@dataclass(slots=True)
class QueryMessageRequestHeader(Header):
    topic: str = required()
    key: str = required()
    maxNum: int = required()
    beginTimestamp: int = required()
    endTimestamp: int = required()


@dataclass(slots=True)
class QueryMessageResponseHeader(Header):
    indexLastUpdateTimestamp: int = required()
    indexLastUpdatePhyoffset: int = required()


@dataclass(slots=True)
class CreateTopicRequestHeader(Header):
    topic: str = required()
    defaultTopic: str = required()
    readQueueNums: int = required()
    writeQueueNums: int = required()
    perm: int = required()
    topicFilterType: str = required()
    topicSysFlag: int | None = None
    order: bool | None = None


@dataclass(slots=True)
class DeleteTopicRequestHeader(Header):
    topic: str = required()


@dataclass(slots=True)
class GroupRequestHeader(Header):
    """GetConsumerConnectionList / GetConsumeStats (consumerGroup + optional topic)."""
    consumerGroup: str = required()
    topic: str | None = None


@dataclass(slots=True)
class TopicRequestHeader(Header):
    topic: str = required()


@dataclass(slots=True)
class EndTransactionRequestHeader(Header):
    producerGroup: str = required()
    tranStateTableOffset: int = required()
    commitLogOffset: int = required()
    commitOrRollback: int = required()   # TRANSACTION_NOT_TYPE 0, COMMIT 8, ROLLBACK 12 (checkFields)
    fromTransactionCheck: bool | None = None
    msgId: str = required()
    transactionId: str | None = None


@dataclass(slots=True)
class ResumeCheckHalfMessageRequestHeader(Header):
    msgId: str | None = None


@dataclass(slots=True)
class CheckTransactionStateRequestHeader(Header):
    tranStateTableOffset: int = required()
    commitLogOffset: int = required()
    msgId: str | None = None
    transactionId: str | None = None
    offsetMsgId: str | None = None


@dataclass(slots=True)
class ConsumerSendMsgBackRequestHeader(Header):
    offset: int = required()
    group: str = required()
    delayLevel: int = required()
    originMsgId: str | None = None
    originTopic: str | None = None
    unitMode: bool | None = None
    maxReconsumeTimes: int | None = None
    bname: str | None = None

"""The stored message record (CommitLog layout of Apache RocketMQ 4.9.x): encode, decode, and the helpers
Java derives from it (properties string, String.hashCode tags code, offset message id). Pure functions.

Layout (big-endian): totalSize i32, magic i32, bodyCRC i32, queueId i32, flag i32, queueOffset i64,
physicalOffset i64, sysFlag i32, bornTimestamp i64, bornHost (4+4 or 16+4), storeTimestamp i64,
storeHost (4+4 or 16+4), reconsumeTimes i32, preparedTransactionOffset i64, bodyLen i32, body,
topicLen i8, topic, propertiesLen i16, properties.
"""
from __future__ import annotations

import functools
import ipaddress
import struct
import zlib
from dataclasses import dataclass, field

from remoting.java_order import hashmap_order

MESSAGE_MAGIC_CODE = -626843481      # 0xDAA320A7
BLANK_MAGIC_CODE = -875286124        # 0xCBD43194
END_FILE_MIN_BLANK_LENGTH = 8

# MessageSysFlag
COMPRESSED_FLAG = 0x1
MULTI_TAGS_FLAG = 0x2
TRANSACTION_NOT_TYPE = 0x0
TRANSACTION_PREPARED_TYPE = 0x4
TRANSACTION_COMMIT_TYPE = 0x8
TRANSACTION_ROLLBACK_TYPE = 0xC
BORNHOST_V6_FLAG = 0x10
STOREHOSTADDRESS_V6_FLAG = 0x20

NAME_VALUE_SEPARATOR = "\x01"
PROPERTY_SEPARATOR = "\x02"
PROPERTY_KEYS = "KEYS"
PROPERTY_TAGS = "TAGS"
PROPERTY_UNIQ_KEY = "UNIQ_KEY"
PROPERTY_DELAY_TIME_LEVEL = "DELAY"

QUEUE_OFFSET_POSITION = 20
PHY_POS_POSITION = 28
SYSFLAG_POSITION = 36

MAX_TOPIC_LENGTH = 127
MAX_PROPERTIES_LENGTH = 32767

_crc32 = zlib.crc32     # a module global, not an attribute of zlib per call
_HEAD = struct.Struct(">iiiiiqqiq")    # totalSize .. bornTimestamp (48 bytes)
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")


def transaction_type(sys_flag: int) -> int:
    return sys_flag & 0xC


@dataclass(slots=True, init=False)
class StoredMessage:
    topic: str
    body: bytes
    queue_id: int = 0
    flag: int = 0
    queue_offset: int = 0
    physical_offset: int = 0
    sys_flag: int = 0
    born_timestamp: int = 0
    born_host: tuple[str, int] = ("127.0.0.1", 0)
    store_timestamp: int = 0
    store_host: tuple[str, int] = ("127.0.0.1", 0)
    reconsume_times: int = 0
    prepared_transaction_offset: int = 0
    properties: str = ""        # the raw properties string, kept byte-exact
    body_crc: int = 0
    store_size: int = 0
    extra: dict = field(default_factory=dict, repr=False)

    # written out, not generated: dataclass's generated __init__ is interpreted bytecode even in the compiled
    # module, and one StoredMessage is built per message sent
    def __init__(self, topic: str, body: bytes, queue_id: int = 0, flag: int = 0, queue_offset: int = 0,
                 physical_offset: int = 0, sys_flag: int = 0, born_timestamp: int = 0,
                 born_host: tuple[str, int] = ("127.0.0.1", 0), store_timestamp: int = 0,
                 store_host: tuple[str, int] = ("127.0.0.1", 0), reconsume_times: int = 0,
                 prepared_transaction_offset: int = 0, properties: str = "", body_crc: int = 0,
                 store_size: int = 0, extra: dict | None = None) -> None:
        self.topic = topic
        self.body = body
        self.queue_id = queue_id
        self.flag = flag
        self.queue_offset = queue_offset
        self.physical_offset = physical_offset
        self.sys_flag = sys_flag
        self.born_timestamp = born_timestamp
        self.born_host = born_host
        self.store_timestamp = store_timestamp
        self.store_host = store_host
        self.reconsume_times = reconsume_times
        self.prepared_transaction_offset = prepared_transaction_offset
        self.properties = properties
        self.body_crc = body_crc
        self.store_size = store_size
        self.extra = {} if extra is None else extra

    @property
    def props(self) -> dict[str, str]:
        return string_to_properties(self.properties)

    @property
    def tags(self) -> str | None:
        return self.props.get(PROPERTY_TAGS)

    def decompressed_body(self) -> bytes:
        if self.sys_flag & COMPRESSED_FLAG:
            return zlib.decompress(self.body)  # ZLIB (type bits 0 or 3); LZ4/ZSTD are not produced by 4.x clients
        return self.body


# ---------------------------------------------------------------- hosts

@functools.lru_cache(maxsize=4096)
def _host_bytes(host: tuple[str, int]) -> bytes:
    ip = ipaddress.ip_address(host[0])
    return ip.packed + _I32.pack(host[1])


def _host_len(v6: bool) -> int:
    return 20 if v6 else 8


def is_v6(host: tuple[str, int]) -> bool:
    return ":" in host[0]


def host_flags(born_host: tuple[str, int], store_host: tuple[str, int]) -> int:
    return (BORNHOST_V6_FLAG if is_v6(born_host) else 0) | (STOREHOSTADDRESS_V6_FLAG if is_v6(store_host) else 0)


@functools.lru_cache(maxsize=4096)
def _host_from_bytes(raw: bytes) -> tuple[str, int]:
    n = len(raw) - 4
    return str(ipaddress.ip_address(raw[:n])), _I32.unpack_from(raw, n)[0]


def _decode_host(buf, pos: int, v6: bool) -> tuple[str, int]:
    """Address and port; cached by their raw bytes (a store sees few distinct hosts, and ipaddress costs more
    than the rest of a record's decode: 15 % of a slave's catch-up)."""
    n = 20 if v6 else 8
    raw = bytes(buf[pos:pos + n])
    if len(raw) != n:
        raise RecordError("truncated host")
    return _host_from_bytes(raw)


# ---------------------------------------------------------------- encode

def body_crc(body: bytes) -> int:
    return _crc32(body) & 0x7FFFFFFF


def record_length(body_len: int, topic_len: int, props_len: int, sys_flag: int) -> int:
    """calMsgLength: 91 + body + topic + properties for IPv4 hosts, +12 per IPv6 host."""
    born = _host_len(bool(sys_flag & BORNHOST_V6_FLAG))
    store = _host_len(bool(sys_flag & STOREHOSTADDRESS_V6_FLAG))
    return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + born + 8 + store + 4 + 8 + 4 + body_len + 1 + topic_len + 2 + props_len


class MessageTooLarge(ValueError):
    pass


@functools.lru_cache(maxsize=4096)
def _record_struct(born_len: int, store_len: int, body_len: int, topic_len: int, props_len: int) -> struct.Struct:
    # the whole record in one precompiled pack: one C call per message on the send path
    return struct.Struct(f">iiiiiqqiq{born_len}sq{store_len}siqi{body_len}sB{topic_len}sh{props_len}s")


# plain dicts in front of the lru caches above, for the two look-ups every record makes: an lru_cache call
# costs about four times a dict look-up (bounded: cleared when full)
_PACKED_HOSTS: dict = {}
_RECORD_STRUCTS: dict = {}
_LAYOUT_CACHE_MAX = 4096


def _packed_host(host: tuple[str, int]) -> bytes:
    packed = _PACKED_HOSTS.get(host)
    if packed is None:
        packed = _host_bytes(host)
        if len(_PACKED_HOSTS) >= _LAYOUT_CACHE_MAX:
            _PACKED_HOSTS.clear()
        _PACKED_HOSTS[host] = packed
    return packed


def record_layout(msg: StoredMessage, topic: bytes, props: bytes) -> tuple[struct.Struct, bytes, bytes, int]:
    """The precompiled pack of `msg`'s record (its size is the record's), the packed born and store hosts and
    the sysFlag with its host bits set from them. `topic` and `props` are the UTF-8 of msg.topic/properties."""
    born = _packed_host(msg.born_host)
    store = _packed_host(msg.store_host)
    sys_flag = ((msg.sys_flag & ~(BORNHOST_V6_FLAG | STOREHOSTADDRESS_V6_FLAG))
                | (BORNHOST_V6_FLAG if len(born) == 20 else 0) | (STOREHOSTADDRESS_V6_FLAG if len(store) == 20 else 0))
    shape = (len(born), len(store), len(msg.body), len(topic), len(props))
    st = _RECORD_STRUCTS.get(shape)
    if st is None:
        st = _record_struct(*shape)
        if len(_RECORD_STRUCTS) >= _LAYOUT_CACHE_MAX:
            _RECORD_STRUCTS.clear()
        _RECORD_STRUCTS[shape] = st
    return st, born, store, sys_flag


def pack_record(buf, pos: int, layout: tuple[struct.Struct, bytes, bytes, int], msg: StoredMessage,
                topic: bytes, props: bytes, queue_offset: int, physical_offset: int, store_timestamp: int) -> int:
    """Write the record of `msg` (as laid out by record_layout) at buf[pos:], with the given queue offset,
    physical offset and store timestamp; returns its size. The one writer of the record layout."""
    st, born, store, sys_flag = layout
    body = msg.body
    size = st.size
    st.pack_into(buf, pos, size, MESSAGE_MAGIC_CODE, body_crc(body), msg.queue_id, msg.flag, queue_offset,
                 physical_offset, sys_flag, msg.born_timestamp, born, store_timestamp, store,
                 msg.reconsume_times, msg.prepared_transaction_offset, len(body), body, len(topic), topic,
                 len(props), props)
    return size


def check_lengths(topic: bytes, props: bytes) -> None:
    if len(topic) > MAX_TOPIC_LENGTH:
        raise MessageTooLarge(f"topic length {len(topic)} > {MAX_TOPIC_LENGTH}")
    if len(props) > MAX_PROPERTIES_LENGTH:
        raise MessageTooLarge(f"properties length {len(props)} > {MAX_PROPERTIES_LENGTH}")


def encode(msg: StoredMessage) -> bytearray:
    """The stored bytes of `msg`; sysFlag's host bits are set from the hosts. queue/physical offsets and store
    timestamp are written as given."""
    topic = msg.topic.encode("utf-8")
    props = msg.properties.encode("utf-8")
    check_lengths(topic, props)
    layout = record_layout(msg, topic, props)
    out = bytearray(layout[0].size)
    pack_record(out, 0, layout, msg, topic, props, msg.queue_offset, msg.physical_offset, msg.store_timestamp)
    return out


def store_timestamp_position(sys_flag: int) -> int:
    return _HEAD.size + _host_len(bool(sys_flag & BORNHOST_V6_FLAG))


# ---------------------------------------------------------------- decode

class RecordError(ValueError):
    """Bytes at this position are not a valid message record (torn, corrupt or never written)."""


def decode(buf, pos: int = 0, *, check_crc: bool = True, with_body: bool = True) -> StoredMessage:
    """Decode the record starting at `pos`; validates magic, size and (optionally) body CRC."""
    n = len(buf) - pos
    if n < _HEAD.size:
        raise RecordError("truncated record header")
    total, magic, crc, queue_id, flag, queue_offset, phys, sys_flag, born_ts = _HEAD.unpack_from(buf, pos)
    if magic != MESSAGE_MAGIC_CODE:
        raise RecordError(f"bad magic {magic & 0xFFFFFFFF:#x}")
    if total < 91 or total > n:
        raise RecordError(f"bad total size {total}")
    p = pos + _HEAD.size
    born_v6 = bool(sys_flag & BORNHOST_V6_FLAG)
    store_v6 = bool(sys_flag & STOREHOSTADDRESS_V6_FLAG)
    try:
        born_host = _decode_host(buf, p, born_v6)
        p += _host_len(born_v6)
        (store_ts,) = _I64.unpack_from(buf, p)
        p += 8
        store_host = _decode_host(buf, p, store_v6)
        p += _host_len(store_v6)
        reconsume, prepared, body_len = struct.unpack_from(">iqi", buf, p)
        p += 16
        if body_len < 0 or p + body_len > pos + total:
            raise RecordError("bad body length")
        body = bytes(buf[p:p + body_len])
        p += body_len
        topic_len = buf[p]
        if topic_len > 127:
            topic_len -= 256  # Java reads the byte signed
        if topic_len < 0 or p + 1 + topic_len > pos + total:
            raise RecordError("bad topic length")
        topic = bytes(buf[p + 1:p + 1 + topic_len]).decode("utf-8")
        p += 1 + topic_len
        (props_len,) = struct.unpack_from(">h", buf, p)
        p += 2
        if props_len < 0 or p + props_len != pos + total:
            raise RecordError("record length does not match its fields")
        properties = bytes(buf[p:p + props_len]).decode("utf-8")
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as e:
        if isinstance(e, RecordError):
            raise
        raise RecordError(f"malformed record: {e}") from None
    if check_crc and body_crc(body) != crc:
        raise RecordError("body CRC mismatch")
    return StoredMessage(topic=topic, body=body if with_body else b"", queue_id=queue_id, flag=flag,
                         queue_offset=queue_offset, physical_offset=phys, sys_flag=sys_flag, born_timestamp=born_ts,
                         born_host=born_host, store_timestamp=store_ts, store_host=store_host,
                         reconsume_times=reconsume, prepared_transaction_offset=prepared, properties=properties,
                         body_crc=crc, store_size=total)


def decode_all(buf) -> list[StoredMessage]:
    """Consecutive stored records, as a pull, query or view-message body carries them."""
    out, pos, n = [], 0, len(buf)
    while pos + 8 <= n:
        msg = decode(buf, pos)
        out.append(msg)
        pos += msg.store_size
    return out


# ---------------------------------------------------------------- properties, hashes, ids

def properties_to_string(props: dict[str, str]) -> str:
    # a list, not a generator: the compiled join of a generator costs a generator object and a resume per item
    parts = []
    for k, v in props.items():
        if v is not None:
            parts.append(f"{k}{NAME_VALUE_SEPARATOR}{v}")
    return PROPERTY_SEPARATOR.join(parts)


def string_to_properties(s: str) -> dict[str, str]:
    """MessageDecoder.string2messageProperties: entries with an empty key or value are dropped."""
    out: dict[str, str] = {}
    if not s:
        return out
    for item in s.split(PROPERTY_SEPARATOR):
        # the first separator splits key from value (a value may hold more); i > 0: a key, i < n-1: a value
        i = item.find(NAME_VALUE_SEPARATOR)
        if 0 < i < len(item) - 1:
            out[item[:i]] = item[i + 1:]
    return out


_HASH_TAIL = 12
# 32-bit constants as names: compiled, message.pxd makes them C integers (a literal this large would be a
# Python int in Cython, and the hash loop would leave C)
_MASK32 = 0xFFFFFFFF
_SIGN32 = 0x80000000
_WRAP32 = 0x100000000


_PREFIX_HASHES: dict = {}    # ascii prefix -> its hash: a dict, cheaper per message than an lru_cache call
_PREFIX_HASHES_MAX = 1024


def _ascii_hash(s: str) -> int:
    h = _PREFIX_HASHES.get(s)
    if h is None:
        h = 0
        for c in s.encode("ascii"):
            h = (h * 31 + c) & 0xFFFFFFFF
        if len(_PREFIX_HASHES) >= _PREFIX_HASHES_MAX:
            _PREFIX_HASHES.clear()
        _PREFIX_HASHES[s] = h
    return h


def java_string_hash(s: str) -> int:
    """java.lang.String.hashCode over UTF-16 code units, as a signed 32-bit int.

    Index keys are "topic#<message id>": the topic and the id's producer part repeat message after message,
    so the hash of all but the last 12 characters comes from a small cache and only the tail is computed
    (the polynomial simply continues from the cached value)."""
    h = 0
    if s.isascii():
        if len(s) > 2 * _HASH_TAIL:
            h = _ascii_hash(s[:-_HASH_TAIL])
            s = s[-_HASH_TAIL:]
        data = s.encode("ascii")
        for c in data:
            h = (h * 31 + c) & _MASK32
    else:
        data = s.encode("utf-16-be")
        n = len(data)
        for i in range(0, n, 2):
            h = (h * 31 + ((data[i] << 8) | data[i + 1])) & _MASK32
    if h & _SIGN32:
        return h - _WRAP32
    return h


_TAGS_CODES: dict = {}     # tags -> hash code, once per message dispatched: a dict, cheaper than an lru_cache call
_TAGS_CODES_MAX = 65536


def tags_code(tags: str | None) -> int:
    if not tags:
        return 0
    code = _TAGS_CODES.get(tags)
    if code is None:
        code = java_string_hash(tags)
        if len(_TAGS_CODES) >= _TAGS_CODES_MAX:
            _TAGS_CODES.clear()
        _TAGS_CODES[tags] = code
    return code


_ID_PREFIX: dict = {}         # store host -> hex of its packed address and port (a broker has one or two)
_ID_PREFIX_MAX = 64
_MAX_I64 = 0x7FFFFFFFFFFFFFFF


def _hex64(v: int) -> str:
    """The 16 upper-case hex digits of 0 <= v < 2**63, as the packed i64's hex (compiled, v a C integer: the
    string is formatted in C, a fraction of to_bytes(8, "big").hex().upper())."""
    return f"{v:016X}"


def offset_msg_id(store_host: tuple[str, int], physical_offset: int) -> str:
    prefix = _ID_PREFIX.get(store_host)
    if prefix is None:
        prefix = _host_bytes(store_host).hex().upper()
        if len(_ID_PREFIX) >= _ID_PREFIX_MAX:
            _ID_PREFIX.clear()
        _ID_PREFIX[store_host] = prefix
    if 0 <= physical_offset <= _MAX_I64:
        return prefix + _hex64(physical_offset)
    return (_host_bytes(store_host) + _I64.pack(physical_offset)).hex().upper()   # as packed: two's complement


def decode_offset_msg_id(msg_id: str) -> tuple[tuple[str, int], int]:
    raw = bytes.fromhex(msg_id)
    n = 4 if len(msg_id) == 32 else 16
    return (str(ipaddress.ip_address(raw[:n])), _I32.unpack_from(raw, n)[0]), _I64.unpack_from(raw, n + 4)[0]


java_hashmap_order = hashmap_order      # re-exported: callers across the tree know it by this name


_ORDER: dict = {}              # (keys in insertion order, table capacity) -> HashMap iteration order
_ORDER_MAX = 4096


def reorder_properties_like_java(props: dict[str, str], max_size: int | None = None) -> dict[str, str]:
    return {k: props[k] for k in _java_order(props, max_size)}


def properties_to_string_like_java(props: dict[str, str], max_size: int | None = None) -> str:
    """properties_to_string(reorder_properties_like_java(props, max_size)) without the reordered dict between
    them (once per message sent)."""
    parts = []
    for k in _java_order(props, max_size):
        v = props[k]
        if v is not None:
            parts.append(f"{k}{NAME_VALUE_SEPARATOR}{v}")
    return PROPERTY_SEPARATOR.join(parts)


def _java_order(props: dict[str, str], max_size: int | None) -> tuple[str, ...]:
    # the order depends only on the keys, their insertion order and the table size: a producer sends the same
    # property names message after message, so it is looked up, not sorted
    keys = tuple(props)
    n = len(keys)
    if max_size is not None and max_size > n:
        n = max_size
    cap = 16
    while n > cap * 3 // 4:
        cap *= 2
    ck = (keys, cap)
    order = _ORDER.get(ck)
    if order is None:
        order = tuple(hashmap_order(keys, n))
        if len(_ORDER) >= _ORDER_MAX:
            _ORDER.clear()
        _ORDER[ck] = order
    return order

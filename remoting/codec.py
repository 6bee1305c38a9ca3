"""Frame and header codecs, byte-exact with Apache RocketMQ 4.9.x.

Pure functions, no I/O. Frame: int32 length (bytes after itself), int32 whose high byte is the serialize
type and low 24 bits the header length, header, body. Sources: RemotingCommand.java (encode/decode,
markProtocolType), RocketMQSerializable.java (binary header), NettyDecoder.java (frame limit).
"""
from __future__ import annotations

import json
import struct

import orjson

from .codes import LanguageCode, SerializeType
from .command import RemotingCommand, new_command

# NettyDecoder: LengthFieldBasedFrameDecoder(16777216) counts the 4-byte prefix against the limit.
DEFAULT_MAX_FRAME_LENGTH = 16777216

_UINT = struct.Struct(">I")
_FRAME_PREFIX = struct.Struct(">II")

# the enum members as plain names: an attribute of an Enum class goes through EnumType.__getattr__ (~900
# instructions a lookup, more than a header field's whole decode)
_JSON = SerializeType.JSON
_ROCKETMQ = SerializeType.ROCKETMQ

_LANG_BY_CODE = {lc.value: lc.name for lc in LanguageCode}
_LANG_BY_NAME = {lc.name: lc.value for lc in LanguageCode}


class FrameError(Exception):
    """The bytes are not a valid RocketMQ frame; the connection carrying them must be closed."""


# ---------------------------------------------------------------- frames

def frame_length(buf: bytes | bytearray | memoryview, max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH,
                 offset: int = 0) -> int | None:
    """Total size of the frame at `offset` in `buf` (prefix included), or None when the prefix is incomplete.

    Raises FrameError for a length Java would refuse (over the limit, or too short to hold the type word).
    """
    if len(buf) - offset < 4:
        return None
    if type(buf) is bytes and offset >= 0:
        length = _u32(buf, offset)   # the Connection's case: no struct call
    else:
        (length,) = _UINT.unpack_from(buf, offset)
    if length + 4 > max_frame_length:
        raise FrameError(f"frame length {length} exceeds the maximum {max_frame_length}")
    if length < 4:
        raise FrameError(f"frame length {length} is too small")
    return length + 4


def decode_frame(frame: bytes | bytearray | memoryview) -> RemotingCommand:
    """Decode one whole frame, 4-byte length prefix included."""
    data = frame if type(frame) is bytes else bytes(frame)
    return decode_frame_at(data, 0, len(data))


def decode_frame_at(data: bytes, start: int, end: int) -> RemotingCommand:
    """decode_frame(data[start:end]) without copying the frame out of `data` (the Connection's read buffer)."""
    if end - start < 8:
        raise FrameError("frame shorter than 8 bytes")
    length = _u32(data, start)
    if length + 4 != end - start:
        raise FrameError(f"frame length {length} does not match {end - start - 4} bytes")
    ori = _u32(data, start + 4)
    header_len = ori & 0xFFFFFF
    stype = (ori >> 24) & 0xFF
    if header_len > length - 4:
        raise FrameError(f"bad header length {header_len}")
    hs = start + 8
    he = hs + header_len
    # Java decodes a zero-length body as "no body".
    body = data[he:end] if end > he else None
    if stype == 0:   # SerializeType.JSON
        cmd = decode_json_header(data[hs:he])
        cmd.body = body
        return cmd
    if stype == 1:   # SerializeType.ROCKETMQ
        return _decode_rocketmq(data, hs, he, body)
    raise FrameError(f"unknown serialize type {stype}")


def encode_header(cmd: RemotingCommand) -> bytes:
    if cmd.serialize_type == _ROCKETMQ:
        return encode_rocketmq_header(cmd)
    return encode_json_header(cmd)


def encode_frame_parts(cmd: RemotingCommand) -> list[bytes | memoryview]:
    """The frame as buffers for transport.writelines: prefix+header, then body buffers without copying."""
    body = cmd.body
    body_parts = cmd.body_parts
    body_len = len(body) if body is not None else 0
    if body_parts:
        for part in body_parts:
            body_len += len(part)
    if cmd.serialize_type == _ROCKETMQ:
        head = b"".join(_rocketmq_pieces(cmd, 8, body_len))   # prefix and header in one buffer
    else:
        header = encode_json_header(cmd)
        head = _FRAME_PREFIX.pack(4 + len(header) + body_len, (int(cmd.serialize_type) << 24) | len(header)) + header
    if body is not None and len(body):
        if body_parts:
            return [head, body, *body_parts]
        return [head, body]
    if body_parts:
        return [head, *body_parts]
    return [head]


def encode_frame(cmd: RemotingCommand) -> bytes:
    return b"".join(encode_frame_parts(cmd))


# ---------------------------------------------------------------- JSON header (serialize type 0)

def _ext_value(value: object) -> str | None:
    # fastjson coerces map values to String: numbers and booleans become their text.
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _int_field(obj: dict, key: str, default: int) -> int:
    value = obj.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool):
        raise FrameError(f"header field {key} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise FrameError(f"header field {key} is not a number: {value!r}")


def _loads(header: bytes | memoryview) -> object:
    # orjson parses a header ~4x faster than json; it refuses what json still reads (integers beyond 64 bits,
    # NaN), so those rare headers take the standard parser and are judged exactly as before
    try:
        return orjson.loads(header)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(bytes(header).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FrameError(f"bad JSON header: {e}") from None


def decode_json_header(header: bytes | memoryview) -> RemotingCommand:
    obj = _loads(header)
    if not isinstance(obj, dict):
        raise FrameError("JSON header is not an object")
    if "code" not in obj:
        raise FrameError("JSON header has no code")
    code = _int_field(obj, "code", 0)
    language = obj.get("language", "JAVA")
    if isinstance(language, int) and not isinstance(language, bool):
        language = _LANG_BY_CODE.get(language, "OTHER")  # fastjson reads a number as the enum ordinal
    elif not isinstance(language, str):
        raise FrameError("JSON header language is not a string")
    remark = obj.get("remark")
    if remark is not None and not isinstance(remark, str):
        remark = str(remark)
    ext = obj.get("extFields")
    ext_fields: dict[str, str] | None = None
    if ext is not None:
        if not isinstance(ext, dict):
            raise FrameError("extFields is not an object")
        # the parser's own fresh dict when every value is a string (the usual header), else a coerced copy
        ext_fields = ext
        for v in ext.values():
            if type(v) is not str:
                ext_fields = _coerced_ext(ext)
                break
    return new_command(code, language, _int_field(obj, "version", 0), _int_field(obj, "opaque", 0),
                       _int_field(obj, "flag", 0), remark, ext_fields, None, _JSON)


def _coerced_ext(ext: dict) -> dict[str, str]:
    out = {}
    for k, v in ext.items():
        if type(v) is not str:
            v = _ext_value(v)
            if v is None:
                continue
        out[k] = v
    return out


def _jstr(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def encode_json_header(cmd: RemotingCommand) -> bytes:
    """fastjson's layout: keys sorted, nulls omitted, language as its name, serializeTypeCurrentRPC present.

    orjson writes the same bytes as json.dumps(ensure_ascii=False, compact) for every str it accepts, ~15x
    faster (the header codec was the largest single cost of a send); a str it refuses (a lone surrogate)
    takes the standard encoder."""
    obj: dict = {"code": cmd.code}
    ext = cmd.ext_fields
    if ext is not None:
        # nulls dropped by identity (an equality test per value, as `None in values` does, costs more)
        for v in ext.values():
            if v is None:
                ext = {k: v for k, v in ext.items() if v is not None}
                break
        obj["extFields"] = ext
    obj["flag"] = cmd.flag
    obj["language"] = cmd.language
    obj["opaque"] = cmd.opaque
    remark = cmd.remark
    if remark is not None:
        obj["remark"] = remark
    obj["serializeTypeCurrentRPC"] = "JSON"
    obj["version"] = cmd.version
    try:
        return orjson.dumps(obj)
    except TypeError:
        return _encode_json_header_std(cmd)


def _encode_json_header_std(cmd: RemotingCommand) -> bytes:
    parts = ['{"code":', str(cmd.code)]
    if cmd.ext_fields is not None:
        parts.append(',"extFields":{')
        parts.append(",".join(f"{_jstr(k)}:{_jstr(v)}" for k, v in cmd.ext_fields.items() if v is not None))
        parts.append("}")
    parts.append(f',"flag":{cmd.flag},"language":{_jstr(cmd.language)},"opaque":{cmd.opaque}')
    if cmd.remark is not None:
        parts.append(f',"remark":{_jstr(cmd.remark)}')
    parts.append(f',"serializeTypeCurrentRPC":"JSON","version":{cmd.version}}}')
    return "".join(parts).encode("utf-8")


# ---------------------------------------------------------------- ROCKETMQ binary header (serialize type 1)

# 32-bit constants as names: compiled, codec.pxd makes them C integers, so the arithmetic below stays in C
# (a literal this large would be a Python int in Cython)
_SIGN32 = 0x80000000
_WRAP32 = 0x100000000
_LANG_OTHER = int(LanguageCode.OTHER)


def _put16(p: bytearray, pos: int, v: int) -> None:
    # compiled, p is the bytearray's C buffer (codec.pxd): plain stores
    p[pos] = (v >> 8) & 0xFF
    p[pos + 1] = v & 0xFF


def _put32(p: bytearray, pos: int, v: int) -> None:
    p[pos] = (v >> 24) & 0xFF
    p[pos + 1] = (v >> 16) & 0xFF
    p[pos + 2] = (v >> 8) & 0xFF
    p[pos + 3] = v & 0xFF


def encode_rocketmq_header(cmd: RemotingCommand) -> bytes:
    return b"".join(_rocketmq_pieces(cmd, 0, 0))


# what the encoder writes for an ext key (its 2-byte length, then its UTF-8), for the keys met so far: a
# broker writes a few dozen header field names over and over; bounded all the same
_KEY_PIECES: dict[str, bytes] = {}
_KEY_PIECES_MAX = 1024
# 4-byte big-endian lengths for the common sizes, ready to join
_LEN32 = tuple(_UINT.pack(i) for i in range(1024))


def _rocketmq_pieces(cmd: RemotingCommand, at: int, body_len: int) -> list:
    """The ROCKETMQ header as pieces for one b"".join, after `at` bytes of frame prefix (written when at is 8,
    counting body_len more bytes of body). Joining copies each string once; the numbers are stored into one
    small buffer (a bytearray grown by += or slice assignment costs ~500 instructions a string).

    code and version are written as their low 16 bits and opaque/flag as their low 32 (Java's short and int)."""
    remark = cmd.remark
    rb = remark.encode("utf-8") if remark else None
    head = bytearray(at + 17)
    pieces = [head]
    if rb is not None:
        pieces.append(rb)
    pieces.append(b"")   # the extFields length, once known
    ext_at = len(pieces) - 1
    ext_len = 0
    ext = cmd.ext_fields
    if ext:
        for k, v in ext.items():
            if k is None or v is None:
                continue
            kp = _KEY_PIECES.get(k)
            if kp is None:
                kb = k.encode("utf-8")
                vb = v.encode("utf-8")
                if len(kb) > 0x7FFF:
                    raise struct.error("ext key longer than a Java short")
                kp = bytes((len(kb) >> 8, len(kb) & 0xFF)) + kb
                if len(_KEY_PIECES) < _KEY_PIECES_MAX:
                    _KEY_PIECES[k] = kp
            else:
                vb = v.encode("utf-8")
            n = len(vb)
            pieces.append(kp)
            pieces.append(_LEN32[n] if n < 1024 else _UINT.pack(n))
            pieces.append(vb)
            ext_len += len(kp) + 4 + n
    pieces[ext_at] = _LEN32[ext_len] if ext_len < 1024 else _UINT.pack(ext_len)
    n = len(rb) if rb is not None else 0
    p = head
    if at:
        header_len = 21 + n + ext_len
        total = 4 + header_len + body_len
        if total > 0xFFFFFFFF:
            raise struct.error("'I' format requires 0 <= number <= 4294967295")
        _put32(p, 0, total)
        _put32(p, 4, 0x1000000 | header_len)   # serialize type ROCKETMQ in the high byte
    _put16(p, at, cmd.code)
    p[at + 2] = _LANG_BY_NAME.get(cmd.language, _LANG_OTHER)
    _put16(p, at + 3, cmd.version)
    _put32(p, at + 5, cmd.opaque)
    _put32(p, at + 9, cmd.flag)
    _put32(p, at + 13, n)
    return pieces


def _u32(data: bytes, pos: int) -> int:
    v = data[pos]   # a 64-bit local compiled (codec.pxd): a C int would turn the top bit into a sign
    v = (v << 8) | data[pos + 1]
    v = (v << 8) | data[pos + 2]
    return (v << 8) | data[pos + 3]


def _u16(data: bytes, pos: int) -> int:
    return (data[pos] << 8) | data[pos + 1]


def _i32(data: bytes, pos: int) -> int:
    v = data[pos]
    v = (v << 8) | data[pos + 1]
    v = (v << 8) | data[pos + 2]
    v = (v << 8) | data[pos + 3]
    return v - _WRAP32 if v >= _SIGN32 else v


def decode_rocketmq_header(header: bytes | memoryview) -> RemotingCommand:
    data = bytes(header)
    return _decode_rocketmq(data, 0, len(data), None)


def _decode_rocketmq(data: bytes, start: int, n: int, body: bytes | None) -> RemotingCommand:
    # the header is data[start:n]; byte arithmetic on a bytes object: compiled (codec.pxd) it runs on the C
    # buffer, no struct calls
    if n - start < 21:
        raise FrameError("ROCKETMQ header too short")
    code = _u16(data, start)
    if code >= 0x8000:
        code -= 0x10000
    lang = data[start + 2]
    version = _u16(data, start + 3)
    if version >= 0x8000:
        version -= 0x10000
    opaque = _i32(data, start + 5)
    flag = _i32(data, start + 9)
    remark_len = _i32(data, start + 13)
    pos = start + 17
    if remark_len < 0 or pos + remark_len + 4 > n:
        raise FrameError("bad remark length")
    remark = None
    if remark_len:  # length 0 decodes as null
        remark = _utf8(data, pos, pos + remark_len)
    pos += remark_len
    ext_len = _i32(data, pos)
    pos += 4
    if ext_len < 0 or pos + ext_len > n:
        raise FrameError("bad extFields length")
    ext_fields: dict[str, str] | None = None
    if ext_len:
        ext_fields = {}
        end = pos + ext_len
        while pos < end:
            if pos + 2 > end:
                raise FrameError("truncated ext key length")
            klen = _u16(data, pos)
            pos += 2
            if klen >= 0x8000 or pos + klen + 4 > end:
                raise FrameError("bad ext key length")
            key = _utf8(data, pos, pos + klen) if klen else None
            pos += klen
            vlen = _i32(data, pos)
            pos += 4
            if vlen < 0 or pos + vlen > end:
                raise FrameError("bad ext value length")
            value = _utf8(data, pos, pos + vlen) if vlen else None
            pos += vlen
            if key is not None and value is not None:
                ext_fields[key] = value  # duplicate keys: last one wins, as in Java's HashMap
    return new_command(code, _LANG_BY_CODE.get(lang, "OTHER"), version, opaque, flag, remark, ext_fields, body,
                       _ROCKETMQ)


def _utf8(data: bytes, start: int, end: int) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as e:
        raise FrameError(f"bad UTF-8 in header: {e}") from None

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
from .command import RemotingCommand

# NettyDecoder: LengthFieldBasedFrameDecoder(16777216) counts the 4-byte prefix against the limit.
DEFAULT_MAX_FRAME_LENGTH = 16777216

_UINT = struct.Struct(">I")
_FRAME_PREFIX = struct.Struct(">II")

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
    (length,) = _UINT.unpack_from(buf, offset)
    if length + 4 > max_frame_length:
        raise FrameError(f"frame length {length} exceeds the maximum {max_frame_length}")
    if length < 4:
        raise FrameError(f"frame length {length} is too small")
    return length + 4


def decode_frame(frame: bytes | bytearray | memoryview) -> RemotingCommand:
    """Decode one whole frame, 4-byte length prefix included."""
    mv = memoryview(frame)
    if len(mv) < 8:
        raise FrameError("frame shorter than 8 bytes")
    length, ori = _FRAME_PREFIX.unpack_from(mv, 0)
    if length + 4 != len(mv):
        raise FrameError(f"frame length {length} does not match {len(mv) - 4} bytes")
    header_len = ori & 0xFFFFFF
    stype = (ori >> 24) & 0xFF
    if header_len > length - 4:
        raise FrameError(f"bad header length {header_len}")
    header = mv[8:8 + header_len]
    if stype == SerializeType.JSON:
        cmd = decode_json_header(header)
    elif stype == SerializeType.ROCKETMQ:
        cmd = decode_rocketmq_header(header)
    else:
        raise FrameError(f"unknown serialize type {stype}")
    body_len = length - 4 - header_len
    # Java decodes a zero-length body as "no body".
    cmd.body = bytes(mv[8 + header_len:]) if body_len > 0 else None
    return cmd


def encode_header(cmd: RemotingCommand) -> bytes:
    if cmd.serialize_type == SerializeType.ROCKETMQ:
        return encode_rocketmq_header(cmd)
    return encode_json_header(cmd)


def encode_frame_parts(cmd: RemotingCommand) -> list[bytes | memoryview]:
    """The frame as buffers for transport.writelines: prefix+header, then body buffers without copying."""
    header = encode_header(cmd)
    body_len = cmd.body_len()
    prefix = _FRAME_PREFIX.pack(4 + len(header) + body_len, (int(cmd.serialize_type) << 24) | len(header))
    parts: list[bytes | memoryview] = [prefix + header]
    if cmd.body is not None and len(cmd.body):
        parts.append(cmd.body)
    if cmd.body_parts:
        parts.extend(cmd.body_parts)
    return parts


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
        ext_fields = {}
        for k, v in ext.items():
            if type(v) is not str:
                v = _ext_value(v)
                if v is None:
                    continue
            ext_fields[k] = v
    return RemotingCommand(
        code=code, language=language, version=_int_field(obj, "version", 0),
        opaque=_int_field(obj, "opaque", 0), flag=_int_field(obj, "flag", 0),
        remark=remark, ext_fields=ext_fields, serialize_type=SerializeType.JSON)


def _jstr(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def encode_json_header(cmd: RemotingCommand) -> bytes:
    """fastjson's layout: keys sorted, nulls omitted, language as its name, serializeTypeCurrentRPC present.

    orjson writes the same bytes as json.dumps(ensure_ascii=False, compact) for every str it accepts, ~15x
    faster (the header codec was the largest single cost of a send); a str it refuses (a lone surrogate)
    takes the standard encoder."""
    obj: dict = {"code": cmd.code}
    if cmd.ext_fields is not None:
        ext = cmd.ext_fields
        obj["extFields"] = ext if None not in ext.values() else {k: v for k, v in ext.items() if v is not None}
    obj["flag"] = cmd.flag
    obj["language"] = cmd.language
    obj["opaque"] = cmd.opaque
    if cmd.remark is not None:
        obj["remark"] = cmd.remark
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


def _add16(out: bytearray, v: int) -> None:
    out.append((v >> 8) & 0xFF)
    out.append(v & 0xFF)


def _add32(out: bytearray, v: int) -> None:
    out.append((v >> 24) & 0xFF)
    out.append((v >> 16) & 0xFF)
    out.append((v >> 8) & 0xFF)
    out.append(v & 0xFF)


def _set32(out: bytearray, pos: int, v: int) -> None:
    out[pos] = (v >> 24) & 0xFF
    out[pos + 1] = (v >> 16) & 0xFF
    out[pos + 2] = (v >> 8) & 0xFF
    out[pos + 3] = v & 0xFF


def encode_rocketmq_header(cmd: RemotingCommand) -> bytes:
    # appended byte by byte (the low bytes of code/version/opaque/flag: Java's short and int casts); the
    # extFields length is patched in once the fields are written
    out = bytearray()
    _add16(out, cmd.code)
    out.append(_LANG_BY_NAME.get(cmd.language, _LANG_OTHER))
    _add16(out, cmd.version)
    _add32(out, cmd.opaque)
    _add32(out, cmd.flag)
    remark = cmd.remark
    if remark:
        rb = remark.encode("utf-8")
        _add32(out, len(rb))
        out += rb
    else:
        _add32(out, 0)
    ext_at = len(out)
    _add32(out, 0)
    ext = cmd.ext_fields
    if ext:
        for k, v in ext.items():
            if k is None or v is None:
                continue
            kb = k.encode("utf-8")
            vb = v.encode("utf-8")
            if len(kb) > 0x7FFF:
                raise struct.error("ext key longer than a Java short")
            _add16(out, len(kb))
            out += kb
            _add32(out, len(vb))
            out += vb
        _set32(out, ext_at, len(out) - ext_at - 4)
    return bytes(out)


def _u16(data: bytes, pos: int) -> int:
    return (data[pos] << 8) | data[pos + 1]


def _i32(data: bytes, pos: int) -> int:
    v = data[pos]
    v = (v << 8) | data[pos + 1]
    v = (v << 8) | data[pos + 2]
    v = (v << 8) | data[pos + 3]
    return v - _WRAP32 if v >= _SIGN32 else v


def decode_rocketmq_header(header: bytes | memoryview) -> RemotingCommand:
    # byte arithmetic on a bytes object: compiled (codec.pxd) it runs on the C buffer, no struct calls
    data = bytes(header)
    n = len(data)
    if n < 21:
        raise FrameError("ROCKETMQ header too short")
    code = _u16(data, 0)
    if code >= 0x8000:
        code -= 0x10000
    lang = data[2]
    version = _u16(data, 3)
    if version >= 0x8000:
        version -= 0x10000
    opaque = _i32(data, 5)
    flag = _i32(data, 9)
    remark_len = _i32(data, 13)
    pos = 17
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
    return RemotingCommand(code, _LANG_BY_CODE.get(lang, "OTHER"), version, opaque, flag, remark, ext_fields,
                           None, SerializeType.ROCKETMQ)


def _utf8(data: bytes, start: int, end: int) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as e:
        raise FrameError(f"bad UTF-8 in header: {e}") from None

"""The codec against a plain reference: the straightforward byte-by-byte encoder and struct-based decoder the
optimised one replaced, kept here as the oracle. Same bytes, same results, same exceptions (type and text),
in whichever mode (compiled or pure) this process runs."""
from __future__ import annotations

import json
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from remoting import codec
from remoting.codec import FrameError
from remoting.codes import LanguageCode, SerializeType
from remoting.command import RemotingCommand, make_response

_LANG_BY_NAME = {lc.name: lc.value for lc in LanguageCode}
_LANG_BY_CODE = {lc.value: lc.name for lc in LanguageCode}


def ref_rocketmq_header(cmd: RemotingCommand) -> bytes:
    out = bytearray()
    out += struct.pack(">H", cmd.code & 0xFFFF)
    out.append(_LANG_BY_NAME.get(cmd.language, int(LanguageCode.OTHER)))
    out += struct.pack(">HII", cmd.version & 0xFFFF, cmd.opaque & 0xFFFFFFFF, cmd.flag & 0xFFFFFFFF)
    rb = cmd.remark.encode("utf-8") if cmd.remark else b""
    out += struct.pack(">I", len(rb)) + rb
    ext = bytearray()
    for k, v in (cmd.ext_fields or {}).items():
        if k is None or v is None:
            continue
        kb, vb = k.encode("utf-8"), v.encode("utf-8")
        if len(kb) > 0x7FFF:
            raise struct.error("ext key longer than a Java short")
        ext += struct.pack(">H", len(kb)) + kb + struct.pack(">I", len(vb)) + vb
    return bytes(out + struct.pack(">I", len(ext)) + ext)


def ref_frame(cmd: RemotingCommand) -> bytes:
    header = ref_rocketmq_header(cmd) if cmd.serialize_type == SerializeType.ROCKETMQ else \
        codec.encode_json_header(cmd)
    body = (bytes(cmd.body) if cmd.body is not None else b"") + b"".join(bytes(p) for p in cmd.body_parts or ())
    return struct.pack(">II", 4 + len(header) + len(body), (int(cmd.serialize_type) << 24) | len(header)) + \
        header + body


def ref_decode_rocketmq(data: bytes) -> RemotingCommand:
    n = len(data)
    if n < 21:
        raise FrameError("ROCKETMQ header too short")
    code, lang, version, opaque, flag, remark_len = struct.unpack_from(">hBhiii", data, 0)
    pos = 17
    if remark_len < 0 or pos + remark_len + 4 > n:
        raise FrameError("bad remark length")

    def utf8(a: int, b: int) -> str:
        try:
            return data[a:b].decode("utf-8")
        except UnicodeDecodeError as e:
            raise FrameError(f"bad UTF-8 in header: {e}") from None

    remark = utf8(pos, pos + remark_len) if remark_len else None
    pos += remark_len
    (ext_len,) = struct.unpack_from(">i", data, pos)
    pos += 4
    if ext_len < 0 or pos + ext_len > n:
        raise FrameError("bad extFields length")
    ext = None
    if ext_len:
        ext = {}
        end = pos + ext_len
        while pos < end:
            if pos + 2 > end:
                raise FrameError("truncated ext key length")
            (klen,) = struct.unpack_from(">H", data, pos)
            pos += 2
            if klen >= 0x8000 or pos + klen + 4 > end:
                raise FrameError("bad ext key length")
            key = utf8(pos, pos + klen) if klen else None
            pos += klen
            (vlen,) = struct.unpack_from(">i", data, pos)
            pos += 4
            if vlen < 0 or pos + vlen > end:
                raise FrameError("bad ext value length")
            value = utf8(pos, pos + vlen) if vlen else None
            pos += vlen
            if key is not None and value is not None:
                ext[key] = value
    return RemotingCommand(code, _LANG_BY_CODE.get(lang, "OTHER"), version, opaque, flag, remark, ext, None,
                           SerializeType.ROCKETMQ)


def ref_decode_frame(frame: bytes) -> RemotingCommand:
    if len(frame) < 8:
        raise FrameError("frame shorter than 8 bytes")
    length, ori = struct.unpack_from(">II", frame, 0)
    if length + 4 != len(frame):
        raise FrameError(f"frame length {length} does not match {len(frame) - 4} bytes")
    header_len, stype = ori & 0xFFFFFF, ori >> 24
    if header_len > length - 4:
        raise FrameError(f"bad header length {header_len}")
    header = frame[8:8 + header_len]
    if stype == SerializeType.JSON:
        cmd = codec.decode_json_header(header)
    elif stype == SerializeType.ROCKETMQ:
        cmd = ref_decode_rocketmq(header)
    else:
        raise FrameError(f"unknown serialize type {stype}")
    cmd.body = frame[8 + header_len:] if length - 4 - header_len > 0 else None
    return cmd


def outcome(fn):  # noqa: ANN001, ANN201
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return type(e).__name__, str(e)


# text that exercises UTF-8 widths, NUL, a lone surrogate (not encodable) and long keys
_text = st.one_of(st.text(max_size=12), st.text(alphabet="a\x00é中\U0001F600\ud800", max_size=6),
                  st.sampled_from(["a", "b", "msgId", "queueId", "MSG_REGION", "k" * 0x8000, "k" * 0x7FFF]))
_int64 = st.integers(-2**63, 2**63 - 1)
_commands = st.builds(
    RemotingCommand,
    code=st.one_of(st.integers(-70000, 70000), _int64), language=st.sampled_from(["JAVA", "CPP", "GO", "x", ""]),
    version=st.one_of(st.integers(-70000, 70000), _int64), opaque=_int64, flag=_int64,
    remark=st.one_of(st.none(), _text),
    ext_fields=st.one_of(st.none(), st.dictionaries(st.one_of(st.none(), _text), st.one_of(st.none(), _text),
                                                    max_size=6)),
    body=st.one_of(st.none(), st.binary(max_size=40), st.binary(max_size=3).map(memoryview)),
    serialize_type=st.just(SerializeType.ROCKETMQ),
    body_parts=st.one_of(st.none(), st.lists(st.binary(max_size=10), max_size=3)))


@settings(max_examples=600, deadline=None)
@given(_commands)
def test_rocketmq_encoders_write_the_reference_bytes_or_raise_the_same_error(cmd):
    assert outcome(lambda: codec.encode_rocketmq_header(cmd)) == outcome(lambda: ref_rocketmq_header(cmd))
    assert outcome(lambda: codec.encode_frame(cmd)) == outcome(lambda: ref_frame(cmd))
    assert outcome(lambda: b"".join(codec.encode_frame_parts(cmd))) == outcome(lambda: ref_frame(cmd))
    # the same command as JSON keeps its own encoder; only the frame around it is built differently now
    cmd.serialize_type = SerializeType.JSON
    assert outcome(lambda: codec.encode_frame(cmd)) == outcome(lambda: ref_frame(cmd))


@settings(max_examples=400, deadline=None)
@given(_commands, st.data())
def test_decoders_read_what_the_reference_reads_even_damaged(cmd, data):
    cmd.serialize_type = data.draw(st.sampled_from([SerializeType.ROCKETMQ, SerializeType.JSON]))
    try:
        frame = ref_frame(cmd)
    except (struct.error, UnicodeEncodeError, OverflowError):
        return
    for _ in range(4):
        raw = bytearray(frame)
        for _ in range(data.draw(st.integers(0, 3))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        raw = bytes(raw)
        want = outcome(lambda: ref_decode_frame(raw))
        assert outcome(lambda: codec.decode_frame(raw)) == want
        assert outcome(lambda: codec.decode_frame(bytearray(raw))) == want
        # in the middle of a larger buffer, as the Connection reads it
        pad = data.draw(st.binary(max_size=9))
        assert outcome(lambda: codec.decode_frame_at(pad + raw + b"\x07", len(pad), len(pad) + len(raw))) == want
        assert outcome(lambda: codec.decode_rocketmq_header(raw[8:])) == outcome(lambda: ref_decode_rocketmq(raw[8:]))


def test_decoded_and_response_commands_are_whole_remoting_commands():
    # the decoders and make_response build commands without calling the class: every field must be set
    cmd = RemotingCommand(code=310, language="JAVA", version=399, opaque=7, ext_fields={"a": "b"}, body=b"xy",
                          serialize_type=SerializeType.ROCKETMQ)
    back = codec.decode_frame(codec.encode_frame(cmd))
    assert back == cmd and back.body_parts is None and type(back) is RemotingCommand
    resp = make_response(back, 0, "r", {"k": "v"}, b"b")
    assert resp == RemotingCommand(code=0, opaque=7, flag=1, remark="r", ext_fields={"k": "v"}, body=b"b",
                                   serialize_type=SerializeType.ROCKETMQ)
    assert repr(resp) == repr(RemotingCommand(0, "JAVA", resp.version, 7, 1, "r", {"k": "v"}, b"b",
                                              SerializeType.ROCKETMQ))


def ref_json_ext(ext: dict) -> dict:
    # the loop decode_json_header used before it kept the parser's dict: fastjson's String coercion
    out = {}
    for k, v in ext.items():
        if type(v) is not str:
            v = codec._ext_value(v)
            if v is None:
                continue
        out[k] = v
    return out


_json_value = st.one_of(st.text(max_size=5), st.integers(-10**20, 10**20), st.booleans(), st.none(),
                        st.floats(allow_nan=False, allow_infinity=False), st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), _json_value, max_size=6), st.integers(0, 2**31 - 1))
def test_json_ext_fields_decode_as_the_reference_coerces_them(ext, opaque):
    header = json.dumps({"code": 11, "extFields": ext, "flag": 0, "language": "CPP", "opaque": opaque,
                         "version": 1}).encode()
    want = ref_json_ext(codec._loads(header)["extFields"])   # the same parse; only the ext handling is compared
    cmd = codec.decode_json_header(header)
    assert cmd.ext_fields == want and list(cmd.ext_fields) == list(want)
    assert all(type(v) is str for v in cmd.ext_fields.values())
    # and the encoder drops nulls exactly as before
    out = RemotingCommand(code=0, ext_fields={k: (None if v is None else str(v)) for k, v in ext.items()})
    assert json.loads(codec.encode_json_header(out))["extFields"] == \
        {k: v for k, v in out.ext_fields.items() if v is not None}

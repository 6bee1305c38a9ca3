"""Frame and header codecs: hand-computed golden bytes, Java captures byte for byte, round trips, bad input."""
from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoting.codec import (DEFAULT_MAX_FRAME_LENGTH, FrameError, decode_frame, decode_json_header,
                            decode_rocketmq_header, encode_frame, encode_json_header, encode_rocketmq_header,
                            frame_length)
from remoting.codes import LanguageCode, SerializeType
from remoting.command import RemotingCommand
from tests.support.captures import all_frames


# ---------------------------------------------------------------- golden vectors, computed by hand

def test_json_golden_vector_matches_fastjson_layout():
    # A 4.9.7 broker's SEND_MESSAGE_V2 response as wire.md shows it: keys sorted, extFields in insertion order.
    cmd = RemotingCommand(code=0, opaque=42, flag=1, ext_fields={
        "MSG_REGION": "DefaultRegion", "TRACE_ON": "true", "msgId": "0A00000100002A9F0000000000000000",
        "queueId": "1", "queueOffset": "0"})
    header = (b'{"code":0,"extFields":{"MSG_REGION":"DefaultRegion","TRACE_ON":"true",'
              b'"msgId":"0A00000100002A9F0000000000000000","queueId":"1","queueOffset":"0"},'
              b'"flag":1,"language":"JAVA","opaque":42,"serializeTypeCurrentRPC":"JSON","version":407}')
    expected = struct.pack(">I", 4 + len(header)) + struct.pack(">I", len(header)) + header
    assert encode_frame(cmd) == expected


def test_json_header_omits_null_remark_and_ext_but_keeps_empty_ext():
    assert encode_json_header(RemotingCommand(code=0, flag=1, opaque=12)) == (
        b'{"code":0,"flag":1,"language":"JAVA","opaque":12,"serializeTypeCurrentRPC":"JSON","version":407}')
    assert b'"extFields":{}' in encode_json_header(RemotingCommand(code=0, ext_fields={}))
    assert b'"remark":"x\\u0001y"' in encode_json_header(RemotingCommand(code=1, remark="x\x01y"))


def test_rocketmq_golden_vector_matches_hand_layout():
    cmd = RemotingCommand(code=105, opaque=7, ext_fields={"topic": "TBW102"}, serialize_type=SerializeType.ROCKETMQ)
    expected = bytes.fromhex(
        "0000002a"      # length: 4 + 38
        "01000026"      # serialize type 1 << 24 | header length 38
        "0069"          # code 105
        "00"            # language JAVA
        "0197"          # version 407
        "00000007"      # opaque
        "00000000"      # flag
        "00000000"      # remark length 0 (null)
        "00000011"      # ext length 17
        "0005") + b"topic" + bytes.fromhex("00000006") + b"TBW102"
    assert encode_frame(cmd) == expected
    back = decode_frame(expected)
    assert (back.code, back.opaque, back.language, back.version, back.ext_fields, back.remark, back.body) == (
        105, 7, "JAVA", 407, {"topic": "TBW102"}, None, None)


def test_rocketmq_header_with_remark_language_and_negative_values():
    cmd = RemotingCommand(code=17, language="CPP", version=333, opaque=-5, flag=1, remark="né",
                          serialize_type=SerializeType.ROCKETMQ)
    hdr = encode_rocketmq_header(cmd)
    assert hdr == (struct.pack(">hBhii", 17, 1, 333, -5, 1) + struct.pack(">i", 3) + "né".encode() +
                   struct.pack(">i", 0))
    back = decode_rocketmq_header(hdr)
    assert (back.language, back.opaque, back.remark, back.ext_fields) == ("CPP", -5, "né", None)


# ---------------------------------------------------------------- Java quirks on decode

def test_rocketmq_decode_quirks_empty_strings_are_null_and_last_duplicate_wins():
    def entry(k: bytes, v: bytes) -> bytes:
        return struct.pack(">h", len(k)) + k + struct.pack(">i", len(v)) + v
    ext = entry(b"a", b"1") + entry(b"b", b"") + entry(b"a", b"2") + entry(b"", b"x")
    hdr = struct.pack(">hBhii", 10, 0, 407, 1, 0) + struct.pack(">i", 0) + struct.pack(">i", len(ext)) + ext
    cmd = decode_rocketmq_header(hdr)
    assert cmd.remark is None
    assert cmd.ext_fields == {"a": "2"}


def test_json_decode_coerces_cpp_numbers_and_accepts_trailing_newline():
    raw = b'{"code":310,"language":"CPP","version":333,"opaque":9,"flag":0,"remark":"",' \
          b'"extFields":{"queueId":3,"sysFlag":0,"batch":false,"e":1.5,"AccessKey":""}}\n'
    cmd = decode_json_header(raw)
    assert cmd.ext_fields == {"queueId": "3", "sysFlag": "0", "batch": "false", "e": "1.5", "AccessKey": ""}
    assert (cmd.code, cmd.language, cmd.version, cmd.remark) == (310, "CPP", 333, "")


def test_json_decode_numeric_language_is_enum_ordinal():
    assert decode_json_header(b'{"code":1,"language":9}').language == "GO"


# ---------------------------------------------------------------- Java's own bytes

@pytest.mark.parametrize("name,frame", all_frames(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_java_captured_frame_reencodes_byte_for_byte(name, frame):
    raw = bytes.fromhex(frame["hex"])
    cmd = decode_frame(raw)
    assert cmd.code == frame["header"]["code"]
    assert int(cmd.serialize_type) == frame["serialize_type"]
    assert cmd.body_len() == frame["body_len"]
    assert encode_frame(cmd) == raw


# ---------------------------------------------------------------- round trips

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_ext = st.one_of(st.none(), st.dictionaries(st.text(min_size=1, max_size=20),
                                            st.text(min_size=1, max_size=40), max_size=8))
_commands = st.builds(
    RemotingCommand,
    code=st.integers(-32768, 32767),
    language=st.sampled_from([lc.name for lc in LanguageCode]),
    version=st.integers(-32768, 32767),
    opaque=st.integers(-2**31, 2**31 - 1),
    flag=st.integers(0, 3),
    remark=st.one_of(st.none(), st.text(min_size=1, max_size=60)),
    ext_fields=_ext,
    body=st.one_of(st.none(), st.binary(min_size=1, max_size=300)),
    serialize_type=st.sampled_from(list(SerializeType)),
)


@settings(max_examples=400, deadline=None)
@given(_commands)
def test_round_trip_both_serializations(cmd):
    frame = encode_frame(cmd)
    assert frame_length(frame) == len(frame)
    back = decode_frame(frame)
    assert (back.code, back.language, back.version, back.opaque, back.flag, back.remark, back.body) == (
        cmd.code, cmd.language, cmd.version, cmd.opaque, cmd.flag, cmd.remark, cmd.body)
    assert back.serialize_type == cmd.serialize_type
    if cmd.serialize_type == SerializeType.ROCKETMQ and not cmd.ext_fields:
        assert back.ext_fields is None  # an empty map and no map look the same in binary
    else:
        assert back.ext_fields == cmd.ext_fields


@settings(max_examples=200, deadline=None)
@given(_commands, st.data())
def test_incomplete_frames_are_never_taken_and_a_whole_one_is_taken_exactly(cmd, data):
    frame = encode_frame(cmd)
    cut = data.draw(st.integers(0, len(frame) - 1))
    n = frame_length(frame[:cut])
    assert n is None or n > cut
    tail = data.draw(st.binary(max_size=20))
    assert frame_length(frame + tail) == len(frame)


# ---------------------------------------------------------------- bad input

def _frame(header: bytes, stype: int = 0, body: bytes = b"") -> bytes:
    return struct.pack(">II", 4 + len(header) + len(body), (stype << 24) | len(header)) + header + body


@pytest.mark.parametrize("raw", [
    _frame(b'{"code":1'),                       # truncated JSON
    _frame(b'\xff\xfe{"code":1}'),              # not UTF-8
    _frame(b'[1,2,3]'),                         # JSON, not an object
    _frame(b'{"opaque":1}'),                    # no code
    _frame(b'{"code":"abc"}'),                  # code not a number
    _frame(b'{"code":1,"extFields":[1]}'),      # extFields not an object
    _frame(b'{"code":1}', stype=7),             # unknown serialize type
    _frame(b"\x00" * 5, stype=1),               # binary header too short
    _frame(struct.pack(">hBhii", 1, 0, 0, 0, 0) + struct.pack(">i", 1000) + b"\x00" * 4, stype=1),  # remark overruns
    struct.pack(">II", 8, 100) + b"abcd",       # header length beyond the frame
])
def test_malformed_frames_raise_frame_error(raw):
    with pytest.raises(FrameError):
        decode_frame(raw)


def test_frame_limit_is_javas_16_mib_including_the_prefix():
    assert frame_length(struct.pack(">I", DEFAULT_MAX_FRAME_LENGTH - 4)) == DEFAULT_MAX_FRAME_LENGTH
    with pytest.raises(FrameError):
        frame_length(struct.pack(">I", DEFAULT_MAX_FRAME_LENGTH - 3))
    with pytest.raises(FrameError):
        frame_length(struct.pack(">I", 3))


def test_json_header_is_valid_strict_json_for_every_ext_value():
    cmd = RemotingCommand(code=0, ext_fields={"k": 'q"uo\\te\n\x02', "ü": "値"}, remark="r")
    obj = json.loads(encode_json_header(cmd))
    assert obj["extFields"] == {"k": 'q"uo\\te\n\x02', "ü": "値"}


@settings(max_examples=300, deadline=None)
@given(ext=st.dictionaries(st.text(), st.one_of(st.none(), st.text())), remark=st.one_of(st.none(), st.text()),
       code=st.integers(-32768, 32767), opaque=st.integers(-2**31, 2**31 - 1))
def test_fast_json_header_writes_the_standard_encoders_bytes(ext, remark, code, opaque):
    """orjson (fast path) and json.dumps (fallback) give identical headers, control characters and non-ASCII
    included; headers a peer sends back decode to the same command either way."""
    from remoting.codec import _encode_json_header_std
    cmd = RemotingCommand(code=code, opaque=opaque, remark=remark, ext_fields=ext)
    fast = encode_json_header(cmd)
    assert fast == _encode_json_header_std(cmd)
    back = decode_json_header(fast)
    assert back.ext_fields == {k: v for k, v in ext.items() if v is not None}
    assert (back.code, back.opaque, back.remark) == (code, opaque, remark)


def test_json_header_the_fast_parser_refuses_is_still_read_as_before():
    # orjson refuses NaN; the standard parser reads it, so such a header is judged exactly as before
    back = decode_json_header(b'{"code":10,"opaque":1,"extFields":{"a":1e400,"b":NaN},"flag":0}')
    assert back.code == 10 and back.ext_fields == {"a": "inf", "b": "nan"}

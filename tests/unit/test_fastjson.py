"""JSON as fastjson writes and reads it."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoting import fastjson
from remoting.bodies import BrokerData, ClusterInfo


def test_lenient_parse_of_unquoted_int_keys_and_object_keys():
    assert fastjson.loads('{"brokerAddrs":{0:"a:1",1:"b:2"}}') == {"brokerAddrs": {0: "a:1", 1: "b:2"}}
    parsed = fastjson.loads('{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":5}}}')
    key = (("brokerName", "b"), ("queueId", 0), ("topic", "T"))
    assert parsed == {"offsetTable": {key: {"brokerOffset": 5}}}
    assert fastjson.loads("{'a':'x\\'y', b : [1, 2.5, true, null]}") == {"a": "x'y", "b": [1, 2.5, True, None]}


@pytest.mark.parametrize("bad", ['{"a":1', '{"a" 1}', "[1,,]", '{"a":1}x', '"unterminated'])
def test_lenient_parse_still_rejects_garbage(bad):
    with pytest.raises(ValueError):
        fastjson.loads(bad)


def test_dumps_int_keys_unquoted_by_default_quoted_on_request():
    info = ClusterInfo({"b": BrokerData("C", "b", {1: "h:2", 0: "h:1"})}, {"C": ["b"]})
    assert fastjson.dumps(info) == ('{"brokerAddrTable":{"b":{"brokerAddrs":{0:"h:1",1:"h:2"},"brokerName":"b",'
                                    '"cluster":"C"}},"clusterAddrTable":{"C":["b"]}}')
    assert '"brokerAddrs":{"0":"h:1","1":"h:2"}' in fastjson.dumps(info, quote_int_keys=True)


def test_dumps_non_ascii_raw_or_escaped():
    assert fastjson.dumps({"k": "é"}) == '{"k":"é"}'
    assert fastjson.dumps({"k": "é"}, ascii_only=True) == '{"k":"\\u00e9"}'
    assert fastjson.dumps({(("a", 1),): 2}) == '{{"a":1}:2}'


def test_offset_table_fragment_is_what_the_generic_writer_writes():
    # queue ids 0..11 sort as strings (0, 1, 10, 11, 2, ...), as the generic writer orders tuple keys
    table = {(("brokerName", "b"), ("queueId", q), ("topic", t)): (100 + q, q, 1_700_000_000_000 + q if q else 0)
             for t in ("T1", "T0") for q in range(12)}
    plain = {mq: {"lastTimestamp": x, "brokerOffset": b, "consumerOffset": c} for mq, (b, c, x) in table.items()}
    expected = fastjson.dumps({"consumeTps": 1.5, "offsetTable": plain})
    assert fastjson.dumps({"consumeTps": 1.5, "offsetTable": fastjson.offset_table(table)}) == expected
    assert fastjson.loads(expected)["consumeTps"] == 1.5
    assert fastjson.dumps([fastjson.offset_table({})]) == "[{}]"


def test_records_of_one_shape_written_alike_whatever_their_key_order():
    a = {"b": 1, "a": [True, None, "x"], "c": {"z": 1.5}}
    b = {"c": {"z": 1.5}, "a": [True, None, "x"], "b": 1}
    assert fastjson.dumps([a, b, a]) == '[' + ','.join(['{"a":[true,null,"x"],"b":1,"c":{"z":1.5}}'] * 3) + ']'
    assert fastjson.dumps({}) == "{}" and fastjson.dumps([{}, {"k": {}}]) == '[{},{"k":{}}]'


_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text())
_KEY = st.one_of(st.text(), st.integers(), st.tuples(st.tuples(st.sampled_from(["topic", "queueId", "brokerName"]),
                                                                st.one_of(st.text(), st.integers()))))
_TREE = st.recursive(_LEAF, lambda c: st.one_of(st.lists(c), st.dictionaries(_KEY, c)), max_leaves=30)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@settings(max_examples=300, deadline=None)
@given(_TREE, st.booleans())
def test_fast_reading_of_object_and_int_keys_agrees_with_the_full_parser(value, ascii_only):
    """loads' quick path (keys quoted with markers, then the C parser) gives what the recursive parser gives
    for everything fastjson writes (the recursive one leaves escaped surrogate pairs unjoined: not compared)."""
    text = fastjson.dumps(value, ascii_only=ascii_only)
    if _SURROGATE_ESCAPE.search(text) or any(0xD800 <= ord(ch) < 0xE000 for ch in text):
        return
    assert fastjson.loads(text) == fastjson._Lenient(text).parse()      # noqa: SLF001


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]:,"\\ 0123456789abtrue-K\x00', max_size=40))
def test_fast_reading_never_accepts_what_the_full_parser_refuses(text):
    try:
        fast = fastjson._keys_quoted(text)                              # noqa: SLF001
    except (ValueError, RecursionError):
        return
    assert fast == fastjson._Lenient(text).parse()                      # noqa: SLF001


def test_consume_stats_body_read_back():
    text = '{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":5}},"o":{0:1,-2:3},"s":"{,{\\"a\\":1}:"}'
    assert fastjson.loads(text) == {"offsetTable": {(("brokerName", "b"), ("queueId", 0), ("topic", "T")):
                                                    {"brokerOffset": 5}},
                                    "o": {0: 1, -2: 3}, "s": '{,{"a":1}:'}


@pytest.mark.parametrize("bad", [b"\r", b" ", b"", b"{ ", b'{"a":', b"[1,", b"'\\", b"[" * 100_000, b"\xff"])
def test_any_bad_body_is_a_value_error(bad):
    """A body is whatever a peer sent: reading it fails with ValueError only (a whitespace-only body once reached
    the string reader, since "" is in every string, and raised IndexError)."""
    with pytest.raises(ValueError):
        fastjson.loads(bad)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet='{}[]:,"\'\\ \r\n\t0123456789.eE+-abtrueflsnul\x00u', max_size=30),
                 st.binary(max_size=20)))
def test_fuzzed_bodies_read_or_raise_value_error(text):
    try:
        fastjson.loads(text)
    except ValueError:
        pass

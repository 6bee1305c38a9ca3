"""Typed headers <-> extFields."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoting.headers import (GetRouteInfoRequestHeader, HeaderError, RegisterBrokerRequestHeader,
                              RegisterBrokerResponseHeader, WipeWritePermOfBrokerResponseHeader)


def test_decode_parses_java_types_and_optional_fields():
    h = RegisterBrokerRequestHeader.decode({
        "brokerName": "broker-a", "brokerAddr": "127.0.0.2:40931", "clusterName": "DefaultCluster",
        "haServerAddr": "192.0.2.2:40932", "brokerId": "0", "compressed": "false", "bodyCrc32": "47778907",
        "AccessKey": "ignored"})
    assert (h.brokerId, h.compressed, h.bodyCrc32, h.heartbeatTimeoutMillis) == (0, False, 47778907, None)


def test_boolean_parse_is_javas():
    assert GetRouteInfoRequestHeader.decode({"topic": "t", "acceptStandardJsonOnly": "TRUE"}).acceptStandardJsonOnly
    assert not GetRouteInfoRequestHeader.decode({"topic": "t", "acceptStandardJsonOnly": "yes"}).acceptStandardJsonOnly


def test_missing_required_field_names_the_field():
    with pytest.raises(HeaderError, match=r"the custom field <topic> is null"):
        GetRouteInfoRequestHeader.decode({})
    with pytest.raises(HeaderError, match="brokerId"):
        RegisterBrokerRequestHeader.decode({"brokerName": "b", "brokerAddr": "a", "clusterName": "c",
                                            "haServerAddr": "h", "brokerId": "zero"})


def test_encode_leaves_out_nulls_and_writes_strings():
    assert RegisterBrokerResponseHeader().encode() == {}
    assert RegisterBrokerResponseHeader("h:1", "m:2").encode() == {"haServerAddr": "h:1", "masterAddr": "m:2"}
    assert WipeWritePermOfBrokerResponseHeader(3).encode() == {"wipeTopicCount": "3"}


def _all_header_classes():
    from remoting import headers as hmod
    return [c for c in vars(hmod).values()
            if isinstance(c, type) and issubclass(c, hmod.Header) and c is not hmod.Header]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_compiled_decoder_agrees_with_the_generic_one(data):
    """Every header class: same object, or the same HeaderError, for values that parse, do not parse or are
    missing."""
    from remoting.headers import HeaderError
    for cls in _all_header_classes():
        names = [f[0] for f in cls._fields()]
        values = st.one_of(st.none(), st.sampled_from(["1", " 42 ", "-7", "true", "FALSE", "x", "", "1.5", "9" * 30]),
                           st.text(max_size=5))
        ext = {k: v for k, v in data.draw(st.fixed_dictionaries({n: values for n in names})).items() if v is not None}
        outcomes = []
        for decode in (cls.decode, cls.decode_generic):
            try:
                outcomes.append(decode(ext))
            except HeaderError as e:
                outcomes.append(("error", e.key, e.kind, e.value))
        assert outcomes[0] == outcomes[1], cls.__name__


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_direct_send_v2_decoder_agrees_with_decode_then_to_v1(data):
    """decode_send_v2 (the send path's one-step decoder) gives the same v1 header, or the same HeaderError, as
    SendMessageRequestHeaderV2.decode(...).to_v1()."""
    from remoting.headers import SendMessageRequestHeaderV2, decode_send_v2
    values = st.one_of(st.none(), st.sampled_from(["1", " 42 ", "-7", "true", "FALSE", "x", "", "9" * 30]),
                       st.text(max_size=5))
    ext = {k: v for k, v in data.draw(st.fixed_dictionaries({n: values for n in "abcdefghijklmn"})).items()
           if v is not None}
    outcomes = []
    for decode in (decode_send_v2, lambda e: SendMessageRequestHeaderV2.decode(e).to_v1()):
        try:
            outcomes.append(decode(ext))
        except HeaderError as e:
            outcomes.append(("error", e.header, e.key, e.kind, e.value))
    assert outcomes[0] == outcomes[1]

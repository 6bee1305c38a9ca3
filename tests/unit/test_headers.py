"""Typed headers <-> extFields."""
from __future__ import annotations

import pytest

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

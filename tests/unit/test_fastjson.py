"""JSON as fastjson writes and reads it."""
from __future__ import annotations

import pytest

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

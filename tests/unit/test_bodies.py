"""Bodies: Java's RegisterBrokerBody (plain and compressed) and route JSON."""
from __future__ import annotations

import zlib

from remoting import fastjson
from remoting.bodies import DataVersion, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper, TopicRouteData
from tests.support.captures import frames


def test_java_register_body_from_capture_decodes():
    first = next(f for f in frames("broker-namesrv") if f["header"]["code"] == 103)
    body = bytes.fromhex(first["hex"])[8 + first["header_len"]:]
    assert zlib.crc32(body) & 0x7FFFFFFF == int(first["header"]["extFields"]["bodyCrc32"])
    rb = RegisterBrokerBody.decode(body, compressed=False)
    w = rb.topicConfigSerializeWrapper
    assert w.dataVersion == DataVersion(timestamp=1795284661443, counter=0)
    assert w.topicConfigTable["TBW102"] == TopicConfig("TBW102", 8, 8, 7)
    assert len(w.topicConfigTable) == 8 and rb.filterServerList == []
    # our encoder writes the same data back
    assert fastjson.loads(rb.encode()) == fastjson.loads(body)


def test_compressed_register_body_layout_round_trip():
    w = TopicConfigSerializeWrapper({"T": TopicConfig("T", 4, 2, 6)}, DataVersion(5, 3))
    data = RegisterBrokerBody(w, ["f:1"]).encode(compressed=True)
    raw = zlib.decompress(data)
    dv = b'{"counter":3,"timestamp":5}'
    assert raw == (len(dv).to_bytes(4, "big") + dv + (1).to_bytes(4, "big") +
                   (18).to_bytes(4, "big") + b"T 4 2 6 SINGLE_TAG" + (7).to_bytes(4, "big") + b'["f:1"]')
    back = RegisterBrokerBody.decode(data, compressed=True)
    assert back.topicConfigSerializeWrapper.topicConfigTable["T"] == TopicConfig("T", 4, 2, 6)
    assert back.filterServerList == ["f:1"] and back.topicConfigSerializeWrapper.dataVersion == DataVersion(5, 3)


def test_route_data_reads_both_key_forms():
    quoted = b'{"brokerDatas":[{"brokerAddrs":{"0":"h:1"},"brokerName":"b","cluster":"C"}],' \
             b'"filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4,' \
             b'"topicSysFlag":0,"writeQueueNums":4}]}'
    a = TopicRouteData.from_json(fastjson.loads(quoted))
    b = TopicRouteData.from_json(fastjson.loads(quoted.replace(b'"0"', b"0")))
    assert a == b and a.brokerDatas[0].brokerAddrs == {0: "h:1"}

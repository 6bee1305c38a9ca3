"""The broker's own Pub records (broker/trace/pub_writer, brokerTraceEnable): what a send leaves, when it is
written, which producers are skipped, how records are batched and indexed."""
from __future__ import annotations

from remoting import trace
from remoting.headers import SendMessageRequestHeader
from store import message as m
from broker.config import BrokerConfig
from broker.topic_config import TopicConfigManager
from broker.trace import pub_writer
from broker.trace.pub_writer import BrokerTraceWriter
from tests.support.stores import STORE_HOST, open_store, small_config

STORE_ADDR = f"{STORE_HOST[0]}:{STORE_HOST[1]}"


def writer(tmp_path, **cfg):
    config = BrokerConfig(brokerTraceEnable=True, brokerName="b", **cfg)
    store = open_store(small_config(tmp_path / "s", mappedFileSizeCommitLog=1 << 20))
    topics = TopicConfigManager(config, str(tmp_path / "s"), lambda job: None)
    return BrokerTraceWriter(config, store, topics, STORE_HOST), store


def send(w, store, group: str, topic: str, props: dict[str, str], at_ms: int, body: bytes = b"hello"):
    msg = m.StoredMessage(topic=topic, body=body, born_timestamp=at_ms, properties=m.properties_to_string(props))
    result = store.put_messages([msg])
    header = SendMessageRequestHeader(producerGroup=group, topic=topic, defaultTopic="TBW102",
                                      defaultTopicQueueNums=4, queueId=0, sysFlag=0, bornTimestamp=at_ms, flag=0,
                                      properties=msg.properties)
    w.sent(header, [msg], result, at_ms)
    return result


def trace_messages(store, key: str, topic: str = trace.DEFAULT_TRACE_TOPIC) -> list[m.StoredMessage]:
    return store.query_message(topic, key, 64, 0, 2**63 - 1)[0]


def test_a_send_becomes_a_pub_record_after_the_hold(tmp_path):
    w, store = writer(tmp_path)
    r = send(w, store, "PID_x", "T", {"UNIQ_KEY": "U1", "KEYS": "a b", "TAGS": "TagA", "DELAY": "2"}, 1000)
    assert w.flush(now_ms=1000 + pub_writer.HOLD_MS - 1) == 0          # still held
    assert w.flush(now_ms=1000 + pub_writer.HOLD_MS) == 1
    (msg,) = trace_messages(store, "U1")
    assert msg.props["KEYS"] == "U1 a b" and msg.born_host == STORE_HOST
    assert [x.physical_offset for x in trace_messages(store, "b")] == [msg.physical_offset]
    (pub,), bad = trace.decode(msg.body.decode())
    a = r.append
    assert bad == [] and pub == trace.Pub(
        timestamp=a.store_timestamp, region_id="DefaultRegion", group="PID_x", topic="T", msg_id="U1", tags="TagA",
        keys="a b", store_host=STORE_ADDR, body_length=5, cost_time=max(0, a.store_timestamp - 1000),
        msg_type=trace.MessageType.Delay_Msg, offset_msg_id=a.msg_ids[0], success=True)
    store.close(clean=True)


def test_groups_that_trace_themselves_system_and_trace_topics_are_skipped(tmp_path):
    w, store = writer(tmp_path, msgTraceTopicName="MyTrace")
    own = trace.Pub(1, "r", "PID_traces", "T", "U2", "", "", "h", 1, 1, 0, "O", True)
    send(w, store, "PID_traces", "rmq_sys_TRACE_DATA_r", {"KEYS": "U2"}, 0, trace.encode(own).encode())
    send(w, store, "PID_traces", "T", {"UNIQ_KEY": "U2"}, 0)
    send(w, store, "PID_plain", "%RETRY%CID", {"UNIQ_KEY": "U3"}, 0)
    send(w, store, "PID_plain", "SCHEDULE_TOPIC_XXXX", {"UNIQ_KEY": "U4"}, 0)
    send(w, store, "PID_plain", "T", {"UNIQ_KEY": "U5", "TRAN_MSG": "true"}, 0)
    assert w.flush(force=True) == 1 and w.tracing_groups == {"PID_traces"}
    (msg,) = trace_messages(store, "U5", "MyTrace")
    (pub,), _ = trace.decode(msg.body.decode())
    assert pub.msg_type == trace.MessageType.Trans_Msg_Half and pub.keys == "" and pub.tags == ""
    store.close(clean=True)


def test_records_are_batched_under_the_client_limit(tmp_path):
    w, store = writer(tmp_path)
    n = 900
    for i in range(n):
        send(w, store, "PID_many", "T", {"UNIQ_KEY": f"ID{i:05d}", "KEYS": "k" * 100}, 0)
    assert w.flush(force=True) == n and w.written == n
    # a batch holds hundreds of records: every 50th id finds them all
    batches = {x.physical_offset: x for i in range(0, n, 50) for x in trace_messages(store, f"ID{i:05d}")}
    assert len(batches) > 1 and all(len(x.body) <= trace.MAX_TRACE_BODY for x in batches.values())
    ids = [r.msg_id for x in sorted(batches.values(), key=lambda x: x.physical_offset)
           for r in trace.decode(x.body.decode())[0]]
    assert ids == [f"ID{i:05d}" for i in range(n)]     # every record once, in send order
    store.close(clean=True)


def test_uniq_ids_are_32_hex_digits_and_distinct():
    maker = pub_writer.UniqIdMaker("10.1.2.3")
    ids = {maker.next() for _ in range(1000)}
    assert len(ids) == 1000 and all(len(x) == 32 and x.startswith("0A010203") for x in ids)

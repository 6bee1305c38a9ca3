"""Trace-record codec (remoting.trace) against the layouts TraceDataEncoder 4.9.7 and the C++ 2.1 core write,
and the queryMsgTraceById views and text (tools.mqadmin.trace_view)."""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings, strategies as st

from remoting import trace
from store import message as m
from tools.mqadmin import trace_view

A, B = "\x01", "\x02"

# What the Java 4.9.7 client writes (TraceDataEncoder.encoderFromContextBean), built field by field.
JAVA_PUB = A.join(["Pub", "1700000000123", "DefaultRegion", "PID_a", "TopicT", "7F0000010A2C18B4AAC2", "TagA",
                   "k1 k2", "127.0.0.1:10911", "11", "4", "0", "7F00000100002A9F0000000000000000", "true"]) + B
JAVA_SUB_BEFORE = A.join(["SubBefore", "1700000000200", "DefaultRegion", "CID_a", "REQ1", "7F0000010A2C18B4AAC2",
                          "0", "k1 k2"]) + B
JAVA_SUB_AFTER = A.join(["SubAfter", "REQ1", "7F0000010A2C18B4AAC2", "3", "true", "k1 k2", "0", "1700000000205",
                         "CID_a"]) + B
CLOUD_SUB_AFTER = A.join(["SubAfter", "REQ1", "7F0000010A2C18B4AAC2", "3", "false", "k1 k2", "1"]) + A
JAVA_END_TX = A.join(["EndTransaction", "1700000000300", "DefaultRegion", "PID_tx", "TopicT", "MSGTX", "null", "null",
                      "127.0.0.1:10911", "1", "TXID", "COMMIT_MESSAGE", "false"]) + B
# the C++ 2.1 core: one record per message, SubAfter without contextCode/timestamp/group, "dKey" for no keys
CPP_SUB_AFTER = A.join(["SubAfter", "REQ2", "MSGC", "5", "true", "dKey"]) + B


def test_java_layouts_decode_to_typed_records():
    records, bad = trace.decode(JAVA_PUB + JAVA_SUB_BEFORE + JAVA_SUB_AFTER + JAVA_END_TX)
    assert bad == []
    assert records == [
        trace.Pub(1700000000123, "DefaultRegion", "PID_a", "TopicT", "7F0000010A2C18B4AAC2", "TagA", "k1 k2",
                  "127.0.0.1:10911", 11, 4, trace.MessageType.Normal_Msg, "7F00000100002A9F0000000000000000", True),
        trace.SubBefore(1700000000200, "DefaultRegion", "CID_a", "REQ1", "7F0000010A2C18B4AAC2", 0, "k1 k2"),
        trace.SubAfter("REQ1", "7F0000010A2C18B4AAC2", 3, True, "k1 k2", 0, 1700000000205, "CID_a"),
        trace.EndTransaction(1700000000300, "DefaultRegion", "PID_tx", "TopicT", "MSGTX", "null", "null",
                             "127.0.0.1:10911", 1, "TXID", "COMMIT_MESSAGE", False),
    ]


@pytest.mark.parametrize("text", [JAVA_PUB, JAVA_SUB_BEFORE, JAVA_SUB_AFTER, JAVA_END_TX, CLOUD_SUB_AFTER,
                                  CPP_SUB_AFTER])
def test_encode_gives_back_the_client_bytes(text):
    (record,), bad = trace.decode(text)
    assert bad == [] and trace.encode(record) == text


def test_cloud_sub_after_runs_into_the_next_record_and_is_cut_there():
    records, bad = trace.decode(CLOUD_SUB_AFTER + JAVA_PUB + CLOUD_SUB_AFTER + CLOUD_SUB_AFTER + JAVA_SUB_BEFORE)
    assert bad == []
    assert [type(r).__name__ for r in records] == ["SubAfter", "Pub", "SubAfter", "SubAfter", "SubBefore"]
    assert records[0].cloud and records[0].context_code == 1 and records[0].group is None and not records[0].success


def test_old_pub_forms_and_cpp_sub_after():
    p13 = A.join(["Pub", "1", "r", "g", "t", "id", "", "", "h:1", "2", "3", "3", "false"]) + B
    p15 = A.join(["Pub", "1", "r", "g", "t", "id", "", "", "h:1", "2", "3", "1", "OFF", "true", "10.0.0.9"]) + B
    (a, b, c), bad = trace.decode(p13 + p15 + CPP_SUB_AFTER)
    assert bad == []
    assert a.offset_msg_id is None and not a.success and a.msg_type == trace.MessageType.Delay_Msg
    assert b.offset_msg_id == "OFF" and b.success and b.client_host == "10.0.0.9"
    assert c == trace.SubAfter("REQ2", "MSGC", 5, True, "dKey")
    assert trace.encode(a) == p13 and trace.encode(b) == p15


def test_bad_records_are_reported_and_skipped():
    text = "Nope" + A + "x" + B + A.join(["Pub", "notanumber"]) + B + JAVA_SUB_BEFORE + \
        A.join(["SubBefore", "1", "r", "g", "req", "id", "x", "k"]) + B
    records, bad = trace.decode(text)
    assert [type(r).__name__ for r in records] == ["SubBefore"] and len(bad) == 3


def test_trace_keys_are_msg_ids_then_keys_once_each():
    records, _ = trace.decode(JAVA_PUB + JAVA_SUB_BEFORE + CPP_SUB_AFTER)
    assert trace.trace_keys(records) == ["7F0000010A2C18B4AAC2", "k1", "k2", "MSGC", "dKey"]


_text = st.text(st.characters(blacklist_characters="\x01\x02", blacklist_categories=("Cs",)), max_size=12)
_long = st.integers(min_value=0, max_value=2**63 - 1)
_int = st.integers(min_value=-2**31, max_value=2**31 - 1)


@st.composite
def _pub(draw):
    client_host = draw(st.none() | _text)
    offset = draw(_text) if client_host is not None else draw(st.none() | _text)
    return trace.Pub(draw(_long), draw(_text), draw(_text), draw(_text), draw(_text), draw(_text), draw(_text),
                     draw(_text), draw(_int), draw(_int), draw(st.integers(0, 3)), offset, draw(st.booleans()),
                     client_host)


@st.composite
def _sub_after(draw):
    form = draw(st.sampled_from(["java", "cloud", "cpp"]))
    code = None if form == "cpp" else draw(_int)
    ts, group = (draw(_long), draw(_text)) if form == "java" else (None, None)
    return trace.SubAfter(draw(_text), draw(_text), draw(_int), draw(st.booleans()), draw(_text), code, ts, group)


_records = st.lists(st.one_of(
    _pub(), _sub_after(),
    st.builds(trace.SubBefore, _long, _text, _text, _text, _text, _int, _text),
    st.builds(trace.EndTransaction, _long, _text, _text, _text, _text, _text, _text, _text, st.integers(0, 3), _text,
              st.sampled_from(["COMMIT_MESSAGE", "ROLLBACK_MESSAGE", "UNKNOW"]), st.booleans())), max_size=6)


@settings(max_examples=400)
@given(_records)
def test_round_trip(records):
    decoded, bad = trace.decode(trace.encode_all(records))
    assert bad == [] and decoded == records


def _stored(body: str, host: str = "10.1.2.3") -> m.StoredMessage:
    return m.StoredMessage(topic="RMQ_SYS_TRACE_TOPIC", body=body.encode(), born_host=(host, 5555))


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_query_output_is_apaches_layout(utc):
    msg_id = "7F0000010A2C18B4AAC2"
    other_group = A.join(["SubAfter", "REQ9", msg_id, "12", "false", "k1 k2", "0", "1700000001000", "CID_b"]) + B
    not_ours = A.join(["Pub", "1", "r", "PID_x", "t", "OTHER", "", "", "h", "1", "1", "0", "O", "true"]) + B
    views = trace_view.views_of(msg_id, [_stored(JAVA_PUB + not_ours, "10.0.0.1"),
                                          _stored(JAVA_SUB_BEFORE + JAVA_SUB_AFTER + other_group, "10.0.0.2")])
    assert [v.kind for v in views] == ["Pub", "SubBefore", "SubAfter", "SubAfter"]
    # java.util.HashMap order of the groups: "CID_a" falls in bucket 2, "CID_b" in 3
    assert trace_view.render(views) == (
        "#Type      #ProducerGroup       #ClientHost          #SendTime            #CostTimes #Status   \n"
        "Pub        PID_a                10.0.0.1             2023-11-14 22:13:20  4ms        success   \n"
        "\n"
        "#Type      #ConsumerGroup       #ClientHost          #ConsumerTime        #CostTimes #Status   \n"
        "Sub        CID_a                10.0.0.2             2023-11-14 22:13:20  3ms        success   \n"
        "\n"
        "#Type      #ConsumerGroup       #ClientHost          #ConsumerTime        #CostTimes #Status   \n"
        "Sub        CID_b                10.0.0.2             2023-11-14 22:13:21  12ms       failed    \n"
        "\n")


def test_groups_print_in_java_hashmap_order():
    groups = [f"CID_{i}" for i in range(20)]
    views = [trace_view.TraceView("SubAfter", g, "h", 0, 1, True, trace.SubAfter("r", "id", 1, True, ""))
             for g in groups]
    shown = [line.split()[1] for line in trace_view.render(views).splitlines() if line.startswith("Sub ")]
    assert shown == m.java_hashmap_order(groups) and shown != groups


def test_cpp_sub_after_takes_group_and_time_from_its_sub_before():
    before = A.join(["SubBefore", "1700000000200", "DEFAULT_REGION", "CID_c", "REQ2", "MSGC", "0", "dKey"]) + B
    views = trace_view.views_of("MSGC", [_stored(before), _stored(CPP_SUB_AFTER)], now_ms=1)
    after = [v for v in views if v.kind == "SubAfter"]
    assert [(v.group, v.timestamp, v.cost_time, v.success) for v in after] == [("CID_c", 1700000000205, 5, True)]
    # without its SubBefore, Java's defaults: empty group, the time of the query
    (alone,) = trace_view.views_of("MSGC", [_stored(CPP_SUB_AFTER)], now_ms=42)
    assert (alone.group, alone.timestamp) == ("", 42)

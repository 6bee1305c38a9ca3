"""Delayed delivery and send-back against records the Java 4.9.7 broker wrote (fixture store): the schedule
record a send-back produced, and the records the schedule service delivered, byte for byte in properties."""
from __future__ import annotations

import asyncio
import time

import pytest

from broker.processors.send import message_for_send_back, stored_properties
from broker.schedule import (SCHEDULE_TOPIC, BadDelayLevel, ScheduleMessageService, delay_level_of,
                             divert_to_schedule, time_up)
from store import message as m
from store.message_store import MessageStore
from tests.support.stores import FIXTURES, STORE_HOST, fixture_config

COMMITLOG = FIXTURES / "store" / "commitlog"
FILE_SIZE = 1048576


def java_record(offset: int) -> m.StoredMessage:
    path = COMMITLOG / f"{offset - offset % FILE_SIZE:020d}"
    data = path.read_bytes()
    pos = offset % FILE_SIZE
    return m.decode(data[pos:pos + m.decode(data, pos, with_body=False).store_size])


# (original FixtureA record, Java's schedule record for its send-back, Java's %RETRY% record after delivery)
SEND_BACKS = [(0x1E3AF, 3157449, 3165038), (0x3CC16, 3160799, 3168388), (0x5B88A, 3163187, 3170776)]


@pytest.mark.parametrize("original,scheduled,delivered", SEND_BACKS)
def test_send_back_and_delivery_write_the_properties_java_wrote(original, scheduled, delivered):
    orig = java_record(original)
    java_sched = java_record(scheduled)
    java_retry = java_record(delivered)
    assert java_sched.topic == SCHEDULE_TOPIC and java_sched.queue_id == 2

    # the consumer asked for delay level 0 -> 3 + reconsumeTimes (0) = level 3
    msg, props = message_for_send_back(orig, "%RETRY%FixtureGroup", 0, 3)
    assert divert_to_schedule(msg, props, 18)
    assert (msg.topic, msg.queue_id) == (SCHEDULE_TOPIC, 2)
    assert msg.properties == java_sched.properties
    assert msg.reconsume_times == java_sched.reconsume_times == 1
    assert (msg.body, msg.flag, msg.born_timestamp, msg.born_host) == (
        java_sched.body, java_sched.flag, java_sched.born_timestamp, java_sched.born_host)

    out = time_up(java_sched)
    assert (out.topic, out.queue_id) == ("%RETRY%FixtureGroup", 0)
    assert out.properties == java_retry.properties      # DELAY/REAL_* stay in the string, as Java writes it
    assert out.reconsume_times == java_retry.reconsume_times
    assert out.body == java_retry.body


def test_delayed_send_is_stored_as_java_stores_it():
    java_sched = java_record(1269876)    # producer sent DELAY=1 with WAIT=true: the schedule record keeps WAIT
    client = {"KEYS": "delay-0", "delayNo": "0", "TAGS": "TagDelay", "DELAY": "1", "WAIT": "true",
              "UNIQ_KEY": java_sched.props["UNIQ_KEY"]}
    # the client's own order does not matter to the HashMap order except within a bucket; take Java's
    props = {k: client[k] for k in java_sched.props if k in client}
    msg = m.StoredMessage(topic="FixtureA", body=java_sched.body, queue_id=0,
                          properties=stored_properties(props, "DefaultCluster"))
    assert "WAIT" not in msg.properties           # an undelayed message drops WAIT
    assert divert_to_schedule(msg, props, 18)
    assert msg.properties == java_sched.properties
    assert (msg.topic, msg.queue_id) == (SCHEDULE_TOPIC, 0)


def test_delay_level_is_capped_and_bad_levels_refused():
    msg = m.StoredMessage(topic="T", body=b"x", queue_id=3)
    props = {"DELAY": "99"}
    assert divert_to_schedule(msg, props, 18)
    assert msg.queue_id == 17 and msg.props["DELAY"] == "18" and msg.props["REAL_QID"] == "3"
    for raw, level in [("0", 0), ("-2", -2), ("+4", 4)]:
        assert delay_level_of({"DELAY": raw}) == level
    for bad in ["", "x", "1.5", " 3", "99999999999"]:
        with pytest.raises(BadDelayLevel):
            delay_level_of({"DELAY": bad})
    plain = m.StoredMessage(topic="T", body=b"x")
    assert not divert_to_schedule(plain, {"DELAY": "0"}, 18) and plain.topic == "T"
    half = m.StoredMessage(topic="T", body=b"x", sys_flag=m.TRANSACTION_PREPARED_TYPE)
    assert not divert_to_schedule(half, {"DELAY": "2"}, 18)


def test_dead_letter_send_back_keeps_delay_zero_and_origin_id():
    orig = java_record(0x1E3AF)
    msg, props = message_for_send_back(orig, "%DLQ%FixtureGroup", 0, 0)
    assert not divert_to_schedule(msg, props, 18)
    p = msg.props
    assert msg.topic == "%DLQ%FixtureGroup" and p["DELAY"] == "0" and p["RETRY_TOPIC"] == "FixtureA"
    assert p["ORIGIN_MESSAGE_ID"] == m.offset_msg_id(orig.store_host, 0x1E3AF)
    again, _ = message_for_send_back(java_record(3165038), "%RETRY%FixtureGroup", 0, 4)
    assert again.props["ORIGIN_MESSAGE_ID"] == p["ORIGIN_MESSAGE_ID"]   # the first id is kept
    assert again.props["RETRY_TOPIC"] == "FixtureA" and again.reconsume_times == 2


async def test_schedule_service_delivers_when_due_and_persists_offsets(tmp_path):
    cfg = fixture_config(tmp_path)
    cfg.flushDiskType = "ASYNC_FLUSH"
    store = MessageStore(cfg, STORE_HOST)
    store.load()
    store.start()
    jobs = []
    svc = ScheduleMessageService(store, str(tmp_path), jobs.append)
    svc.load()
    svc.start()
    arrived: asyncio.Queue = asyncio.Queue()
    store.listeners.append(lambda req: req.topic == "Real" and arrived.put_nowait((req, time.monotonic())))
    try:
        sent = time.monotonic()
        for i, level in enumerate([1, 2, 1]):
            msg = m.StoredMessage(topic="Real", body=f"m{i}".encode(), queue_id=i)
            props = {"DELAY": str(level), "KEYS": f"k{i}"}
            msg.properties = m.properties_to_string(props)
            assert divert_to_schedule(msg, props, svc.max_level)
            assert store.put_message(msg).ok
        got = [await asyncio.wait_for(arrived.get(), 10) for _ in range(3)]
        by_queue = {req.queue_id: t - sent for req, t in got}
        assert 0.9 <= by_queue[0] < 2.0 and 0.9 <= by_queue[2] < 2.0 and 1.9 <= by_queue[1] < 3.5
        assert [req.queue_id for req, _ in got] == [0, 2, 1]
        assert store.max_offset_in_queue(SCHEDULE_TOPIC, 0) == 2
        assert svc.offsets == {1: 2, 2: 1}
        assert svc.running_stats() == {"scheduleMessageOffset_1": "2,2", "scheduleMessageOffset_2": "1,1"}
    finally:
        await svc.stop()
        await store.shutdown()
    for job in jobs:
        job()
    assert (tmp_path / "config" / "delayOffset.json").read_text() == '{\n\t"offsetTable":{1:2,2:1\n\t}\n}'
    # a restart resumes from the persisted offsets: nothing is delivered twice
    store = MessageStore(cfg, STORE_HOST)
    store.load()
    svc = ScheduleMessageService(store, str(tmp_path), jobs.append)
    svc.load()
    assert svc.offsets == {1: 2, 2: 1}
    store.close(clean=True)

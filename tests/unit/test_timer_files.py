"""The 5.x timer's files and arithmetic: timerwheel slots, timerlog units (blank record at a file's end,
recovery of a torn tail), config/timercheck, the roll placement and the send hook's validation."""
from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.timer_hook import TimerRefused, deliver_ms_of, divert_to_timer
from remoting.codes import ResponseCode
from store import message as m
from store.config import MessageStoreConfig
from store.timer import convert as c
from store.timer.checkpoint import FIELDS, TimerCheckpoint, decode, encode
from store.timer.log import (BLANK_MAGIC_CODE, MAGIC_DEFAULT, MAGIC_ROLL, MIN_BLANK_LEN, UNIT_SIZE, TimerLog,
                             decode_unit, encode_unit)
from store.timer.service import placement, precision_of, roll_window_slots
from store.timer.wheel import EMPTY, SLOT_SIZE, SLOTS_TOTAL, TimerWheel, WheelLengthError

NOW = 1_800_000_000_123


# ---------------------------------------------------------------- wheel
def test_wheel_file_is_two_turns_of_a_week_of_32_byte_slots(tmp_path):
    w = TimerWheel(str(tmp_path / "timerwheel"), 1000)
    assert SLOT_SIZE == 32 and SLOTS_TOTAL == 7 * 86400
    assert os.path.getsize(tmp_path / "timerwheel") == 7 * 86400 * 2 * 32
    w.put_slot(NOW, 52, 104, 2, 0)
    raw = (tmp_path / "timerwheel").read_bytes()[w.slot_index(NOW) * 32:][:32]
    # delayed time is stored in precision units (seconds), as 5.x writes it
    assert struct.unpack(">qqqii", raw) == (NOW // 1000, 52, 104, 2, 0)
    assert w.get_slot(NOW + 500) == (NOW // 1000 * 1000, 52, 104, 2, 0)
    w.close()
    (tmp_path / "bad").write_bytes(b"\0" * 64)
    with pytest.raises(WheelLengthError):
        TimerWheel(str(tmp_path / "bad"), 1000)


@given(st.integers(min_value=0, max_value=2**40), st.sampled_from([100, 200, 500, 1000]))
@settings(max_examples=200, deadline=None)
def test_slot_index_wraps_every_two_weeks_of_ticks(t, precision):
    w = TimerWheel.__new__(TimerWheel)
    w.precision_ms, w.slots_total = precision, SLOTS_TOTAL
    i = w.slot_index(t)
    assert 0 <= i < 2 * SLOTS_TOTAL
    assert w.slot_index(t + 2 * SLOTS_TOTAL * precision) == i
    assert w.slot_index(t - t % precision) == i


def test_a_slot_of_an_older_turn_is_empty_and_revise_links_new_units(tmp_path):
    w = TimerWheel(str(tmp_path / "timerwheel"), 1000)
    w.put_slot(NOW, 0, 0, 1)
    later_turn = NOW + 2 * SLOTS_TOTAL * 1000
    assert w.slot_index(later_turn) == w.slot_index(NOW) and w.get_slot(later_turn) is EMPTY
    w.revise_slot(NOW, 520)                    # a unit past the slot's last: it becomes the last
    assert w.get_slot(NOW)[1:4] == (0, 520, 2)
    w.revise_slot(NOW, 52)                     # already linked: unchanged
    assert w.get_slot(NOW)[1:4] == (0, 520, 2)
    w.revise_slot(later_turn, 1040)
    assert w.get_slot(later_turn)[1:4] == (1040, 1040, 1)
    w.put_slot(NOW + 5000, 1, 1, 3)
    assert w.count_from(NOW - 1000) == 3       # NOW's slot now holds later_turn, two weeks past the window
    assert w.count_from(NOW + 6000) == 1
    w.close()


# ---------------------------------------------------------------- log
@given(prev=st.integers(-1, 2**50), magic=st.sampled_from([1, 3, 5, 7]), enq=st.integers(0, 2**45),
       delta=st.integers(0, 2**31 - 1), off=st.integers(0, 2**50), size=st.integers(1, 2**31 - 1),
       th=st.integers(-2**31, 2**31 - 1))
def test_unit_codec_round_trips(prev, magic, enq, delta, off, size, th):
    raw = encode_unit(prev, magic, enq, enq + delta, off, size, th)
    assert len(raw) == UNIT_SIZE == 52
    assert decode_unit(raw) == (prev, magic, enq, enq + delta, off, size, th)
    assert struct.unpack_from(">i", raw, 0)[0] == 52 and raw[-8:] == bytes(8)   # size first, reserved last


def test_blank_magic_is_javas_int_expression():
    # Java: 0xBBCCDDEE ^ 1880681586 + 8  (+ binds tighter than ^), as a signed int
    v = (0xBBCCDDEE ^ (1880681586 + 8)) & 0xFFFFFFFF
    assert BLANK_MAGIC_CODE == (v - 2**32 if v >= 2**31 else v)
    assert decode_unit(struct.pack(">iqi", 52, 0, BLANK_MAGIC_CODE) + bytes(40)) is None


def test_log_rolls_to_a_new_file_after_a_blank_record_and_recovers_a_torn_tail(tmp_path):
    size = UNIT_SIZE * 3 + MIN_BLANK_LEN + 10      # three units, then no room for a fourth plus a blank
    lg = TimerLog(str(tmp_path / "timerlog"), size)
    lg.load()
    positions = [lg.append(encode_unit(-1, MAGIC_DEFAULT, NOW, NOW + i, i, 100, 0)) for i in range(5)]
    assert positions == [0, 52, 104, size, size + 52]
    first = (tmp_path / "timerlog" / f"{0:020d}").read_bytes()
    assert struct.unpack_from(">iqi", first, 156) == (size - 156, 0, BLANK_MAGIC_CODE)
    assert sorted(os.listdir(tmp_path / "timerlog")) == [f"{0:020d}", f"{size:020d}"]
    # a torn unit after the last whole one
    mf = lg.queue.last()
    mf.write_at(104, encode_unit(-1, MAGIC_DEFAULT, NOW, NOW, 9, 9, 0)[:30])
    lg.close()
    again = TimerLog(str(tmp_path / "timerlog"), size)
    again.load()
    end, found = again.recover(0)
    assert end == size + 104
    assert [p for p, _t in found] == positions
    assert again.append(encode_unit(-1, MAGIC_DEFAULT, NOW, NOW, 7, 7, 0)) == size + 104
    end2, found2 = again.recover(size + 52)         # from a checkpointed position: only the units after it
    assert end2 == size + 156 and [p for p, _t in found2] == [size + 52, size + 104]
    again.close()


# ---------------------------------------------------------------- checkpoint
def test_checkpoint_is_seven_big_endian_longs_in_a_page(tmp_path):
    path = tmp_path / "config" / "timercheck"
    cp = TimerCheckpoint(str(path))
    assert not cp.existed
    cp.last_read_time_ms, cp.last_timer_log_flush_pos, cp.last_timer_queue_offset = NOW, 520, 7
    cp.master_timer_queue_offset = 7
    cp.next_version(NOW)
    cp.flush()
    cp.close()
    raw = path.read_bytes()
    assert len(raw) == 4096 and FIELDS.unpack_from(raw) == (NOW, 520, 7, 7, 0, NOW, 1)
    again = TimerCheckpoint(str(path))
    assert again.existed and again.values() == (NOW, 520, 7, 7, 0, NOW, 1)
    assert decode(encode(again.values())) == again.values() and len(encode(again.values())) == 56
    assert decode(encode(again.values())[:32]) == (NOW, 520, 7, 7, 0, 0, 0)   # the pre-DataVersion form
    again.close()


# ---------------------------------------------------------------- roll and precision
@given(ahead=st.integers(0, 40 * 86400 * 1000), window=st.integers(2, 3600 * 24 * 2))
def test_placement_never_later_than_due_and_rolls_only_beyond_the_window(ahead, window):
    write = NOW // 1000 * 1000
    at, roll = placement(write + ahead, write, window, 1000)
    assert at <= write + ahead
    assert roll == (ahead >= window * 1000)
    if roll:
        assert write < at <= write + window * 1000      # parked inside the wheel's window
    else:
        assert at == write + ahead


def test_roll_window_and_precision_follow_5x_setters():
    assert roll_window_slots(3600 * 24 * 2) == 172800
    assert roll_window_slots(1) == roll_window_slots(10**9) == SLOTS_TOTAL - 60
    assert [precision_of(x) for x in (50, 100, 150, 499, 500, 999, 1000, 5000)] == [100, 100, 100, 200, 500,
                                                                                    500, 1000, 1000]


# ---------------------------------------------------------------- send hook
def _msg(props: dict[str, str], topic: str = "T", queue_id: int = 3) -> m.StoredMessage:
    return m.StoredMessage(topic=topic, body=b"b", queue_id=queue_id, properties=m.properties_to_string(props))


@pytest.mark.parametrize("props,want", [
    ({"TIMER_DELAY_SEC": "10"}, NOW + 10_000),
    ({"TIMER_DELAY_MS": "2500"}, NOW + 2500),
    ({"TIMER_DELIVER_MS": str(NOW + 7000)}, NOW + 7000),
    ({"__STARTDELIVERTIME": str(NOW + 9000)}, NOW + 9000),
    # 5.x's precedence: seconds, then ms delay, then deliver time; __STARTDELIVERTIME only on its own
    ({"TIMER_DELAY_SEC": "1", "TIMER_DELAY_MS": "5", "TIMER_DELIVER_MS": "6"}, NOW + 1000),
    ({"TIMER_DELIVER_MS": str(NOW + 3000), "__STARTDELIVERTIME": str(NOW + 9000)}, NOW + 3000),
    ({"KEYS": "k"}, None),
])
def test_deliver_time_of_each_property_style(props, want):
    assert deliver_ms_of(props, NOW, MessageStoreConfig()) == want


@pytest.mark.parametrize("deliver,out", [(NOW + 5000, (NOW + 5000) // 1000 * 1000),
                                         (1_800_000_010_000, 1_800_000_009_000)])   # exactly on a tick: one less
def test_timer_message_goes_to_the_wheel_topic_with_timer_out_ms(deliver, out):
    props = {"TIMER_DELIVER_MS": str(deliver), "UNIQ_KEY": "U1"}
    msg = _msg(props)
    assert divert_to_timer(msg, props, MessageStoreConfig(), NOW, None)
    assert (msg.topic, msg.queue_id) == (c.TIMER_TOPIC, 0)
    stored = msg.props
    assert stored["TIMER_OUT_MS"] == str(out) and stored["REAL_TOPIC"] == "T" and stored["REAL_QID"] == "3"
    assert list(stored) == list(m.reorder_properties_like_java(stored))      # Java's HashMap order


def test_past_time_and_plain_messages_stay_in_their_topic():
    for props in ({"TIMER_DELIVER_MS": str(NOW - 1)}, {"__STARTDELIVERTIME": "0"}, {"TIMER_DELAY_SEC": "0"}, {}):
        msg = _msg(props)
        assert not divert_to_timer(msg, dict(props), MessageStoreConfig(), NOW, None)
        assert msg.topic == "T"


def test_delay_level_wins_and_drops_the_timer_properties():
    props = {"DELAY": "2", "TIMER_DELAY_SEC": "100", "TIMER_DELIVER_MS": "5", "TIMER_DELAY_MS": "7", "KEYS": "k"}
    assert not divert_to_timer(_msg(props), props, MessageStoreConfig(), NOW, None)
    assert props == {"DELAY": "2", "KEYS": "k"}


ILLEGAL = ("timer message illegal, the delay time should not be bigger than the max delay 259200000ms; or if set "
           "del msg, the delay time should be bigger than the current time")


@pytest.mark.parametrize("props", [{"TIMER_DELIVER_MS": "soon"}, {"TIMER_DELAY_SEC": "1.5"}, {"TIMER_DELAY_MS": ""},
                                   {"TIMER_DELAY_SEC": "-5"}, {"TIMER_DELIVER_MS": "-1"}, {"__STARTDELIVERTIME": "x"},
                                   {"TIMER_DELAY_SEC": " 5"}, {"TIMER_DELAY_SEC": str(41 * 86400)},
                                   {"TIMER_DELIVER_MS": str(NOW + 3 * 86400_000 + 1)},
                                   {"TIMER_DELAY_SEC": "99999999999999999999"}])
def test_illegal_timer_properties_are_refused_with_the_5x_code_and_remark(props):
    with pytest.raises(TimerRefused) as e:
        divert_to_timer(_msg(props), dict(props), MessageStoreConfig(), NOW, None)
    assert (e.value.code, e.value.remark) == (ResponseCode.MESSAGE_ILLEGAL, ILLEGAL)


def test_max_delay_is_configurable_and_disabled_wheel_refuses():
    forty = MessageStoreConfig(timerMaxDelaySec=40 * 86400)
    props = {"TIMER_DELAY_SEC": str(40 * 86400)}
    assert divert_to_timer(_msg(props), props, forty, NOW, None)
    with pytest.raises(TimerRefused) as e:
        divert_to_timer(_msg({"TIMER_DELAY_SEC": "1"}), {"TIMER_DELAY_SEC": "1"},
                        MessageStoreConfig(timerWheelEnable=False), NOW, None)
    assert (e.value.code, e.value.remark) == (ResponseCode.SYSTEM_ERROR,
                                              "accurate timer message is not enabled, timerWheelEnable is false")
    # a message timed once (TIMER_OUT_MS present) or already in the timer topic is not timed again
    props = {"TIMER_DELAY_SEC": "5", "TIMER_OUT_MS": "1"}
    assert not divert_to_timer(_msg(props), props, MessageStoreConfig(), NOW, None)
    props = {"TIMER_DELAY_SEC": "5"}
    assert not divert_to_timer(_msg(props, topic=c.TIMER_TOPIC), props, MessageStoreConfig(), NOW, None)


def test_leading_log_files_go_once_their_messages_left_the_commit_log(tmp_path):
    size = UNIT_SIZE * 3 + MIN_BLANK_LEN + 10
    lg = TimerLog(str(tmp_path / "timerlog"), size)
    lg.load()
    for i in range(8):                               # files of 3 units: commit-log offsets 0..7 * 100
        lg.append(encode_unit(-1, MAGIC_DEFAULT, NOW, NOW, i * 100, 100, 0))
    assert lg.last_unit_position() == 104 and len(lg.queue.files) == 3
    assert lg.detach_expired(200) == []              # the first file's last unit points at 200: still there
    gone = lg.detach_expired(201)
    assert [mf.file_from_offset for mf in gone] == [0]
    assert [mf.file_from_offset for mf in lg.detach_expired(10**9)] == [size]   # never the last file
    assert [mf.file_from_offset for mf in lg.queue.files] == [2 * size]
    for mf in gone:
        mf.destroy()
    lg.close()


@pytest.mark.parametrize("born,store_host", [(("10.0.0.1", 5), ("127.0.0.1", 10911)), (("::1", 5), ("fe80::2", 7))])
def test_properties_read_straight_from_a_record(born, store_host):
    props = {"TIMER_OUT_MS": "1800000000000", "REAL_TOPIC": "Topic-é", "TAGS": "a", "XTIMER_OUT_MS": "9"}
    msg = m.StoredMessage(topic="rmq_sys_wheel_timer", body=b"\x02TIMER_OUT_MS\x015\x02" * 30,
                          properties=m.properties_to_string(props), born_host=born,
                          sys_flag=m.host_flags(born, store_host))
    msg.store_host = store_host
    raw = bytes(8) + bytes(m.encode(msg))
    text = c.record_properties(raw, 8)
    assert text == msg.properties
    assert c.property_of(text, "TIMER_OUT_MS") == "1800000000000" and c.property_of(text, "REAL_TOPIC") == "Topic-é"
    assert c.property_of(text, "TIMER_DEL_UNIQKEY") is None and c.property_of(text, "OUT_MS") is None

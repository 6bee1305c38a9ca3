"""Broker statistics: StatsItem windows (minute / hour / day) on an injected clock, BrokerStatsManager's keys
and hot-path counters, StoreStatsService's TPS / latency figures and Java number formats, the daily totals."""
from __future__ import annotations

import datetime

import pytest

from broker.stats.items import StatsItem, compute
from broker.stats.manager import (BROKER_GET_NUMS, BROKER_PUT_NUMS, GROUP_GET_LATENCY, GROUP_GET_NUMS,
                                  GROUP_GET_SIZE, SNDBCK_PUT_NUMS, STATS_NAMES, TOPIC_PUT_NUMS, TOPIC_PUT_SIZE,
                                  BrokerStatsManager, DailyTotals, seconds_to_next_morning)
from store.stats_service import StoreStatsService, human_bytes, java_double


# ------------------------------------------------------------------ StatsItem windows
def test_minute_window_is_the_last_six_ten_second_steps():
    it = StatsItem("TOPIC_PUT_NUMS", "T")
    t = 1_000_000
    it.sample_seconds(t)                     # seeds (t-10s, 0, 0) then (t, 0, 0)
    assert it.minute == [(t - 10_000, 0, 0), (t, 0, 0)]
    for step in range(1, 10):                # 10 messages in 2 calls per 10 s
        it.value += 10
        it.times += 2
        it.sample_seconds(t + step * 10_000)
    assert len(it.minute) == 7               # one minute kept: the first 3 samples are gone
    snap = it.in_minute()
    assert snap.sum == 60 and snap.times == 12       # 6 steps of 10 messages
    assert snap.tps == pytest.approx(1.0)            # 60 over 60 s
    assert snap.avgpt == pytest.approx(5.0)          # 60 messages / 12 calls


def test_hour_and_day_windows_sample_on_their_own_periods():
    it = StatsItem("GROUP_GET_NUMS", "T@G")
    t = 5_000_000_000
    it.sample_minutes(t)
    it.sample_hour(t)
    it.value, it.times = 600, 3
    it.sample_minutes(t + 600_000)
    hour = it.in_hour()
    # over the 20 min from the seed (10 min before the first sample) to now
    assert (hour.sum, hour.times) == (600, 3) and hour.tps == pytest.approx(600 / 1200) and hour.avgpt == 200
    # the day list still only has the seed and the first sample: nothing in it yet
    assert it.in_day().sum == 0
    for h in range(1, 30):
        it.value += 3600
        it.sample_hour(t + h * 3_600_000)
    assert len(it.day) == 25
    day = it.in_day()
    assert day.sum == 24 * 3600 and day.tps == pytest.approx(1.0)


def test_seeded_window_counts_from_the_first_sample_and_empty_is_zero():
    assert compute([]).tps == 0.0 and compute([]).sum == 0
    it = StatsItem("X", "k")
    it.value, it.times = 50, 5     # counted before the first sample: the seed is a zero one period earlier
    it.sample_seconds(100_000)
    snap = it.in_minute()
    assert (snap.sum, snap.tps, snap.avgpt) == (50, 5.0, 10.0)
    assert snap.to_json() == {"avgpt": 10.0, "sum": 50, "tps": 5.0}


# ------------------------------------------------------------------ BrokerStatsManager
def test_manager_keys_and_counts_like_java():
    m = BrokerStatsManager("DefaultCluster", clock=lambda: 0)
    assert set(STATS_NAMES) >= {TOPIC_PUT_NUMS, TOPIC_PUT_SIZE, GROUP_GET_NUMS, GROUP_GET_SIZE, SNDBCK_PUT_NUMS,
                                BROKER_PUT_NUMS, BROKER_GET_NUMS, GROUP_GET_LATENCY, "GROUP_GET_FROM_DISK_NUMS",
                                "COMMERCIAL_SEND_TIMES"}
    assert m.item(BROKER_PUT_NUMS, "DefaultCluster") is None       # created by the first put, as Java
    m.put("T", 1, 100)
    m.put("T", 3, 300)               # a batch of 3: one call
    m.put("U", 1, 10)
    m.got("T", "G", 4, 400, 2)
    m.got("T", "G", 0, 0, 0)
    m.sent_back("G", "T", "SCHEDULE_TOPIC_XXXX", 120)
    m.sent_back("G", "T", "%DLQ%G", 120)
    assert (m.item(TOPIC_PUT_NUMS, "T").value, m.item(TOPIC_PUT_NUMS, "T").times) == (4, 2)
    assert (m.item(TOPIC_PUT_SIZE, "T").value, m.item(TOPIC_PUT_SIZE, "T").times) == (400, 2)
    broker_put = m.item(BROKER_PUT_NUMS, "DefaultCluster")
    assert (broker_put.value, broker_put.times) == (5, 0)            # incBrokerPutNums adds no call count
    assert m.item(GROUP_GET_NUMS, "T@G").value == 4 and m.item(GROUP_GET_NUMS, "T@G").times == 2
    assert m.item(GROUP_GET_SIZE, "T@G").value == 400
    assert (m.item(GROUP_GET_LATENCY, "T@G").value, m.item(GROUP_GET_LATENCY, "T@G").times) == (2, 2)
    assert m.item(BROKER_GET_NUMS, "DefaultCluster").value == 4
    assert m.item(SNDBCK_PUT_NUMS, "T@G").value == 2
    # a retry stored in the schedule topic is a put to it; the DLQ one is not counted there
    assert m.item(TOPIC_PUT_NUMS, "SCHEDULE_TOPIC_XXXX").value == 1
    assert m.item(TOPIC_PUT_NUMS, "%DLQ%G") is None
    assert m.item("NO_SUCH_NAME", "T") is None and m.item(TOPIC_PUT_NUMS, "nope") is None


def test_topic_and_group_deletion_drop_items_and_hot_path_caches():
    m = BrokerStatsManager("C")
    m.put("T", 1, 1)
    m.got("T", "G", 1, 1, 0)
    m.got("T2", "G", 1, 1, 0)
    m.on_topic_deleted("T")
    assert m.item(TOPIC_PUT_NUMS, "T") is None and m.item(GROUP_GET_NUMS, "T@G") is None
    assert m.item(GROUP_GET_NUMS, "T2@G") is not None
    m.put("T", 2, 2)                  # counted again from zero (the cached item went with the topic)
    assert m.item(TOPIC_PUT_NUMS, "T").value == 2
    m.on_group_deleted("G")
    assert m.item(GROUP_GET_NUMS, "T2@G") is None
    m.got("T2", "G", 5, 5, 0)
    assert m.item(GROUP_GET_NUMS, "T2@G").value == 5


def test_manager_samples_every_set():
    t = [1_000_000]
    m = BrokerStatsManager("C", clock=lambda: t[0])
    m.put("T", 7, 70)
    m.sample_seconds()
    t[0] += 10_000
    m.put("T", 3, 30)
    m.sample_seconds()
    snap = m.item(TOPIC_PUT_NUMS, "T").in_minute()
    assert snap.sum == 10 and snap.tps == pytest.approx(10 / 20)     # seed 10 s before the first sample
    assert m.item(TOPIC_PUT_SIZE, "T").in_minute().sum == 100


# ------------------------------------------------------------------ StoreStatsService
def _stats() -> dict:
    return {"put_messages": 0, "put_bytes": 0, "put_failed": 0, "get_messages": 0, "get_bytes": 0,
            "get_calls": 0, "get_found": 0}


def test_store_tps_windows_are_10s_1min_10min():
    st = _stats()
    svc = StoreStatsService(st, clock=lambda: 0)
    assert svc.runtime_info()["putTps"] == "  "          # fewer than two samples: empty tokens, as Java
    for sec in range(0, 601):
        st["put_messages"] = sec * 100 if sec <= 590 else 59_000 + (sec - 590) * 1000   # a burst at the end
        st["get_calls"] += 2
        st["get_found"] += 1
        st["get_messages"] += 5
        svc.sample(sec * 1000)
    info = svc.runtime_info()
    tps = [float(x) for x in info["putTps"].split()]
    assert tps[0] == pytest.approx(1000.0)                # the last 10 s: the burst
    assert tps[1] == pytest.approx((69_000 - 54_000) / 60)  # from the sample of second 540
    assert tps[2] == pytest.approx(69_000 / 600)
    assert info["getFoundTps"].split()[0] == "1.0" and info["getMissTps"].split()[0] == "1.0"
    assert info["getTotalTps"].split()[0] == "2.0" and info["getTransferedTps"].split()[0] == "5.0"


def test_young_store_reports_its_rate_from_the_oldest_sample():
    st = _stats()
    svc = StoreStatsService(st, clock=lambda: 0)
    svc.sample(0)
    st["put_messages"] = 500
    svc.sample(2000)
    assert svc.runtime_info()["putTps"] == "250.0 250.0 250.0"


def test_latency_distribution_and_percentiles_of_the_last_minute():
    st = _stats()
    svc = StoreStatsService(st, clock=lambda: 0)
    info = svc.runtime_info()
    assert info["putMessageDistributeTime"] == "null" and info["putLatency99"] == "0.00"
    assert info["putMessageTimesTotal"] == "1"             # Java's 1 for no put at all
    lat = svc.put_latency
    lat[0] += 900           # the common case: under a millisecond
    lat[5] += 90
    lat[120] += 9
    lat[10_001] += 1        # over 10 s
    svc.roll_minute(61_000)
    assert svc.distribution() == [900, 90, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1]
    assert svc.distribution_text() == ("[<=0ms]:900 [0~10ms]:90 [10~50ms]:0 [50~100ms]:0 [100~200ms]:9 "
                                       "[200~500ms]:0 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 "
                                       "[5~10s]:0 [10s~]:1 ")
    # p99: index 990 of 1000 lands at the end of the 5 ms bucket (4..5 ms holds requests 900..990)
    assert svc.percentile(0.99) == pytest.approx(5.0)
    # p99.9: index 999 is the last of the 9 in the (110, 120] bucket
    assert svc.percentile(0.999) == pytest.approx(120.0)
    assert svc.put_latency == [0] * len(svc.put_latency)      # a new minute started


def test_runtime_text_and_java_formats():
    svc = StoreStatsService(_stats(), clock=lambda: 0)
    assert svc.runtime(((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000) == "[ 2 days, 3 hours, 4 minutes, 5 seconds ]"
    assert [java_double(x) for x in (0.0, 3.0, 0.5, 1234.5678, 1e7, 12345678.9, 0.0001)] == \
        ["0.0", "3.0", "0.5", "1234.5678", "1.0E7", "1.23456789E7", "1.0E-4"]
    assert [human_bytes(n) for n in (0, 1023, 1024, 1536, 5 * 2**30)] == ["0 B", "1023 B", "1.0 KiB", "1.5 KiB",
                                                                          "5.0 GiB"]


# ------------------------------------------------------------------ daily totals
def test_daily_totals_shift_at_each_midnight():
    st = _stats()
    d = DailyTotals(st)
    st["put_messages"], st["get_messages"] = 100, 40
    assert d.runtime_info()["msgPutTotalTodayNow"] == "100" and d.runtime_info()["msgPutTotalTodayMorning"] == "0"
    d.record()                               # first midnight
    st["put_messages"], st["get_messages"] = 250, 90
    d.record()                               # second midnight
    st["put_messages"] = 300
    assert d.runtime_info() == {"msgPutTotalYesterdayMorning": "100", "msgPutTotalTodayMorning": "250",
                                "msgPutTotalTodayNow": "300", "msgGetTotalYesterdayMorning": "40",
                                "msgGetTotalTodayMorning": "90", "msgGetTotalTodayNow": "90"}


def test_next_morning_is_the_next_local_midnight():
    assert seconds_to_next_morning(datetime.datetime(2026, 11, 30, 23, 59, 30)) == 30
    assert seconds_to_next_morning(datetime.datetime(2026, 11, 30, 0, 0, 0)) == 86400


def test_broker_totals_are_sums_that_survive_deletions_and_skip_send_back_puts():
    m = BrokerStatsManager("C")
    m.put("A", 3, 30)
    m.put("B", 2, 20)
    m.sent_back("G", "A", "SCHEDULE_TOPIC_XXXX", 50)      # a topic put of the schedule topic, not a broker put
    m.got("A", "G", 4, 40, 1)
    m.got("B", "H", 1, 10, 1)
    put_total, get_total = m.item(BROKER_PUT_NUMS, "C"), m.item(BROKER_GET_NUMS, "C")
    assert (put_total.value, get_total.value) == (5, 5)
    m.on_topic_deleted("A")
    m.on_group_deleted("H")
    m.put("A", 1, 10)
    assert (put_total.value, get_total.value, put_total.times) == (6, 5, 0)
    put_total.sample_seconds(10_000)
    assert put_total.in_minute().sum == 6
    # the counters the compiled send / pull paths add to directly are the items' own
    m.topic_put["A"][0] += 2
    assert m.item(TOPIC_PUT_NUMS, "A").value == 3 and put_total.value == 8

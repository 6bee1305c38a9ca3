"""Overload protection (broker/fast_failure): which SYSTEM_BUSY answer a send gets and when, the remarks
byte for byte as Java 4.9.7 writes them, the tick on a fake loop, and a refused send storing nothing."""
from __future__ import annotations

import asyncio
import threading

import pytest

from broker import fast_failure as ff
from broker.config import BrokerConfig
from broker.fast_failure import FastFailure, deadline_after, page_cache_busy, verdict
from broker.processors import send as send_module
from broker.processors.send import SendProcessor
from broker.subscription_group import SubscriptionGroupManager
from broker.topic_config import TopicConfigManager
from remoting.codes import FLAG_ONEWAY, FLAG_RESPONSE, RequestCode, ResponseCode
from remoting.command import RemotingCommand, SerializeType
from store.config import MessageStoreConfig
from tests.support.stores import STORE_HOST, open_store, small_config

LIMITS = dict(wait_ms=200, capacity=10000, pc_busy_ms=1000)


def test_java_defaults_and_config_names():
    b, s = BrokerConfig(), MessageStoreConfig()
    assert (b.brokerFastFailureEnable, b.waitTimeMillsInSendQueue, b.sendThreadPoolQueueCapacity,
            s.osPageCacheBusyTimeOutMills) == (True, 200, 10000, 1000)
    f = FastFailure.from_config(BrokerConfig(waitTimeMillsInSendQueue=7, sendThreadPoolQueueCapacity=3,
                                             brokerFastFailureEnable=False),
                                MessageStoreConfig(osPageCacheBusyTimeOutMills=9))
    assert (f.enabled, f.wait_ms, f.capacity, f.pc_busy_ms) == (False, 7, 3, 9)


def test_remarks_are_javas():
    assert ff.REJECT_REQUEST == "[REJECTREQUEST]system busy, start flow control for a while"
    assert ff.OVERLOAD == "[OVERLOAD]system busy, start flow control for a while"
    assert verdict(250.7, 3, rejecting=False, enabled=True, **LIMITS) == (
        "TIMEOUT_CLEAN_QUEUE", "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, "
                               "period in queue: 251ms, size of queue: 3")
    assert verdict(1500, 0, rejecting=False, enabled=True, **LIMITS) == (
        "PCBUSY_CLEAN_QUEUE", "[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while, "
                              "period in queue: 1500ms, size of queue: 0")


@pytest.mark.parametrize("behind, pending, rejecting, enabled, kind", [
    (0, 0, False, True, None),                     # on time, nothing pending: handled
    (199.9, 10000, False, True, None),             # just under both limits
    (200, 0, False, True, "TIMEOUT_CLEAN_QUEUE"),  # Java: behind >= waitTimeMillsInSendQueue
    (999, 0, False, True, "TIMEOUT_CLEAN_QUEUE"),
    (1000, 0, False, True, "PCBUSY_CLEAN_QUEUE"),  # waited through a page-cache stall
    (5000, 0, False, False, None),                 # brokerFastFailureEnable=false: no queue cleaning ...
    (0, 10001, False, False, "OVERLOAD"),          # ... but the bounded queue still overflows
    (5000, 10001, False, True, "OVERLOAD"),        # a full queue refuses before the cleaner would
    (0, 0, True, False, "REJECTREQUEST"),          # rejectRequest: page cache busy, whatever the switch
    (5000, 10001, True, True, "REJECTREQUEST"),    # and first of all
])
def test_verdict_table(behind, pending, rejecting, enabled, kind):
    got = verdict(behind, pending, rejecting=rejecting, enabled=enabled, **LIMITS)
    assert (got[0] if got else None) == kind


def test_deadline_and_page_cache_busy():
    assert deadline_after(10.0, rejecting=False, enabled=True, wait_ms=200) == pytest.approx(10.2)
    assert deadline_after(10.0, rejecting=False, enabled=False, wait_ms=200) == float("inf")
    assert deadline_after(10.0, rejecting=True, enabled=False, wait_ms=200) == float("-inf")
    assert not page_cache_busy(1000, 1000) and page_cache_busy(1000.5, 1000)


class FakeConn:
    def __init__(self):
        self.sent: list[RemotingCommand] = []
        self.remote_addr = "127.0.0.1:5555"

    def send(self, cmd):
        self.sent.append(cmd)
        return True


class FakeLoop:
    def __init__(self):
        self.timers = []

    def call_later(self, delay, cb):
        self.timers.append((delay, cb))
        return self

    def cancel(self):
        pass


T0 = 1e9    # the fake monotonic clock starts past any real one: only the patched clocks can fire the checks


class Clock:
    def __init__(self):
        self.now = T0

    def monotonic(self):
        return self.now

    def time(self):
        return 1.7e9 + self.now - T0


@pytest.fixture
def ticking(monkeypatch):
    clock, loop = Clock(), FakeLoop()
    monkeypatch.setattr(ff, "time", clock)
    monkeypatch.setattr(send_module, "time", clock)     # the send path's own clock read
    monkeypatch.setattr(ff.asyncio, "get_running_loop", lambda: loop)
    f = FastFailure(wait_ms=50, capacity=2, pc_busy_ms=300)
    f.start()
    return f, clock, loop


def fire(loop):
    _delay, cb = loop.timers.pop()
    cb()


def test_tick_moves_the_deadline_and_a_stall_rejects_the_next_round(ticking):
    f, clock, loop = ticking
    assert f.due - T0 == pytest.approx(0.010) and f.deadline - T0 == pytest.approx(0.060)
    assert not f.busy()
    clock.now = T0 + 0.061                           # the loop is 51 ms past the tick: sends waited that long
    assert f.busy() and f.refuse(FakeConn(), RemotingCommand(code=RequestCode.SEND_MESSAGE_V2, opaque=1))
    assert f.refused["TIMEOUT_CLEAN_QUEUE"] == 1
    clock.now = T0 + 0.5                             # 490 ms past: a stall, PCBUSY for what it read meanwhile
    conn = FakeConn()
    f.refuse(conn, RemotingCommand(code=RequestCode.SEND_MESSAGE, opaque=2))
    assert conn.sent[0].remark.startswith("[PCBUSY_CLEAN_QUEUE]") and "period in queue: 490ms" in conn.sent[0].remark
    fire(loop)                                       # the late tick: the next round is refused outright
    assert f.rejecting and f.busy()
    f.refuse(conn, RemotingCommand(code=RequestCode.SEND_MESSAGE, opaque=3))
    assert conn.sent[1].remark == ff.REJECT_REQUEST
    clock.now = T0 + 0.512
    fire(loop)                                       # on time again: sends are handled
    assert not f.rejecting and not f.busy()
    f.pending = 3                                    # more in flight than sendThreadPoolQueueCapacity
    assert f.busy()
    f.refuse(conn, RemotingCommand(code=RequestCode.SEND_MESSAGE, opaque=4))
    assert conn.sent[2].remark == ff.OVERLOAD
    f.stop()
    f.pending = 0
    assert not f.busy() and f.deadline == float("inf")


def test_answers_are_plain_system_busy_and_oneway_as_java(ticking):
    f, clock, _loop = ticking
    clock.now = T0 + 1.0
    conn = FakeConn()
    req = RemotingCommand(code=RequestCode.SEND_MESSAGE_V2, opaque=42, serialize_type=SerializeType.ROCKETMQ)
    assert f.refuse(conn, req)
    (resp,) = conn.sent
    assert (resp.code, resp.opaque, resp.flag, resp.ext_fields, resp.serialize_type) == (
        ResponseCode.SYSTEM_BUSY, 42, FLAG_RESPONSE, None, SerializeType.JSON)
    # the clean-queue answers are written even for a oneway send (RequestTask.returnResponse) ...
    assert f.refuse(conn, RemotingCommand(code=RequestCode.SEND_MESSAGE, opaque=43, flag=FLAG_ONEWAY))
    assert conn.sent[-1].opaque == 43
    # ... an OVERLOAD is not
    clock.now = f.due
    f.pending = 3
    assert f.refuse(conn, RemotingCommand(code=RequestCode.SEND_MESSAGE, opaque=44, flag=FLAG_ONEWAY))
    assert len(conn.sent) == 2 and f.refused["OVERLOAD"] == 1


def test_not_busy_after_all_means_handled(ticking):
    f, clock, _loop = ticking
    assert not f.refuse(FakeConn(), RemotingCommand(code=RequestCode.SEND_MESSAGE, opaque=1))
    assert sum(f.refused.values()) == 0


def test_a_refused_send_stores_nothing_and_a_handled_one_does(tmp_path, ticking):
    f, clock, _loop = ticking
    config = BrokerConfig(brokerName="b")
    store = open_store(small_config(tmp_path / "s", mappedFileSizeCommitLog=1 << 20))
    topics = TopicConfigManager(config, str(tmp_path / "s"), lambda job: None)
    groups = SubscriptionGroupManager(True, str(tmp_path / "s"), lambda job: None)
    proc = SendProcessor(config, store, topics, groups, STORE_HOST)
    proc.fast_failure = f
    ext = {"a": "PG", "b": "TopicFF", "c": "TBW102", "d": "4", "e": "0", "f": "0", "g": "1", "h": "0",
           "i": "UNIQ_KEY\x01K1\x02WAIT\x01true\x02", "j": "0", "k": "false", "m": "false"}
    conn = FakeConn()
    clock.now = T0 + 0.2                             # 190 ms behind
    req = RemotingCommand(code=RequestCode.SEND_MESSAGE_V2, opaque=7, ext_fields=dict(ext), body=b"x")
    assert proc.send(conn, req) is None
    assert conn.sent[0].code == ResponseCode.SYSTEM_BUSY and store.commitlog.max_offset() == 0
    back = RemotingCommand(code=RequestCode.CONSUMER_SEND_MSG_BACK, opaque=8,
                           ext_fields={"offset": "0", "group": "CG", "delayLevel": "0"})
    assert proc.send_back(conn, back) is None and conn.sent[1].opaque == 8
    clock.now = f.due                                # on time
    resp = proc.send(conn, RemotingCommand(code=RequestCode.SEND_MESSAGE_V2, opaque=9, ext_fields=dict(ext),
                                           body=b"x"))
    assert resp.code == ResponseCode.SUCCESS and store.commitlog.max_offset() > 0
    store.close(clean=True)


def test_runtime_info_send_queue_keys(ticking):
    f, clock, _loop = ticking
    assert FastFailure().runtime_info() == {"sendThreadPoolQueueSize": "0", "sendThreadPoolQueueCapacity": "10000",
                                            "sendThreadPoolQueueHeadWaitTimeMills": "0"}
    f.pending = 1
    clock.now = f.due + 0.0304
    assert f.runtime_info() == {"sendThreadPoolQueueSize": "1", "sendThreadPoolQueueCapacity": "2",
                                "sendThreadPoolQueueHeadWaitTimeMills": "30"}


def test_sends_waiting_for_the_flush_fill_the_queue_then_overload(tmp_path):
    """SYNC_FLUSH sends waiting for their flush are the bounded queue: one more than sendThreadPoolQueueCapacity
    and the next send is answered OVERLOAD without being stored; once they are answered, sends go through."""
    async def scenario():
        store = open_store(small_config(tmp_path / "s", mappedFileSizeCommitLog=1 << 20, flushDiskType="SYNC_FLUSH"))
        store.start()
        config = BrokerConfig(brokerName="b")
        proc = SendProcessor(config, store, TopicConfigManager(config, str(tmp_path / "s"), lambda job: None),
                             SubscriptionGroupManager(True, str(tmp_path / "s"), lambda job: None), STORE_HOST)
        f = proc.fast_failure = FastFailure(capacity=1)
        gate = threading.Event()
        store.io.submit(gate.wait)          # the I/O thread is stuck: the flushes wait
        conn = FakeConn()

        def request(opaque):
            ext = {"a": "PG", "b": "TopicFF", "c": "TBW102", "d": "4", "e": "0", "f": "0", "g": "1", "h": "0",
                   "i": f"UNIQ_KEY\x01K{opaque}\x02", "j": "0", "k": "false", "m": "false"}
            return RemotingCommand(code=RequestCode.SEND_MESSAGE_V2, opaque=opaque, ext_fields=ext, body=b"x")
        waiting = [asyncio.ensure_future(proc.send(conn, request(i))) for i in (1, 2)]
        await asyncio.sleep(0)              # one loop turn: both wait for the flush now
        assert f.pending == 2
        stored = store.commitlog.max_offset()
        assert proc.send(conn, request(3)) is None
        assert conn.sent[0].remark == ff.OVERLOAD and store.commitlog.max_offset() == stored
        gate.set()
        assert [r.code for r in await asyncio.gather(*waiting)] == [ResponseCode.SUCCESS] * 2
        assert f.pending == 0
        assert (await proc.send(conn, request(4))).code == ResponseCode.SUCCESS
        await store.shutdown()
    asyncio.run(scenario())

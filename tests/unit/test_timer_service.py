"""The timer service on a real store with a hand-driven clock: enqueue from the timer topic's consume queue,
delivery only once a tick is over and in arrival order, rolls beyond the window, messages already due, and a
crash (files left as a SIGKILL leaves them) recovered with every timer delivered once."""
from __future__ import annotations

import asyncio

import pytest

from broker.timer_hook import divert_to_timer
from store import message as m
from store.config import MessageStoreConfig
from store.message_store import MessageStore
from store.timer import convert as c
from store.timer.service import TimerMessageStore

T0 = 1_800_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0 + 250

    def __call__(self) -> int:
        return self.now


def open_store(root, clock, **cfg) -> tuple[MessageStore, TimerMessageStore]:
    config = MessageStoreConfig(storePathRootDir=str(root), mappedFileSizeCommitLog=1 << 20,
                                mappedFileSizeConsumeQueue=6000, mappedFileSizeTimerLog=UNIT_FILE, **cfg)
    store = MessageStore(config, clock=clock)
    store.load()
    timer = TimerMessageStore(store, clock=clock)
    store.timer = timer
    timer.load()
    return store, timer


UNIT_FILE = 52 * 40 + 16      # 40 units a file: the tests cross timer-log files


def send(store: MessageStore, clock: Clock, body: bytes, queue_id: int = 0, **props: str) -> None:
    props = {k: v for k, v in props.items()} | {"UNIQ_KEY": body.hex()}
    msg = m.StoredMessage(topic="Real", body=body, queue_id=queue_id, properties=m.properties_to_string(props))
    divert_to_timer(msg, props, store.config, clock(), store.timer)
    assert store.put_message(msg).ok


def delivered(store: MessageStore, queues: int = 2) -> list[m.StoredMessage]:
    out = []
    for q in range(queues):
        cq = store.consume_queue("Real", q)
        for i in range(cq.max_offset() if cq else 0):
            out.append(store.look_message_by_offset(cq.entry(i)[0]))
    return out


async def drain(timer: TimerMessageStore) -> None:
    while await timer.enqueue_once():
        pass
    while await timer.dequeue_once():
        pass


def test_delivery_waits_for_the_tick_to_end_and_keeps_arrival_order(tmp_path):
    clock = Clock()
    store, timer = open_store(tmp_path, clock)

    async def run():
        for i in range(60):          # 60 in one second (crossing timer-log files), then 2 in later seconds
            send(store, clock, b"a%02d" % i, queue_id=i % 2, TIMER_DELIVER_MS=str(T0 + 3500))
        send(store, clock, b"b", TIMER_DELAY_SEC="5")
        send(store, clock, b"c", __STARTDELIVERTIME=str(T0 + 4000))   # exactly on a tick: in the tick before
        await drain(timer)
        assert delivered(store) == [] and timer.pending == 62
        assert timer.runtime_info()["timerCongestNum"] == "0"          # not running: the disabled figures
        clock.now = T0 + 3999
        await drain(timer)
        assert delivered(store) == []
        clock.now = T0 + 4000
        await drain(timer)
        got = delivered(store)
        assert sorted(x.body for x in got) == sorted([b"a%02d" % i for i in range(60)] + [b"c"])
        assert [x.body for x in got if x.queue_id == 0 and x.body != b"c"] == [b"a%02d" % i for i in range(0, 60, 2)]
        a = got[0].props
        assert a["REAL_TOPIC"] == "Real" and a["TIMER_OUT_MS"] == str(T0 + 3000)
        assert a["TIMER_ENQUEUE_MS"] == str(T0) and a["TIMER_DEQUEUE_MS"] == str(T0 + 4000)
        assert got[0].topic == "Real" and got[0].born_timestamp == 0
        assert timer.pending == 1
        clock.now = T0 + 5249
        await drain(timer)
        assert b"b" not in [x.body for x in delivered(store)]
        clock.now = T0 + 6000
        await drain(timer)
        assert len(delivered(store)) == 62 and timer.pending == 0

    asyncio.run(run())
    store.close(clean=True)
    timer.close()


def test_a_time_beyond_the_roll_window_rolls_and_still_arrives_on_time(tmp_path):
    clock = Clock()
    store, timer = open_store(tmp_path, clock, timerRollWindowSlot=10)

    async def run():
        send(store, clock, b"far", TIMER_DELAY_SEC="25")          # due T0 + 25.25 s: tick T0 + 25 s
        await drain(timer)
        for second in range(1, 26):
            clock.now = T0 + second * 1000
            await drain(timer)
            assert delivered(store) == [], second
        clock.now = T0 + 26_000
        await drain(timer)
        (msg,) = delivered(store)
        assert msg.body == b"far" and int(msg.props["TIMER_ROLL_TIMES"]) >= 2
        assert store.max_offset_in_queue(c.TIMER_TOPIC, 0) == 1 + int(msg.props["TIMER_ROLL_TIMES"])

    asyncio.run(run())
    store.close(clean=True)
    timer.close()


def test_a_timer_already_due_when_enqueued_goes_out_at_once(tmp_path):
    clock = Clock()
    store, timer = open_store(tmp_path, clock)

    async def run():
        send(store, clock, b"late", TIMER_DELAY_MS="1000")        # enqueued only after its tick is over
        clock.now = T0 + 3000
        assert await timer.enqueue_once() == 1
        (msg,) = delivered(store)
        assert msg.props["TIMER_ENQUEUE_MS"] == str(c.NEVER_ENQUEUED) and timer.pending == 0

    asyncio.run(run())
    store.close(clean=True)
    timer.close()


@pytest.mark.parametrize("cut", ["after-enqueue", "mid-delivery"])
def test_crash_leaves_every_timer_delivered_once(tmp_path, cut):
    clock = Clock()
    store, timer = open_store(tmp_path, clock)
    bodies = [b"m%03d" % i for i in range(120)]

    async def first_life():
        for i, body in enumerate(bodies):
            send(store, clock, body, queue_id=i % 2, TIMER_DELIVER_MS=str(T0 + 2000 + (i % 3) * 1000))
        await drain(timer)
        if cut == "mid-delivery":
            clock.now = T0 + 3000                                   # the first of the three ticks is out
            await drain(timer)

    asyncio.run(first_life())
    before = len(delivered(store))
    # SIGKILL: nothing flushed or closed cleanly; the mapped pages stay as written (the page cache keeps them)
    store.close(clean=False)
    timer.wheel.close()
    timer.log.close()
    timer.checkpoint.close()
    store, timer = open_store(tmp_path, clock)
    assert not store.last_exit_ok
    assert timer.pending == 120 - before and timer.queue_offset == 120

    async def second_life():
        clock.now = T0 + 10_000
        await drain(timer)

    asyncio.run(second_life())
    got = [x.body for x in delivered(store)]
    assert sorted(got) == sorted(bodies)      # none lost, none twice (the cut fell between ticks)
    store.close(clean=True)
    timer.close()


def test_a_clean_stop_finishes_the_tick_being_put_back(tmp_path):
    clock = Clock()
    store, timer = open_store(tmp_path, clock)

    async def run():
        for i in range(500):
            send(store, clock, b"s%03d" % i, queue_id=i % 2, TIMER_DELIVER_MS=str(T0 + 1500))
        while await timer.enqueue_once():
            pass
        clock.now = T0 + 2000
        timer.start()
        async with asyncio.timeout(10):
            while not timer._delivering:          # the tick's slices are going out
                await asyncio.sleep(0)
        assert len(delivered(store)) < 500
        await timer.stop()                         # waits for the tick, then stops
        assert len(delivered(store)) == 500

    asyncio.run(run())
    store.close(clean=True)
    store, timer = open_store(tmp_path, clock)
    assert timer.curr_read_ms == T0 + 2000 and timer.pending == 0   # resumes after the delivered tick
    store.close(clean=True)
    timer.close()

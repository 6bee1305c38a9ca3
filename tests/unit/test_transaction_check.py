"""The check-back service over a real store: who is asked and with what, the copies it makes (check count,
immunity), discarding after transactionCheckMax, offsets only over settled messages, the ledger that keeps a
transaction from being decided twice, and its rebuild from the two topics after a restart."""
from __future__ import annotations

import asyncio

import pytest

from broker.client_manager import ClientChannel, ProducerManager
from broker.config import BrokerConfig
from broker.consumer_offset import ConsumerOffsetManager
from broker.topic_config import TopicConfigManager
from broker.transaction import messages as tx
from broker.transaction.check import TransactionCheckService
from broker.transaction.service import TransactionalMessageService
from remoting.codes import RequestCode, ResponseCode
from remoting.headers import CheckTransactionStateRequestHeader
from store import message as m
from tests.support.stores import open_store, small_config

HOST = ("127.0.0.1", 10911)
T0 = 1_700_000_000_000


class Producer:
    """The producer end of a channel: records what the broker sends it."""
    closed = False

    def __init__(self) -> None:
        self.requests = []

    def oneway(self, cmd) -> None:
        self.requests.append(cmd)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def parts(tmp_path):
    store = open_store(small_config(tmp_path / "s", mappedFileSizeCommitLog=1 << 20), HOST)
    clock = Clock()
    store.clock = clock
    cfg = BrokerConfig(transactionTimeOut=6000, transactionCheckMax=3)
    offsets = ConsumerOffsetManager(str(tmp_path / "s"), lambda job: job())
    topics = TopicConfigManager(cfg, str(tmp_path / "s"), lambda job: job())
    producers = ProducerManager()
    service = TransactionalMessageService(store, offsets, HOST, clock)
    check = TransactionCheckService(cfg, service, topics, producers, 72, clock)
    yield store, clock, service, check, producers, offsets
    store.close(clean=False)


def half(service, key: str, props: str = "", born: int = T0) -> m.StoredMessage:
    msg = m.StoredMessage(topic="RealTopic", body=f"b-{key}".encode(), queue_id=2, born_timestamp=born,
                          sys_flag=m.TRANSACTION_PREPARED_TYPE, born_host=("127.0.0.1", 5555))
    p = m.string_to_properties(f"TRAN_MSG\x01true\x02PGROUP\x01PID\x02UNIQ_KEY\x01{key}{props}")
    assert service.prepare(msg, p, 18).ok
    return msg


def run(check) -> None:
    asyncio.run(check.check())


def queue(store, topic: str, queue_id: int = 0) -> list[m.StoredMessage]:
    cq = store.consume_queue(topic, queue_id)
    if cq is None:
        return []
    return [store.look_message_by_offset(cq.entry(i)[0]) for i in range(cq.min_offset(), cq.max_offset())]


def test_young_messages_wait_old_ones_are_copied_and_asked_about(parts):
    store, clock, service, check, producers, offsets = parts
    p = Producer()
    producers.register("PID", ClientChannel(p, "client-1", "JAVA", 0, 0))
    h = half(service, "K1")
    clock.now = T0 + 5000
    run(check)
    assert p.requests == [] and len(queue(store, tx.HALF_TOPIC)) == 1     # younger than transactionTimeOut
    clock.now = T0 + 7000
    run(check)
    halves = queue(store, tx.HALF_TOPIC)
    assert len(halves) == 2 and halves[1].props[tx.PROPERTY_CHECK_TIMES] == "1"
    assert offsets.query(tx.CHECK_GROUP, tx.HALF_TOPIC, 0) == 1            # past the first copy only
    (req,) = p.requests
    assert req.code == RequestCode.CHECK_TRANSACTION_STATE and req.is_oneway
    hdr = CheckTransactionStateRequestHeader.decode(req.ext_fields)
    assert (hdr.tranStateTableOffset, hdr.commitLogOffset, hdr.msgId, hdr.transactionId) == (
        1, halves[1].physical_offset, "K1", "K1")
    body = m.decode(req.body)
    assert (body.topic, body.queue_id, body.body) == ("RealTopic", 2, b"b-K1")
    # the producer answers late about the first copy: it decides the transaction, copy included
    d = service.end(h.physical_offset, "PID", 0, True, 18)
    assert d.code == ResponseCode.SUCCESS
    assert sorted(int(op.body) for op in queue(store, tx.OP_TOPIC)) == [0, 1]
    assert service.end(halves[1].physical_offset, "PID", 1, True, 18).code == ResponseCode.SYSTEM_ERROR
    clock.now = T0 + 9000
    run(check)
    assert len(p.requests) == 1                                            # never asked again
    assert offsets.query(tx.CHECK_GROUP, tx.HALF_TOPIC, 0) == 2
    assert offsets.query(tx.CHECK_GROUP, tx.OP_TOPIC, 0) == 2
    assert [x.body for x in queue(store, "RealTopic", 2)] == [b"b-K1"]


def test_checked_too_often_goes_to_trans_check_max_time_topic(parts):
    store, clock, service, check, producers, offsets = parts
    half(service, "K2")
    for n in range(1, 5):
        clock.now = T0 + 7000 * n
        run(check)
    halves = queue(store, tx.HALF_TOPIC)
    assert [x.props.get(tx.PROPERTY_CHECK_TIMES) for x in halves] == [None, "1", "2", "3"]
    (dropped,) = queue(store, tx.CHECK_MAX_TIME_TOPIC)
    assert dropped.body == b"b-K2" and dropped.props[tx.PROPERTY_CHECK_TIMES] == "3"
    assert "K2" not in service.ledger.open
    assert offsets.query(tx.CHECK_GROUP, tx.HALF_TOPIC, 0) == 4
    assert service.end(halves[3].physical_offset, "PID", 3, True, 18).code == ResponseCode.SYSTEM_ERROR
    # RESUME_CHECK_HALF_MESSAGE (by the discarded copy's offset id) puts it back with a fresh count
    assert service.resume("nonsense").code == ResponseCode.SYSTEM_ERROR
    assert service.resume(m.offset_msg_id(HOST, dropped.physical_offset)).code == ResponseCode.SUCCESS
    back = queue(store, tx.HALF_TOPIC)[-1]
    assert back.props[tx.PROPERTY_CHECK_TIMES] == "0" and service.ledger.open["K2"] == back.queue_offset
    assert service.end(back.physical_offset, "PID", back.queue_offset, True, 18).code == ResponseCode.SUCCESS


def test_immunity_time_copies_without_asking(parts):
    store, clock, service, check, producers, offsets = parts
    p = Producer()
    producers.register("PID", ClientChannel(p, "client-1", "JAVA", 0, 0))
    half(service, "K3", "\x02CHECK_IMMUNITY_TIME_IN_SECONDS\x0160")
    clock.now = T0 + 7000                      # past transactionTimeOut, inside its own 60 s
    run(check)
    halves = queue(store, tx.HALF_TOPIC)
    assert p.requests == [] and halves[1].props[tx.PROPERTY_PREPARED_QUEUE_OFFSET] == "0"
    clock.now = T0 + 61000
    run(check)
    assert len(p.requests) == 1


def test_the_ledger_is_rebuilt_from_the_two_topics(parts, tmp_path):
    store, clock, service, check, producers, offsets = parts
    a, b, c = half(service, "A"), half(service, "B"), half(service, "C")
    assert service.end(a.physical_offset, "PID", 0, True, 18).code == ResponseCode.SUCCESS
    assert service.end(b.physical_offset, "PID", 1, False, 18).code == ResponseCode.SUCCESS
    fresh = TransactionalMessageService(store, offsets, HOST, clock)
    fresh.rebuild()
    assert set(fresh.ledger.open) == {"C"}
    for msg, qoff in ((a, 0), (b, 1)):
        assert fresh.end(msg.physical_offset, "PID", qoff, True, 18).code == ResponseCode.SYSTEM_ERROR
    assert fresh.end(c.physical_offset, "PID", 2, True, 18).code == ResponseCode.SUCCESS
    assert [x.body for x in queue(store, "RealTopic", 2)] == [b"b-A", b"b-C"]

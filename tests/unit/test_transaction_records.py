"""The transaction records are byte-for-byte what the Java 4.9.7 broker wrote in the fixture store: the half
message, the committed copy (with Java's quirk of keeping TRAN_MSG, PGROUP, REAL_TOPIC and REAL_QID) and the
op records."""
from __future__ import annotations

import pytest

from broker.consumer_offset import ConsumerOffsetManager
from broker.transaction import messages as tx
from broker.transaction.service import TransactionalMessageService
from remoting.codes import ResponseCode
from store import message as m
from tests.support.stores import copy_fixture, fixture_config, open_store


@pytest.fixture(scope="module")
def java_store(tmp_path_factory):
    s = open_store(fixture_config(copy_fixture("store", tmp_path_factory.mktemp("tx") / "s")))
    yield s
    s.close(clean=False)


def _queue(s, topic: str) -> list[m.StoredMessage]:
    cq = s.consume_queue(topic, 0)
    return [s.look_message_by_offset(cq.entry(off)[0]) for off in range(cq.min_offset(), cq.max_offset())]


def _record(s, msg: m.StoredMessage) -> bytes:
    return bytes(s.select_one_message_by_offset(msg.physical_offset))


def _as_stored(msg: m.StoredMessage, like: m.StoredMessage) -> bytes:
    """`msg` encoded with the position, store time and host the commit log gave `like`."""
    msg.queue_offset, msg.physical_offset = like.queue_offset, like.physical_offset
    msg.store_timestamp, msg.store_host = like.store_timestamp, like.store_host
    return bytes(m.encode(msg))


def test_half_message_properties_as_java_wrote_them(java_store):
    for half in _queue(java_store, tx.HALF_TOPIC):
        props = half.props
        real_topic, real_qid = props.pop(tx.PROPERTY_REAL_TOPIC), props.pop(tx.PROPERTY_REAL_QUEUE_ID)
        msg = m.StoredMessage(topic=real_topic, body=half.body, queue_id=int(real_qid), flag=half.flag,
                              sys_flag=m.TRANSACTION_PREPARED_TYPE, born_timestamp=half.born_timestamp,
                              born_host=half.born_host, reconsume_times=half.reconsume_times)
        tx.to_half(msg, props)
        assert (msg.topic, msg.queue_id, msg.sys_flag) == (tx.HALF_TOPIC, 0, 0)
        assert _as_stored(msg, half) == _record(java_store, half)


def test_committed_record_is_byte_identical_to_javas(java_store):
    half = _queue(java_store, tx.HALF_TOPIC)[0]
    java_final = next(msg for _off, msg in java_store.commitlog.scan(half.physical_offset)
                      if m.transaction_type(msg.sys_flag) == m.TRANSACTION_COMMIT_TYPE)
    final, props = tx.committed(half)
    assert final.prepared_transaction_offset == half.physical_offset
    # the string keeps what the map lost afterwards
    assert tx.PROPERTY_TRAN_MSG in final.props and tx.PROPERTY_REAL_TOPIC not in props
    assert _as_stored(final, java_final) == _record(java_store, java_final)


def test_op_records_are_byte_identical_to_javas(java_store):
    halves = {h.queue_offset: h for h in _queue(java_store, tx.HALF_TOPIC)}
    ops = _queue(java_store, tx.OP_TOPIC)
    assert sorted(int(op.body) for op in ops) == sorted(halves)
    for op in ops:
        mine = tx.op_record(int(op.body), 0, op.store_host, op.born_timestamp)
        assert _as_stored(mine, op) == _record(java_store, op)


def test_check_body_is_the_copy_with_its_real_topic_and_queue(java_store):
    half = _queue(java_store, tx.HALF_TOPIC)[0]
    props = half.props
    props[tx.PROPERTY_CHECK_TIMES] = "1"
    decoded = m.decode(tx.check_body(half, props))
    assert (decoded.topic, decoded.queue_id, decoded.queue_offset, decoded.physical_offset) == (
        "FixtureA", 2, half.queue_offset, half.physical_offset)
    assert decoded.props[tx.PROPERTY_CHECK_TIMES] == "1" and decoded.body == half.body


def test_renewed_copy_keeps_neither_flag_nor_reconsume_times():
    half = m.StoredMessage(topic=tx.HALF_TOPIC, body=b"x", flag=7, reconsume_times=3, born_timestamp=5,
                           properties="UNIQ_KEY\x01abc")
    copy = tx.renewed(half, {"UNIQ_KEY": "abc", tx.PROPERTY_CHECK_TIMES: "2"})
    assert (copy.flag, copy.reconsume_times, copy.born_timestamp) == (0, 0, 5)
    imm = tx.immunity_renewed(m.StoredMessage(topic=tx.HALF_TOPIC, body=b"x", queue_offset=9), {})
    assert imm.props[tx.PROPERTY_PREPARED_QUEUE_OFFSET] == "9"


@pytest.mark.parametrize("text,value", [("12", 12), ("-1", -1), ("x", -1), (" 3", -1), (None, -1)])
def test_java_long(text, value):
    assert tx.java_long(text) == value


def test_a_java_store_hands_over_its_decided_transactions(java_store, tmp_path):
    """Our broker on the Java broker's store: both fixture transactions have op records, so neither is open
    and neither can be decided again."""
    offsets = ConsumerOffsetManager(str(tmp_path), lambda job: job())
    service = TransactionalMessageService(java_store, offsets, ("127.0.0.1", 40911))
    service.rebuild()
    assert service.ledger.open == {} and service.ledger.decided == {0, 1}
    before = java_store.commitlog.max_offset()
    for half in _queue(java_store, tx.HALF_TOPIC):
        d = service.end(half.physical_offset, "FixtureTxGroup", half.queue_offset, True, 18)
        assert (d.code, d.remark) == (ResponseCode.SYSTEM_ERROR, "Find prepared transaction message failed")
    assert java_store.commitlog.max_offset() == before

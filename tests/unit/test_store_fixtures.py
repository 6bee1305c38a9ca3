"""Stores written by the Java 4.9.7 broker open here: every acknowledged message comes back with identical
bytes, by queue position, by offset message id and by key; consume queues and index files rebuilt from the
Java commit log are byte-identical to the ones Java wrote."""
from __future__ import annotations

import hashlib
import os

import pytest

from store import message as m
from tests.support.stores import copy_fixture, fixture_config, manifest, open_store, readback


@pytest.fixture(scope="module", params=["store", "store-unclean"])
def opened(request, tmp_path_factory):
    name = request.param
    root = copy_fixture(name, tmp_path_factory.mktemp(name) / "s")
    s = open_store(fixture_config(root))
    yield name, s
    s.close(clean=False)


def test_clean_and_killed_stores_are_recognised(opened):
    name, s = opened
    assert s.last_exit_ok is (name == "store")
    assert s.commitlog.max_offset() == {"store": 3172627, "store-unclean": 1150601}[name]


def test_every_message_java_read_back_is_here_with_identical_bytes(opened):
    name, s = opened
    rows = readback(name)
    found = 0
    for r in rows:
        res = s.get_message(r["topic"], r["queueId"], r["queueOffset"], 1)
        if name == "store-unclean" and (r["topic"], r["queueId"], r["queueOffset"]) in {("FixtureA", 2, 231),
                                                                                         ("FixtureA", 3, 226)}:
            # duplicates Java's schedule service wrote after its own recovery of a copy (fixture README)
            assert res.status.name == "OFFSET_OVERFLOW_ONE"
            continue
        assert res.status.name == "FOUND", r
        msg = m.decode(res.buffers[0])
        assert (msg.physical_offset, msg.store_size, msg.sys_flag, msg.body_crc, msg.flag, msg.reconsume_times,
                msg.born_timestamp, msg.store_timestamp, msg.prepared_transaction_offset) == (
            r["commitLogOffset"], r["storeSize"], r["sysFlag"], r["bodyCRC"], r["flag"], r["reconsumeTimes"],
            r["bornTimestamp"], r["storeTimestamp"], r["preparedTransactionOffset"]), r
        assert hashlib.sha256(msg.decompressed_body()).hexdigest() == r["bodySha256"]
        assert {k: v for k, v in msg.props.items()} == r["properties"]
        assert m.offset_msg_id(msg.store_host, msg.physical_offset) == r["offsetMsgId"]
        res.release()
        found += 1
    assert found == len(rows) - (2 if name == "store-unclean" else 0)


def test_manifest_messages_by_offset_msg_id_and_by_key(opened):
    name, s = opened
    checked = 0
    for entry in manifest(name)["messages"]:
        if entry["sendStatus"] != "SEND_OK" or not entry.get("offsetMsgId"):
            continue
        ids = entry["offsetMsgId"].split(",")
        uniq = entry["msgId"].split(",")
        for off_id, msg_id in zip(ids, uniq):
            host, phys = m.decode_offset_msg_id(off_id)
            msg = s.look_message_by_offset(phys)
            assert msg is not None and msg.props.get("UNIQ_KEY") == msg_id, entry["seq"]
            if entry["kind"] in ("normal", "compressed", "non-ascii-tag"):
                assert hashlib.sha256(msg.decompressed_body()).hexdigest() == entry["bodySha256"]
            # and through the index, as QUERY_MESSAGE with a unique key does
            found, _, _ = s.query_message(msg.topic, msg_id, 32, 0, 2**62)
            assert phys in [f.physical_offset for f in found]
            checked += 1
    assert checked > (2000 if name == "store" else 800)


def _rebuild(name: str, dest):
    """Only the Java commit log, plus an abort file: recovery re-dispatches everything from the first file."""
    root = copy_fixture(name, dest, parts=("commitlog",))
    (root / "abort").touch()
    s = open_store(fixture_config(root))
    s.flush_all()
    s.close(clean=True)
    return root


@pytest.mark.parametrize("name", ["store", "store-unclean"])
def test_consume_queues_and_index_rebuilt_from_java_commitlog_are_byte_identical(name, tmp_path):
    ours = _rebuild(name, tmp_path / "s")
    java = copy_fixture(name, tmp_path / "java", parts=("consumequeue", "index"))
    java_cq = sorted(p.relative_to(java) for p in (java / "consumequeue").rglob("*") if p.is_file())
    our_cq = sorted(p.relative_to(ours) for p in (ours / "consumequeue").rglob("*") if p.is_file())
    assert our_cq == java_cq
    for rel in java_cq:
        assert (ours / rel).read_bytes() == (java / rel).read_bytes(), rel
    java_idx = sorted(os.listdir(java / "index"))
    our_idx = sorted(os.listdir(ours / "index"))
    assert len(our_idx) == len(java_idx)
    for a, b in zip(java_idx, our_idx):  # names are creation times; contents must match
        assert (java / "index" / a).read_bytes() == (ours / "index" / b).read_bytes(), a


def test_our_encoder_writes_every_java_record_byte_for_byte(opened):
    """What we write is what Java writes: each record Java stored, decoded and encoded again, is identical."""
    name, s = opened
    n = 0
    for offset, msg in s.commitlog.scan(s.commitlog.min_offset(), check_crc=True):
        original = bytes(s.commitlog.view(offset, msg.store_size))
        assert bytes(m.encode(msg)) == original, offset
        n += 1
    assert n == {"store": 2507, "store-unclean": 913}[name]

"""A store directory our broker wrote opens in the Java 4.9.7 broker: after a clean stop (SIGTERM: Java's normal
recovery) and after SIGKILL mid-traffic (abort file left: Java's abnormal recovery, checkpoint and CRC checks).
The Java broker takes our broker's ports, so the offsetMsgIds our broker handed out still lead to the message."""
from __future__ import annotations

import random
import signal

import pytest

from tests.support.daemons import BrokerProcess, NamesrvProcess

from .checks import (check_consumed, check_id_lookups, check_key_lookups, expected_max_offsets,
                     mqadmin_query_by_id, mqadmin_query_by_key, parse_topic_status)
from .oracle import (FILE_SIZE, STORE_PROPS, JavaBroker, ProducerLog, Sent, consume_all, create_topic,
                     deadline_poll, finish_producer, produce, read_producer_log, start_producer, wait_route)

QUEUES = 4
CLUSTER = "OracleCluster"


def topic_status(java, work, namesrv: str, topic: str, broker: str) -> dict[int, tuple[int, int]]:
    """`mqadmin topicStatus`: queue id -> (min offset, max offset) of `broker`."""
    out = java.mqadmin(work, "topicStatus", "-n", namesrv, "-t", topic)
    rows = {q: v for (b, q), v in parse_topic_status(out).items() if b == broker}
    assert len(rows) == QUEUES, out
    return rows


def java_continues(java, work, namesrv: str, topic: str, before: dict[int, tuple[int, int]], last_offset: int,
                   key_prefix: str) -> None:
    """New sends to the Java broker land right after what it recovered: each queue continues at its old max
    offset, the commit log after the last message it kept."""
    log = produce(java, work, namesrv, topic, 40, key_prefix, retries=0)
    assert not log.fails and all(s.status == "SEND_OK" for s in log.sends), log.fails[:3]
    firsts: dict[int, int] = {}
    for s in log.sends:
        firsts.setdefault(s.queue, s.qoffset)
    assert all(firsts[q] == before[q][1] for q in firsts), (firsts, before)
    assert min(int(s.offset_id[-16:], 16) for s in log.sends) > last_offset


def handover_checks(java, tmp_path, ns: str, topic: str, broker_name: str, stored: list[Sent],
                    also: set[str], phase) -> dict[int, tuple[int, int]]:
    """What every handover must show on the Java broker: every stored message consumed (with the producer's ids,
    queue offsets and body), found by key and by offsetMsgId; returns the Java broker's topicStatus."""
    java_status = topic_status(java, tmp_path / "admin", ns, topic, broker_name)
    got, final = consume_all(java, tmp_path / "consumer", ns, topic, "oracle_handover", {s.msg_id for s in stored})
    phase(f"Java topicStatus; Java consumer read {len(got)}")
    assert final and final.startswith("DONE"), final
    check_consumed(got, stored, exact=not also)
    if also:
        # whatever else arrived was at least sent (a send whose answer was lost when the broker died)
        extra = {g.msg_id for g in got} - {s.msg_id for s in stored}
        assert extra <= also, f"messages nobody sent: {sorted(extra - also)[:5]}"
    check_key_lookups(java, tmp_path / "admin", ns, topic, stored)
    check_id_lookups(java, tmp_path / "admin", ns, stored)
    sample = random.Random(3).choice(stored)
    mqadmin_query_by_key(java, tmp_path / "admin", ns, topic, sample)
    mqadmin_query_by_id(java, tmp_path / "admin", ns, sample)
    phase("every key (queryMessage) and offsetMsgId (viewMessage) found; mqadmin queryMsgByKey, queryMsgById")
    return java_status


def last_commitlog_offset(stored: list[Sent]) -> int:
    return max(int(s.offset_id[-16:], 16) for s in stored)


@pytest.mark.timeout(400)
def test_java_broker_serves_the_store_our_broker_left_at_sigterm(java, tmp_path, phase):
    topic, name = "OracleHandover", "handover-a"
    with NamesrvProcess(tmp_path / "namesrv") as ns:
        ours = BrokerProcess(tmp_path / "ours", ns.addr, brokerClusterName=CLUSTER, brokerName=name,
                             **STORE_PROPS).start()
        try:
            store = tmp_path / "ours" / "store"
            create_topic(ours.addr, topic, QUEUES)
            wait_route(ns.addr, topic, QUEUES)
            log = produce(java, tmp_path / "producer", ns.addr, topic, 3000, "S3")
            assert not log.fails and all(s.status == "SEND_OK" for s in log.sends), log.fails[:3]
            stored = log.sends
            assert last_commitlog_offset(stored) // FILE_SIZE >= 2
            our_status = topic_status(java, tmp_path / "admin", ns.addr, topic, name)
            # what our broker reports is what the producer was told
            assert {q: mx for q, (_, mx) in our_status.items()} == expected_max_offsets(stored)
            assert all(mn == 0 for mn, _ in our_status.values())
            phase("our broker took 3000 messages; mqadmin topicStatus of ours")
        finally:
            rc = ours.stop(signal.SIGTERM)
        assert rc == 0, f"our broker exited {rc} at SIGTERM"
        assert not (store / "abort").exists(), "a clean stop removes the abort file"
        phase("our broker stopped (SIGTERM)")

        with JavaBroker(tmp_path / "java", ns.addr, listen_port=ours.port, store_root=store,
                        brokerClusterName=CLUSTER, brokerName=name) as jb:
            phase(f"Java broker booted on our store ({jb.boot_seconds:.1f}s)")
            wait_route(ns.addr, topic, QUEUES)
            java_status = handover_checks(java, tmp_path, ns.addr, topic, name, stored, set(), phase)
            assert java_status == our_status
            java_continues(java, tmp_path / "producer-after", ns.addr, topic, java_status,
                           last_commitlog_offset(stored), "S3-after")
            phase("Java continued our queues and commit log")


@pytest.mark.timeout(400)
def test_java_broker_serves_every_acknowledged_message_after_our_broker_was_killed(java, tmp_path, phase):
    topic, name = "OracleHandoverKill", "handover-b"
    with NamesrvProcess(tmp_path / "namesrv") as ns:
        ours = BrokerProcess(tmp_path / "ours", ns.addr, brokerClusterName=CLUSTER, brokerName=name,
                             **STORE_PROPS).start()
        store = tmp_path / "ours" / "store"
        try:
            create_topic(ours.addr, topic, QUEUES)
            wait_route(ns.addr, topic, QUEUES)
            # no client retries: every SEND_OK names the one stored copy; after the kill, 20 failures in a row end it
            proc, log_path = start_producer(java, tmp_path / "producer", ns.addr, topic, 50000, "S4", retries=0,
                                            timeout=3000, stop_after_failures=20)
            try:
                deadline_poll(lambda: len(read_producer_log(log_path).ok) >= 3000, 120,
                              "3000 acknowledged sends before the kill")
                assert ours.stop(signal.SIGKILL) == -signal.SIGKILL
                phase("our broker SIGKILLed after >= 3000 SEND_OK")
                log: ProducerLog = finish_producer(proc, log_path, timeout=120)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
        finally:
            if ours.alive():
                ours.stop(signal.SIGKILL)
        stored = log.ok
        assert len(log.sends) == len(stored), [s for s in log.sends if s.status != "SEND_OK"][:3]
        assert log.fails, "the producer saw no failure: the broker was not killed mid-traffic"
        assert last_commitlog_offset(stored) // FILE_SIZE >= 2
        assert (store / "abort").exists(), "a killed broker leaves its abort file"
        phase(f"producer done: {len(stored)} SEND_OK, {len(log.fails)} failed")

        with JavaBroker(tmp_path / "java", ns.addr, listen_port=ours.port, store_root=store,
                        brokerClusterName=CLUSTER, brokerName=name) as jb:
            phase(f"Java broker booted on our killed store ({jb.boot_seconds:.1f}s)")
            wait_route(ns.addr, topic, QUEUES)
            java_status = handover_checks(java, tmp_path, ns.addr, topic, name, stored, log.failed_ids, phase)
            # each queue holds at least what was acknowledged, and at most one unknown send more per failure
            expected = expected_max_offsets(stored)
            assert all(java_status[q][1] >= expected.get(q, 0) for q in java_status), (java_status, expected)
            extra = sum(mx for _, mx in java_status.values()) - len(stored)
            assert 0 <= extra <= len(log.fails), (java_status, len(stored), len(log.fails))
            java_continues(java, tmp_path / "producer-after", ns.addr, topic, java_status,
                           last_commitlog_offset(stored), "S4-after")
            phase("Java continued our queues and commit log")

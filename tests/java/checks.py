"""What the scenarios assert, shared: consumer logs against producer logs, look-ups through the Java admin client
and mqadmin, and the whole master/slave replication check."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from .oracle import (FILE_SIZE, Got, JavaPrograms, Sent, broker_topics, consume_all, create_topic, deadline_poll,
                     finish_producer, start_producer, wait_route)
from .store_compare import compare_trees, wait_same_index, wait_same_trees


def check_consumed(got: list[Got], stored: list[Sent], *, exact: bool) -> None:
    """Every stored message was received with the producer's msgId, offsetMsgId, queue, queue offset, key and
    body hash. exact: nothing else was received either (no message the producer did not store, and as many
    distinct queue positions as stored messages; a redelivery of the same position is at-least-once, allowed)."""
    by_id: dict[str, list[Got]] = {}
    for g in got:
        by_id.setdefault(g.msg_id, []).append(g)
    missing = [s for s in stored if s.msg_id not in by_id]
    assert not missing, (f"{len(missing)} of {len(stored)} stored messages never reached the consumer, e.g. "
                         f"{missing[:3]}")
    wrong = []
    for s in stored:
        g = by_id[s.msg_id][0]
        if (g.offset_id, g.queue, g.qoffset, g.keys, g.md5) != (s.offset_id, s.queue, s.qoffset, s.key, s.md5):
            wrong.append((s, g))
    assert not wrong, f"{len(wrong)} messages came back different from what was sent, e.g. {wrong[:2]}"
    if exact:
        extra = set(by_id) - {s.msg_id for s in stored}
        assert not extra, f"{len(extra)} messages received that the producer never stored: {sorted(extra)[:5]}"
        positions = [(g.queue, g.qoffset) for g in got]
        assert len(set(positions)) == len(stored), (
            f"{len(got)} deliveries at {len(set(positions))} queue positions for {len(stored)} stored messages")


def expected_max_offsets(stored: list[Sent]) -> dict[int, int]:
    """Per queue: the queue offset after the highest one the producer got back."""
    out: dict[int, int] = {}
    for s in stored:
        out[s.queue] = max(out.get(s.queue, 0), s.qoffset + 1)
    return out


TOPIC_STATUS_LINE = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)(\s|$)")


def parse_topic_status(text: str) -> dict[tuple[str, int], tuple[int, int]]:
    """`mqadmin topicStatus` rows: (brokerName, queueId) -> (min offset, max offset)."""
    out = {}
    for line in text.splitlines():
        m = TOPIC_STATUS_LINE.match(line.strip())
        if m:
            out[(m.group(1), int(m.group(2)))] = (int(m.group(3)), int(m.group(4)))
    return out


MSG_BODY_DIR = Path("/tmp/rocketmq/msgbodys")   # mqadmin queryMsgById / queryMsgByUniqueKey write bodies here


def remove_body_files(*sent: Sent) -> None:
    """Remove the body files the Java query commands wrote for these messages (named by either id)."""
    for s in sent:
        for name in (s.msg_id, s.offset_id):
            (MSG_BODY_DIR / name).unlink(missing_ok=True)


def check_key_lookups(progs: JavaPrograms, work: Path, namesrv: str, topic: str, stored: list[Sent]) -> None:
    """The Java admin client's queryMessage (QUERY_MESSAGE, the index) finds every key exactly once, with the
    producer's msgId and offsetMsgId."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "keys").write_text("".join(s.key + "\n" for s in stored))
    rc = progs.run(work, "OracleAdmin", "queryKeys", namesrv, topic, work / "keys", work / "keys.out")
    found = {}
    for line in (work / "keys.out").read_text().splitlines():
        _, key, n, ids = line.split()
        found[key] = (int(n), ids)
    assert len(found) == len(stored), f"OracleAdmin queryKeys exited {rc} after {len(found)} of {len(stored)} keys"
    wrong = [(s.key, found[s.key]) for s in stored if found[s.key] != (1, f"{s.msg_id}/{s.offset_id}")]
    assert not wrong, (f"{len(wrong)} of {len(stored)} keys not found exactly once by queryMessage (key, (hits, "
                       f"uniqId/offsetMsgId)): {wrong[:3]}")
    assert rc == 0, f"OracleAdmin queryKeys exited {rc}"


def check_id_lookups(progs: JavaPrograms, work: Path, namesrv: str, stored: list[Sent]) -> None:
    """The Java admin client's viewMessage (VIEW_MESSAGE_BY_ID at the address inside the offsetMsgId) returns
    every message with the producer's queue, queue offset, key and body."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "ids").write_text("".join(s.offset_id + "\n" for s in stored))
    rc = progs.run(work, "OracleAdmin", "viewIds", namesrv, work / "ids", work / "ids.out")
    seen = {line.split()[1]: line.split()[2:] for line in (work / "ids.out").read_text().splitlines()}
    wrong = [(s, seen.get(s.offset_id)) for s in stored
             if seen.get(s.offset_id) != [str(s.queue), str(s.qoffset), s.key, s.md5]]
    assert rc == 0 and not wrong, f"OracleAdmin viewIds exited {rc}; {len(wrong)} wrong, e.g. {wrong[:3]}"


def mqadmin_query_by_key(progs: JavaPrograms, work: Path, namesrv: str, topic: str, s: Sent) -> None:
    """`mqadmin queryMsgByKey` lists the message (its id, queue and queue offset)."""
    out = progs.mqadmin(work, "queryMsgByKey", "-n", namesrv, "-t", topic, "-k", s.key)
    rows = [line.split() for line in out.splitlines() if line.strip() and not line.startswith("#")]
    assert any(r[0] in (s.msg_id, s.offset_id) and r[1:] == [str(s.queue), str(s.qoffset)] for r in rows), out


def _check_printed_message(out: str, s: Sent) -> None:
    for label, value in (("Keys", rf"\[{s.key}\]"), ("Queue ID", s.queue), ("Queue Offset", s.qoffset),
                         ("CommitLog Offset", int(s.offset_id[-16:], 16))):
        assert re.search(rf"^{label}:\s+{value}$", out, re.M), f"no '{label}: {value}' in:\n{out}"


def mqadmin_query_by_unique_key(progs: JavaPrograms, work: Path, namesrv: str, topic: str, s: Sent) -> None:
    """`mqadmin queryMsgByUniqueKey` (QUERY_MESSAGE with the unique-key flag) prints the message."""
    out = progs.mqadmin(work, "queryMsgByUniqueKey", "-n", namesrv, "-t", topic, "-i", s.msg_id)
    remove_body_files(s)
    _check_printed_message(out, s)


def mqadmin_query_by_id(progs: JavaPrograms, work: Path, namesrv: str, s: Sent) -> None:
    """`mqadmin queryMsgById` (VIEW_MESSAGE_BY_ID at the offsetMsgId's address) prints the message."""
    out = progs.mqadmin(work, "queryMsgById", "-n", namesrv, "-i", s.offset_id)
    remove_body_files(s)
    assert re.search(rf"^OffsetID:\s+{s.offset_id}$", out, re.M), out
    _check_printed_message(out, s)


def replication_checks(progs: JavaPrograms, work: Path, phase: Callable[[str], None], *, namesrv: str, topic: str,
                       queues: int, count: int, key_prefix: str, master_addr: str, master_store: Path,
                       kill_master: Callable[[], None], slave_addr: str, slave_store: Path) -> list[Sent]:
    """One SYNC_MASTER/SLAVE pair, either way round: `count` sends (after warm-up) all SEND_OK, i.e. each one
    acknowledged by the slave; the master SIGKILLed right after the last answer; the slave's commit log then
    equals the dead master's byte for byte, its consume queues and index files equal the master's; a Java
    consumer (fresh group, from the first offset) reads every stored message from the slave. Returns what the
    producer stored."""
    create_topic(master_addr, topic, queues)
    wait_route(namesrv, topic, queues)
    # warm-up sends until the first SEND_OK: before the slave's first offset report a SYNC_MASTER cannot
    # confirm (a Java slave connects up to 5 s after its first registration and reports 5 s after connecting)
    proc, log_path = start_producer(progs, work / "producer", namesrv, topic, count, key_prefix, warmup_seconds=45)
    # meanwhile the slave's SlaveSynchronize must take the topic from the master (GET_ALL_TOPIC_CONFIG): a slave
    # without it answers pulls with TOPIC_NOT_EXIST once the master is gone
    deadline_poll(lambda: topic in broker_topics(slave_addr), 40, f"{topic} synchronized to the slave")
    log = finish_producer(proc, log_path)
    kill_master()
    phase(f"topic synced; Java producer: {len(log.sends)} sends ({len(log.sends) - count} warm-up); "
          "master SIGKILLed at once")
    assert not log.fails, log.fails[:5]
    main = log.main
    assert len(main) == count
    not_ok = [s for s in main if s.status != "SEND_OK"]
    assert not not_ok, f"{len(not_ok)} sends were not SEND_OK once the slave was in sync: {not_ok[:3]}"
    stored = log.sends     # any SEND status (also a warm-up's SLAVE_NOT_AVAILABLE) means the master stored it
    last = max(int(s.offset_id[-16:], 16) for s in stored)      # an offsetMsgId ends with the commit-log offset
    assert last // FILE_SIZE >= 2, f"only {last // FILE_SIZE + 1} commit-log files were written"

    # every acknowledged byte is on the slave: its commit log is the master's, BLANK file ends included
    problems = compare_trees(master_store / "commitlog", slave_store / "commitlog")
    assert not problems, problems[:5]
    # what the slave's reput built from the copied bytes equals what the master built when it wrote them
    wait_same_trees(master_store / "consumequeue", slave_store / "consumequeue",
                    "the slave's consume queues to equal the master's")
    wait_same_index(master_store / "index", slave_store / "index", "the slave's index files to equal the master's")
    phase("commit log, consume queues, index files identical")

    got, final = consume_all(progs, work / "consumer", namesrv, topic, "oracle_after_master_death",
                             {s.msg_id for s in stored})
    phase(f"Java consumer read {len(got)} from the slave")
    assert final and final.startswith("DONE"), final
    check_consumed(got, stored, exact=True)
    # the slave serves the master's bytes unchanged: offsetMsgIds name the master's store host
    assert {g.store_host for g in got} == {master_addr}
    return stored

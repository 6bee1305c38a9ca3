"""Message trace with the Java 4.9.7 client (enableMsgTrace=true) against our NameServer and broker: Apache's
`mqadmin queryMsgTraceById` and ours find the same records and print the same text; the Pub record names our
broker as the store host and carries the offsetMsgId the producer got. Default and custom trace topic, and
transactional sends (Pub of the half message, EndTransaction of the commit). The Pub records our broker
writes itself (brokerTraceEnable) for a Java producer without trace: Apache's tool reads them as it reads a
client's. The C++ 2.1 core's records: the one documented difference between the two tools."""
from __future__ import annotations

import subprocess

import pytest

from remoting import trace
from store import message as m
from tests.support.daemons import BrokerProcess, NamesrvProcess
from tests.support.cpp1x import message
from tests.support.trace import TracedClient, records_about, stored, trace_rows, traced_producer, wait_trace

from .oracle import ORACLE_HOME, deadline_poll, java_env, produce

COUNT = 3
HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC"


def java_query(work, namesrv: str, msg_id: str, topic: str | None) -> subprocess.CompletedProcess:
    args = ["queryMsgTraceById", "-n", namesrv, "-i", msg_id] + (["-t", topic] if topic else [])
    return subprocess.run([str(ORACLE_HOME / "bin" / "mqadmin"), *args], cwd=work, env=java_env(work / "home"),
                          capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("trace_topic,transaction", [(None, False), ("OpsTraceTopic", False), (None, True)])
def test_java_client_trace_shown_by_apache_and_our_mqadmin(java, tmp_path, phase, trace_topic, transaction):
    topic, producer, consumer = "JavaTraced", "PID_java_trace", "CID_java_trace"
    props = dict(traceTopicEnable=True) if trace_topic is None else dict(traceTopicEnable=True,
                                                                         msgTraceTopicName=trace_topic)
    with NamesrvProcess(tmp_path / "ns") as ns, BrokerProcess(tmp_path / "broker", ns.addr, **props) as br:
        work = tmp_path / "java"
        log, stop = work / "trace.log", work / "stop"
        args = ["-n", ns.addr, "-t", topic, "-p", producer, "-g", consumer, "-c", COUNT, "-o", log, "--stop", stop]
        args += (["-r", trace_topic] if trace_topic else []) + (["--transaction", "true"] if transaction else [])
        proc = java.start(work, "OracleTrace", *args)
        try:
            deadline_poll(lambda: log.exists() and ("DONE" in log.read_text() or "TIMEOUT" in log.read_text()),
                          150, "the Java client to send and consume")
            lines = log.read_text().splitlines()
            assert "DONE" in lines, lines
            sent = [line.split()[1:] for line in lines if line.startswith("SEND ")]
            assert len(sent) == COUNT and all(s[2] == "SEND_OK" for s in sent), sent
            phase("Java producer and consumer with trace")
            for msg_id, offset_id, _ in sent:
                ours = wait_trace(ns.addr, msg_id, lambda rows: {r[0] for r in rows} == {"Pub", "Sub"}, trace_topic)
                rows = trace_rows(ours)
                assert [r[:3] + r[-1:] for r in rows] == [["Pub", producer, "127.0.0.1", "success"],
                                                         ["Sub", consumer, "127.0.0.1", "success"]], ours.stdout
                # the decoded records: the broker that stored it, the offsetMsgId the producer got
                records = records_about(br.addr, trace_topic or trace.DEFAULT_TRACE_TOPIC, msg_id)
                (pub,) = [r for r in records if isinstance(r, trace.Pub)]
                # (a transactional send's result has no offsetMsgId; the record has the half message's)
                first = stored(br.addr, HALF_TOPIC if transaction else topic, msg_id)
                assert offset_id == ("null" if transaction else pub.offset_msg_id)
                assert (pub.store_host, pub.offset_msg_id, pub.topic, pub.success) == (
                    br.addr, m.offset_msg_id(first.store_host, first.physical_offset), topic, True)
                assert pub.timestamp <= first.store_timestamp <= pub.timestamp + pub.cost_time, (pub, first)
                if transaction:
                    # a half message, then its commit (EndTransactionTraceHookImpl), decoded
                    (end,) = [r for r in records if isinstance(r, trace.EndTransaction)]
                    assert pub.msg_type == trace.MessageType.Trans_Msg_Half
                    assert (end.group, end.transaction_state, end.from_transaction_check, end.msg_type) == (
                        producer, "COMMIT_MESSAGE", False, trace.MessageType.Trans_msg_Commit)
                kinds = {"Pub", "SubBefore", "SubAfter"} | ({"EndTransaction"} if transaction else set())
                assert {type(r).__name__ for r in records} == kinds
                if msg_id == sent[-1][0]:   # Apache's tool on the same data prints the same text (a JVM per run)
                    theirs = java_query(work, ns.addr, msg_id, trace_topic)
                    assert theirs.stdout == ours.stdout, (theirs.stdout, theirs.stderr, ours.stdout)
            phase("both mqadmin queryMsgTraceById compared")
        finally:
            stop.touch()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def test_broker_written_pub_records_read_by_apaches_mqadmin(java, tmp_path, phase):
    with NamesrvProcess(tmp_path / "ns") as ns, \
            BrokerProcess(tmp_path / "broker", ns.addr, brokerTraceEnable=True) as br:
        work = tmp_path / "java"
        log = produce(java, work, ns.addr, "JavaUntraced", COUNT, "ut")   # group oracle_producer, no trace
        assert len(log.ok) == COUNT, log.sends
        phase("Java producer without trace")
        for s in log.ok:
            ours = wait_trace(ns.addr, s.msg_id, lambda rows: bool(rows))
            assert [r[:3] + r[-1:] for r in trace_rows(ours)] == [["Pub", "oracle_producer", "127.0.0.1", "success"]], \
                (ours.stdout, ours.stderr)
            (pub,) = records_about(br.addr, trace.DEFAULT_TRACE_TOPIC, s.msg_id)
            assert pub.offset_msg_id == s.offset_id and pub.topic == "JavaUntraced"
            if s is log.ok[-1]:
                theirs = java_query(work, ns.addr, s.msg_id, None)
                assert theirs.stdout == ours.stdout, (theirs.stdout, theirs.stderr, ours.stdout)
        phase("both mqadmin queryMsgTraceById compared")


def test_cpp21_records_read_by_apache_and_ours(java, tmp_path, phase):
    """The C++ 2.1 core's records (one per message, in rmq_sys_TRACE_DATA_<region>): both tools print the same
    Pub block; its SubAfter has no group and time, which Apache's tool shows as an empty group at the time of
    the query and ours takes from the matching SubBefore (the documented difference)."""
    region, topic = "DEFAULT_REGION", "Cpp21TracedJ"
    trace_topic = f"rmq_sys_TRACE_DATA_{region}"
    with NamesrvProcess(tmp_path / "ns") as ns, \
            BrokerProcess(tmp_path / "broker", ns.addr, traceTopicEnable=True, regionId=region):
        traced_producer(tmp_path / "p0", ns.addr, "PID_cpp21_j", [message(topic, b"warm-up")]).stop()  # the route
        c = TracedClient(tmp_path / "c", "push", ns.addr, "CID_cpp21_j", topic, "*", "CLUSTERING", "120")
        p = traced_producer(tmp_path / "p", ns.addr, "PID_cpp21_j", [message(topic, b"from the 2.1 core")])
        try:
            msg_id = p.messages[0]["msg_id"]
            ours = wait_trace(ns.addr, msg_id, lambda rows: {r[0] for r in rows} == {"Pub", "Sub"}, trace_topic)
            phase("C++ 2.1 producer and consumer with trace")
            theirs = java_query(tmp_path / "java", ns.addr, msg_id, trace_topic)
            phase("Apache's mqadmin queryMsgTraceById")
        finally:
            p.stop()
            c.stop()
    ours_lines, their_lines = ours.stdout.splitlines(), theirs.stdout.splitlines()
    assert ours_lines[:3] == their_lines[:3] and ours_lines[1].split()[1] == "PID_cpp21_j", (theirs.stdout, ours.stdout)
    assert ours_lines[3:] and [x.split() for x in their_lines[3:]][0] == ours_lines[3].split()   # the Sub header
    (their_sub,) = [x.split() for x in their_lines if x.startswith("Sub ")]
    (our_sub,) = [x.split() for x in ours_lines if x.startswith("Sub ")]
    assert our_sub[1] == "CID_cpp21_j" and their_sub == [our_sub[0]] + our_sub[2:3] + their_sub[2:4] + our_sub[5:], \
        (theirs.stdout, ours.stdout)

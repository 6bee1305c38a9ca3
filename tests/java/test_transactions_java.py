"""Transactional messages with the Java 4.9.7 TransactionMQProducer against our NameServer and broker:
commit -> consumed once, rollback -> never, UNKNOW -> our broker's CHECK_TRANSACTION_STATE reaches the Java
producer and its answer decides (the Java client reads the check's body and header as Java's broker sends them)."""
from __future__ import annotations

from collections import Counter

from tests.support.admin import create_topic
from tests.support.daemons import BrokerProcess, NamesrvProcess

TX_PROPS = {"transactionCheckInterval": 1000, "transactionTimeOut": 2000, "transactionCheckMax": 300}


def test_java_transaction_producer(java, tmp_path, phase):
    topic = "JavaTx"
    with NamesrvProcess(tmp_path / "ns") as ns, BrokerProcess(tmp_path / "broker", ns.addr, **TX_PROPS) as br:
        create_topic(br.addr, topic, queues=1)
        phase("daemons up")
        log = tmp_path / "tx.log"
        rc = java.run(tmp_path / "java", "OracleTransactions", "-n", ns.addr, "-t", topic, "-p", "PID_java_tx",
                      "-g", "CID_java_tx", "-o", log, "--timeout", 150, timeout=240)
        phase("Java producer and consumer")
        lines = [line.split() for line in log.read_text().splitlines()]
        assert rc == 0 and ["DONE"] in lines, log.read_text()
        sent = {p[1]: p for p in lines if p[0] == "SENT"}
        assert all(p[2] == "SEND_OK" for p in sent.values()), sent
        checks = {p[1]: p for p in lines if p[0] == "CHECK"}
        assert {"unknown-commit", "unknown-rollback"} <= set(checks)
        assert not {"commit", "rollback", "sentinel"} & set(checks)      # decided ones are never asked about
        # the check's body is the half copy (msgId read from it: its offset id, on our broker) and its
        # transactionId is the id the producer got
        assert checks["unknown-commit"][4] == sent["unknown-commit"][3]
        assert checks["unknown-commit"][3].startswith("7F000001%08X" % br.port)
        consumed = [p for p in lines if p[0] == "CONSUMED"]
        assert Counter(p[1] for p in consumed) == Counter({"commit": 1, "unknown-commit": 1, "sentinel": 1})
        for p in consumed:
            assert p[2] == sent[p[1]][3] and p[3] == topic

"""Transactional messages with a real client: rocketmq-client-python 2.0.0 (C++ 2.1 core) TransactionMQProducer
against our NameServer and Broker. Commit -> consumed once; rollback -> never; unknown -> the broker's
CHECK_TRANSACTION_STATE reaches the producer and its answer decides; a producer killed before answering ->
another producer of the group is asked; a broker SIGKILLed with open transactions -> every outcome still
right after the restart, nothing delivered twice.

Each test topic has one queue, so the consumer sees messages in commit order: a committed "sentinel" sent
after the decisions under test is the event that says every earlier decision has been applied."""
from __future__ import annotations

import json
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.admin import create_topic
from tests.support.clientenv import cpp21_env, cpp21_python
from tests.support.consumer_proc import ConsumerProcess
from tests.support.cpp1x import PushConsumer, message
from tests.support.daemons import ROOT, BrokerProcess, NamesrvProcess

pytestmark = pytest.mark.interop

SCRIPT = ROOT / "tests" / "interop" / "scripts" / "cpp21_transaction.py"
# checks every second for half messages older than 2 s (Java: every 60 s, older than 6 s). Each run copies an
# open half message again (check count + 1, whether or not a producer is there to ask), and the C++ client's
# first heartbeat, which tells the broker where the producer is, comes up to 30 s after its start: allow
# enough checks for that (Java: 15 checks, one a minute)
TX_PROPS = {"transactionCheckInterval": 1000, "transactionTimeOut": 2000, "transactionCheckMax": 300}


class TxProducer(ConsumerProcess):
    """A TransactionMQProducer subprocess; `checks` maps keys to the answer a check gets."""

    def __init__(self, home: Path, namesrv: str, group: str, checks: dict[str, str]) -> None:
        home.mkdir(parents=True, exist_ok=True)
        super().__init__([str(cpp21_python()), str(SCRIPT), namesrv, group, json.dumps(checks)], cpp21_env(home), home)

    def send(self, topic: str, keys: str, local: str, timeout: float = 60) -> dict:
        d = message(topic, f"body-{keys}".encode(), tags="TagTx", keys=keys)
        d["local"] = local
        self.proc.stdin.write(json.dumps(d) + "\n")
        self.proc.stdin.flush()
        assert self.wait_for(lambda got: any(g.get("sent") == keys for g in got), timeout), self.errors
        return next(g for g in self.messages if g.get("sent") == keys)

    def checked(self, keys: str) -> list[dict]:
        return [g for g in self.messages if g.get("check") == keys]

    def wait_checked(self, keys: str, timeout: float = 60) -> None:
        assert self.wait_for(lambda got: any(g.get("check") == keys for g in got), timeout), \
            f"no check for {keys}: {self.messages}"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def one_queue_topic(ns_addr: str, broker_addr: str, topic: str) -> None:
    create_topic(broker_addr, topic, queues=1)


def keys_consumed(consumer: PushConsumer) -> Counter:
    return Counter(g["keys"] for g in consumer.messages)


def wait_consumed(consumer: PushConsumer, keys: str, timeout: float = 90) -> None:
    assert consumer.wait_for(lambda got: any(g["keys"] == keys for g in got), timeout), keys_consumed(consumer)


@contextmanager
def cluster(tmp_path: Path):
    with NamesrvProcess(tmp_path / "ns") as ns:
        broker = BrokerProcess(tmp_path / "broker", ns.addr, **TX_PROPS).start()
        try:
            yield ns, broker
        finally:
            if broker.alive():
                broker.stop()


def commit_rollback_and_check_answers(tmp_path: Path) -> None:
    with cluster(tmp_path) as (ns, broker):
        _commit_rollback_and_check_answers(ns, broker, tmp_path)


def _commit_rollback_and_check_answers(ns, broker, tmp_path: Path) -> None:
    topic = "TxTopic"
    one_queue_topic(ns.addr, broker.addr, topic)
    producer = TxProducer(tmp_path / "p", ns.addr, "PID_tx", {"unknown-commit": "commit",
                                                             "unknown-rollback": "rollback"})
    consumer = PushConsumer(tmp_path / "c", ns.addr, "CID_tx", topic)
    try:
        acks = {k: producer.send(topic, k, local) for k, local in
                [("commit", "commit"), ("rollback", "rollback"), ("unknown-commit", "unknown"),
                 ("unknown-rollback", "unknown")]}
        assert all(a["status"] == 0 for a in acks.values()), acks
        wait_consumed(consumer, "commit")
        producer.wait_checked("unknown-commit")
        producer.wait_checked("unknown-rollback")
        wait_consumed(consumer, "unknown-commit")
        producer.send(topic, "sentinel", "commit")
        wait_consumed(consumer, "sentinel")
        assert keys_consumed(consumer) == Counter({"commit": 1, "unknown-commit": 1, "sentinel": 1})
        # decided messages are never asked about
        assert not producer.checked("commit") and not producer.checked("rollback")
        # the consumer sees the producer's msgId (UNIQ_KEY) and the real topic
        got = {g["keys"]: g for g in consumer.messages}
        assert got["commit"]["id"] == acks["commit"]["msg_id"] and got["commit"]["topic"] == topic
        assert got["commit"]["tags"] == "TagTx"
    finally:
        consumer.stop()
        producer.stop()


def producer_killed_before_answering(tmp_path: Path) -> None:
    with cluster(tmp_path) as (ns, broker):
        _producer_killed_before_answering(ns, broker, tmp_path)


def _producer_killed_before_answering(ns, broker, tmp_path: Path) -> None:
    topic = "TxOrphan"
    one_queue_topic(ns.addr, broker.addr, topic)
    first = TxProducer(tmp_path / "p1", ns.addr, "PID_orphan", {})
    assert first.send(topic, "orphan", "unknown")["status"] == 0
    first.kill()                              # before the half message is old enough to be checked
    second = TxProducer(tmp_path / "p2", ns.addr, "PID_orphan", {"orphan": "commit"})
    consumer = PushConsumer(tmp_path / "c", ns.addr, "CID_orphan", topic)
    try:
        second.wait_checked("orphan", 90)
        wait_consumed(consumer, "orphan")
        second.send(topic, "sentinel", "commit")
        wait_consumed(consumer, "sentinel")
        assert keys_consumed(consumer) == Counter({"orphan": 1, "sentinel": 1})
    finally:
        consumer.stop()
        second.stop()


def broker_sigkill_with_open_transactions(tmp_path: Path) -> None:
    with cluster(tmp_path) as (ns, broker):
        _broker_sigkill_with_open_transactions(ns, broker, tmp_path)


def _broker_sigkill_with_open_transactions(ns, broker, tmp_path: Path) -> None:
    topic = "TxKill"
    one_queue_topic(ns.addr, broker.addr, topic)
    producer = TxProducer(tmp_path / "p", ns.addr, "PID_kill", {"open-commit": "commit", "open-rollback": "rollback"})
    consumer = None
    try:
        for k, local in [("committed", "commit"), ("rolled-back", "rollback"), ("open-commit", "unknown"),
                         ("open-rollback", "unknown")]:
            assert producer.send(topic, k, local)["status"] == 0
        assert broker.stop(signal.SIGKILL) == -9
        assert not producer.checked("open-commit")   # still open when the broker died
        broker = BrokerProcess(broker.workdir, ns.addr, listenPort=broker.port, **TX_PROPS).start()
        consumer = PushConsumer(tmp_path / "c", ns.addr, "CID_kill", topic)
        producer.wait_checked("open-commit", 90)
        producer.wait_checked("open-rollback", 90)
        wait_consumed(consumer, "open-commit")
        producer.send(topic, "sentinel", "commit")
        wait_consumed(consumer, "sentinel")
        assert keys_consumed(consumer) == Counter({"committed": 1, "open-commit": 1, "sentinel": 1})
    finally:
        if consumer is not None:
            consumer.stop()
        producer.stop()
        if broker.alive():
            broker.stop()


# The scenarios spend most of their time waiting for the C++ client's first heartbeat (up to 30 s): they run
# side by side, each with its own NameServer and Broker, and each test reports its own.
SCENARIOS = {"commit": commit_rollback_and_check_answers, "orphan": producer_killed_before_answering,
             "sigkill": broker_sigkill_with_open_transactions}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    with ThreadPoolExecutor(len(SCENARIOS)) as pool:
        yield {name: pool.submit(fn, tmp_path_factory.mktemp(name)) for name, fn in SCENARIOS.items()}


def test_commit_rollback_and_check_answers(scenarios):
    scenarios["commit"].result(timeout=110)


def test_a_producer_killed_before_answering_leaves_the_check_to_another_of_its_group(scenarios):
    scenarios["orphan"].result(timeout=110)


def test_broker_sigkill_with_open_transactions(scenarios):
    scenarios["sigkill"].result(timeout=110)

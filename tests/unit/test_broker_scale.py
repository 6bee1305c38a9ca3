"""Per-change costs that must not grow with the world (bench scenario s): whole-table config writes are
coalesced, full NameServer registrations after auto-created topics are coalesced, and a closed connection
only touches the groups it was in."""
from __future__ import annotations

import asyncio
import threading

from broker.client_manager import ClientChannel, ConsumerManager, ProducerManager, SubscriptionData
from broker.config import BrokerConfig, load_settings
from broker.namesrv_register import NamesrvRegistrar
from broker.subscription_group import SubscriptionGroupConfig, SubscriptionGroupManager, groups_from_json
from broker.topic_config import TopicConfigManager
from remoting import fastjson
from remoting.bodies import RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper


class Lane:
    """A metadata lane that runs its jobs only when told (what the broker's one-thread executor does later)."""

    def __init__(self) -> None:
        self.jobs: list = []

    def submit(self, job) -> None:
        self.jobs.append(job)

    def drain(self) -> int:
        n = 0
        while self.jobs:
            self.jobs.pop(0)()
            n += 1
        return n


def saved_topics(mgr: TopicConfigManager) -> TopicConfigSerializeWrapper:
    with open(mgr.path) as f:
        return TopicConfigSerializeWrapper.from_json(fastjson.loads(f.read()))


def test_many_topic_changes_make_one_write_of_the_last_state(tmp_path):
    lane = Lane()
    mgr = TopicConfigManager(BrokerConfig(), str(tmp_path), lane.submit)
    for i in range(200):
        mgr.update(TopicConfig(f"T{i}", 8, 8, 6))
    assert len(lane.jobs) == 1          # not one whole-table encoding per change
    assert lane.drain() == 1
    saved = saved_topics(mgr)
    assert saved.topicConfigTable == mgr.table and saved.dataVersion == mgr.data_version
    assert saved.dataVersion.counter == 200


def test_a_change_while_a_write_runs_queues_the_next_write(tmp_path):
    lane = Lane()
    mgr = TopicConfigManager(BrokerConfig(), str(tmp_path), lane.submit)
    mgr.update(TopicConfig("A", 1, 1, 6))
    job = lane.jobs.pop()
    real_encode = mgr._writer._encode

    def encode_then_change() -> str:
        content = real_encode()          # the write has taken its snapshot ...
        mgr.update(TopicConfig("B", 1, 1, 6))   # ... and a change comes in before it is on disk
        return content
    mgr._writer._encode = encode_then_change
    job()
    assert "B" not in saved_topics(mgr).topicConfigTable
    mgr._writer._encode = real_encode
    assert lane.drain() == 1
    assert saved_topics(mgr).topicConfigTable == mgr.table and "B" in mgr.table


def test_a_synchronous_lane_still_writes_every_change(tmp_path):
    mgr = TopicConfigManager(BrokerConfig(), str(tmp_path), lambda job: job())
    mgr.update(TopicConfig("A", 1, 1, 6))
    assert "A" in saved_topics(mgr).topicConfigTable
    mgr.update(TopicConfig("B", 1, 1, 6))
    assert "B" in saved_topics(mgr).topicConfigTable


def test_group_changes_are_coalesced_too(tmp_path):
    lane = Lane()
    groups = SubscriptionGroupManager(False, str(tmp_path), lane.submit)
    for i in range(100):
        groups.update(SubscriptionGroupConfig(f"G{i}", retryQueueNums=2))
    assert lane.drain() == 1
    with open(groups.path) as f:
        table, version = groups_from_json(fastjson.loads(f.read()))
    assert table == groups.table and version == groups.data_version


def test_a_write_never_sees_a_change_made_in_several_steps_half_done(tmp_path):
    mgr = TopicConfigManager(BrokerConfig(), str(tmp_path), Lane().submit)
    new = {"X": TopicConfig("X", 2, 2, 6)}
    out: list[str] = []
    with mgr._writer.lock:                # what replace_all holds while it clears and refills the table
        mgr.table.clear()
        writer = threading.Thread(target=lambda: out.append(mgr._encode()))
        writer.start()
        writer.join(0.2)
        assert writer.is_alive() and not out
        mgr.table.update(new)
    writer.join(5)
    assert TopicConfigSerializeWrapper.from_json(fastjson.loads(out[0])).topicConfigTable == new


# ------------------------------------------------------------ registrations


class FakeNamesrvClient:
    def __init__(self) -> None:
        self.bodies: list[RegisterBrokerBody] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def invoke_oneway(self, addr, req) -> None:
        await self.gate.wait()
        self.bodies.append(RegisterBrokerBody.decode(req.body, False))


async def test_full_registrations_after_auto_created_topics_are_coalesced(tmp_path):
    settings, _ = load_settings(None, "127.0.0.1:9876", {"compressedRegister": "false"})
    lane = Lane()
    topics = TopicConfigManager(settings.broker, str(tmp_path), lane.submit)
    client = FakeNamesrvClient()
    registrar = NamesrvRegistrar(settings, topics, client)   # type: ignore[arg-type]
    topics.on_change = registrar.topic_changed
    for i in range(50):                   # one loop turn: one registration
        topics.create_in_send_back(f"%RETRY%G{i}", 1, 6)
    await asyncio.wait(set(registrar._pending))
    assert len(client.bodies) == 1
    assert all(f"%RETRY%G{i}" in client.bodies[0].topicConfigSerializeWrapper.topicConfigTable for i in range(50))

    client.gate.clear()                   # a registration in flight: changes meanwhile make one more, not 50
    topics.create_in_send_back("%RETRY%H0", 1, 6)
    await asyncio.sleep(0.01)
    for i in range(1, 50):
        topics.create_in_send_back(f"%RETRY%H{i}", 1, 6)
        await asyncio.sleep(0)
    client.gate.set()
    await asyncio.wait(set(registrar._pending))
    assert len(client.bodies) == 3
    last = client.bodies[-1].topicConfigSerializeWrapper
    assert set(last.topicConfigTable) == set(topics.table) and last.dataVersion == topics.data_version


# ------------------------------------------------------------ connections closing


def consumer(mgr: ConsumerManager, group: str, conn: object) -> None:
    mgr.register(group, ClientChannel(conn, f"id-{conn}", "JAVA", 0, 0), "CONSUME_PASSIVELY", "CLUSTERING",
                 "CONSUME_FROM_LAST_OFFSET", [SubscriptionData("T")], notify=True)


def test_a_closed_connection_leaves_its_groups_only():
    mgr = ConsumerManager()
    notified: list[tuple[str, list]] = []
    mgr.on_ids_changed = lambda g, conns: notified.append((g, conns))
    for g in range(100):
        consumer(mgr, f"G{g}", f"c{g}")
    consumer(mgr, "G1", "x")
    consumer(mgr, "G2", "x")
    notified.clear()
    mgr.connection_closed("x")
    assert notified == [("G1", ["c1"]), ("G2", ["c2"])]
    mgr.connection_closed("c3")
    assert "G3" not in mgr.groups and len(mgr.groups) == 99
    mgr.connection_closed("never-seen")
    assert len(mgr.groups) == 99 and not mgr._groups_of.get("x") and "c3" not in mgr._groups_of


def test_unregister_and_expiry_keep_the_connection_index_right():
    now = [1000]
    mgr = ConsumerManager(clock=lambda: now[0])
    consumer(mgr, "A", "c")
    consumer(mgr, "B", "c")
    mgr.unregister("A", "c", notify=False)
    assert mgr._groups_of["c"] == {"B"}
    now[0] += 200_000
    assert mgr.expire(120_000) == ["c"]
    assert "c" not in mgr._groups_of and not mgr.groups
    consumer(mgr, "A", "c")                # the same connection heartbeats again
    mgr.connection_closed("c")
    assert not mgr.groups


def test_producers_of_a_closed_connection():
    mgr = ProducerManager()
    for g in range(50):
        mgr.register(f"P{g}", ClientChannel(f"c{g}", "id", "JAVA", 0, 0))
    mgr.register("P1", ClientChannel("x", "id", "JAVA", 0, 0))
    mgr.connection_closed("x")
    assert set(mgr.groups["P1"]) == {"c1"} and len(mgr.groups) == 50
    mgr.connection_closed("c7")
    assert "P7" not in mgr.groups and "c7" not in mgr._groups_of

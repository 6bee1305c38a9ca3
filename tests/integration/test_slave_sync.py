"""SlaveSynchronize against a real master broker daemon: topics, subscription groups, consumer offsets and
delay offsets arrive in a slave's managers and files by Java's rules (replace on a DataVersion change,
putAll for offsets, the delay-offset body written verbatim)."""
from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path
from typing import Callable

import pytest

from broker.config import BrokerConfig
from broker.consumer_offset import ConsumerOffsetManager, offsets_from_json
from broker.slave_sync import SlaveSynchronize
from broker.subscription_group import SubscriptionGroupManager, groups_from_json
from broker.topic_config import TopicConfigManager
from remoting import fastjson
from remoting.bodies import TopicConfig, TopicConfigSerializeWrapper
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.support.daemons import BrokerProcess


@pytest.fixture
def master(namesrv, tmp_path):
    with BrokerProcess(tmp_path / "master", namesrv.addr, messageDelayLevel=" ".join(["1s"] * 18)) as br:
        yield br


class MetadataIO:
    """The broker's metadata I/O thread, with a way to wait until every write handed to it is done."""

    def __init__(self) -> None:
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-metadata-io")
        self.pending: list[concurrent.futures.Future] = []

    def submit(self, job: Callable[[], None]) -> None:
        self.pending.append(self.pool.submit(job))

    def drain(self) -> None:
        done, self.pending = self.pending, []
        for f in done:
            f.result()


@pytest.fixture
def io():
    mio = MetadataIO()
    yield mio
    mio.pool.shutdown(wait=True)


async def ask(client, addr: str, code: int, ext: dict[str, str] | None = None, body: bytes | None = None):
    resp = await client.invoke(addr, make_request(code, ext, body), 5)
    assert resp.code == ResponseCode.SUCCESS, resp
    return resp


async def create_topic(client, addr: str, topic: str, queues: int, perm: int = 6) -> None:
    await ask(client, addr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
        "perm": str(perm), "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"})


async def commit(client, addr: str, group: str, topic: str, queue: int, offset: int) -> None:
    await ask(client, addr, RequestCode.UPDATE_CONSUMER_OFFSET, {
        "consumerGroup": group, "topic": topic, "queueId": str(queue), "commitOffset": str(offset)})


async def master_bodies(client, addr: str) -> dict[int, bytes]:
    R = RequestCode
    return {code: bytes((await ask(client, addr, code)).body)
            for code in (R.GET_ALL_TOPIC_CONFIG, R.GET_ALL_CONSUMER_OFFSET, R.GET_ALL_DELAY_OFFSET,
                         R.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)}


async def delayed_message_delivered(client, addr: str, topic: str) -> None:
    """Send one level-1 (1 s) delayed message and wait until the master's delay offset for level 1 moved."""
    await ask(client, addr, RequestCode.SEND_MESSAGE, {
        "producerGroup": "PID_sync", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
        "queueId": "0", "sysFlag": "0", "bornTimestamp": "1700000000000", "flag": "0",
        "properties": "DELAY\x011\x02WAIT\x01true\x02"}, b"later")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        body = (await ask(client, addr, RequestCode.GET_ALL_DELAY_OFFSET)).body
        if (fastjson.loads(body).get("offsetTable") or {}).get(1) == 1:
            return
        assert loop.time() < deadline, f"the delayed message was never delivered: {bytes(body)!r}"
        await asyncio.sleep(0.1)


async def test_slave_takes_the_masters_metadata_by_java_rules(master, client, io, tmp_path):
    addr = master.addr
    await create_topic(client, addr, "SyncTopicA", 4)
    await create_topic(client, addr, "SyncTopicB", 2, perm=4)
    await ask(client, addr, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
              body=fastjson.dumpb({"groupName": "CID_sync", "retryMaxTimes": 5, "consumeBroadcastEnable": False}))
    await commit(client, addr, "CID_sync", "SyncTopicA", 0, 5)
    await commit(client, addr, "CID_sync", "SyncTopicA", 1, 6)
    await commit(client, addr, "CID_other", "SyncTopicB", 0, 3)
    await delayed_message_delivered(client, addr, "SyncTopicA")

    root = tmp_path / "slave"
    config = root / "config"
    topics = TopicConfigManager(BrokerConfig(brokerName="broker-a"), str(root), io.submit)
    groups = SubscriptionGroupManager(True, str(root), io.submit)
    offsets = ConsumerOffsetManager(str(root), io.submit)
    topics.table["SlaveOnlyTopic"] = TopicConfig("SlaveOnlyTopic", 1, 1)    # gone after the first sync
    groups.table["CID_slave_only"] = groups.table["TOOLS_CONSUMER"]
    offsets.commit("CID_local", "LocalTopic", 0, 7)                        # only here: survives every sync
    offsets.commit("CID_sync", "SyncTopicA", 0, 999)                       # conflicting: master's value wins
    offsets.commit("CID_sync", "SyncTopicA", 3, 42)                        # same key: putAll replaces it whole
    sync = SlaveSynchronize(client, "127.0.0.1:1", topics, groups, offsets, str(config / "delayOffset.json"),
                            io.submit)

    await sync.sync_all()                   # no master known yet: nothing asked, nothing written
    io.drain()
    assert not config.exists()

    sync.master_addr = addr
    bodies = await master_bodies(client, addr)
    await sync.sync_all()
    io.drain()
    R = RequestCode

    want_topics = TopicConfigSerializeWrapper.from_json(fastjson.loads(bodies[R.GET_ALL_TOPIC_CONFIG]))
    assert topics.table == want_topics.topicConfigTable and "SlaveOnlyTopic" not in topics.table
    assert topics.table["SyncTopicB"] == TopicConfig("SyncTopicB", 2, 2, 4)
    assert topics.data_version == want_topics.dataVersion
    assert TopicConfigSerializeWrapper.from_json(fastjson.loads((config / "topics.json").read_text())) == want_topics

    want_groups, want_group_version = groups_from_json(fastjson.loads(bodies[R.GET_ALL_SUBSCRIPTIONGROUP_CONFIG]))
    assert groups.table == want_groups and "CID_slave_only" not in groups.table
    assert groups.table["CID_sync"].retryMaxTimes == 5 and not groups.table["CID_sync"].consumeBroadcastEnable
    assert groups.data_version == want_group_version
    assert groups_from_json(fastjson.loads((config / "subscriptionGroup.json").read_text())) == (
        want_groups, want_group_version)

    merged = {"LocalTopic@CID_local": {0: 7}, "SyncTopicA@CID_sync": {0: 5, 1: 6}, "SyncTopicB@CID_other": {0: 3}}
    assert offsets_from_json(fastjson.loads(bodies[R.GET_ALL_CONSUMER_OFFSET])) == {
        k: v for k, v in merged.items() if k != "LocalTopic@CID_local"}
    assert offsets.table == merged
    assert offsets_from_json(fastjson.loads((config / "consumerOffset.json").read_text())) == merged

    assert (config / "delayOffset.json").read_bytes() == bodies[R.GET_ALL_DELAY_OFFSET]
    assert fastjson.loads(bodies[R.GET_ALL_DELAY_OFFSET])["offsetTable"][1] == 1

    # unchanged DataVersions: topics and groups are neither replaced nor rewritten; offsets and delay
    # offsets are written on every run
    for name in ("topics.json", "subscriptionGroup.json", "consumerOffset.json", "delayOffset.json"):
        (config / name).unlink()
    table_before = dict(topics.table)
    await commit(client, addr, "CID_sync", "SyncTopicA", 1, 8)
    await sync.sync_all()
    io.drain()
    assert not (config / "topics.json").exists() and not (config / "subscriptionGroup.json").exists()
    assert topics.table == table_before
    assert offsets.table["SyncTopicA@CID_sync"] == {0: 5, 1: 8}
    assert offsets_from_json(fastjson.loads((config / "consumerOffset.json").read_text())) == offsets.table
    assert (config / "delayOffset.json").read_bytes() == bodies[R.GET_ALL_DELAY_OFFSET]

    # a change on the master (new DataVersion) is taken again, with the previous file kept as .bak
    await create_topic(client, addr, "SyncTopicC", 1)
    await sync.sync_all()
    io.drain()
    assert "SyncTopicC" in topics.table
    assert topics.data_version == TopicConfigSerializeWrapper.from_json(
        fastjson.loads((await ask(client, addr, R.GET_ALL_TOPIC_CONFIG)).body)).dataVersion
    saved = TopicConfigSerializeWrapper.from_json(fastjson.loads((config / "topics.json").read_text()))
    assert saved.topicConfigTable == topics.table and saved.dataVersion == topics.data_version


async def test_an_unreachable_master_changes_nothing(client, io, tmp_path):
    root = tmp_path / "slave"
    topics = TopicConfigManager(BrokerConfig(), str(root), io.submit)
    groups = SubscriptionGroupManager(True, str(root), io.submit)
    offsets = ConsumerOffsetManager(str(root), io.submit)
    before = (dict(topics.table), topics.data_version, dict(groups.table), groups.data_version)
    sync = SlaveSynchronize(client, "127.0.0.1:1", topics, groups, offsets, str(root / "config" / "delayOffset.json"),
                            io.submit)
    from tests.support.daemons import free_port_pair
    sync.master_addr = f"127.0.0.1:{free_port_pair()}"      # nothing listens there
    await sync.sync_all()
    io.drain()
    assert (dict(topics.table), topics.data_version, dict(groups.table), groups.data_version) == before
    assert offsets.table == {} and not (root / "config").exists()

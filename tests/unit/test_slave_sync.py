"""SlaveSynchronize against a scripted master: which address each request goes to, the skip rules for an
unknown or own master address, and one failing part not stopping the others."""
from __future__ import annotations

from pathlib import Path

from broker.config import BrokerConfig
from broker.consumer_offset import ConsumerOffsetManager
from broker.slave_sync import SlaveSynchronize, vip_channel
from broker.subscription_group import SubscriptionGroupManager
from broker.topic_config import TopicConfigManager
from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.errors import RemotingConnectError

MASTER = "10.0.0.1:10911"
SELF = "10.0.0.2:10911"
DELAY_BODY = b'{"offsetTable":{1:5,3:2}}'
OFFSET_BODY = b'{"offsetTable":{"T@G":{0:11,1:12}}}'
GROUP_BODY = (b'{"dataVersion":{"counter":4,"timestamp":1700000000000},'
              b'"subscriptionGroupTable":{"G":{"groupName":"G","retryMaxTimes":3}}}')


class ScriptedMaster:
    """Answers the four requests; `fail` maps a code to an exception to raise or a response code to answer."""

    def __init__(self, fail: dict[int, object] | None = None) -> None:
        self.fail = fail or {}
        self.calls: list[tuple[str, int]] = []

    async def invoke(self, addr: str, request: RemotingCommand, timeout: float = 3.0) -> RemotingCommand:
        self.calls.append((addr, request.code))
        how = self.fail.get(request.code)
        if isinstance(how, Exception):
            raise how
        if isinstance(how, int):
            return make_response(request, how, "refused")
        body = {RequestCode.GET_ALL_CONSUMER_OFFSET: OFFSET_BODY, RequestCode.GET_ALL_DELAY_OFFSET: DELAY_BODY,
                RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG: GROUP_BODY,
                RequestCode.GET_ALL_TOPIC_CONFIG: b'{"dataVersion":{"counter":9,"timestamp":1},"topicConfigTable":{}}'}
        return make_response(request, ResponseCode.SUCCESS, body=body[request.code])


def build(tmp_path: Path, master: ScriptedMaster) -> SlaveSynchronize:
    def run_now(job):
        job()
    root = str(tmp_path)
    return SlaveSynchronize(master, SELF, TopicConfigManager(BrokerConfig(), root, run_now),  # type: ignore[arg-type]
                            SubscriptionGroupManager(True, root, run_now), ConsumerOffsetManager(root, run_now),
                            str(tmp_path / "config" / "delayOffset.json"), run_now)


def test_vip_channel_is_port_minus_two():
    assert vip_channel("127.0.0.1:10911") == "127.0.0.1:10909"
    assert vip_channel("[::1]:10911") == "[::1]:10909"


async def test_nothing_is_asked_without_a_master_or_from_ourselves(tmp_path):
    master = ScriptedMaster()
    sync = build(tmp_path, master)
    await sync.sync_all()
    sync.master_addr = SELF
    await sync.sync_all()
    assert master.calls == []
    assert not (tmp_path / "config").exists()


async def test_topics_go_to_the_vip_port_the_rest_to_the_master_port_in_java_order(tmp_path):
    master = ScriptedMaster()
    sync = build(tmp_path, master)
    sync.master_addr = MASTER
    await sync.sync_all()
    R = RequestCode
    assert master.calls == [("10.0.0.1:10909", R.GET_ALL_TOPIC_CONFIG), (MASTER, R.GET_ALL_CONSUMER_OFFSET),
                            (MASTER, R.GET_ALL_DELAY_OFFSET), (MASTER, R.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)]
    assert (sync.topics.table, sync.topics.data_version.counter) == ({}, 9)


async def test_a_failing_part_does_not_stop_the_later_ones(tmp_path, caplog):
    R = RequestCode
    master = ScriptedMaster({R.GET_ALL_TOPIC_CONFIG: RemotingConnectError("connect to 10.0.0.1:10909 failed"),
                             R.GET_ALL_CONSUMER_OFFSET: ResponseCode.SYSTEM_ERROR,
                             R.GET_ALL_DELAY_OFFSET: ValueError("boom")})
    sync = build(tmp_path, master)
    before = dict(sync.topics.table)
    sync.master_addr = MASTER
    await sync.sync_all()
    assert sync.topics.table == before and sync.offsets.table == {}
    assert not (tmp_path / "config" / "delayOffset.json").exists()
    assert sync.groups.data_version.counter == 4 and sync.groups.table["G"].retryMaxTimes == 3
    assert set(sync.groups.table) == {"G"}
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(e.startswith("SyncTopicConfig Exception, 10.0.0.1:10911") for e in errors)
    assert any("SyncConsumerOffset Exception" in e and "CODE: 1 DESC: refused" in e for e in errors)
    assert any(e.startswith("SyncDelayOffset Exception") for e in errors)


async def test_offsets_merge_and_delay_body_is_written_verbatim(tmp_path):
    sync = build(tmp_path, ScriptedMaster())
    sync.offsets.commit("G", "T", 7, 70)        # replaced: the master's entry for T@G is taken whole
    sync.offsets.commit("L", "T", 0, 1)         # only here: stays
    sync.master_addr = MASTER
    await sync.sync_all()
    assert sync.offsets.table == {"T@G": {0: 11, 1: 12}, "T@L": {0: 1}}
    assert (tmp_path / "config" / "delayOffset.json").read_bytes() == DELAY_BODY
    saved = fastjson.loads((tmp_path / "config" / "consumerOffset.json").read_text())
    assert saved == {"offsetTable": {"T@G": {0: 11, 1: 12}, "T@L": {0: 1}}}


async def test_a_schedule_service_never_started_does_not_overwrite_the_synced_file(tmp_path):
    """On a SLAVE the schedule service is loaded but never started; stopping it must leave the master's
    delayOffset.json alone (Java persists only a started service)."""
    from broker.schedule import ScheduleMessageService
    from store.message_store import MessageStore
    from tests.support.stores import STORE_HOST, fixture_config

    store = MessageStore(fixture_config(tmp_path / "store"), STORE_HOST)
    jobs: list = []
    svc = ScheduleMessageService(store, str(tmp_path), jobs.append)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "delayOffset.json").write_bytes(DELAY_BODY)
    svc.load()
    await svc.stop()
    assert jobs == [] and not svc.started
    assert (tmp_path / "config" / "delayOffset.json").read_bytes() == DELAY_BODY

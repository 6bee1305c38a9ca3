"""Replay what Java 4.9.7 clients and mqadmin sent to a Java broker (../shared/fixtures/java-4.9.7/wire/)
byte for byte against our broker, and compare each answer with the Java broker's: code, flag, serialization,
version, remark, extFields keys, body as data.

State: the wire broker had FixtureA (4 queues, perm 6), created with mqadmin before the captures; we create it
the same way. Normalised explicitly, because they cannot match between two runs: numeric offsets and
timestamps inside admin bodies (maxOffset, minOffset, lastUpdateTimestamp) are compared by type only; the
runtime-info table is compared by its key set, less the scheduleMessageOffset_<level> keys (one per delay level
that has delivered something: the Java broker had delivered levels 1 and 3 before this capture, a fresh broker
none) and the per-path commitLogDiskRatio_<path> key (the path differs). The consumer captures, which need the
wire broker's whole history, are replayed in test_replay_consumer_captures.py.
"""
from __future__ import annotations

import pytest

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.integration.test_replay_java_captures import RawConn, assert_same_answer, body_of, pairs

CAPTURES = ["producer-json", "producer-rocketmq", "admin-updateTopic", "admin-topicStatus", "admin-clusterList"]
_NUMERIC_VARIABLES = {"maxOffset", "minOffset", "lastUpdateTimestamp"}
# our only additions to Java's runtime info: the HA figures (store/ha/service.py runtime_info), named after
# the Java fields and methods they come from; nothing else may differ from Java's key set
HA_RUNTIME_KEYS = {"haConnectionCount", "slaveFallBehindMuch", "push2SlaveMaxOffset", "haMasterAddress",
                   "haClientConnected"}
# and a master's timer figures (store/timer/service.py runtime_info): the 5.x keys of prepareRuntimeInfo, then
# our pending count and delivery lag
TIMER_RUNTIME_KEYS = {"timerReadBehind", "timerOffsetBehind", "timerCongestNum", "timerEnqueueTps",
                      "timerDequeueTps", "timerPendingNum", "timerDeliverLagMs"}


def _normalise(obj):
    if isinstance(obj, dict):
        return {k: (type(v).__name__ if k in _NUMERIC_VARIABLES else _normalise(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    return obj


def assert_same_broker_answer(ours, java, what):
    code = java["header"]["code"]
    if java.get("body_text") and '"table":' in java["body_text"][:10]:
        ours_table = fastjson.loads(ours.body)["table"]
        java_table = fastjson.loads(body_of(java))["table"]
        skip = lambda k: k.startswith("scheduleMessageOffset_") or k.startswith("commitLogDiskRatio_")  # noqa: E731
        extra = HA_RUNTIME_KEYS | TIMER_RUNTIME_KEYS
        assert {k for k in ours_table if not skip(k)} - extra == {k for k in java_table if not skip(k)}, what
        assert {"haConnectionCount", "slaveFallBehindMuch"} <= set(ours_table), what   # a master's HA figures
        ours.body = body_of(java)  # the values are this run's figures; the keys were compared
    elif ours.body is not None and body_of(java) is not None and code == ResponseCode.SUCCESS:
        assert _normalise(fastjson.loads(ours.body)) == _normalise(fastjson.loads(body_of(java))), what
        ours.body = body_of(java)
    assert_same_answer(ours, java, what)


@pytest.fixture
def broker(namesrv, tmp_path):
    from tests.support.daemons import BrokerProcess
    with BrokerProcess(tmp_path / "broker", namesrv.addr) as br:
        yield br


@pytest.mark.parametrize("name", CAPTURES)
async def test_replayed_java_requests_get_java_answers_from_the_broker(name, broker, client):
    create = make_request(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": "FixtureA", "defaultTopic": "TBW102", "readQueueNums": "4", "writeQueueNums": "4", "perm": "6",
        "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"})
    assert (await client.invoke(broker.addr, create, 5)).code == ResponseCode.SUCCESS
    conns: dict[int, RawConn] = {}
    replayed = 0
    try:
        for n, (req, java_resp) in enumerate(pairs(name, peer="broker")):
            conn = conns.get(req["conn"])
            if conn is None:
                conn = conns[req["conn"]] = await RawConn.open(broker.addr)
            raw = bytes.fromhex(req["hex"])
            if java_resp is None:          # oneway: nothing comes back
                conn.writer.write(raw)
                continue
            ours = await conn.exchange(raw)
            assert_same_broker_answer(ours, java_resp, f"{name} frame {n} ({req['code_name']})")
            replayed += 1
        assert replayed > 0
    finally:
        for c in conns.values():
            c.close()

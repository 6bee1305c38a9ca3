"""The consumer diagnostics requests over a real store and real managers, with consumers faked at their
connection: forwarding to one consumer (answer, timeout, gone, too old), offset reset pushed to the group,
consumer status, and the progress views (consume stats, time span, consume queue, correction offsets, clone)."""
from __future__ import annotations

import asyncio
import time

import pytest

from broker.broker2client import version_desc
from broker.client_manager import ClientChannel, ConsumerManager, ProducerManager, SubscriptionData
from broker.config import BrokerConfig
from broker.consumer_offset import ConsumerOffsetManager
from broker.processors.consumer_diag import ConsumerDiagnosticsProcessor, java_date
from broker.subscription_group import SubscriptionGroupManager
from broker.topic_config import TopicConfigManager
from remoting import fastjson
from remoting.bodies import TopicConfig
from remoting.codes import RequestCode, ResponseCode, SerializeType
from remoting.command import RemotingCommand, make_request
from remoting.errors import RemotingSendRequestError, RemotingTimeoutError
from store import message as m
from tests.support.stores import open_store, small_config

HOST = ("127.0.0.1", 10911)
T0 = 1_700_000_000_000
BN = "broker-a"


class Client:
    """The consumer end of a channel: records what the broker sends, answers requests as told."""
    closed = False

    def __init__(self, addr: str = "10.0.0.7:40001", answer=None) -> None:
        self.remote_addr = addr
        self.answer = answer            # a RemotingCommand, an exception, or None (never answers)
        self.requests: list[RemotingCommand] = []
        self.oneways: list[RemotingCommand] = []

    async def request(self, cmd, timeout):
        self.requests.append(cmd)
        if self.answer == "close":
            self.closed = True
            raise RemotingSendRequestError(f"connection to {self.remote_addr} closed")
        if isinstance(self.answer, Exception):
            raise self.answer
        if self.answer is None:
            await asyncio.sleep(timeout)
            raise RemotingTimeoutError(f"wait response on {self.remote_addr} timeout")
        return self.answer

    def oneway(self, cmd) -> None:
        self.oneways.append(cmd)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        self.now += 1000
        return self.now


@pytest.fixture
def env(tmp_path):
    root = str(tmp_path / "s")
    store = open_store(small_config(tmp_path / "s", mappedFileSizeCommitLog=1 << 20), HOST)
    store.clock = Clock()
    cfg = BrokerConfig(brokerName=BN)
    topics = TopicConfigManager(cfg, root, lambda job: job())
    topics.update(TopicConfig("T", readQueueNums=2, writeQueueNums=2))
    offsets = ConsumerOffsetManager(root, lambda job: job())
    groups = SubscriptionGroupManager(True, root, lambda job: job())
    consumers, producers = ConsumerManager(), ProducerManager()
    p = ConsumerDiagnosticsProcessor(cfg, store, topics, consumers, producers, offsets, groups, "10.0.0.1:10911")
    p.clock = lambda: T0 + 100_000
    yield p
    store.close(clean=False)


def put(p, n: int, queue: int = 0, topic: str = "T") -> list:
    out = []
    for i in range(n):
        r = p.store.put_message(m.StoredMessage(topic=topic, body=f"b{i}".encode(), queue_id=queue,
                                                properties=m.properties_to_string({"TAGS": "A"})))
        assert r.ok
        out.append(r.append)
    return out


def join(p, group: str, client: Client, client_id: str, version: int = 401, language: str = "JAVA",
         topics=("T",)) -> None:
    p.consumers.register(group, ClientChannel(client, client_id, language, version, 0), "CONSUME_PASSIVELY",
                         "CLUSTERING", "CONSUME_FROM_LAST_OFFSET", [SubscriptionData(t) for t in topics], False)


def call(p, code: int, ext: dict | None = None, body: bytes | None = None, language: str = "JAVA"):
    req = make_request(code, ext, body)
    req.language = language
    handler = p.table()[code]
    out = handler(None, req)
    if asyncio.iscoroutine(out):
        out = asyncio.run(out)
    return out


MQ0 = (("brokerName", BN), ("queueId", 0), ("topic", "T"))
MQ1 = (("brokerName", BN), ("queueId", 1), ("topic", "T"))


# ---------------------------------------------------------------- forwarded to one consumer
def test_running_info_is_forwarded_and_the_consumers_answer_returned(env):
    p = env
    answer = RemotingCommand(code=ResponseCode.SUCCESS, remark="fine", body=b'{"properties":{}}',
                             ext_fields={"x": "1"})
    c = Client(answer=answer)
    join(p, "G", c, "cid-1")
    req = make_request(RequestCode.GET_CONSUMER_RUNNING_INFO,
                       {"consumerGroup": "G", "clientId": "cid-1", "jstackEnable": "true"}, b"ignored?")
    req.serialize_type = SerializeType.ROCKETMQ
    resp = asyncio.run(p.get_consumer_running_info(None, req))
    assert (resp.code, resp.remark, resp.body, resp.ext_fields) == (0, "fine", b'{"properties":{}}', {"x": "1"})
    assert resp.serialize_type == SerializeType.ROCKETMQ
    (sent,) = c.requests
    assert sent.code == RequestCode.GET_CONSUMER_RUNNING_INFO and sent.body == b"ignored?"
    assert sent.ext_fields == {"consumerGroup": "G", "clientId": "cid-1", "jstackEnable": "true"}


def test_running_info_errors_as_java(env):
    p = env
    ext = {"consumerGroup": "G", "clientId": "cid-1"}
    resp = call(p, RequestCode.GET_CONSUMER_RUNNING_INFO, ext)
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "The Consumer <G> <cid-1> not online")
    join(p, "G", Client(answer=RemotingCommand(code=0)), "cid-1", version=61)
    resp = call(p, RequestCode.GET_CONSUMER_RUNNING_INFO, ext)
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "The Consumer <cid-1> Version <V3_1_7> too low "
                                        "to finish, please upgrade it to V3_1_8_SNAPSHOT")
    p.consumers.groups.clear()
    join(p, "G", Client(answer=RemotingSendRequestError("closed")), "cid-1")
    resp = call(p, RequestCode.GET_CONSUMER_RUNNING_INFO, ext)
    assert resp.code == ResponseCode.SYSTEM_ERROR
    assert resp.remark.startswith("invoke consumer <G> <cid-1> Exception: org.apache.rocketmq.remoting.exception."
                                  "RemotingSendRequestException: send request to <10.0.0.7:40001> failed")
    # the channel closes while the broker waits: Java's server keeps waiting and answers with the timeout
    p.consumers.groups.clear()
    join(p, "G", Client(answer="close"), "cid-1")
    resp = call(p, RequestCode.GET_CONSUMER_RUNNING_INFO, ext)
    assert resp.code == ResponseCode.CONSUME_MSG_TIMEOUT and resp.remark.startswith("consumer <G> <cid-1> Timeout: ")


def test_a_silent_consumer_times_out_without_blocking_other_requests(env):
    p = env
    p.to_client.call_timeout = 0.3
    join(p, "G", Client(answer=None), "cid-1")

    async def both():
        slow = asyncio.ensure_future(p.get_consumer_running_info(
            None, make_request(RequestCode.GET_CONSUMER_RUNNING_INFO, {"consumerGroup": "G", "clientId": "cid-1"})))
        await asyncio.sleep(0.05)
        quick = call(p, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, {"topic": "T"})
        assert not slow.done() and quick.code == ResponseCode.SUCCESS
        return await slow

    resp = asyncio.run(both())
    assert resp.code == ResponseCode.CONSUME_MSG_TIMEOUT
    assert resp.remark == ("consumer <G> <cid-1> Timeout: org.apache.rocketmq.remoting.exception."
                           "RemotingTimeoutException: wait response on the channel <10.0.0.7:40001> timeout, "
                           "300(ms), org.apache.rocketmq.remoting.netty.NettyRemotingAbstract.invokeSyncImpl"
                           "(NettyRemotingAbstract.java:438)")


def test_consume_message_directly_sends_the_stored_record_and_broker_name(env):
    p = env
    (r,) = put(p, 1)
    c = Client(answer=RemotingCommand(code=0, body=b'{"consumeResult":"CR_SUCCESS"}'))
    join(p, "G", c, "cid-1")
    msg_id = m.offset_msg_id(HOST, r.wrote_offset)
    resp = call(p, RequestCode.CONSUME_MESSAGE_DIRECTLY, {"consumerGroup": "G", "clientId": "cid-1", "msgId": msg_id})
    assert resp.code == 0 and resp.body == b'{"consumeResult":"CR_SUCCESS"}'
    (sent,) = c.requests
    assert sent.ext_fields == {"consumerGroup": "G", "clientId": "cid-1", "msgId": msg_id, "brokerName": BN}
    rec = m.decode(sent.body)
    assert (rec.topic, rec.body, rec.physical_offset) == ("T", b"b0", r.wrote_offset)
    # no record at the id's offset, no id, no such client: Java's answers
    resp = call(p, RequestCode.CONSUME_MESSAGE_DIRECTLY,
                {"consumerGroup": "G", "clientId": "cid-1", "msgId": m.offset_msg_id(HOST, 1 << 30)})
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "java.lang.NullPointerException, org.apache."
                                        "rocketmq.broker.processor.AdminBrokerProcessor.consumeMessageDirectly"
                                        "(AdminBrokerProcessor.java:1238)")
    resp = call(p, RequestCode.CONSUME_MESSAGE_DIRECTLY, {"consumerGroup": "G", "clientId": "cid-1"})
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "java.lang.NullPointerException")
    resp = call(p, RequestCode.CONSUME_MESSAGE_DIRECTLY, {"consumerGroup": "G", "msgId": msg_id})
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "The Consumer <G> <null> not online")
    assert len(c.requests) == 1


# ---------------------------------------------------------------- reset offset
def test_reset_offset_pushes_new_offsets_to_every_consumer(env):
    p = env
    put(p, 5, 0)
    put(p, 3, 1)
    p.offsets.commit("G", "T", 0, 4)
    p.offsets.commit("G", "T", 1, 1)
    a, b = Client(), Client("10.0.0.8:40002")
    join(p, "G", a, "cid-a")
    join(p, "G", b, "cid-b")
    resp = call(p, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
                {"topic": "T", "group": "G", "timestamp": "-1", "isForce": "false"})
    # not forced: to max only where that is below the current offset (never here)
    assert resp.code == ResponseCode.SUCCESS
    assert fastjson.loads(resp.body) == {"offsetTable": {MQ0: 4, MQ1: 1}}
    resp = call(p, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
                {"topic": "T", "group": "G", "timestamp": "0", "isForce": "true"})
    assert fastjson.loads(resp.body) == {"offsetTable": {MQ0: 0, MQ1: 0}}
    for c in (a, b):
        assert len(c.oneways) == 2
        sent = c.oneways[1]
        assert sent.code == RequestCode.RESET_CONSUMER_CLIENT_OFFSET
        assert sent.ext_fields == {"topic": "T", "group": "G", "timestamp": "0", "isForce": "false"}
        assert sent.body == (b'{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:0,'
                             b'{"brokerName":"broker-a","queueId":1,"topic":"T"}:0}}')
    # Java leaves the stored offsets to the consumers, who commit what they were told
    assert p.offsets.offsets_of("G", "T") == {0: 4, 1: 1}


def test_reset_offset_for_a_cpp_admin_uses_the_list_body(env):
    p = env
    put(p, 2, 0)
    p.offsets.commit("G", "T", 0, 2)
    p.offsets.commit("G", "T", 1, 0)
    c = Client()
    join(p, "G", c, "cid-a", language="CPP")
    resp = call(p, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
                {"topic": "T", "group": "G", "timestamp": "0", "isForce": "true"}, language="CPP")
    assert resp.code == 0 and fastjson.loads(resp.body) == {"offsetTable": {MQ0: 0, MQ1: 0}}
    assert fastjson.loads(c.oneways[0].body) == {"offsetTable": [
        {"brokerName": BN, "offset": 0, "queueId": 0, "topic": "T"},
        {"brokerName": BN, "offset": 0, "queueId": 1, "topic": "T"}]}


def test_reset_offset_errors_as_java(env):
    p = env
    ext = {"topic": "T", "group": "G", "timestamp": "-1", "isForce": "true"}
    resp = call(p, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, dict(ext, topic="Nope"))
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR,
                                        "[reset-offset] reset offset failed, no topic in this broker. topic=Nope")
    p.offsets.commit("G", "T", 0, 0)
    resp = call(p, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, ext)
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "THe consumer group <G> not exist")
    p.offsets.commit("G", "T", 1, 0)
    resp = call(p, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, ext)
    assert (resp.code, resp.remark) == (ResponseCode.CONSUMER_NOT_ONLINE, "Consumer not online, so can not reset "
                                        "offset, Group: G Topic: T Timestamp: -1")
    join(p, "G", Client(), "cid-old", version=27)
    resp = call(p, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, ext)
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR,
                                        "the client does not support this feature. version=V3_0_6")
    assert version_desc(28) == "V3_0_7_SNAPSHOT" and version_desc(0) == "V3_0_0_SNAPSHOT"


# ---------------------------------------------------------------- consumer status
def test_consumer_status_collects_each_consumers_offsets(env):
    p = env
    a = Client(answer=RemotingCommand(code=0, body=b'{"messageQueueTable":{{"brokerName":"broker-a","queueId":0,'
                                                   b'"topic":"T"}:7}}'))
    b = Client("10.0.0.8:40002", answer=RemotingSendRequestError("gone"))
    join(p, "G", a, "cid-a")
    join(p, "G", b, "cid-b")
    resp = call(p, RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, {"topic": "T", "group": "G"})
    assert resp.code == 0
    assert fastjson.loads(resp.body) == {"consumerTable": {"cid-a": {MQ0: 7}}, "messageQueueTable": {}}
    assert a.requests[0].code == RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT
    assert a.requests[0].ext_fields == {"topic": "T", "group": "G"}
    resp = call(p, RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, {"topic": "T", "group": "G",
                                                                       "clientAddr": "cid-b"})
    assert fastjson.loads(resp.body) == {"consumerTable": {}, "messageQueueTable": {}} and len(a.requests) == 1
    resp = call(p, RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, {"topic": "T", "group": "Nobody"})
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "java.lang.NullPointerException, org.apache."
                                        "rocketmq.broker.client.net.Broker2Client.getConsumeStatus"
                                        "(Broker2Client.java:243)")


# ---------------------------------------------------------------- progress views
def test_consume_stats_and_broker_consume_stats(env):
    p = env
    put(p, 4, 0)
    put(p, 2, 1)
    p.offsets.commit("G", "T", 0, 3)
    resp = call(p, RequestCode.GET_CONSUME_STATS, {"consumerGroup": "G"})
    body = fastjson.loads(resp.body)
    t2 = p.store.look_message_by_offset(p.store.commit_log_offset_in_queue("T", 0, 2)).store_timestamp
    assert body == {"consumeTps": 0.0, "offsetTable": {
        MQ0: {"brokerOffset": 4, "consumerOffset": 3, "lastTimestamp": t2},
        MQ1: {"brokerOffset": 2, "consumerOffset": 0, "lastTimestamp": 0}}}
    p.groups.update(type(p.groups.find("G"))("G"))
    resp = call(p, RequestCode.GET_BROKER_CONSUME_STATS, {"isOrder": "false"})
    body = fastjson.loads(resp.body)
    assert body["brokerAddr"] == "10.0.0.1:10911" and body["totalDiff"] == 3
    stats = {k: v for d in body["consumeStatsList"] for k, v in d.items()}
    assert stats["G"] == [{"consumeTps": 0.0, "offsetTable": {
        MQ0: {"brokerOffset": 4, "consumerOffset": 3, "lastTimestamp": t2},
        MQ1: {"brokerOffset": 2, "consumerOffset": 0, "lastTimestamp": 0}}}]
    assert stats["TOOLS_CONSUMER"] == []
    resp = call(p, RequestCode.GET_BROKER_CONSUME_STATS, {"isOrder": "true"})
    stats = {k: v for d in fastjson.loads(resp.body)["consumeStatsList"] for k, v in d.items()}
    assert stats["G"] == []
    # a group online with other subscriptions is not shown this topic
    join(p, "G", Client(), "cid", topics=("Other",))
    assert fastjson.loads(call(p, RequestCode.GET_CONSUME_STATS, {"consumerGroup": "G"}).body)["offsetTable"] == {}


def test_topic_consume_by_who_joins_online_groups_and_offsets(env):
    p = env
    p.offsets.commit("Offline", "T", 0, 1)
    p.offsets.commit("Elsewhere", "U", 0, 1)
    join(p, "Online", Client(), "cid")
    resp = call(p, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, {"topic": "T"})
    assert fastjson.loads(resp.body) == {"groupList": ["Offline", "Online"]}


def test_consume_time_span(env):
    p = env
    put(p, 3, 0)
    p.offsets.commit("G", "T", 0, 1)
    resp = call(p, RequestCode.QUERY_CONSUME_TIME_SPAN, {"topic": "T", "group": "G"})
    t = [p.store.look_message_by_offset(p.store.commit_log_offset_in_queue("T", 0, i)).store_timestamp
         for i in range(3)]
    d = java_date
    assert fastjson.loads(resp.body) == {"consumeTimeSpanSet": [
        {"consumeTimeStamp": t[0], "consumeTimeStampStr": d(t[0]), "delayTime": T0 + 100_000 - t[1],
         "maxTimeStamp": t[2], "maxTimeStampStr": d(t[2]),
         "messageQueue": {"brokerName": BN, "queueId": 0, "topic": "T"}, "minTimeStamp": t[0],
         "minTimeStampStr": d(t[0])},
        # an empty queue and no offset: Java's -1 store times, and a delay computed against -1
        {"consumeTimeStamp": -1, "consumeTimeStampStr": d(-1), "delayTime": T0 + 100_000 + 1, "maxTimeStamp": -1,
         "maxTimeStampStr": d(-1), "messageQueue": {"brokerName": BN, "queueId": 1, "topic": "T"},
         "minTimeStamp": -1, "minTimeStampStr": d(-1)}]}
    assert d(-1) == "1969-12-31#23:59:59:999" or time.timezone != 0
    assert d(1_700_000_000_123).endswith(":20:123") and d(1_700_000_000_123).count("#") == 1
    resp = call(p, RequestCode.QUERY_CONSUME_TIME_SPAN, {"topic": "Nope", "group": "G"})
    assert (resp.code, resp.remark) == (ResponseCode.TOPIC_NOT_EXIST, "topic[Nope] not exist")


def test_consume_queue_entries(env):
    p = env
    rs = put(p, 3, 0)
    join(p, "G", Client(), "cid")
    resp = call(p, RequestCode.QUERY_CONSUME_QUEUE, {"topic": "T", "queueId": "0", "index": "1", "count": "5",
                                                     "consumerGroup": "G"})
    body = fastjson.loads(resp.body)
    tag = m.tags_code("A")
    assert body == {"filterData": "null", "maxQueueIndex": 3, "minQueueIndex": 0,
                    "queueData": [{"eval": False, "physicOffset": r.wrote_offset, "physicSize": r.wrote_bytes,
                                   "tagsCode": tag} for r in rs[1:]],
                    "subscriptionData": SubscriptionData("T").to_json()}
    resp = call(p, RequestCode.QUERY_CONSUME_QUEUE, {"topic": "T", "queueId": "0", "index": "9", "count": "1",
                                                     "consumerGroup": "Gone"})
    assert (resp.code, resp.remark, resp.body) == (0, "Index 9 of 0@T is not exist!", None)
    resp = call(p, RequestCode.QUERY_CONSUME_QUEUE, {"topic": "T", "queueId": "5", "index": "0", "count": "1"})
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "5@T is not exist!")


def test_correction_offset_and_clone(env):
    p = env
    put(p, 5, 0)
    put(p, 5, 1)
    p.offsets.commit("A", "T", 0, 4)
    p.offsets.commit("A", "T", 1, 2)
    p.offsets.commit("B", "T", 0, 1)
    p.offsets.commit("C", "T", 1, 0)
    resp = call(p, RequestCode.QUERY_CORRECTION_OFFSET, {"topic": "T", "compareGroup": "A", "filterGroups": "C"})
    assert resp.body == b'{"correctionOffsets":{0:1,1:2}}'
    assert p.offsets.offsets_of("C", "T") == {1: 0}          # kept (Java's filter removes it from its table)
    resp = call(p, RequestCode.CLONE_GROUP_OFFSET, {"srcGroup": "A", "destGroup": "D", "topic": "T",
                                                    "offline": "false"})
    assert resp.code == 0 and p.offsets.offsets_of("D", "T") == {0: 4, 1: 2}
    # online with other subscriptions and not offline: not cloned; a blank topic clones nothing (Java)
    join(p, "A", Client(), "cid", topics=("Other",))
    call(p, RequestCode.CLONE_GROUP_OFFSET, {"srcGroup": "A", "destGroup": "E", "topic": "T", "offline": "false"})
    call(p, RequestCode.CLONE_GROUP_OFFSET, {"srcGroup": "A", "destGroup": "F", "offline": "true"})
    assert p.offsets.offsets_of("E", "T") == {} and p.offsets.offsets_of("F", "T") == {}
    call(p, RequestCode.CLONE_GROUP_OFFSET, {"srcGroup": "A", "destGroup": "E", "topic": "T", "offline": "true"})
    assert p.offsets.offsets_of("E", "T") == {0: 4, 1: 2}


def test_connection_lists_and_producer_info(env):
    p = env
    c = Client()
    join(p, "G", c, "cid-1")
    body = fastjson.loads(call(p, RequestCode.GET_CONSUMER_CONNECTION_LIST, {"consumerGroup": "G"}).body)
    assert body["connectionSet"] == [{"clientAddr": "10.0.0.7:40001", "clientId": "cid-1", "language": "JAVA",
                                      "version": 401}]
    resp = call(p, RequestCode.GET_CONSUMER_CONNECTION_LIST, {"consumerGroup": "X"})
    assert (resp.code, resp.remark) == (ResponseCode.CONSUMER_NOT_ONLINE, "the consumer group[X] not online")
    resp = call(p, RequestCode.GET_PRODUCER_CONNECTION_LIST, {"producerGroup": "P"})
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "the producer group[P] not exist")
    p.producers.clock = lambda: 1234
    p.producers.register("P", ClientChannel(Client("10.0.0.9:5"), "pid-1", "CPP", 63, 0))
    resp = call(p, RequestCode.GET_ALL_PRODUCER_INFO)
    assert resp.body == (b'{"data":{"P":[{"clientId":"pid-1","language":"CPP","lastUpdateTimestamp":1234,'
                         b'"remoteIP":"/10.0.0.9:5","version":63}]}}')


def test_consume_tps_is_the_groups_pulls_per_second_over_the_last_minute(env):
    """GET_CONSUME_STATS / GET_BROKER_CONSUME_STATS consumeTps = tpsGroupGetNums(group, topic), as Java."""
    from broker.stats.manager import GROUP_GET_NUMS, BrokerStatsManager
    p = env
    put(p, 3)
    p.offsets.commit("G", "T", 0, 1)
    t = [1_000_000]
    p.stats = BrokerStatsManager("C", clock=lambda: t[0])
    p.stats.got("T", "G", 0, 0, 0)
    p.stats.sample_seconds()                    # the minute window starts
    for _ in range(6):                          # 120 messages pulled over 60 s
        p.stats.got("T", "G", 20, 2000, 1)
        t[0] += 10_000
        p.stats.sample_seconds()
    assert p.stats.item(GROUP_GET_NUMS, "T@G").in_minute().tps == pytest.approx(2.0)
    body = fastjson.loads(call(p, RequestCode.GET_CONSUME_STATS, {"consumerGroup": "G"}).body)
    assert body["consumeTps"] == pytest.approx(2.0)
    body = fastjson.loads(call(p, RequestCode.GET_CONSUME_STATS, {"consumerGroup": "other"}).body)
    assert body["consumeTps"] == 0

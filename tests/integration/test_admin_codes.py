"""Admin request codes against real daemons: the broker's stats family (runtime info, VIEW_BROKER_STATS_DATA,
topic stats), topic / group admin (delete topic, delete group with removeOffset, system topics, 5.x single
config reads), store maintenance codes, and the NameServer codes mqadmin sends."""
from __future__ import annotations

import asyncio
import os
import re
import time

from remoting import fastjson
from remoting.bodies import TopicConfig
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.support.brokers import register
from tests.support.daemons import BrokerProcess

R = RequestCode

# AdminBrokerProcessor.prepareRuntimeInfo + DefaultMessageStore / StoreStatsService.getRuntimeInfo (4.9.7)
JAVA_RUNTIME_KEYS = {
    "brokerVersionDesc", "brokerVersion", "msgPutTotalYesterdayMorning", "msgPutTotalTodayMorning",
    "msgPutTotalTodayNow", "msgGetTotalYesterdayMorning", "msgGetTotalTodayMorning", "msgGetTotalTodayNow",
    "sendThreadPoolQueueSize", "sendThreadPoolQueueCapacity", "pullThreadPoolQueueSize",
    "pullThreadPoolQueueCapacity", "queryThreadPoolQueueSize", "queryThreadPoolQueueCapacity",
    "EndTransactionQueueSize", "EndTransactionThreadPoolQueueCapacity", "dispatchBehindBytes",
    "pageCacheLockTimeMills", "sendThreadPoolQueueHeadWaitTimeMills", "pullThreadPoolQueueHeadWaitTimeMills",
    "queryThreadPoolQueueHeadWaitTimeMills", "earliestMessageTimeStamp", "startAcceptSendRequestTimeStamp",
    "remainTransientStoreBufferNumbs", "remainHowManyDataToFlush", "commitLogDirCapacity",
    "commitLogDiskRatio", "consumeQueueDiskRatio", "commitLogMinOffset", "commitLogMaxOffset",
    "bootTimestamp", "runtime", "putMessageEntireTimeMax", "putMessageTimesTotal", "putMessageFailedTimes",
    "putMessageSizeTotal", "putMessageDistributeTime", "putMessageAverageSize", "dispatchMaxBuffer",
    "getMessageEntireTimeMax", "putTps", "getFoundTps", "getMissTps", "getTotalTps", "getTransferedTps",
    "putLatency99", "putLatency999"}


async def call(client, addr, code, ext=None, body=None):
    return await client.invoke(addr, make_request(code, {k: str(v) for k, v in (ext or {}).items()}, body), 5)


async def send(client, addr, topic, queue, text):
    resp = await call(client, addr, R.SEND_MESSAGE, {
        "producerGroup": "PID_stats", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": 4,
        "queueId": queue, "sysFlag": 0, "bornTimestamp": int(time.time() * 1000), "flag": 0,
        "properties": "TAGS\x01a\x02"}, text.encode())
    assert resp.code == ResponseCode.SUCCESS, resp.remark


async def stats_data(client, addr, name, key):
    return await call(client, addr, R.VIEW_BROKER_STATS_DATA, {"statsName": name, "statsKey": key})


async def query_offset(client, addr, group, topic, queue):
    return await call(client, addr, R.QUERY_CONSUMER_OFFSET, {"consumerGroup": group, "topic": topic, "queueId": queue})


async def test_broker_stats_and_admin_codes(namesrv, client, tmp_path):
    with BrokerProcess(tmp_path / "broker", namesrv.addr) as br:
        a = br.addr
        resp = await call(client, a, R.UPDATE_AND_CREATE_TOPIC, {
            "topic": "StatT", "defaultTopic": "TBW102", "readQueueNums": 4, "writeQueueNums": 4, "perm": 6,
            "topicFilterType": "SINGLE_TAG", "topicSysFlag": 0, "order": "false"})
        assert resp.code == ResponseCode.SUCCESS
        for i in range(5):
            await send(client, a, "StatT", 0, f"zero-{i}")
        for i in range(2):
            await send(client, a, "StatT", 1, f"one-{i}")
        # a pull of queue 0 (subscription in the request) that also commits offset 3
        pull = await call(client, a, R.PULL_MESSAGE, {
            "consumerGroup": "StatG", "topic": "StatT", "queueId": 0, "queueOffset": 0, "maxMsgNums": 32,
            "sysFlag": 1 | 4, "commitOffset": 3, "suspendTimeoutMillis": 0, "subscription": "*", "subVersion": 0})
        assert pull.code == ResponseCode.SUCCESS
        pulled_bytes = len(bytes(pull.body))
        await asyncio.sleep(1.3)     # the store samples its totals once a second

        # ---------------------------------------------------------------- GET_BROKER_RUNTIME_INFO
        resp = await call(client, a, R.GET_BROKER_RUNTIME_INFO)
        assert resp.code == ResponseCode.SUCCESS
        info = fastjson.loads(resp.body)["table"]
        assert JAVA_RUNTIME_KEYS <= set(info), JAVA_RUNTIME_KEYS - set(info)
        assert all(isinstance(v, str) for v in info.values())
        assert info["msgPutTotalTodayNow"] == "7" and info["putMessageTimesTotal"] == "7"
        assert info["msgGetTotalTodayNow"] == "5" and info["msgPutTotalTodayMorning"] == "0"
        assert float(info["putTps"].split()[0]) > 0 and len(info["putTps"].split()) == 3
        assert float(info["getTransferedTps"].split()[0]) > 0
        assert int(info["putMessageSizeTotal"]) == int(info["commitLogMaxOffset"])   # only StatT was stored
        assert float(info["putMessageAverageSize"]) == int(info["commitLogMaxOffset"]) / 7
        assert info["dispatchBehindBytes"] == "0" and int(info["earliestMessageTimeStamp"]) > 0
        assert re.fullmatch(r"\[ 0 days, 0 hours, 0 minutes, \d+ seconds \]", info["runtime"])
        assert re.fullmatch(r"Total : [\d.]+ [KMGTPE]iB, Free : [\d.]+ [KMGTPE]iB\.", info["commitLogDirCapacity"])
        assert info["brokerVersionDesc"] == "V4_9_7" and info["putMessageDistributeTime"] == "null"

        # ---------------------------------------------------------------- VIEW_BROKER_STATS_DATA
        missing = await stats_data(client, a, "TOPIC_PUT_NUMS", "Nope")
        assert missing.code == ResponseCode.SYSTEM_ERROR
        assert missing.remark == "The stats <TOPIC_PUT_NUMS> <Nope> not exist"
        deadline = time.monotonic() + 15     # the minute window moves with the 10 s sampler
        while True:
            data = fastjson.loads((await stats_data(client, a, "TOPIC_PUT_NUMS", "StatT")).body)
            if data["statsMinute"]["sum"] == 7 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert data["statsMinute"]["sum"] == 7 and data["statsMinute"]["avgpt"] == 1.0
        assert data["statsMinute"]["tps"] > 0 and set(data) == {"statsMinute", "statsHour", "statsDay"}
        size = fastjson.loads((await stats_data(client, a, "TOPIC_PUT_SIZE", "StatT")).body)
        assert size["statsMinute"]["sum"] == int(info["commitLogMaxOffset"])
        got = fastjson.loads((await stats_data(client, a, "GROUP_GET_NUMS", "StatT@StatG")).body)
        assert got["statsMinute"]["sum"] == 5 and got["statsMinute"]["avgpt"] == 5.0
        got_size = fastjson.loads((await stats_data(client, a, "GROUP_GET_SIZE", "StatT@StatG")).body)
        assert got_size["statsMinute"]["sum"] == pulled_bytes
        broker_put = fastjson.loads((await stats_data(client, a, "BROKER_PUT_NUMS", "DefaultCluster")).body)
        assert broker_put["statsMinute"]["sum"] == 7
        assert (await stats_data(client, a, "GROUP_GET_NUMS", "StatT")).code == ResponseCode.SYSTEM_ERROR

        # ---------------------------------------------------------------- GET_TOPIC_STATS_INFO
        nope = await call(client, a, R.GET_TOPIC_STATS_INFO, {"topic": "Nope"})
        assert nope.code == ResponseCode.TOPIC_NOT_EXIST and nope.remark == "topic[Nope] not exist"
        table = fastjson.loads((await call(client, a, R.GET_TOPIC_STATS_INFO, {"topic": "StatT"})).body)["offsetTable"]
        by_queue = {dict(k)["queueId"]: v for k, v in table.items()}
        assert sorted(by_queue) == [0, 1, 2, 3]
        assert (by_queue[0]["minOffset"], by_queue[0]["maxOffset"], by_queue[1]["maxOffset"]) == (0, 5, 2)
        assert by_queue[0]["lastUpdateTimestamp"] > 0 and by_queue[2] == {"lastUpdateTimestamp": 0, "maxOffset": 0,
                                                                         "minOffset": 0}

        # ---------------------------------------------------------------- topic / group config reads
        systems = fastjson.loads((await call(client, a, R.GET_SYSTEM_TOPIC_LIST_FROM_BROKER)).body)["topicList"]
        assert {"SCHEDULE_TOPIC_XXXX", "TBW102", "RMQ_SYS_TRANS_HALF_TOPIC", "DefaultCluster", "broker-a"} <= set(systems)
        assert "StatT" not in systems
        tc = await call(client, a, R.GET_TOPIC_CONFIG, {"topic": "StatT"})
        assert tc.code == ResponseCode.SUCCESS and fastjson.loads(tc.body)["readQueueNums"] == 4
        tc = await call(client, a, R.GET_TOPIC_CONFIG, {"topic": "Nope"})
        assert tc.code == ResponseCode.TOPIC_NOT_EXIST and tc.remark == "No topic in this broker. topic: Nope"
        gc = await call(client, a, R.GET_SUBSCRIPTIONGROUP_CONFIG, {"group": "StatG"})
        assert gc.code == ResponseCode.SUCCESS and fastjson.loads(gc.body)["groupName"] == "StatG"
        gc = await call(client, a, R.GET_SUBSCRIPTIONGROUP_CONFIG, {"group": "NoGroup"})
        assert gc.code == ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST and gc.remark == "No group in this broker"

        # ---------------------------------------------------------------- DELETE_TOPIC_IN_BROKER
        sys_del = await call(client, a, R.DELETE_TOPIC_IN_BROKER, {"topic": "SCHEDULE_TOPIC_XXXX"})
        assert sys_del.code == ResponseCode.SYSTEM_ERROR
        assert sys_del.remark == "The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic."
        cq_root = tmp_path / "broker" / "store" / "consumequeue" / "StatT"
        assert os.path.isdir(cq_root / "0")
        assert (await call(client, a, R.DELETE_TOPIC_IN_BROKER, {"topic": "StatT"})).code == ResponseCode.SUCCESS
        assert not os.path.exists(cq_root / "0") and not os.path.exists(cq_root / "1")
        assert (await call(client, a, R.GET_TOPIC_STATS_INFO, {"topic": "StatT"})).code == ResponseCode.TOPIC_NOT_EXIST
        kept = await query_offset(client, a, "StatG", "StatT", 0)     # 4.9.7 keeps the offsets of a deleted topic
        assert kept.code == ResponseCode.SUCCESS and kept.ext("offset") == "3"

        # ---------------------------------------------------------------- DELETE_SUBSCRIPTIONGROUP
        await call(client, a, R.UPDATE_CONSUMER_OFFSET, {"consumerGroup": "OtherG", "topic": "StatT", "queueId": 0,
                                                         "commitOffset": 2})
        r = await call(client, a, R.DELETE_SUBSCRIPTIONGROUP, {"groupName": "OtherG"})
        assert r.code == ResponseCode.SUCCESS
        assert (await query_offset(client, a, "OtherG", "StatT", 0)).ext("offset") == "2"     # not asked: kept
        r = await call(client, a, R.DELETE_SUBSCRIPTIONGROUP, {"groupName": "StatG", "removeOffset": "true"})
        assert r.code == ResponseCode.SUCCESS
        offsets = fastjson.loads((await call(client, a, R.GET_ALL_CONSUMER_OFFSET)).body)["offsetTable"]
        assert "StatT@StatG" not in offsets and offsets["StatT@OtherG"] == {0: 2}
        assert (await call(client, a, R.GET_SUBSCRIPTIONGROUP_CONFIG, {"group": "StatG"})).code == \
            ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST
        r = await call(client, a, R.DELETE_SUBSCRIPTIONGROUP, {"groupName": "OtherG", "cleanOffset": "true"})  # 5.x
        offsets = fastjson.loads((await call(client, a, R.GET_ALL_CONSUMER_OFFSET)).body)["offsetTable"]
        assert r.code == ResponseCode.SUCCESS and "StatT@OtherG" not in offsets

        # ---------------------------------------------------------------- store maintenance
        for code in (R.CLEAN_EXPIRED_CONSUMEQUEUE, R.DELETE_EXPIRED_COMMITLOG, R.CLEAN_UNUSED_TOPIC):
            r = await call(client, a, code)
            assert r.code == ResponseCode.SUCCESS and r.remark is None, (code, r.remark)


async def test_namesrv_admin_codes(namesrv, client):
    ns = namesrv.addr
    topics = [TopicConfig("PlainT", 4, 4, 6), TopicConfig("UnitT", 4, 4, 6, topicSysFlag=1),
              TopicConfig("UnitSubT", 4, 4, 6, topicSysFlag=2), TopicConfig("BothT", 4, 4, 6, topicSysFlag=3)]
    await register(client, ns, "DefaultCluster", "broker-a", 0, "127.0.0.1:40911", topics)

    async def topic_list(code, ext=None):
        resp = await call(client, ns, code, ext)
        assert resp.code == ResponseCode.SUCCESS, resp.remark
        return fastjson.loads(resp.body)

    assert sorted(( await topic_list(R.GET_ALL_TOPIC_LIST_FROM_NAMESERVER))["topicList"]) == \
        ["BothT", "PlainT", "UnitSubT", "UnitT"]
    assert sorted((await topic_list(R.GET_TOPICS_BY_CLUSTER, {"cluster": "DefaultCluster"}))["topicList"]) == \
        ["BothT", "PlainT", "UnitSubT", "UnitT"]
    system = await topic_list(R.GET_SYSTEM_TOPIC_LIST_FROM_NS)
    assert system["topicList"] == ["DefaultCluster", "broker-a"] and system["brokerAddr"] == "127.0.0.1:40911"
    assert sorted((await topic_list(R.GET_UNIT_TOPIC_LIST))["topicList"]) == ["BothT", "UnitT"]
    assert sorted((await topic_list(R.GET_HAS_UNIT_SUB_TOPIC_LIST))["topicList"]) == ["BothT", "UnitSubT"]
    assert (await topic_list(R.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST))["topicList"] == ["UnitSubT"]

    wipe = await call(client, ns, R.WIPE_WRITE_PERM_OF_BROKER, {"brokerName": "broker-a"})
    assert wipe.code == ResponseCode.SUCCESS and wipe.ext("wipeTopicCount") == "4"
    add = await call(client, ns, R.ADD_WRITE_PERM_OF_BROKER, {"brokerName": "broker-a"})
    assert add.code == ResponseCode.SUCCESS and add.ext("addTopicCount") == "4"

    assert (await call(client, ns, R.DELETE_TOPIC_IN_NAMESRV, {"topic": "PlainT"})).code == ResponseCode.SUCCESS
    assert "PlainT" not in (await topic_list(R.GET_ALL_TOPIC_LIST_FROM_NAMESERVER))["topicList"]

    kv = {"namespace": "ORDER_TOPIC_CONFIG", "key": "UnitT", "value": "broker-a:4"}
    assert (await call(client, ns, R.PUT_KV_CONFIG, kv)).code == ResponseCode.SUCCESS
    got = await call(client, ns, R.GET_KV_CONFIG, {"namespace": "ORDER_TOPIC_CONFIG", "key": "UnitT"})
    assert got.code == ResponseCode.SUCCESS and got.ext("value") == "broker-a:4"
    listed = await call(client, ns, R.GET_KVLIST_BY_NAMESPACE, {"namespace": "ORDER_TOPIC_CONFIG"})
    assert fastjson.loads(listed.body) == {"table": {"UnitT": "broker-a:4"}}
    assert (await call(client, ns, R.DELETE_KV_CONFIG, {"namespace": "ORDER_TOPIC_CONFIG", "key": "UnitT"})).code == \
        ResponseCode.SUCCESS
    gone = await call(client, ns, R.GET_KV_CONFIG, {"namespace": "ORDER_TOPIC_CONFIG", "key": "UnitT"})
    assert gone.code == ResponseCode.QUERY_NOT_FOUND
    assert gone.remark == "No config item, Namespace: ORDER_TOPIC_CONFIG Key: UnitT"
    empty = await call(client, ns, R.GET_KVLIST_BY_NAMESPACE, {"namespace": "NoSuchNs"})
    assert empty.code == ResponseCode.QUERY_NOT_FOUND and empty.remark == "No config item, Namespace: NoSuchNs"

    assert (await call(client, ns, R.UPDATE_NAMESRV_CONFIG, body=b"orderMessageEnable=true\n")).code == \
        ResponseCode.SUCCESS
    cfg = bytes((await call(client, ns, R.GET_NAMESRV_CONFIG)).body).decode()
    assert "orderMessageEnable=true" in cfg.replace(" ", "")

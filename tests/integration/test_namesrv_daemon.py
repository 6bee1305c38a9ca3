"""The real `namesrv` process: registrations the way Java brokers send them, routes, expiry, connection
loss, KV config persistence, config commands, bad input."""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time


from remoting import fastjson
from remoting.bodies import (PERM_READ, ClusterInfo, DataVersion, KVTable, TopicConfig, TopicList)
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode, SerializeType
from remoting.command import RemotingCommand, make_request
from tests.support.brokers import register, register_request, route, unregister
from tests.support.daemons import NamesrvProcess

R = RequestCode
A0, A1, B0 = "127.0.0.1:20911", "127.0.0.1:21911", "127.0.0.1:22911"


async def call(client: RemotingClient, ns, code: int, ext=None, body=None, stype=SerializeType.JSON) -> RemotingCommand:
    return await client.invoke(ns.addr, make_request(code, ext, body, serialize_type=stype), timeout=5)


async def wait_until(predicate, timeout: float = 10.0, step: float = 0.05):
    """Poll an observable condition of another process with a hard deadline (the namesrv offers no event)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)


async def test_master_slave_groups_give_java_route_data(namesrv, client):
    t_both = TopicConfig("TopicAB", 4, 4, 6)
    await register(client, namesrv.addr, "DefaultCluster", "broker-a", 0, A0, [t_both, TopicConfig("OnlyA", 2, 2, 6)])
    slave = await register(client, namesrv.addr, "DefaultCluster", "broker-a", 1, A1, [t_both])
    assert slave.ext_fields == {"masterAddr": A0, "haServerAddr": "127.0.0.1:20912"}
    await register(client, namesrv.addr, "DefaultCluster", "broker-b", 0, B0, [TopicConfig("TopicAB", 8, 2, 6)])

    resp = await call(client, namesrv, R.GET_ROUTEINFO_BY_TOPIC, {"topic": "TopicAB"})
    assert resp.code == 0 and resp.ext_fields is None and resp.flag == 1
    body = json.loads(resp.body)  # version 407 >= V4_9_4: strict JSON with quoted keys
    by_name = {b["brokerName"]: b for b in body["brokerDatas"]}
    assert by_name == {
        "broker-a": {"brokerAddrs": {"0": A0, "1": A1}, "brokerName": "broker-a", "cluster": "DefaultCluster"},
        "broker-b": {"brokerAddrs": {"0": B0}, "brokerName": "broker-b", "cluster": "DefaultCluster"}}
    assert sorted(body["queueDatas"], key=lambda q: q["brokerName"]) == [
        {"brokerName": "broker-a", "perm": 6, "readQueueNums": 4, "topicSysFlag": 0, "writeQueueNums": 4},
        {"brokerName": "broker-b", "perm": 6, "readQueueNums": 8, "topicSysFlag": 0, "writeQueueNums": 2}]
    assert body["filterServerTable"] == {} and "orderTopicConf" not in body

    # an old client (version < 401) gets fastjson's unquoted integer keys
    old = make_request(R.GET_ROUTEINFO_BY_TOPIC, {"topic": "OnlyA"})
    old.version = 333
    resp = await client.invoke(namesrv.addr, old, 5)
    assert b'"brokerAddrs":{0:"127.0.0.1:20911",1:"127.0.0.1:21911"}' in resp.body

    resp = await call(client, namesrv, R.GET_ROUTEINFO_BY_TOPIC, {"topic": "Nope"})
    assert resp.code == ResponseCode.TOPIC_NOT_EXIST
    assert resp.remark == ("No topic route info in name server for the topic: Nope\n"
                           "See http://rocketmq.apache.org/docs/faq/ for further details.")

    info = ClusterInfo.from_json(fastjson.loads((await call(client, namesrv, R.GET_BROKER_CLUSTER_INFO)).body))
    assert {k: v.brokerAddrs for k, v in info.brokerAddrTable.items()} == {"broker-a": {0: A0, 1: A1},
                                                                           "broker-b": {0: B0}}
    assert sorted(info.clusterAddrTable["DefaultCluster"]) == ["broker-a", "broker-b"]

    topics = TopicList.from_json(json.loads((await call(client, namesrv, R.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).body))
    assert sorted(topics.topicList) == ["OnlyA", "TopicAB"]
    by_cluster = json.loads((await call(client, namesrv, R.GET_TOPICS_BY_CLUSTER, {"cluster": "DefaultCluster"})).body)
    assert sorted(by_cluster["topicList"]) == ["OnlyA", "TopicAB"]
    system = json.loads((await call(client, namesrv, R.GET_SYSTEM_TOPIC_LIST_FROM_NS)).body)
    assert sorted(system["topicList"]) == ["DefaultCluster", "broker-a", "broker-b"]
    assert system["brokerAddr"] in (A0, A1, B0)

    # the ROCKETMQ serialization gets the same answer in ROCKETMQ
    resp = await call(client, namesrv, R.GET_ROUTEINFO_BY_TOPIC, {"topic": "OnlyA"}, stype=SerializeType.ROCKETMQ)
    assert resp.serialize_type == SerializeType.ROCKETMQ and resp.code == 0

    # broker-a's master leaves: its slave stays listed, queue data of broker-a stays (Java keeps it until the
    # last address of the name is gone)
    await unregister(client, namesrv.addr, "DefaultCluster", "broker-a", 0, A0)
    r = await route(client, namesrv.addr, "OnlyA")
    assert r.brokerDatas[0].brokerAddrs == {1: A1}
    await unregister(client, namesrv.addr, "DefaultCluster", "broker-a", 1, A1)
    assert await route(client, namesrv.addr, "OnlyA") is None
    assert [q.brokerName for q in (await route(client, namesrv.addr, "TopicAB")).queueDatas] == ["broker-b"]


async def test_write_perm_and_topic_deletion(namesrv, client):
    await register(client, namesrv.addr, "C1", "broker-a", 0, A0, [TopicConfig("T1", 4, 4, 6), TopicConfig("T2")])
    resp = await call(client, namesrv, R.WIPE_WRITE_PERM_OF_BROKER, {"brokerName": "broker-a"})
    assert resp.ext_fields == {"wipeTopicCount": "2"}
    assert (await route(client, namesrv.addr, "T1")).queueDatas[0].perm == PERM_READ
    resp = await call(client, namesrv, R.ADD_WRITE_PERM_OF_BROKER, {"brokerName": "broker-a"})
    assert resp.ext_fields == {"addTopicCount": "2"}
    assert (await route(client, namesrv.addr, "T1")).queueDatas[0].perm == 6
    assert (await call(client, namesrv, R.DELETE_TOPIC_IN_NAMESRV, {"topic": "T1", "clusterName": "C1"})).code == 0
    assert await route(client, namesrv.addr, "T1") is None
    assert (await call(client, namesrv, R.DELETE_TOPIC_IN_NAMESRV, {"topic": "T2"})).code == 0
    assert await route(client, namesrv.addr, "T2") is None


async def test_compressed_registration_crc_and_data_version(namesrv, client):
    req = register_request("C", "broker-c", 0, A0, "127.0.0.1:20912", [TopicConfig("Zipped", 3, 3, 6)],
                           DataVersion(1000, 5), compressed=True)
    assert (await client.invoke(namesrv.addr, req, 5)).code == 0
    assert (await route(client, namesrv.addr, "Zipped")).queueDatas[0].readQueueNums == 3

    bad = register_request("C", "broker-c", 0, A0, "127.0.0.1:20912", [], DataVersion(1, 1))
    bad.ext_fields["bodyCrc32"] = "12345"
    resp = await client.invoke(namesrv.addr, bad, 5)
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "crc32 not match")

    hdr = {"brokerName": "broker-c", "brokerAddr": A0, "clusterName": "C", "brokerId": "0"}
    same = await call(client, namesrv, R.QUERY_DATA_VERSION, hdr, fastjson.dumpb(DataVersion(1000, 5)))
    assert same.ext_fields == {"changed": "false"}
    assert DataVersion.from_json(json.loads(same.body)) == DataVersion(1000, 5)
    newer = await call(client, namesrv, R.QUERY_DATA_VERSION, hdr, fastjson.dumpb(DataVersion(1000, 6)))
    assert newer.ext_fields == {"changed": "true"}


async def test_broker_expires_without_registration_and_its_connection_is_closed(tmp_path):
    with NamesrvProcess(tmp_path / "ns", scanNotActiveBrokerInterval=100) as ns:
        keeper, quiet = RemotingClient(), RemotingClient()
        try:
            # broker-live keeps registering with a 1.5 s timeout; broker-quiet registers once
            await register(keeper, ns.addr, "C", "broker-live", 0, A0, [TopicConfig("Live")], heartbeat_timeout_ms=1500)
            await register(quiet, ns.addr, "C", "broker-quiet", 0, B0, [TopicConfig("Quiet")], heartbeat_timeout_ms=1500)
            quiet_conn = await quiet.connection(ns.addr)
            t0 = time.monotonic()
            deadline = t0 + 10
            while not quiet_conn.closed and time.monotonic() < deadline:
                await register(keeper, ns.addr, "C", "broker-live", 0, A0, [TopicConfig("Live")],
                               heartbeat_timeout_ms=1500)
                await asyncio.sleep(0.2)
            await asyncio.wait_for(quiet_conn.closed_future, 1)  # the namesrv closed the expired broker's channel
            assert time.monotonic() - t0 >= 1.2  # not before its timeout
            assert await route(keeper, ns.addr, "Quiet") is None
            assert (await route(keeper, ns.addr, "Live")).brokerDatas[0].brokerAddrs == {0: A0}
        finally:
            await keeper.close()
            await quiet.close()


async def test_broker_data_is_dropped_when_its_connection_closes(namesrv, client):
    broker = RemotingClient()
    await register(broker, namesrv.addr, "C", "broker-x", 0, A0, [TopicConfig("X")])
    await register(client, namesrv.addr, "C", "broker-y", 0, B0, [TopicConfig("X")])
    assert len((await route(client, namesrv.addr, "X")).brokerDatas) == 2
    await broker.close()

    async def only_y():
        r = await route(client, namesrv.addr, "X")
        return r is not None and [b.brokerName for b in r.brokerDatas] == ["broker-y"]
    await wait_until(only_y, timeout=5)
    info = ClusterInfo.from_json(fastjson.loads((await call(client, namesrv, R.GET_BROKER_CLUSTER_INFO)).body))
    assert list(info.brokerAddrTable) == ["broker-y"]


async def test_kv_config_persists_across_restart_and_feeds_order_topic_conf(tmp_path):
    work = tmp_path / "ns"
    client = RemotingClient()
    try:
        with NamesrvProcess(work, orderMessageEnable=True) as ns:
            kv = {"namespace": "ORDER_TOPIC_CONFIG", "key": "Ordered", "value": "broker-a:4"}
            assert (await call(client, ns, R.PUT_KV_CONFIG, kv)).code == 0
            assert (await call(client, ns, R.PUT_KV_CONFIG, {"namespace": "app", "key": "k", "value": "v1"})).code == 0
            assert (await call(client, ns, R.PUT_KV_CONFIG, {"namespace": "app", "key": "gone", "value": "x"})).code == 0
            assert (await call(client, ns, R.DELETE_KV_CONFIG, {"namespace": "app", "key": "gone"})).code == 0
            reg = await register(client, ns.addr, "C", "broker-a", 0, A0, [TopicConfig("Ordered", 4, 4)])
            assert KVTable.from_json(json.loads(reg.body)).table == {"Ordered": "broker-a:4"}
            assert (await route(client, ns.addr, "Ordered")).orderTopicConf == "broker-a:4"
            assert ns.stop() == 0
        await client.close()
        stored = json.loads((work / "kvConfig.json").read_text())
        assert stored == {"configTable": {"ORDER_TOPIC_CONFIG": {"Ordered": "broker-a:4"}, "app": {"k": "v1"}}}
        client = RemotingClient()
        with NamesrvProcess(work, listenPort=ns.port) as ns2:
            got = await call(client, ns2, R.GET_KV_CONFIG, {"namespace": "app", "key": "k"})
            assert (got.code, got.ext_fields) == (0, {"value": "v1"})
            missing = await call(client, ns2, R.GET_KV_CONFIG, {"namespace": "app", "key": "gone"})
            assert (missing.code, missing.remark, missing.ext_fields) == (
                ResponseCode.QUERY_NOT_FOUND, "No config item, Namespace: app Key: gone", {})
            table = await call(client, ns2, R.GET_KVLIST_BY_NAMESPACE, {"namespace": "ORDER_TOPIC_CONFIG"})
            assert json.loads(table.body) == {"table": {"Ordered": "broker-a:4"}}
            none = await call(client, ns2, R.GET_KVLIST_BY_NAMESPACE, {"namespace": "nothing"})
            assert (none.code, none.remark) == (ResponseCode.QUERY_NOT_FOUND, "No config item, Namespace: nothing")
    finally:
        await client.close()


async def test_namesrv_config_get_and_update(namesrv, client):
    text = (await call(client, namesrv, R.GET_NAMESRV_CONFIG)).body.decode()
    assert f"listenPort={namesrv.port}\n" in text and "orderMessageEnable=false\n" in text
    resp = await call(client, namesrv, R.UPDATE_NAMESRV_CONFIG, body=b"orderMessageEnable=true\n")
    assert resp.code == 0
    assert "orderMessageEnable=true\n" in (await call(client, namesrv, R.GET_NAMESRV_CONFIG)).body.decode()
    assert "orderMessageEnable=true" in namesrv.conf.read_text()  # persisted to configStorePath (the -c file)
    resp = await call(client, namesrv, R.UPDATE_NAMESRV_CONFIG, body=b"kvConfigPath=/tmp/elsewhere\n")
    assert (resp.code, resp.remark) == (ResponseCode.NO_PERMISSION, "Can not update config path")
    resp = await call(client, namesrv, R.UPDATE_NAMESRV_CONFIG, body=b"scanNotActiveBrokerInterval=soon\n")
    assert resp.code == ResponseCode.SYSTEM_ERROR


def test_print_config_and_exit(tmp_path):
    conf = tmp_path / "ns.properties"
    conf.write_text("listenPort=12345\norderMessageEnable=true\n")
    out = subprocess.run([sys.executable, "-m", "namesrv.main", "-c", str(conf), "-p"], capture_output=True,
                         text=True, timeout=30, cwd=tmp_path)
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert "listenPort=12345" in lines and "orderMessageEnable=true" in lines
    assert f"configStorePath={conf}" in lines and "serverChannelMaxIdleTimeSeconds=120" in lines


def test_bad_config_value_refuses_to_start(tmp_path):
    conf = tmp_path / "ns.properties"
    conf.write_text("listenPort=abc\n")
    out = subprocess.run([sys.executable, "-m", "namesrv.main", "-c", str(conf)], capture_output=True, text=True,
                         timeout=30, cwd=tmp_path)
    assert out.returncode == 1 and "listenPort" in out.stderr


def test_sigterm_and_sigint_shut_down_cleanly(tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT):
        ns = NamesrvProcess(tmp_path / f"ns{int(sig)}").start()
        assert ns.stop(sig) == 0
        assert "name server stopped" in ns.stderr()
        assert (ns.workdir / "logs" / "namesrv.log").read_text().count("name server stopped") == 1


async def test_unknown_request_code_gets_an_answer(namesrv, client):
    resp = await call(client, namesrv, 217)  # a 5.x code a 4.9 namesrv does not handle
    assert resp.code == ResponseCode.REQUEST_CODE_NOT_SUPPORTED


async def test_missing_header_fields_are_refused_cleanly(namesrv, client):
    resp = await call(client, namesrv, R.REGISTER_BROKER, {"brokerName": "b"})
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "the custom field <brokerAddr> is null")
    resp = await call(client, namesrv, R.REGISTER_BROKER, {
        "brokerName": "b", "brokerAddr": A0, "clusterName": "C", "haServerAddr": "h:1", "brokerId": "0"},
        body=b"{this is not json")
    assert resp.code == ResponseCode.SYSTEM_ERROR
    assert namesrv.alive()

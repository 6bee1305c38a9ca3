"""What each role answers, over the wire, with Java's codes and remarks: a slave refuses sends, topic changes
and END_TRANSACTION, but serves pulls and points the consumer back at the master; a master's pull answer
suggests a broker id by slaveReadEnable, accessMessageInMemoryMaxRatio and the group's settings."""
from __future__ import annotations

import asyncio
import time

import pytest

from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from remoting.headers import (CreateTopicRequestHeader, PullMessageRequestHeader, PullMessageResponseHeader,
                              SendMessageRequestHeader)
from tests.support import ha
from tests.support.daemons import NamesrvProcess

TOPIC = "HaRoles"


def send_request(topic: str = TOPIC, body: bytes = b"hello", properties: str = "", sys_flag: int = 0) -> object:
    h = SendMessageRequestHeader(producerGroup="PID_roles", topic=topic, defaultTopic="TBW102",
                                 defaultTopicQueueNums=4, queueId=0, sysFlag=sys_flag,
                                 bornTimestamp=int(time.time() * 1000), flag=0, properties=properties)
    return make_request(RequestCode.SEND_MESSAGE, h.encode(), body)


def pull_request(group: str, offset: int = 0):
    h = PullMessageRequestHeader(consumerGroup=group, topic=TOPIC, queueId=0, queueOffset=offset, maxMsgNums=32,
                                 sysFlag=0x4, commitOffset=0, suspendTimeoutMillis=0, subscription="*",
                                 subVersion=0, expressionType="TAG")
    return make_request(RequestCode.PULL_MESSAGE, h.encode())


def run(coro):
    return asyncio.run(coro)


async def _invoke(addr: str, req):
    client = RemotingClient()
    try:
        return await client.invoke(addr, req, timeout=5)
    finally:
        await client.close()


@pytest.fixture(scope="module")
def group(tmp_path_factory):
    root = tmp_path_factory.mktemp("ha_roles")
    with NamesrvProcess(root / "ns") as ns:
        master, slave = ha.start_group(root, ns.addr, "roles", master_extra={"slaveReadEnable": "true"})
        try:
            ha.wait_slave_connected(master)
            for i in range(5):
                assert run(_invoke(master.addr, send_request(body=b"m%d" % i))).code == ResponseCode.SUCCESS
            ha.wait_caught_up(master, slave)
            ha.wait_topic_synced(slave, TOPIC)
            yield ns, master, slave
        finally:
            slave.stop()
            master.stop()


def test_a_slave_refuses_writes_with_javas_answers(group):
    _, _, slave = group
    resp = run(_invoke(slave.addr, send_request()))
    assert resp.code == ResponseCode.SERVICE_NOT_AVAILABLE
    assert "messages are put to the slave" in resp.remark
    # a half message too: Java's slave goes on to the store, which refuses it
    half = send_request(properties="TRAN_MSG\x01true\x02PGROUP\x01PID_roles", sys_flag=4)
    resp2 = run(_invoke(slave.addr, half))
    assert (resp2.code, resp2.remark) == (resp.code, resp.remark)
    create = CreateTopicRequestHeader(topic="NewOnSlave", defaultTopic="TBW102", readQueueNums=4, writeQueueNums=4,
                                      perm=6, topicFilterType="SINGLE_TAG")
    resp = run(_invoke(slave.addr, make_request(RequestCode.UPDATE_AND_CREATE_TOPIC, create.encode())))
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "Can't modify topic or subscription group "
                                        "from slave broker, please execute it from master broker.")
    end = {"producerGroup": "PID_roles", "tranStateTableOffset": "0", "commitLogOffset": "0",
           "commitOrRollback": "8", "fromTransactionCheck": "false", "msgId": "x"}
    resp = run(_invoke(slave.addr, make_request(RequestCode.END_TRANSACTION, end)))
    assert resp.code == ResponseCode.SLAVE_NOT_AVAILABLE


def test_a_slave_serves_pulls_and_points_back_at_the_master(group):
    _, _, slave = group
    resp = run(_invoke(slave.addr, pull_request("CID_roles_slave")))
    assert resp.code == ResponseCode.SUCCESS, resp.remark
    h = PullMessageResponseHeader.decode(resp.ext_fields)
    assert h.suggestWhichBrokerId == 0 and h.nextBeginOffset == 5 and h.maxOffset == 5


def test_master_suggests_the_groups_broker_when_the_consumer_keeps_up(group):
    _, master, _ = group
    # slaveReadEnable=true, messages in memory: the group's brokerId (0 by default)
    resp = run(_invoke(master.addr, pull_request("CID_roles_master")))
    assert resp.code == ResponseCode.SUCCESS
    assert PullMessageResponseHeader.decode(resp.ext_fields).suggestWhichBrokerId == 0


def test_master_sends_a_slow_consumer_to_which_broker_when_consume_slowly(tmp_path):
    # accessMessageInMemoryMaxRatio=0: every message counts as no longer in memory
    with NamesrvProcess(tmp_path / "ns") as ns:
        master, slave = ha.start_group(tmp_path, ns.addr, "slow",
                                       master_extra={"slaveReadEnable": "true", "accessMessageInMemoryMaxRatio": 0})
        try:
            assert run(_invoke(master.addr, send_request())).code == ResponseCode.SUCCESS
            resp = run(_invoke(master.addr, pull_request("CID_roles_slow")))
            assert resp.code == ResponseCode.SUCCESS
            assert PullMessageResponseHeader.decode(resp.ext_fields).suggestWhichBrokerId == 1
        finally:
            slave.stop()
            master.stop()

"""END_TRANSACTION against the broker daemon: a half message is invisible until committed; commit stores the
message once, rollback never; requests that name no open transaction (unknown offset, wrong producer group,
wrong queue offset, a commit after a rollback or a second commit) get Java's code and remark and store
nothing; UNKNOW gets no answer at all; rejectTransactionMessage refuses half messages."""
from __future__ import annotations

import asyncio

import pytest

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from remoting.errors import RemotingTimeoutError
from store import message as m
from tests.support.daemons import BrokerProcess

TOPIC = "TxIntegration"
HALF = "TRAN_MSG\x01true\x02PGROUP\x01PID_int\x02UNIQ_KEY\x01{key}\x02TAGS\x01TagTx\x02WAIT\x01true"


@pytest.fixture
def broker(namesrv, tmp_path):
    with BrokerProcess(tmp_path / "broker", namesrv.addr) as br:
        yield br


async def call(client, addr: str, code: int, ext: dict[str, str], body: bytes | None = None, timeout: float = 5):
    return await client.invoke(addr, make_request(code, ext, body), timeout)


async def send_half(client, addr: str, key: str) -> tuple[int, int]:
    """(commit-log offset, half-queue offset) of a new half message."""
    resp = await call(client, addr, RequestCode.SEND_MESSAGE, {
        "producerGroup": "PID_int", "topic": TOPIC, "defaultTopic": "TBW102", "defaultTopicQueueNums": "1",
        "queueId": "0", "sysFlag": str(m.TRANSACTION_PREPARED_TYPE), "bornTimestamp": "1700000000000", "flag": "0",
        "properties": HALF.format(key=key)}, f"body-{key}".encode())
    assert resp.code == ResponseCode.SUCCESS, resp
    return m.decode_offset_msg_id(resp.ext("msgId"))[1], int(resp.ext("queueOffset"))


async def end(client, addr: str, phys: int, qoff: int, kind: int, group: str = "PID_int", timeout: float = 5):
    return await call(client, addr, RequestCode.END_TRANSACTION, {
        "producerGroup": group, "tranStateTableOffset": str(qoff), "commitLogOffset": str(phys),
        "commitOrRollback": str(kind), "fromTransactionCheck": "false", "msgId": "x"}, timeout=timeout)


async def real_topic_max(client, addr: str) -> int:
    resp = await call(client, addr, RequestCode.GET_MAX_OFFSET, {"topic": TOPIC, "queueId": "0"})
    return int(resp.ext("offset")) if resp.code == ResponseCode.SUCCESS else 0


async def commitlog_max(client, addr: str) -> int:
    resp = await call(client, addr, RequestCode.GET_BROKER_RUNTIME_INFO, {})
    return int(fastjson.loads(resp.body)["table"]["commitLogMaxOffset"])


async def test_commit_once_rollback_never_and_refusals_store_nothing(broker, client):
    addr = broker.addr
    c_phys, c_q = await send_half(client, addr, "K-commit")
    r_phys, r_q = await send_half(client, addr, "K-rollback")
    assert (c_q, r_q) == (0, 1)                             # offsets in the half queue
    assert await real_topic_max(client, addr) == 0          # invisible until committed

    async def refused(phys, qoff, kind, remark, group="PID_int"):
        before = await commitlog_max(client, addr)
        resp = await end(client, addr, phys, qoff, kind, group)
        assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, remark)
        assert await commitlog_max(client, addr) == before   # nothing stored

    await refused(987654, 0, m.TRANSACTION_COMMIT_TYPE, "Find prepared transaction message failed")
    await refused(c_phys, c_q, m.TRANSACTION_COMMIT_TYPE, "The producer group wrong", group="PID_other")
    await refused(c_phys, c_q + 5, m.TRANSACTION_COMMIT_TYPE, "The transaction state table offset wrong")

    resp = await end(client, addr, c_phys, c_q, m.TRANSACTION_COMMIT_TYPE)
    assert (resp.code, resp.remark) == (ResponseCode.SUCCESS, None)
    assert await real_topic_max(client, addr) == 1
    resp = await end(client, addr, r_phys, r_q, m.TRANSACTION_ROLLBACK_TYPE)
    assert (resp.code, resp.remark) == (ResponseCode.SUCCESS, None)

    # decided: a second commit, a commit after the rollback, a rollback after the commit
    await refused(c_phys, c_q, m.TRANSACTION_COMMIT_TYPE, "Find prepared transaction message failed")
    await refused(r_phys, r_q, m.TRANSACTION_COMMIT_TYPE, "Find prepared transaction message failed")
    await refused(c_phys, c_q, m.TRANSACTION_ROLLBACK_TYPE, "Find prepared transaction message failed")
    assert await real_topic_max(client, addr) == 1

    resp = await call(client, addr, RequestCode.PULL_MESSAGE, {
        "consumerGroup": "CID_int", "topic": TOPIC, "queueId": "0", "queueOffset": "0", "maxMsgNums": "32",
        "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0", "subscription": "*", "subVersion": "0",
        "expressionType": "TAG"})
    assert resp.code == ResponseCode.SUCCESS
    got = m.decode_all(resp.body)
    assert [x.body for x in got] == [b"body-K-commit"]
    assert m.transaction_type(got[0].sys_flag) == m.TRANSACTION_COMMIT_TYPE
    assert got[0].prepared_transaction_offset == c_phys
    assert got[0].props["UNIQ_KEY"] == "K-commit" and got[0].props["TRAN_MSG"] == "true"   # Java's quirk


async def test_bad_kinds_unknown_and_rejected_half_messages(broker, client):
    addr = broker.addr
    phys, qoff = await send_half(client, addr, "K-odd")
    resp = await end(client, addr, phys, qoff, 5)
    assert (resp.code, resp.remark) == (ResponseCode.SYSTEM_ERROR, "commitOrRollback field wrong")
    with pytest.raises((RemotingTimeoutError, asyncio.TimeoutError)):   # UNKNOW: Java answers nothing
        await end(client, addr, phys, qoff, m.TRANSACTION_NOT_TYPE, timeout=1.0)
    resp = await call(client, addr, RequestCode.END_TRANSACTION, {"producerGroup": "PID_int"})
    assert resp.code == ResponseCode.SYSTEM_ERROR and "is null" in resp.remark
    # still open after all that: the commit goes through
    assert (await end(client, addr, phys, qoff, m.TRANSACTION_COMMIT_TYPE)).code == ResponseCode.SUCCESS

    resp = await call(client, addr, RequestCode.UPDATE_BROKER_CONFIG, {}, b"rejectTransactionMessage=true\n")
    assert resp.code == ResponseCode.SUCCESS
    before = await commitlog_max(client, addr)
    resp = await call(client, addr, RequestCode.SEND_MESSAGE, {
        "producerGroup": "PID_int", "topic": TOPIC, "defaultTopic": "TBW102", "defaultTopicQueueNums": "1",
        "queueId": "0", "sysFlag": "4", "bornTimestamp": "1700000000000", "flag": "0",
        "properties": HALF.format(key="K-rejected")}, b"x")
    assert (resp.code, resp.remark) == (ResponseCode.NO_PERMISSION,
                                        "the broker[127.0.0.1] sending transaction message is forbidden")
    assert await commitlog_max(client, addr) == before


async def test_a_committed_timer_message_waits_for_its_time(broker, client):
    addr = broker.addr
    resp = await call(client, addr, RequestCode.SEND_MESSAGE, {
        "producerGroup": "PID_int", "topic": TOPIC, "defaultTopic": "TBW102", "defaultTopicQueueNums": "1",
        "queueId": "0", "sysFlag": "4", "bornTimestamp": "1700000000000", "flag": "0",
        "properties": HALF.format(key="K-timed") + "\x02TIMER_DELAY_SEC\x013"}, b"timed")
    assert resp.code == ResponseCode.SUCCESS, resp
    phys, qoff = m.decode_offset_msg_id(resp.ext("msgId"))[1], int(resp.ext("queueOffset"))
    assert await real_topic_max(client, addr) == 0            # the half message is never timed itself
    loop = asyncio.get_running_loop()
    committed_at = loop.time()
    assert (await end(client, addr, phys, qoff, m.TRANSACTION_COMMIT_TYPE)).code == ResponseCode.SUCCESS
    assert await real_topic_max(client, addr) == 0            # the commit went to the timer
    while await real_topic_max(client, addr) == 0:
        assert loop.time() - committed_at < 15, "the committed timer message never arrived"
        await asyncio.sleep(0.05)
    assert loop.time() - committed_at >= 2.0                  # delay counted from the commit

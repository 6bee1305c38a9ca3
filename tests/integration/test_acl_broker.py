"""ACL on a real broker daemon, spoken to with our remoting client signing as AclClientRPCHook does: refusals
with Java's code and remark on both ports, nothing stored for a refused send, hot reload (a broken file keeps
the last good config), the ACL admin codes editing plain_acl.yml (0600), and no secret in logs or config."""
from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest
import yaml

from remoting import fastjson, signing
from remoting.client import RemotingClient
from remoting.codes import RequestCode as R
from remoting.codes import ResponseCode
from remoting.command import make_request
from tests.support.acl import EXAMPLE_ACL
from tests.support.daemons import BrokerProcess, NamesrvProcess

EXC = "org.apache.rocketmq.acl.common.AclException"
PPM = "org.apache.rocketmq.acl.plain.PlainPermissionManager"
PLAIN_ACL = EXAMPLE_ACL
SECRETS = ("12345678", "87654321", "newsecret77", "hunter2-tls-pass")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("acl")
    home = root / "home"
    (home / "conf").mkdir(parents=True)
    (home / "conf" / "plain_acl.yml").write_text(yaml.safe_dump(PLAIN_ACL, sort_keys=False))
    with NamesrvProcess(root / "ns") as ns:
        with BrokerProcess(root / "broker", ns.addr, aclEnable=True, rocketmqHome=str(home),
                           **{"tls.server.keyPassword": "hunter2-tls-pass"}) as br:
            yield br, home


async def call(client, addr, code, ext=None, body=None, ak=None, sk=None, timeout=5):
    ext = {k: str(v) for k, v in (ext or {}).items()}
    if ak is not None:
        signing.sign(ext, body, ak, sk)
    return await client.invoke(addr, make_request(code, ext, body), timeout)


def admin(client, addr, code, ext=None, body=None):
    return call(client, addr, code, ext, body, ak="rocketmq2", sk="87654321")


def send_ext(topic, group="PID_acl"):
    return {"a": group, "b": topic, "c": "TBW102", "d": 4, "e": 0, "f": 0, "g": int(time.time() * 1000), "h": 0,
            "i": "TAGS\x01a\x02"}


async def max_offsets(client, addr, topic):
    out = []
    for q in range(4):
        r = await admin(client, addr, R.GET_MAX_OFFSET, {"topic": topic, "queueId": q})
        assert r.code == ResponseCode.SUCCESS, r.remark
        out.append(int(r.ext_fields["offset"]))
    return out


async def eventually(probe, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        if await probe():
            return
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.2)


def logs(workdir: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in (workdir / "logs").rglob("*") if p.is_file())


async def test_refusals_answer_javas_code_and_remark_and_store_nothing(cluster, client):
    br, _home = cluster
    a = br.addr
    for topic in ("topicB", "topicC", "topicD"):
        r = await admin(client, a, R.UPDATE_AND_CREATE_TOPIC, {
            "topic": topic, "defaultTopic": "TBW102", "readQueueNums": 4, "writeQueueNums": 4, "perm": 6,
            "topicFilterType": "SINGLE_TAG", "topicSysFlag": 0, "order": "false"})
        assert r.code == ResponseCode.SUCCESS, r.remark
    r = await call(client, a, R.SEND_MESSAGE_V2, send_ext("topicB"), b"ok", "RocketMQ", "12345678")
    assert r.code == ResponseCode.SUCCESS, r.remark
    before = {t: await max_offsets(client, a, t) for t in ("topicB", "topicC", "topicD")}
    cases = [
        (send_ext("topicB"), None, None, f"{EXC}: No accessKey is configured, {PPM}.validate(PlainPermissionManager.java:663)"),
        (send_ext("topicB"), "nobody77", "whatever1", f"{EXC}: No acl config for nobody77, {PPM}.validate(PlainPermissionManager.java:667)"),
        (send_ext("topicB"), "RocketMQ", "wrong-secret", f"{EXC}: Check signature failed for accessKey=RocketMQ, {PPM}.validate(PlainPermissionManager.java:683)"),
        (send_ext("topicC"), "RocketMQ", "12345678", f"{EXC}: No default permission for topic:topicC, {PPM}.checkPerm(PlainPermissionManager.java:610)"),
        (send_ext("topicD"), "RocketMQ", "12345678", f"{EXC}: No default permission for topic:topicD, {PPM}.checkPerm(PlainPermissionManager.java:605)"),
    ]
    for ext, ak, sk, remark in cases:
        r = await call(client, a, R.SEND_MESSAGE_V2, ext, b"refused", ak, sk)
        assert (r.code, r.remark) == (ResponseCode.SYSTEM_ERROR, remark)
    assert {t: await max_offsets(client, a, t) for t in before} == before     # nothing stored
    # a group without SUB cannot pull, a non-admin cannot create a topic
    pull = {"consumerGroup": "groupA", "topic": "topicB", "queueId": 0, "queueOffset": 0, "maxMsgNums": 32,
            "sysFlag": 0, "commitOffset": 0, "suspendTimeoutMillis": 0, "subVersion": 0}
    r = await call(client, a, R.PULL_MESSAGE, pull, None, "RocketMQ", "12345678")
    assert (r.code, r.remark) == (ResponseCode.SYSTEM_ERROR, f"{EXC}: No default permission for group:groupA, "
                                  f"{PPM}.checkPerm(PlainPermissionManager.java:610)")
    r = await call(client, a, R.UPDATE_AND_CREATE_TOPIC, {"topic": "topicE", "defaultTopic": "TBW102",
                   "readQueueNums": 4, "writeQueueNums": 4, "perm": 6, "topicFilterType": "SINGLE_TAG",
                   "topicSysFlag": 0, "order": "false"}, None, "RocketMQ", "12345678")
    assert (r.code, r.remark) == (ResponseCode.SYSTEM_ERROR, f"{EXC}: Need admin permission for request code=17, "
                                  f"but accessKey=RocketMQ is not, {PPM}.checkPerm(PlainPermissionManager.java:580)")
    r = await admin(client, a, R.GET_TOPIC_CONFIG, {"topic": "topicE"})
    assert r.code == ResponseCode.TOPIC_NOT_EXIST
    # the VIP port (listenPort - 2) checks the same way
    vip = f"127.0.0.1:{br.port - 2}"
    r = await call(client, vip, R.SEND_MESSAGE_V2, send_ext("topicB"), b"x")
    assert r.code == ResponseCode.SYSTEM_ERROR and "No accessKey is configured" in r.remark
    r = await call(client, vip, R.SEND_MESSAGE_V2, send_ext("topicB"), b"vip", "RocketMQ", "12345678")
    assert r.code == ResponseCode.SUCCESS, r.remark


async def test_hot_reload_and_a_broken_file_keeps_the_last_good_config(cluster, client):
    br, home = cluster
    path = home / "conf" / "acl" / "extra.yml"
    path.parent.mkdir(exist_ok=True)

    async def unsigned_ok() -> bool:
        r = await call(client, br.addr, R.GET_BROKER_RUNTIME_INFO)
        return r.code == ResponseCode.SUCCESS
    assert not await unsigned_ok()
    path.write_text("globalWhiteRemoteAddresses:\n  - 127.0.0.*\n")          # a file of its own in conf/acl
    await eventually(unsigned_ok)
    path.write_text("globalWhiteRemoteAddresses: [127.0.0.*\naccounts: {{{\n")   # not YAML
    await eventually(lambda: asyncio.sleep(0, "not reloaded" in logs(br.workdir)))
    assert await unsigned_ok()                                   # the last good config stays
    path.write_text("accounts:\n  - accessKey: shortak\n    secretKey: x\n")     # keys too short
    await eventually(lambda: asyncio.sleep(0, logs(br.workdir).count("not reloaded") >= 2))
    assert await unsigned_ok()
    path.unlink()
    await eventually(lambda: unsigned_ok_negated(unsigned_ok))


async def unsigned_ok_negated(probe) -> bool:
    return not await probe()


async def test_acl_admin_codes_edit_the_file(cluster, client):
    br, home = cluster
    a = br.addr
    default = home / "conf" / "plain_acl.yml"
    info = await admin(client, a, R.GET_BROKER_CLUSTER_ACL_INFO)
    assert info.code == ResponseCode.SUCCESS
    counter = fastjson.loads(info.ext_fields["version"])["counter"]
    assert info.ext_fields["brokerAddr"] == a and info.ext_fields["brokerName"] == "broker-a"
    r = await admin(client, a, R.UPDATE_AND_CREATE_ACL_CONFIG, {
        "accessKey": "newuser77", "secretKey": "newsecret77", "admin": "false", "defaultTopicPerm": "DENY",
        "topicPerms": "topicB=PUB,topicC=SUB"})
    assert r.code == ResponseCode.SUCCESS, r.remark
    assert stat.S_IMODE(os.stat(default).st_mode) == 0o600
    saved = yaml.safe_load(default.read_text())
    entry = saved["accounts"][-1]
    assert entry == {"accessKey": "newuser77", "secretKey": "newsecret77", "admin": False, "defaultTopicPerm": "DENY",
                     "topicPerms": ["topicB=PUB", "topicC=SUB"]}
    assert saved["dataVersion"][0]["counter"] == counter + 1
    r = await call(client, a, R.SEND_MESSAGE_V2, send_ext("topicB"), b"new", "newuser77", "newsecret77")
    assert r.code == ResponseCode.SUCCESS, r.remark
    r = await call(client, a, R.SEND_MESSAGE_V2, send_ext("topicC"), b"new", "newuser77", "newsecret77")
    assert r.code == ResponseCode.SYSTEM_ERROR and "topic:topicC" in r.remark
    info = await admin(client, a, R.GET_BROKER_CLUSTER_ACL_INFO)
    assert fastjson.loads(info.ext_fields["version"])["counter"] == counter + 1
    assert str(default) in fastjson.loads(info.ext_fields["allAclFileVersion"])
    body = fastjson.loads((await admin(client, a, R.GET_BROKER_CLUSTER_ACL_CONFIG)).body)
    assert "10.10.103.*" in body["globalWhiteAddrs"]
    assert [c["accessKey"] for c in body["plainAccessConfigs"]][:2] == ["RocketMQ", "rocketmq2"]
    # refusals of bad edits, with the 4.9.7 codes
    r = await admin(client, a, R.UPDATE_AND_CREATE_ACL_CONFIG, {"accessKey": "short", "secretKey": "s"})
    assert r.code == ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED and "12345678" not in (r.remark or "")
    r = await admin(client, a, R.UPDATE_AND_CREATE_ACL_CONFIG, {"accessKey": "newuser88", "secretKey": "newsecret88",
                                                                "topicPerms": "topicB=ALL"})
    assert r.code == ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED and "Parse resource permission error" in r.remark
    r = await admin(client, a, R.DELETE_ACL_CONFIG, {"accessKey": "newuser77"})
    assert r.code == ResponseCode.SUCCESS
    r = await admin(client, a, R.DELETE_ACL_CONFIG, {"accessKey": "newuser77"})
    assert (r.code, r.remark) == (ResponseCode.DELETE_ACL_CONFIG_FAILED,
                                  "The accesskey[newuser77] corresponding to accessConfig has been deleted failed.")
    r = await call(client, a, R.SEND_MESSAGE_V2, send_ext("topicB"), b"gone", "newuser77", "newsecret77")
    assert r.code == ResponseCode.SYSTEM_ERROR and "No acl config for newuser77" in r.remark
    r = await admin(client, a, R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, {"globalWhiteAddrs": "10.10.103.*,127.0.0.1",
                                                                    "aclFileFullPath": str(default)})
    assert r.code == ResponseCode.SUCCESS
    assert yaml.safe_load(default.read_text())["globalWhiteRemoteAddresses"] == ["10.10.103.*", "127.0.0.1"]
    assert (await call(client, a, R.GET_BROKER_RUNTIME_INFO)).code == ResponseCode.SUCCESS
    r = await admin(client, a, R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, {"globalWhiteAddrs": "10.10.103.*",
                                                                    "aclFileFullPath": "/etc/passwd"})
    assert r.code == ResponseCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED
    r = await admin(client, a, R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, {"globalWhiteAddrs": "10.10.103.*",
                                                                    "aclFileFullPath": str(default)})
    assert r.code == ResponseCode.SUCCESS
    assert (await call(client, a, R.GET_BROKER_RUNTIME_INFO)).code == ResponseCode.SYSTEM_ERROR


async def test_no_secret_in_logs_or_config_answers(cluster, client):
    br, _home = cluster
    r = await admin(client, br.addr, R.GET_BROKER_CONFIG)
    assert r.code == ResponseCode.SUCCESS
    text = bytes(r.body).decode()
    assert "aclEnable=true" in text and "hunter2" not in text
    everything = logs(br.workdir) + br.stderr()
    assert "request 310" in everything or "refused" in everything     # refusals are logged ...
    for secret in SECRETS:
        assert secret not in everything                                  # ... and no secret is


async def test_acl_off_answers_like_java(namesrv, tmp_path):
    """Without aclEnable Java has no validator: edits fail with their code, reads never answer."""
    with BrokerProcess(tmp_path / "b", namesrv.addr) as br:
        c = RemotingClient()
        try:
            r = await call(c, br.addr, R.UPDATE_AND_CREATE_ACL_CONFIG, {"accessKey": "newuser77",
                                                                        "secretKey": "newsecret77"})
            assert (r.code, r.remark) == (ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED, None)
            r = await call(c, br.addr, R.DELETE_ACL_CONFIG, {"accessKey": "newuser77"})
            assert r.code == ResponseCode.DELETE_ACL_CONFIG_FAILED
            with pytest.raises(Exception, match="(?i)timeout"):
                await call(c, br.addr, R.GET_BROKER_CLUSTER_ACL_CONFIG, timeout=1)
            r = await call(c, br.addr, R.SEND_MESSAGE_V2, send_ext("TopicNoAcl"), b"x", "any-key1", "any-secret")
            assert r.code == ResponseCode.SUCCESS, r.remark        # signatures are ignored when ACL is off
        finally:
            await c.close()

"""ACL with the real clients that sign (C++ 1.x via rocketmq 0.4.4 and C++ 2.1 via rocketmq-client-python 2.0.0:
set_session_credentials; ali-ons: accessKeyId / accessKeySecret) against our broker with aclEnable=true.

Correct keys produce and consume. Each refusal is answered SYSTEM_ERROR (1) with the AclException remark naming the
reason, and nothing is stored (max offsets read with signed admin calls before and after). How each client lets a
refusal be seen:
- the C++ clients retry a SYSTEM_ERROR send and then raise "No route info of this topic"; the broker's code and
  remark are in their log: `processSendResponse error remark:<remark>, error code:1` (a consumer's:
  `msg: <remark>,error:1`);
- ali-ons retries too and throws "Send [n] times, still failed"; alions_client.js reports the MQClientException of
  the last try with it (code 1, message = remark); a push consumer it refuses emits an error naming the remark.
The C++ clients send AccessKey, Signature and OnsChannel even without credentials (AccessKey empty), so an unsigned
C++ client is "No acl config for " while an unsigned ali-ons client is "No accessKey is configured"."""
from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from remoting.codes import RequestCode, ResponseCode
from tests.support import alions, cpp1x
from tests.support.acl import (ADMIN, CLIENT, WHITE_IN, WHITE_OUT, acl_cluster, call, max_offsets,
                               mqadmin_as, refusal, tools_home)
from tests.support.consumers import push_consumer

pytestmark = pytest.mark.interop

CLIENTS = ["1.x", "2.1", "ali-ons"]
TOPIC, SUB_ONLY = "AclTopic", "SubOnlyTopic"
WAIT = 60.0


@pytest.fixture(scope="module")
def acl(tmp_path_factory):
    root = tmp_path_factory.mktemp("acl-clients")
    with acl_cluster(root, topics=(TOPIC, SUB_ONLY)) as (ns, br, home):
        yield ns, br, home


def tag(client: str) -> str:
    return {"1.x": "cpp1x", "2.1": "cpp21", "ali-ons": "alions"}[client]


def send(client: str, home: Path, ns: str, acl, topic: str, bodies: list[bytes]) -> list[dict]:
    """One send per body with the client's producer (signing with `acl`); one result line each."""
    home.mkdir(parents=True, exist_ok=True)
    msgs = [cpp1x.message(topic, b, tags="TagA", keys=f"k{i}") for i, b in enumerate(bodies)]
    group = f"PID_acl_{tag(client)}"
    if client == "ali-ons":
        # a refused producer's close() (UNREGISTER_CLIENT) is refused too: that "fatal" line is not a send's
        lines = alions.produce(home, ns, group, msgs, acl=acl, allow_fatal=True)
        return [x for x in lines if "fatal" not in x]
    return cpp1x.produce(home, ns, group, "sync", msgs, core=client, acl=acl)


def sent_ok(client: str, r: dict) -> bool:
    return r.get("status") == ("SEND_OK" if client == "ali-ons" else 0)


def cpp_log(client: str, home: Path) -> str:
    """Everything the C++ core logged under this home (1.x: ~/logs/rocketmq-cpp, 2.1: $ROCKETMQ_CLIENT_LOG_DIR)."""
    sub = "rocketmq-cpp" if client == "1.x" else "rocketmq-client"
    return "".join(p.read_text(errors="replace") for p in sorted((home / "logs" / sub).glob("*")) if p.is_file())


def assert_send_refused(client: str, home: Path, result: dict, reason: str) -> None:
    """The refusal as the client shows it: code 1 and the remark naming `reason`."""
    assert "error" in result and not sent_ok(client, result), result
    if client == "ali-ons":
        assert result["error"].startswith("Send ["), result
        cause = result["cause"]
        assert cause and cause["name"] == "MQClientException" and cause["code"] == ResponseCode.SYSTEM_ERROR, result
        assert cause["message"].startswith(refusal(reason) + ", org.apache.rocketmq.acl.plain."), cause
    else:
        assert result["error"].startswith("No route info of this topic"), result
        assert f"processSendResponse error remark:{refusal(reason)}, org.apache.rocketmq.acl.plain." in \
            cpp_log(client, home), cpp_log(client, home)[-3000:]
        assert "error code:1[" in cpp_log(client, home)


def total(br, topic: str) -> int:
    return sum(max_offsets(br.addr, topic))


# ------------------------------------------------------------------------------------------ correct keys

@pytest.mark.parametrize("client", CLIENTS)
def test_correct_keys_produce_and_consume(acl, client, tmp_path):
    ns, br, _ = acl
    before = total(br, TOPIC)
    bodies = [f"{client}-ok-{i}-é".encode() for i in range(3)]
    results = send(client, tmp_path / "p", ns.addr, CLIENT, TOPIC, bodies)
    assert len(results) == 3 and all(sent_ok(client, r) for r in results), results
    assert total(br, TOPIC) == before + 3
    c = push_consumer(client, tmp_path / "c", ns.addr, f"AclGroup_{tag(client)}", TOPIC, acl=CLIENT)
    try:
        assert c.wait_for(lambda got: set(bodies) <= {base64.b64decode(m["body_b64"]) for m in got}, WAIT), \
            (len(c.messages), c.errors)
    finally:
        c.stop()


# ------------------------------------------------------------------------------------------ refused sends

SEND_CASES = {
    "wrong-secret": ((CLIENT[0], "wrongSecret1"), TOPIC, f"Check signature failed for accessKey={CLIENT[0]}"),
    "unknown-key": (("nobodyKey", "whatever12"), TOPIC, "No acl config for nobodyKey"),
    "topic-without-pub": (CLIENT, SUB_ONLY, f"No default permission for topic:{SUB_ONLY}"),
    # whiteOut's whiteRemoteAddress (10.10.10.*) excludes 127.0.0.1: its signature is checked, and is wrong
    "outside-account-whitelist": ((WHITE_OUT[0], "wrongSecret1"), TOPIC,
                                  f"Check signature failed for accessKey={WHITE_OUT[0]}"),
}


@pytest.mark.parametrize("case", list(SEND_CASES))
@pytest.mark.parametrize("client", CLIENTS)
def test_refused_send_stores_nothing(acl, client, case, tmp_path):
    ns, br, _ = acl
    keys, topic, reason = SEND_CASES[case]
    before = max_offsets(br.addr, topic)
    (result,) = send(client, tmp_path, ns.addr, keys, topic, [f"{case}-{client}".encode()])
    assert_send_refused(client, tmp_path, result, reason)
    assert max_offsets(br.addr, topic) == before


@pytest.mark.parametrize("client", CLIENTS)
def test_unsigned_client_is_refused(acl, client, tmp_path):
    """Without credentials: the C++ clients still send AccessKey (empty) and a Signature; ali-ons sends none."""
    ns, br, _ = acl
    before = max_offsets(br.addr, TOPIC)
    (result,) = send(client, tmp_path, ns.addr, None, TOPIC, [b"unsigned"])
    reason = "No accessKey is configured" if client == "ali-ons" else "No acl config for "
    assert_send_refused(client, tmp_path, result, reason)
    assert max_offsets(br.addr, TOPIC) == before


@pytest.mark.parametrize("client", CLIENTS)
def test_inside_account_whitelist_needs_no_valid_signature(acl, client, tmp_path):
    """whiteIn's whiteRemoteAddress 127.0.0.* includes this host: a wrong secret is not even checked."""
    ns, br, _ = acl
    before = total(br, TOPIC)
    (result,) = send(client, tmp_path, ns.addr, (WHITE_IN[0], "wrongSecret1"), TOPIC, [b"white-in"])
    assert sent_ok(client, result), result
    assert total(br, TOPIC) == before + 1


def set_global_white(br, home: Path, patterns: str) -> None:
    resp = call(br.addr, RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
                {"globalWhiteAddrs": patterns, "aclFileFullPath": str(home / "conf" / "plain_acl.yml")}, ADMIN)
    assert resp.code == ResponseCode.SUCCESS, (resp.code, resp.remark)


@pytest.mark.parametrize("client", CLIENTS)
def test_global_whitelist(acl, client, tmp_path):
    """globalWhiteRemoteAddresses including 127.0.0.* lets an unknown key through; 10.10.103.* alone does not."""
    ns, br, home = acl
    unknown = ("strangerKey", "whatever12")
    before = total(br, TOPIC)
    try:
        set_global_white(br, home, "10.10.103.*,127.0.0.*")
        (result,) = send(client, tmp_path / "in", ns.addr, unknown, TOPIC, [b"global-white-in"])
        assert sent_ok(client, result), result
        assert total(br, TOPIC) == before + 1
    finally:
        set_global_white(br, home, "10.10.103.*")
    (result,) = send(client, tmp_path / "out", ns.addr, unknown, TOPIC, [b"global-white-out"])
    assert_send_refused(client, tmp_path / "out", result, "No acl config for strangerKey")
    assert total(br, TOPIC) == before + 1


# ------------------------------------------------------------------------------------------ refused consumers

def consumer_refusal_seen(client: str, home: Path, c, remark: str) -> bool:
    if client == "ali-ons":
        return any(remark in (e.get("error") or e.get("fatal") or "") for e in c.errors)
    return f"msg: {remark}" in cpp_log(client, home)


def wait_until(pred, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)      # polling a log file the client writes: the condition is the event
    return pred()


@pytest.mark.parametrize("client", CLIENTS)
def test_group_without_sub_consumes_nothing(acl, client, tmp_path):
    ns, br, _ = acl
    # something to consume, sent by the account itself
    (ok,) = send(client, tmp_path / "p", ns.addr, CLIENT, TOPIC, [f"{client}-for-deny-group".encode()])
    assert sent_ok(client, ok), ok
    remark = refusal("No default permission for group:DenyGroup")
    c = push_consumer(client, tmp_path / "c", ns.addr, "DenyGroup", TOPIC, acl=CLIENT, expect_ready=False)
    try:
        assert wait_until(lambda: consumer_refusal_seen(client, tmp_path / "c", c, remark), WAIT), \
            (c.errors, cpp_log(client, tmp_path / "c")[-2000:] if client != "ali-ons" else "")
        if client != "ali-ons":
            assert f"msg: {remark}, org.apache.rocketmq.acl.plain." in cpp_log(client, tmp_path / "c")
            assert ",error:1," in cpp_log(client, tmp_path / "c")
        assert c.messages == []
    finally:
        c.stop()
    assert c.messages == []


# ------------------------------------------------------------------------------------------ admin codes

def test_non_admin_key_cannot_call_admin_codes(acl, tmp_path):
    """Our mqadmin with a non-admin account in tools.yml: UPDATE_AND_CREATE_TOPIC is admin-only."""
    ns, br, _ = acl
    home = tools_home(tmp_path, "client", CLIENT)
    out = mqadmin_as(home, "updateTopic", "-b", br.addr, "-t", "NonAdminTopic", "-n", ns.addr)
    assert out.returncode == 1
    assert (f"CODE: 1  DESC: {refusal('Need admin permission for request code=17, but accessKey=aclClient is not')}"
            ", org.apache.rocketmq.acl.plain.PlainPermissionManager.checkPerm(") in out.stderr, out.stderr
    resp = call(br.addr, RequestCode.GET_ALL_TOPIC_CONFIG, None, ADMIN)
    assert resp.code == ResponseCode.SUCCESS and b"NonAdminTopic" not in resp.body
    admin_home = tools_home(tmp_path, "admin", ADMIN)
    out = mqadmin_as(admin_home, "updateTopic", "-b", br.addr, "-t", "NonAdminTopic", "-n", ns.addr)
    assert out.returncode == 0, out.stderr

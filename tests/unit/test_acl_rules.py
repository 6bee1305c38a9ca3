"""ACL 1.0 rules without a daemon: address patterns, permissions, the validator's order of checks, its remarks
(4.9.7's messages and stack frames), and a fuzz of the signature path."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.acl import errors
from broker.acl.address import client_ip, expand_ip, matcher
from broker.acl.errors import AclError
from broker.acl.permission import ANY, DENY, PUB, SUB, check_permission, parse_perm, resource_perms
from broker.acl.plain_files import build_account
from broker.acl.tables import AclTables
from broker.acl.validator import needed_resources, validate
from remoting import signing
from remoting.codes import RequestCode as R
from remoting.command import make_request


@pytest.mark.parametrize("pattern, ip, hit", [
    ("*", "1.2.3.4", True), ("*.*.*.*", "1.2.3.4", True), ("", "1.2.3.4", False), (None, "1.2.3.4", False),
    ("192.168.0.*", "192.168.0.17", True), ("192.168.0.*", "192.168.1.17", False),
    ("192.168.*.*", "192.168.200.1", True), ("192.168.*.*", "192.169.0.1", False),
    ("10.*.*.*", "10.0.0.1", True), ("10.*.*.*", "100.0.0.1", False),
    ("192.168.1.1-100", "192.168.1.100", True), ("192.168.1.1-100", "192.168.1.101", False),
    ("192.168.1.1-100", "192.168.1.0", False),
    ("192.168.1.{1,2,3}", "192.168.1.3", True), ("192.168.1.{1,2,3}", "192.168.1.4", False),
    ("127.0.0.1,10.0.0.1", "10.0.0.1", True), ("127.0.0.1,10.0.0.1", "10.0.0.2", False),
    ("127.0.0.1", "127.0.0.1", True), ("127.0.0.1", "127.0.0.2", False),
    ("::1", "0:0:0:0:0:0:0:1", True), ("0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:1", True),
    ("1050:0:0:0:5:600:300c:*", "1050:0:0:0:5:600:300c:326b", True),
    ("1050:0:0:0:5:600:300c:*", "1050:0:0:0:5:600:300d:326b", False),
    ("1050:0:0:0:5:600:300c:1-ff", "1050:0:0:0:5:600:300c:fe", True),
    ("1050:0:0:0:5:600:300c:1-ff", "1050:0:0:0:5:600:300c:100", False),
    ("1050::5:600:300c:{1,2}", "1050:0:0:0:5:600:300c:2", True),
])
def test_address_patterns_match_as_java_does(pattern, ip, hit):
    assert matcher(pattern)(ip) is hit


@pytest.mark.parametrize("pattern", ["192.168.1", "300.1.1.1", "192.168.1.{1,x}", "192.168.1.-5",
                                     "192.168.1.5-1", "1050:*:0:0:5:600:300c:1", "hello"])
def test_patterns_java_refuses_raise(pattern):
    with pytest.raises(AclError):
        matcher(pattern)


def test_client_ip_is_javas_host_address():
    assert client_ip("127.0.0.1:53211") == "127.0.0.1"
    assert client_ip("::1:53211") == "0:0:0:0:0:0:0:1"
    assert client_ip("fe80::1%eth0:1") == "fe80:0:0:0:0:0:0:1"
    assert expand_ip("::1", 8) == "0000:0000:0000:0000:0000:0000:0000:0001"


def test_permissions():
    assert [parse_perm(x) for x in ("PUB", " SUB ", "PUB|SUB", "SUB|PUB", "DENY", "pub", None, "ANY")] == \
        [PUB, SUB, PUB | SUB, PUB | SUB, DENY, DENY, DENY, DENY]
    assert check_permission(PUB, PUB | SUB) and check_permission(SUB, SUB) and not check_permission(PUB, SUB)
    assert not check_permission(PUB, DENY | PUB)
    assert check_permission(ANY, SUB) and not check_permission(ANY, DENY)
    assert resource_perms(["a=PUB", "b==SUB"], True) == {"a": PUB, "b": SUB}
    assert resource_perms(["g=SUB"], False) == {"%RETRY%g": SUB}
    with pytest.raises(AclError, match="Parse resource permission failed for topic:x"):
        resource_perms(["x"], True)


ACCOUNTS = [
    {"accessKey": "RocketMQ", "secretKey": 12345678, "admin": False, "defaultTopicPerm": "DENY",
     "defaultGroupPerm": "SUB", "topicPerms": ["topicA=DENY", "topicB=PUB|SUB", "topicC=SUB"],
     "groupPerms": ["groupA=DENY", "groupB=PUB|SUB", "groupC=SUB"]},
    {"accessKey": "rocketmq2", "secretKey": "12345678", "whiteRemoteAddress": "192.168.1.*", "admin": True},
]


def tables(white=()) -> AclTables:
    t = AclTables(global_white=[matcher(p) for p in white])
    for a in ACCOUNTS:
        acc = build_account(a)
        t.accounts[acc.access_key] = acc
    return t


def signed(code, ext, body=None, ak="RocketMQ", sk="12345678"):
    ext = {k: str(v) for k, v in ext.items()}
    signing.sign(ext, body, ak, sk)
    return make_request(code, ext, body)


def refusal(t, cmd, ip="127.0.0.1") -> str:
    with pytest.raises(AclError) as e:
        validate(t, cmd, ip)
    return e.value.remark


SEND_B = {"a": "PID", "b": "topicB", "c": "TBW102", "d": "4", "e": "0", "f": "0", "g": "1", "h": "0"}


def test_order_of_checks_and_javas_remarks():
    t = tables()
    validate(t, signed(R.SEND_MESSAGE_V2, SEND_B, b"x"), "127.0.0.1")
    exc = errors.EXCEPTION
    assert refusal(t, make_request(R.SEND_MESSAGE_V2, dict(SEND_B))) == \
        f"{exc}: No accessKey is configured, {errors.NO_ACCESS_KEY}"
    assert refusal(t, make_request(R.SEND_MESSAGE_V2, None)) == \
        f"{exc}: No accessKey is configured, {errors.NO_ACCESS_KEY}"
    assert refusal(t, signed(R.SEND_MESSAGE_V2, SEND_B, ak="nobody1")) == \
        f"{exc}: No acl config for nobody1, {errors.NO_ACL_CONFIG}"
    assert refusal(t, signed(R.SEND_MESSAGE_V2, SEND_B, b"x", sk="wrong-secret")) == \
        f"{exc}: Check signature failed for accessKey=RocketMQ, {errors.BAD_SIGNATURE}"
    assert refusal(t, signed(R.SEND_MESSAGE_V2, dict(SEND_B, b="topicC"))) == \
        f"{exc}: No default permission for topic:topicC, {errors.NO_LISTED_PERM}"
    assert refusal(t, signed(R.SEND_MESSAGE_V2, dict(SEND_B, b="topicZ"))) == \
        f"{exc}: No default permission for topic:topicZ, {errors.NO_DEFAULT_PERM}"
    assert refusal(t, signed(R.UPDATE_AND_CREATE_TOPIC, {"topic": "t"})) == \
        f"{exc}: Need admin permission for request code=17, but accessKey=RocketMQ is not, {errors.NEED_ADMIN}"
    # the admin without topic/group perms may do anything, once signed (its white address is not ours)
    validate(t, signed(R.UPDATE_AND_CREATE_TOPIC, {"topic": "t"}, ak="rocketmq2"), "127.0.0.1")
    validate(t, make_request(R.UPDATE_AND_CREATE_TOPIC, {"AccessKey": "rocketmq2"}), "192.168.1.9")
    # a retry topic send needs the group's SUB; the trace topic is always publishable
    assert "group:groupA" in refusal(t, signed(R.SEND_MESSAGE_V2, dict(SEND_B, a="groupA", b="%RETRY%groupA")))
    validate(t, signed(R.SEND_MESSAGE_V2, dict(SEND_B, b="RMQ_SYS_TRACE_TOPIC")), "127.0.0.1")
    # the global white list lets anything through, unsigned
    validate(tables(["127.0.0.*"]), make_request(R.UPDATE_AND_CREATE_TOPIC, {"topic": "t"}), "127.0.0.1")


def test_the_first_refused_resource_is_in_javas_hashmap_order():
    t = tables()      # defaultTopicPerm DENY, groupA DENY: both resources of these pulls are refused
    pull = {"consumerGroup": "groupA", "topic": "orders", "queueId": "0", "queueOffset": "0", "maxMsgNums": "32",
            "sysFlag": "0", "commitOffset": "0", "suspendTimeoutMillis": "0", "subVersion": "0"}
    need = needed_resources(signed(R.PULL_MESSAGE, pull))
    # put topic then group; a HashMap iterates [%RETRY%groupA, orders] (jshell, Java 17)
    assert list(need) == ["%RETRY%groupA", "orders"]
    assert "group:groupA" in refusal(t, signed(R.PULL_MESSAGE, pull))
    pull["topic"] = "topicA"     # [topicA, %RETRY%groupA]
    assert list(needed_resources(signed(R.PULL_MESSAGE, pull))) == ["topicA", "%RETRY%groupA"]
    assert "topic:topicA" in refusal(t, signed(R.PULL_MESSAGE, pull))


def test_heartbeat_and_header_parse_errors_come_first():
    t = tables(["127.0.0.1"])
    hb = b'{"clientID":"c","consumerDataSet":[{"groupName":"groupC","subscriptionDataSet":[{"topic":"topicC"}]}]}'
    assert needed_resources(signed(R.HEART_BEAT, {}, hb)) == {"%RETRY%groupC": SUB, "topicC": SUB}
    # parse runs before the white list, as Java's hook: a body that is not a heartbeat is refused anyway
    assert refusal(t, signed(R.HEART_BEAT, {}, b"\xff{")).endswith(errors.PARSE)
    # 4.9.7 decodes these headers field by field and only logs a missing one: the group is just not checked
    assert needed_resources(signed(R.UPDATE_CONSUMER_OFFSET, {"topic": "x"})) == {"x": SUB}
    assert needed_resources(signed(R.UNREGISTER_CLIENT, {"consumerGroup": "g"})) == {"%RETRY%g": SUB}


def test_unique_key_query_is_signed_from_4_9_4_on():
    ext = {"topic": "topicB", "key": "k", "maxNum": "32", "beginTimestamp": "0", "endTimestamp": "1",
           "_UNIQUE_KEY_QUERY": "true"}
    t = tables()
    new = signed(R.QUERY_MESSAGE, ext)
    new.version = 400
    validate(t, new, "127.0.0.1")
    old_ext = dict(ext)
    old_ext.pop("_UNIQUE_KEY_QUERY")
    old_ext = signing.sign({k: v for k, v in old_ext.items()}, None, "RocketMQ", "12345678")
    old_ext["_UNIQUE_KEY_QUERY"] = "true"
    old = make_request(R.QUERY_MESSAGE, old_ext)
    old.version = 399
    validate(t, old, "127.0.0.1")
    old.version = 400
    assert "Check signature failed" in refusal(t, old)


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_weird = st.one_of(_text, st.text(max_size=10).map(lambda s: s + "\udcff"), st.just("x" * 100_000))


@settings(max_examples=300, deadline=None)
@given(ext=st.dictionaries(st.one_of(_text, st.sampled_from(["AccessKey", "Signature", "b", "topic",
                                                                 "consumerGroup", "SecurityToken"])),
                           _weird, max_size=8),
       body=st.one_of(st.none(), st.binary(max_size=300)),
       code=st.sampled_from([R.SEND_MESSAGE, R.SEND_MESSAGE_V2, R.PULL_MESSAGE, R.HEART_BEAT, R.UNREGISTER_CLIENT,
                             R.UPDATE_CONSUMER_OFFSET, R.GET_CONSUMER_LIST_BY_GROUP, R.QUERY_MESSAGE, 26]))
def test_fuzzed_requests_never_crash_and_never_pass_unsigned(ext, body, code):
    t = tables()
    cmd = make_request(code, dict(ext), body)
    try:
        validate(t, cmd, "127.0.0.1")
    except AclError:
        pass
    else:
        # only a request signed with the account's secret can get through
        ak = ext.get("AccessKey")
        account = t.accounts[ak]
        want = signing.signature(account.secret_key, signing.request_content(ext, body, cmd.version))
        assert ext.get("Signature") == want
    # signed correctly by a known key, the signature check itself always passes
    good = dict(ext)
    signing.sign(good, body, "rocketmq2", "12345678")
    try:
        validate(t, make_request(code, good, body), "127.0.0.1")
    except AclError as e:
        assert "Check signature failed" not in (e.message or "")

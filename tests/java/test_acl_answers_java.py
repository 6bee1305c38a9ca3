"""The same signed and unsigned requests to a Java 4.9.7 broker and to ours, both with ACL on and the same
plain_acl.yml: every refusal must carry the same code and remark (Java's message and stack frame), the ACL
admin codes the same answers, and the files they write the same accounts."""
from __future__ import annotations

import asyncio
import shutil
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

from .oracle import ORACLE_HOME, JavaBroker, JavaNamesrv

PLAIN_ACL = EXAMPLE_ACL
USER, ADMIN = ("RocketMQ", "12345678"), ("rocketmq2", "87654321")


def home_with_acl(root: Path) -> Path:
    (root / "conf").mkdir(parents=True)
    (root / "conf" / "plain_acl.yml").write_text(yaml.safe_dump(PLAIN_ACL, sort_keys=False))
    return root


class JavaAclBroker(JavaBroker):
    """rocketmq.home.dir moved to `home` (its conf/plain_acl.yml, and the logback config Java reads there)."""

    def __init__(self, workdir: Path, namesrv: str, home: Path) -> None:
        super().__init__(workdir, namesrv, aclEnable=True)
        shutil.copy(ORACLE_HOME / "conf" / "logback_broker.xml", home / "conf")
        self.jvm_opts = f"-Drocketmq.home.dir={home}"


async def ask(addr: str, code: int, ext: dict | None = None, body: bytes | None = None, key=None, version=None,
              timeout: float = 10):
    ext = {k: str(v) for k, v in (ext or {}).items()}
    if key is not None:
        signing.sign(ext, body, *key)
    cmd = make_request(code, ext, body)
    if version is not None:
        cmd.version = version
    client = RemotingClient()
    try:
        return await client.invoke(addr, cmd, timeout)
    finally:
        await client.close()


def both(addrs, *args, **kw):
    return [asyncio.run(ask(a, *args, **kw)) for a in addrs]


def send_ext(topic, group="PID_acl"):
    return {"a": group, "b": topic, "c": "TBW102", "d": 4, "e": 0, "f": 0, "g": int(time.time() * 1000), "h": 0,
            "i": "TAGS\x01a\x02"}


def pull_ext(group, topic):
    return {"consumerGroup": group, "topic": topic, "queueId": 0, "queueOffset": 0, "maxMsgNums": 32, "sysFlag": 0,
            "commitOffset": 0, "suspendTimeoutMillis": 0, "subVersion": 0}


TOPIC_EXT = {"defaultTopic": "TBW102", "readQueueNums": 4, "writeQueueNums": 4, "perm": 6,
             "topicFilterType": "SINGLE_TAG", "topicSysFlag": 0, "order": "false"}


@pytest.fixture(scope="module")
def brokers(tmp_path_factory, java):
    root = tmp_path_factory.mktemp("acl-answers")
    jhome, ohome = home_with_acl(root / "java-home"), home_with_acl(root / "our-home")
    with JavaNamesrv(root / "jns") as jns, NamesrvProcess(root / "ons") as ons:
        with JavaAclBroker(root / "jbroker", jns.addr, jhome) as jb, \
                BrokerProcess(root / "obroker", ons.addr, aclEnable=True, rocketmqHome=str(ohome)) as ob:
            addrs = (jb.addr, ob.addr)
            for topic in ("topicB", "topicC", "topicD", "orders", "topicA"):
                for r in both(addrs, R.UPDATE_AND_CREATE_TOPIC, dict(TOPIC_EXT, topic=topic), key=ADMIN):
                    assert r.code == ResponseCode.SUCCESS, r.remark
            yield addrs, (jhome, ohome)


REFUSALS = [
    ("unsigned", R.SEND_MESSAGE_V2, send_ext("topicB"), b"x", None),
    ("unknown key", R.SEND_MESSAGE_V2, send_ext("topicB"), b"x", ("nobody77", "whatever1")),
    ("wrong secret", R.SEND_MESSAGE_V2, send_ext("topicB"), b"x", ("RocketMQ", "wrong-secret")),
    ("listed SUB only", R.SEND_MESSAGE_V2, send_ext("topicC"), b"x", USER),
    ("default DENY", R.SEND_MESSAGE_V2, send_ext("topicD"), b"x", USER),
    ("retry topic, group DENY", R.SEND_MESSAGE_V2, send_ext("%RETRY%groupA", "groupA"), b"x", USER),
    ("pull, group first", R.PULL_MESSAGE, pull_ext("groupA", "orders"), None, USER),
    ("pull, topic first", R.PULL_MESSAGE, pull_ext("groupA", "topicA"), None, USER),
    ("non-admin code", R.UPDATE_AND_CREATE_TOPIC, dict(TOPIC_EXT, topic="topicE"), None, USER),
    ("non-admin delete", R.DELETE_TOPIC_IN_BROKER, {"topic": "topicB"}, None, USER),
    ("offset, group DENY", R.UPDATE_CONSUMER_OFFSET, {"consumerGroup": "groupA", "topic": "topicB", "queueId": 0,
                                                      "commitOffset": 0}, None, USER),
    # 4.9.7 decodes this header field by field and only logs the missing clientID: the group is what refuses
    ("unregister without clientID", R.UNREGISTER_CLIENT, {"consumerGroup": "groupA"}, None, USER),
    ("consumer list, group DENY", R.GET_CONSUMER_LIST_BY_GROUP, {"consumerGroup": "groupA"}, None, USER),
    ("heartbeat, group DENY", R.HEART_BEAT, {}, b'{"clientID":"c1","consumerDataSet":[{"groupName":"groupA",'
     b'"subscriptionDataSet":[{"topic":"topicB"}]}],"producerDataSet":[]}', USER),
    ("send back, group DENY", R.CONSUMER_SEND_MSG_BACK, {"offset": 0, "group": "groupA", "delayLevel": 0,
                                                        "originMsgId": "x", "originTopic": "topicB"}, None, USER),
    ("query, topic DENY", R.QUERY_MESSAGE, {"topic": "topicA", "key": "k", "maxNum": 32, "beginTimestamp": 0,
                                           "endTimestamp": 1}, None, USER),
]


@pytest.mark.parametrize("what, code, ext, body, key", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_are_javas(brokers, what, code, ext, body, key):
    addrs, _ = brokers
    java, ours = both(addrs, code, ext, body, key=key)
    assert java.code == ResponseCode.SYSTEM_ERROR and "AclException" in (java.remark or ""), java.remark
    assert (ours.code, ours.remark) == (java.code, java.remark)


def test_allowed_requests_pass_both(brokers):
    addrs, _ = brokers
    for code, ext, body, key in [(R.SEND_MESSAGE_V2, send_ext("topicB"), b"ok", USER),
                                 (R.PULL_MESSAGE, pull_ext("groupB", "topicB"), None, USER),
                                 (R.GET_BROKER_RUNTIME_INFO, {}, None, USER),
                                 # no consumerGroup: ACL checks only the topic (what the processor answers is
                                 # not ACL's business: Java stores an offset for a null group)
                                 (R.UPDATE_CONSUMER_OFFSET, {"topic": "topicB", "queueId": 0, "commitOffset": 0},
                                  None, USER),
                                 (R.UPDATE_AND_CREATE_TOPIC, dict(TOPIC_EXT, topic="topicF"), None, ADMIN)]:
        java, ours = both(addrs, code, ext, body, key=key)
        assert "AclException" not in (java.remark or "") and "AclException" not in (ours.remark or "")
        if code != R.UPDATE_CONSUMER_OFFSET:
            assert java.code == ours.code, (code, java.remark, ours.remark)


def test_unique_key_query_the_5x_rule(brokers):
    """4.9.7 leaves _UNIQUE_KEY_QUERY out of the content it checks, so a 4.9.4+ client (which signs it) is
    refused; we follow 5.x (left out only for version <= 399) and answer the query."""
    addrs, _ = brokers
    ext = {"topic": "topicB", "key": "k", "maxNum": 32, "beginTimestamp": 0, "endTimestamp": 1,
           "_UNIQUE_KEY_QUERY": "true"}
    java, ours = both(addrs, R.QUERY_MESSAGE, ext, key=USER, version=433)
    assert "Check signature failed" in (java.remark or "")
    assert "AclException" not in (ours.remark or "")


def test_acl_admin_codes_answer_and_write_as_java(brokers):
    addrs, (jhome, ohome) = brokers
    infos = both(addrs, R.GET_BROKER_CLUSTER_ACL_INFO, key=USER)
    assert [i.code for i in infos] == [ResponseCode.SUCCESS] * 2
    assert set(infos[0].ext_fields) == set(infos[1].ext_fields)
    for i in infos:
        v = fastjson.loads(i.ext_fields["version"])
        assert set(v) >= {"counter", "timestamp"}
    configs = [fastjson.loads(r.body) for r in both(addrs, R.GET_BROKER_CLUSTER_ACL_CONFIG, key=USER)]
    assert configs[0] == configs[1]
    new = {"accessKey": "newuser77", "secretKey": "newsecret77", "admin": "false", "defaultTopicPerm": "DENY",
           "topicPerms": "topicB=PUB,topicC=SUB", "whiteRemoteAddress": "10.1.1.*"}
    assert [r.code for r in both(addrs, R.UPDATE_AND_CREATE_ACL_CONFIG, new, key=USER)] == [0, 0]
    files = [yaml.safe_load((h / "conf" / "plain_acl.yml").read_text()) for h in (jhome, ohome)]
    assert files[0]["accounts"] == files[1]["accounts"]
    assert files[0]["dataVersion"][0]["counter"] == files[1]["dataVersion"][0]["counter"]
    java, ours = both(addrs, R.SEND_MESSAGE_V2, send_ext("topicC"), b"x", key=("newuser77", "newsecret77"))
    assert (ours.code, ours.remark) == (java.code, java.remark)
    change = {"accessKey": "newuser77", "secretKey": "newsecret88", "admin": "true"}
    assert [r.code for r in both(addrs, R.UPDATE_AND_CREATE_ACL_CONFIG, change, key=USER)] == [0, 0]
    files = [yaml.safe_load((h / "conf" / "plain_acl.yml").read_text()) for h in (jhome, ohome)]
    assert files[0]["accounts"] == files[1]["accounts"]
    configs = [fastjson.loads(r.body) for r in both(addrs, R.GET_BROKER_CLUSTER_ACL_CONFIG, key=USER)]
    assert configs[0] == configs[1]
    for ext in ({"accessKey": "newuser88", "secretKey": "newsecret88", "topicPerms": "topicB=ALL"},
                {"accessKey": "newuser88", "secretKey": "newsecret88", "groupPerms": "groupB"}):
        java, ours = both(addrs, R.UPDATE_AND_CREATE_ACL_CONFIG, ext, key=USER)
        assert (ours.code, ours.remark) == (java.code, java.remark)
    java, ours = both(addrs, R.UPDATE_AND_CREATE_ACL_CONFIG, {"accessKey": "short", "secretKey": "s"}, key=USER)
    assert ours.code == java.code == ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED
    assert "secretKey=***" in ours.remark          # Java's remark repeats the secret; ours never does
    for code, ext in ((R.DELETE_ACL_CONFIG, {"accessKey": "newuser77"}), (R.DELETE_ACL_CONFIG, {"accessKey": "nobody"}),
                      (R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, {"globalWhiteAddrs": "10.10.103.*",
                                                            "aclFileFullPath": "/etc/passwd"})):
        java, ours = both(addrs, code, ext, key=USER)
        assert (ours.code, ours.remark) == (java.code, java.remark), code
    files = [yaml.safe_load((h / "conf" / "plain_acl.yml").read_text()) for h in (jhome, ohome)]
    assert files[0]["accounts"] == files[1]["accounts"]
    for addr, home in zip(addrs, (jhome, ohome)):
        r = asyncio.run(ask(addr, R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, {
            "globalWhiteAddrs": "10.10.103.*,127.0.0.1", "aclFileFullPath": str(home / "conf" / "plain_acl.yml")},
            key=USER))
        assert r.code == ResponseCode.SUCCESS, r.remark
    files = [yaml.safe_load((h / "conf" / "plain_acl.yml").read_text()) for h in (jhome, ohome)]
    assert files[0]["globalWhiteRemoteAddresses"] == files[1]["globalWhiteRemoteAddresses"]


def test_an_edit_by_hand_is_reloaded_by_both(brokers):
    """The white list edited in the file: both brokers pick it up and let an unsigned request through."""
    addrs, homes = brokers
    for home in homes:
        data = yaml.safe_load((home / "conf" / "plain_acl.yml").read_text())
        data["globalWhiteRemoteAddresses"] = ["127.0.0.*"]
        (home / "conf" / "plain_acl.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    deadline = time.monotonic() + 30
    while True:
        answers = both(addrs, R.GET_BROKER_RUNTIME_INFO)
        if all(a.code == ResponseCode.SUCCESS for a in answers):
            break
        assert time.monotonic() < deadline, [a.remark for a in answers]
        time.sleep(0.5)

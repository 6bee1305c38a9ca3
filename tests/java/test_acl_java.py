"""ACL 1.0 with Apache's own code (4.9.7) against our ACL broker: the Java client signing with
AclClientRPCHook(new SessionCredentials(ak, sk)), Apache's mqadmin signing with conf/tools.yml, and signature vectors
computed by AclUtils.combineRequestContent + calSignature (and by AclClientRPCHook itself) compared with
remoting/signing.py."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from remoting import signing
from remoting.codes import RequestCode, ResponseCode
from tests.support.acl import (ADMIN, CLIENT, CLUSTER, acl_cluster, call, max_offsets, mqadmin_as,
                               refusal, tools_home)

from .oracle import ORACLE_HOME, java_env

TOPIC, SUB_ONLY = "AclTopic", "SubOnlyTopic"
ACL_FRAME = ", org.apache.rocketmq.acl.plain.PlainPermissionManager."


@pytest.fixture(scope="module")
def acl(tmp_path_factory):
    root = tmp_path_factory.mktemp("acl-java")
    with acl_cluster(root, topics=(TOPIC, SUB_ONLY)) as (ns, br, home):
        yield ns, br, home


# ------------------------------------------------------------------------------------- the Java client

def java_client(java, work: Path, mode: str, ns: str, topic: str, group: str, keys: tuple[str, str],
                count: int = 5, prefix: str = "acl") -> list[str]:
    log = work / f"{mode}-{group}.log"
    rc = java.run(work, "OracleAclClient", mode, "-n", ns, "-t", topic, "-g", group, "-o", log, "--ak", keys[0],
                  "--sk", keys[1], "-c", count, "--prefix", prefix, "--timeout", 60, timeout=150)
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    assert rc == 0, (rc, lines, (work / "OracleAclClient.stdout.txt").read_text(errors="replace")[-3000:])
    return lines


def test_java_client_with_acl_rpc_hook_produces_and_consumes(java, acl, tmp_path, phase):
    ns, br, _ = acl
    before = sum(max_offsets(br.addr, TOPIC))
    lines = java_client(java, tmp_path, "produce", ns.addr, TOPIC, "JavaAclProducer", CLIENT, prefix="java-ok")
    sends = [x.split() for x in lines if x.startswith("SEND ")]
    assert len(sends) == 5 and all(s[2] == "SEND_OK" for s in sends), lines
    assert sum(max_offsets(br.addr, TOPIC)) == before + 5
    phase("Java producer with AclClientRPCHook")
    lines = java_client(java, tmp_path, "consume", ns.addr, TOPIC, "JavaAclGroup", CLIENT, prefix="java-ok")
    assert lines[-1] == "DONE", lines[-5:]
    assert {f"MSG java-ok-{i}" for i in range(5)} <= set(lines)
    phase("Java push consumer with AclClientRPCHook")


@pytest.mark.parametrize("case", ["wrong-secret", "topic-without-pub"])
def test_java_client_refused(java, acl, tmp_path, case):
    """The Java producer retries a SYSTEM_ERROR answer and then fails with MQClientException("Send [3] times, still
    failed"), whose root cause is MQBrokerException(code 1, the AclException remark); nothing is stored."""
    ns, br, _ = acl
    keys, topic, reason = {
        "wrong-secret": ((CLIENT[0], "wrongSecret1"), TOPIC, f"Check signature failed for accessKey={CLIENT[0]}"),
        "topic-without-pub": (CLIENT, SUB_ONLY, f"No default permission for topic:{SUB_ONLY}"),
    }[case]
    before = max_offsets(br.addr, topic)
    lines = java_client(java, tmp_path, "produce", ns.addr, topic, "JavaAclRefused", keys, count=2)
    fails = [x for x in lines if x.startswith("FAIL ")]
    assert len(fails) == 2 and not any(x.startswith("SEND ") for x in lines), lines
    for f in fails:
        head, cause, text = f.split(" | ", 2)
        assert head.endswith("org.apache.rocketmq.client.exception.MQClientException"), f
        assert cause.split() == ["org.apache.rocketmq.client.exception.MQBrokerException", "1"], f
        assert text.startswith(refusal(reason) + ACL_FRAME), f
    assert max_offsets(br.addr, topic) == before


# ------------------------------------------------------------------------------------- Apache's mqadmin

def apache_mqadmin(work: Path, keys: tuple[str, str] | None, *args: str) -> subprocess.CompletedProcess:
    """bin/mqadmin with rocketmq.home.dir (and ROCKETMQ_HOME) at a home holding conf/tools.yml with `keys` (none:
    no tools.yml, unsigned). The launcher sets -Drocketmq.home.dir to the oracle; JAVA_OPT_EXT comes later and
    wins. logback_tools.xml is copied there: MQAdminStartup configures logging from the same home."""
    name = "none" if keys is None else keys[0]
    home = work / f"mqadmin-home-{name}"
    (home / "conf").mkdir(parents=True, exist_ok=True)
    shutil.copy(ORACLE_HOME / "conf" / "logback_tools.xml", home / "conf" / "logback_tools.xml")
    if keys is not None:
        (home / "conf" / "tools.yml").write_text(f"accessKey: {keys[0]}\nsecretKey: {keys[1]}\n")
    env = java_env(work / "uh", jvm_opts=f"-Drocketmq.home.dir={home}")
    env["ROCKETMQ_HOME"] = str(home)
    return subprocess.run([str(ORACLE_HOME / "bin" / "mqadmin"), *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=90, stdin=subprocess.DEVNULL)


def apache_failed(out: subprocess.CompletedProcess, java_class: str, code: int, remark: str) -> bool:
    """Apache's mqadmin prints the SubCommandException's stack trace (and exits 0): the cause's CODE and DESC."""
    return (f"org.apache.rocketmq.tools.command.SubCommandException: {java_class} command failed" in out.stderr
            and f"CODE: {code}  DESC: {remark}" in out.stderr)


def topics(br) -> set[str]:
    resp = call(br.addr, RequestCode.GET_ALL_TOPIC_CONFIG, None, ADMIN)
    assert resp.code == ResponseCode.SUCCESS
    return set(json.loads(bytes(resp.body))["topicConfigTable"])


def test_apache_mqadmin_update_topic_admin_and_non_admin(acl, tmp_path, phase):
    ns, br, _ = acl
    n = ["-n", ns.addr]
    out = apache_mqadmin(tmp_path, CLIENT, "updateTopic", "-b", br.addr, "-t", "JavaNonAdmin", *n)
    assert apache_failed(out, "UpdateTopicSubCommand", 1, refusal(
        f"Need admin permission for request code=17, but accessKey={CLIENT[0]} is not") + ACL_FRAME), out.stderr
    assert "JavaNonAdmin" not in topics(br)
    out = apache_mqadmin(tmp_path, None, "updateTopic", "-b", br.addr, "-t", "JavaNonAdmin", *n)
    assert apache_failed(out, "UpdateTopicSubCommand", 1, refusal("No accessKey is configured") + ACL_FRAME), \
        out.stderr
    assert "JavaNonAdmin" not in topics(br)
    phase("Apache's mqadmin refused: non-admin key, no tools.yml")
    out = apache_mqadmin(tmp_path, ADMIN, "updateTopic", "-b", br.addr, "-t", "JavaByAdmin", *n)
    assert out.stdout.startswith(f"create topic to {br.addr} success.\nTopicConfig [topicName=JavaByAdmin,"), \
        (out.stdout, out.stderr)
    assert "JavaByAdmin" in topics(br)
    phase("Apache's mqadmin updateTopic with the admin key")


def test_apache_mqadmin_acl_subcommands(java, acl, tmp_path, phase):
    """Each ACL subcommand of Apache's mqadmin works against our broker, and ours prints the same text."""
    ns, br, home = acl
    n = ["-n", ns.addr]
    ours_home = tools_home(tmp_path, "ours-admin", ADMIN)
    user = ("javaUser01", "javaSecret01")

    out = apache_mqadmin(tmp_path, ADMIN, "updateAclConfig", "-a", user[0], "-s", user[1], "-i", "DENY", "-u", "SUB",
                         "-t", f"{TOPIC}=PUB|SUB", "-b", br.addr, *n)
    assert re.fullmatch(rf"create or update plain access config to {re.escape(br.addr)} success.\n"
                        r"org.apache.rocketmq.common.PlainAccessConfig@[0-9a-f]+", out.stdout), (out.stdout, out.stderr)
    phase("updateAclConfig")
    # the account Apache's tool made works for the Java client at once
    before = sum(max_offsets(br.addr, TOPIC))
    lines = java_client(java, tmp_path, "produce", ns.addr, TOPIC, "JavaUserProducer", user, count=1)
    assert lines[0].split()[2] == "SEND_OK", lines
    assert sum(max_offsets(br.addr, TOPIC)) == before + 1

    texts = {}
    for args in (["getAclConfig", "-b", br.addr], ["getAclConfig", "-c", CLUSTER],
                 ["clusterAclConfigVersion", "-c", CLUSTER], ["clusterAclConfigVersion", "-b", br.addr]):
        theirs = apache_mqadmin(tmp_path, ADMIN, *args, *n)
        ours = mqadmin_as(ours_home, *args, *n)
        assert theirs.stdout and theirs.stdout == ours.stdout, (args, theirs.stdout, theirs.stderr, ours.stdout)
        assert ours.returncode == 0
        texts[args[0] + args[1]] = theirs.stdout
    assert (f"  accessKey         : {user[0]}\n  secretKey         : {user[1]}\n  whiteRemoteAddress: \n"
            f"  admin             : false\n  defaultTopicPerm  : DENY\n  defaultGroupPerm  : SUB\n"
            f"  topicPerms        : [{TOPIC}=PUB|SUB]\n  groupPerms        : \n") in texts["getAclConfig-b"]
    row = texts["clusterAclConfigVersion-b"].splitlines()[0].split()
    assert row[:4] == [CLUSTER, "broker-a", br.addr, str(home / "conf" / "plain_acl.yml")] and int(row[4]) >= 1
    phase("getAclConfig and clusterAclConfigVersion: Apache's text == ours")

    out = apache_mqadmin(tmp_path, ADMIN, "updateGlobalWhiteAddr", "-g", "10.10.103.*,192.168.0.*", "-b", br.addr, *n)
    assert out.stdout == f"update global white remote addresses to {br.addr} success.\n", (out.stdout, out.stderr)
    out = apache_mqadmin(tmp_path, ADMIN, "getAclConfig", "-b", br.addr, *n)
    assert "globalWhiteRemoteAddresses: [10.10.103.*, 192.168.0.*]\n" in out.stdout, out.stdout
    out = apache_mqadmin(tmp_path, ADMIN, "updateGlobalWhiteAddr", "-g", "10.10.103.*", "-p",
                         str(home / "conf" / "plain_acl.yml"), "-c", CLUSTER, *n)
    assert out.stdout == f"update global white remote addresses to {br.addr} success.\n", (out.stdout, out.stderr)
    phase("updateGlobalWhiteAddr")

    out = apache_mqadmin(tmp_path, ADMIN, "deleteAclConfig", "-a", user[0], "-b", br.addr, *n)
    assert out.stdout == f"delete plain access config account from {br.addr} success.\naccount's accesskey is:{user[0]}"
    lines = java_client(java, tmp_path / "after", "produce", ns.addr, TOPIC, "JavaUserProducer", user,
                        count=1)
    assert lines[0].startswith("FAIL ") and lines[0].endswith(
        "| " + refusal(f"No acl config for {user[0]}") + ACL_FRAME + "validate(PlainPermissionManager.java:667)"), lines
    out = apache_mqadmin(tmp_path, ADMIN, "deleteAclConfig", "-a", user[0], "-b", br.addr, *n)
    assert apache_failed(out, "DeleteAccessConfigSubCommand", 210,
                         f"The accesskey[{user[0]}] corresponding to accessConfig has been deleted failed."), out.stderr
    phase("deleteAclConfig")


# ------------------------------------------------------------------------------------- signature vectors

@pytest.fixture(scope="module")
def vectors(tmp_path_factory, java):
    work = tmp_path_factory.mktemp("acl-vectors")
    out = work / "vectors.jsonl"
    assert java.run(work, "OracleAclVectors", "-o", out, "-c", 500, "--seed", 7, timeout=120) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 500
    return rows


def has_lone_surrogate(d: dict) -> bool:
    texts = [*d["ext"], *d["ext"].values()]
    return any(0xD800 <= ord(ch) <= 0xDFFF for t in texts for ch in t)


def check(d: dict) -> list[str]:
    body = None if d["body"] is None else base64.b64decode(d["body"])
    errors = []
    if signing.signature(d["secret"], signing.content(d["ext"], body)) != d["signature"]:
        errors.append("AclUtils.calSignature(combineRequestContent)")
    unsigned = {k: v for k, v in d["ext"].items() if k != "Signature"}
    if signing.sign(dict(unsigned), body, d["ak"], d["secret"]) != d["hook"]:
        errors.append("AclClientRPCHook.doBeforeRequest")
    return errors


def test_signature_vectors_from_java_aclutils(vectors):
    """Random extFields (ASCII, Latin, CJK, U+E000..U+FFFF, supplementary characters) and bodies: signing.content
    + signature equal AclUtils', and signing.sign's fields equal AclClientRPCHook's, byte for byte."""
    plain = [d for d in vectors if not has_lone_surrogate(d)]
    assert len(plain) >= 350
    assert sum(any(ord(ch) > 0xFFFF for ch in "".join(d["ext"])) for d in plain) > 100   # non-BMP keys were there
    bad = [(i, check(d)) for i, d in enumerate(plain) if check(d)]
    assert not bad, bad[:5]


def test_signature_vectors_with_lone_surrogates(vectors):
    """Fields holding lone surrogates (which a JSON header can carry as \\uD8xx escapes): Java concatenates the
    values into one String before encoding, so a value ending in a high surrogate and the next starting with a low
    one form one supplementary character (4 UTF-8 bytes), while a surrogate left alone becomes '?'."""
    lone = [d for d in vectors if has_lone_surrogate(d)]
    assert len(lone) >= 50
    bad = [(i, check(d), d["ext"]) for i, d in enumerate(lone) if check(d)]
    assert not bad, bad[:3]

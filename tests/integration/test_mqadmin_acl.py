"""Our `mqadmin` against our ACL broker: it signs every request with $ROCKETMQ_HOME/conf/tools.yml's keys, and the
five ACL subcommands print what Apache's mqadmin prints. The expected texts are the outputs of Apache's mqadmin
4.9.7 against a Java 4.9.7 broker with the same plain_acl.yml (recorded by hand; make test-java's
test_acl_java.py runs Apache's mqadmin against our broker live)."""
from __future__ import annotations

import re
import time

import pytest
import yaml

from remoting.codes import RequestCode
from tests.support.acl import (ADMIN, CLIENT, CLUSTER, acl_cluster, create_topic, max_offsets, mqadmin_as,
                               refusal, tools_home)

NEW_USER = ("pyUser01", "pySecret01")


@pytest.fixture(scope="module")
def acl(tmp_path_factory):
    root = tmp_path_factory.mktemp("mqadmin-acl")
    with acl_cluster(root) as (ns, br, home):
        yield ns, br, home, root


def homes(root):
    return {"admin": tools_home(root, "admin", ADMIN), "client": tools_home(root, "client", CLIENT),
            "none": tools_home(root, "none", None), "wrong": tools_home(root, "wrong", (CLIENT[0], "not-it-1")),
            "new": tools_home(root, "new", NEW_USER)}


def run_ok(home, *args):
    out = mqadmin_as(home, *args)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def run_refused(home, reason, *args):
    """The command fails (exit 1) with the broker's answer: CODE 1 and the AclException naming `reason`."""
    out = mqadmin_as(home, *args)
    assert out.returncode == 1, (args, out.stdout, out.stderr)
    assert f"CODE: 1  DESC: {refusal(reason)}, org.apache.rocketmq.acl.plain." in out.stderr, out.stderr
    return out


def test_signing_follows_tools_yml(acl):
    ns, br, home, root = acl
    h = homes(root)
    n = ["-n", ns.addr]
    # keys present: signed, accepted
    assert "get broker's plain access config version success." in run_ok(h["admin"], "clusterAclConfigVersion",
                                                                          "-b", br.addr, *n)
    # no tools.yml: unsigned, as Apache's null RPC hook
    run_refused(h["none"], "No accessKey is configured", "getAclConfig", "-b", br.addr, *n)
    # a blank secret is no hook either: unsigned
    blank = tools_home(root, "blank", None)
    (blank / "conf" / "tools.yml").write_text("accessKey: rocketmq2\nsecretKey: '  '\n")
    run_refused(blank, "No accessKey is configured", "getAclConfig", "-b", br.addr, *n)
    # a wrong secret: signed with it
    run_refused(h["wrong"], f"Check signature failed for accessKey={CLIENT[0]}", "getAclConfig", "-b", br.addr, *n)
    # the secret never appears in what mqadmin prints, refused or not
    for which in ("wrong", "admin"):
        out = mqadmin_as(h[which], "clusterAclConfigVersion", "-b", br.addr, *n)
        assert "not-it-1" not in out.stdout + out.stderr


def test_non_admin_key_is_refused_an_admin_code(acl):
    ns, br, home, root = acl
    h = homes(root)
    n = ["-n", ns.addr]
    run_refused(h["client"], f"Need admin permission for request code={int(RequestCode.UPDATE_AND_CREATE_TOPIC)}, "
                f"but accessKey={CLIENT[0]} is not", "updateTopic", "-b", br.addr, "-t", "NotMade", *n)
    out = run_ok(h["admin"], "topicList", *n)
    assert "NotMade" not in out.split()
    # the admin key makes it
    out = run_ok(h["admin"], "updateTopic", "-b", br.addr, "-t", "MadeByAdmin", *n)
    assert out.startswith(f"create topic to {br.addr} success.\nTopicConfig [topicName=MadeByAdmin,")


def get_acl_config_text(accounts_yaml_order, white):
    """GetAccessConfigSubCommand's layout: every declared field of PlainAccessConfig, "" for null."""
    lines = ["", f"{'globalWhiteRemoteAddresses':<20}: [{', '.join(white)}]", "", "accounts:"]
    for acc in accounts_yaml_order:
        for k in ("accessKey", "secretKey", "whiteRemoteAddress", "admin", "defaultTopicPerm", "defaultGroupPerm",
                  "topicPerms", "groupPerms"):
            v = acc.get(k)
            if isinstance(v, bool):
                v = str(v).lower()
            elif isinstance(v, list):
                v = "[" + ", ".join(v) + "]"
            elif v is None:
                v = "" if k != "admin" else "false"
            lines.append(f"  {k:<18}: {v}")
        lines.append("")
    return "\n".join(lines) + "\n"


def test_get_acl_config_prints_as_java(acl):
    ns, br, home, root = acl
    out = run_ok(homes(root)["admin"], "getAclConfig", "-c", CLUSTER, "-n", ns.addr)
    # verbatim from Apache's mqadmin against the Java broker with tests/support/acl.py's PLAIN_ACL
    assert out.startswith(
        "\nglobalWhiteRemoteAddresses: [10.10.103.*]\n\naccounts:\n"
        "  accessKey         : rocketmq2\n  secretKey         : 12345678\n  whiteRemoteAddress: \n"
        "  admin             : true\n  defaultTopicPerm  : \n  defaultGroupPerm  : \n  topicPerms        : \n"
        "  groupPerms        : \n\n"
        "  accessKey         : aclClient\n  secretKey         : aclSecret1\n  whiteRemoteAddress: \n"
        "  admin             : false\n  defaultTopicPerm  : DENY\n  defaultGroupPerm  : SUB\n"
        "  topicPerms        : [AclTopic=PUB|SUB, SubOnlyTopic=SUB]\n  groupPerms        : [DenyGroup=DENY]\n\n"), out
    data = yaml.safe_load((home / "conf" / "plain_acl.yml").read_text())
    assert out == get_acl_config_text(data["accounts"], data["globalWhiteRemoteAddresses"])


def versions(ns, root):
    """clusterAclConfigVersion -c rows: (path, counter, time) of each ACL file, and the whole output."""
    out = run_ok(homes(root)["admin"], "clusterAclConfigVersion", "-c", CLUSTER, "-n", ns.addr)
    lines = out.splitlines()
    assert lines[0] == ("#Cluster Name     #Broker Name            #Broker Addr            #AclFilePath          "
                        "#AclConfigVersionNum    #AclLastUpdateTime    ")
    assert lines[-1] == "get cluster's plain access config version success."
    rows = [re.split(r"\s{2,}", x.strip()) for x in lines[1:-1]]
    return rows, out


def test_update_and_delete_acl_config(acl):
    ns, br, home, root = acl
    h = homes(root)
    n = ["-n", ns.addr]
    acl_file = str(home / "conf" / "plain_acl.yml")
    before, _ = versions(ns, root)
    assert [r[:4] for r in before] == [[CLUSTER, "broker-a", br.addr, acl_file]]
    create_topic(br.addr, "AdminAclTopic")

    # an account that does not exist yet cannot send
    run_refused(h["new"], f"No acl config for {NEW_USER[0]}", "sendMessage", "-t", "AdminAclTopic", "-p", "x", *n)

    out = run_ok(h["admin"], "updateAclConfig", "-a", NEW_USER[0], "-s", NEW_USER[1], "-m", "false", "-i", "DENY",
                 "-u", "SUB", "-t", "AdminAclTopic=PUB|SUB,OtherTopic=SUB", "-g", "G1=SUB", "-b", br.addr, *n)
    assert re.fullmatch(rf"create or update plain access config to {re.escape(br.addr)} success.\n"
                        r"org.apache.rocketmq.common.PlainAccessConfig@[0-9a-f]+", out), out
    # persisted as Java writes it
    saved = {a["accessKey"]: a for a in yaml.safe_load(open(acl_file))["accounts"]}
    assert saved[NEW_USER[0]] == {"accessKey": NEW_USER[0], "secretKey": NEW_USER[1], "admin": False,
                                  "defaultTopicPerm": "DENY", "defaultGroupPerm": "SUB",
                                  "topicPerms": ["AdminAclTopic=PUB|SUB", "OtherTopic=SUB"], "groupPerms": ["G1=SUB"]}
    after, _ = versions(ns, root)
    assert int(after[0][4]) == int(before[0][4]) + 1

    # the new account works at once: it may publish to its topic, and nothing else
    offsets = max_offsets(br.addr, "AdminAclTopic")
    out = run_ok(h["new"], "sendMessage", "-t", "AdminAclTopic", "-p", "from-new-user", *n)
    assert "SEND_OK" in out
    assert sum(max_offsets(br.addr, "AdminAclTopic")) == sum(offsets) + 1
    run_refused(h["new"], f"Need admin permission for request code={int(RequestCode.UPDATE_AND_CREATE_TOPIC)}, "
                f"but accessKey={NEW_USER[0]} is not", "updateTopic", "-b", br.addr, "-t", "X1", *n)

    # updating it again (the -c form reaches every broker of the cluster) replaces the fields given and keeps
    # the others (Java's createAclAccessConfigMap merges into the existing account)
    out = run_ok(h["admin"], "updateAclConfig", "-a", NEW_USER[0], "-s", NEW_USER[1], "-t", "AdminAclTopic=SUB",
                 "-c", CLUSTER, *n)
    assert out.startswith(f"create or update plain access config to {br.addr} success.\n")
    saved = {a["accessKey"]: a for a in yaml.safe_load(open(acl_file))["accounts"]}
    assert saved[NEW_USER[0]]["topicPerms"] == ["AdminAclTopic=SUB"]
    assert saved[NEW_USER[0]]["groupPerms"] == ["G1=SUB"] and saved[NEW_USER[0]]["defaultTopicPerm"] == "DENY"
    run_refused(h["new"], "No default permission for topic:AdminAclTopic", "sendMessage", "-t", "AdminAclTopic",
                "-p", "refused", *n)
    assert sum(max_offsets(br.addr, "AdminAclTopic")) == sum(offsets) + 1

    out = run_ok(h["admin"], "deleteAclConfig", "-a", NEW_USER[0], "-b", br.addr, *n)
    assert out == f"delete plain access config account from {br.addr} success.\naccount's accesskey is:{NEW_USER[0]}"
    assert NEW_USER[0] not in [a["accessKey"] for a in yaml.safe_load(open(acl_file))["accounts"]]
    run_refused(h["new"], f"No acl config for {NEW_USER[0]}", "sendMessage", "-t", "AdminAclTopic", "-p", "x", *n)
    # deleting it again is Java's 210
    out = mqadmin_as(h["admin"], "deleteAclConfig", "-a", NEW_USER[0], "-b", br.addr, *n)
    assert out.returncode == 1 and ("CODE: 210  DESC: The accesskey[pyUser01] corresponding to accessConfig has "
                                    "been deleted failed.") in out.stderr, out.stderr
    final, _ = versions(ns, root)
    assert int(final[0][4]) == int(before[0][4]) + 3
    # the update time is the file's last change (printed in local time, second resolution)
    stamp = time.mktime(time.strptime(final[0][5], "%Y-%m-%d %H:%M:%S"))
    assert abs(stamp - time.time()) < 120


def test_update_global_white_addr(acl):
    ns, br, home, root = acl
    h = homes(root)
    n = ["-n", ns.addr]
    acl_file = home / "conf" / "plain_acl.yml"
    try:
        # without -p (no aclFileFullPath field: Java's @CFNotNull is not enforced) the default file is changed
        out = run_ok(h["admin"], "updateGlobalWhiteAddr", "-g", "10.10.103.*,127.0.0.1", "-b", br.addr, *n)
        assert out == f"update global white remote addresses to {br.addr} success.\n"
        assert yaml.safe_load(acl_file.read_text())["globalWhiteRemoteAddresses"] == ["10.10.103.*", "127.0.0.1"]
        # from a whitelisted address nothing is checked: unsigned requests pass
        out = run_ok(h["none"], "getAclConfig", "-b", br.addr, *n)
        assert "globalWhiteRemoteAddresses: [10.10.103.*, 127.0.0.1]\n" in out
        # a pattern naming this file explicitly works; another file is Java's 211
        out = run_ok(h["admin"], "updateGlobalWhiteAddr", "-g", "10.10.103.*,192.168.0.*", "-p", str(acl_file),
                     "-c", CLUSTER, *n)
        assert out == f"update global white remote addresses to {br.addr} success.\n"
        bad = mqadmin_as(h["admin"], "updateGlobalWhiteAddr", "-g", "1.2.3.4", "-p", str(root / "nope.yml"),
                         "-b", br.addr, *n)
        assert bad.returncode == 1 and "CODE: 211  DESC: The globalWhiteAddresses[1.2.3.4] has been updated failed." \
            in bad.stderr, bad.stderr
        # 127.0.0.1 no longer listed: unsigned is refused again
        run_refused(h["none"], "No accessKey is configured", "getAclConfig", "-b", br.addr, *n)
    finally:
        run_ok(h["admin"], "updateGlobalWhiteAddr", "-g", "10.10.103.*", "-p", str(acl_file), "-b", br.addr, *n)

"""mqadmin's keys (tools/mqadmin/credentials.py, AclUtils.getAclRPCHook's rules) and the one place its requests are
built (AdminClient.request): signed over every field and the body when there are keys, untouched when not."""
from __future__ import annotations

from remoting import signing
from remoting.codes import RequestCode
from tools.mqadmin import credentials
from tools.mqadmin.client import AdminClient


def tools(tmp_path, text: str | None):
    (tmp_path / "conf").mkdir(exist_ok=True)
    if text is not None:
        (tmp_path / "conf" / "tools.yml").write_text(text)
    return credentials.from_environment({"ROCKETMQ_HOME": str(tmp_path)})


def test_tools_yml_rules(tmp_path):
    # Apache's default file: the numeric secret is a YAML int, JSONObject.getString makes it "12345678"
    assert tools(tmp_path, "# comment\naccessKey: rocketmq2\nsecretKey: 12345678\n") == \
        credentials.Credentials("rocketmq2", "12345678")
    assert tools(tmp_path, "accessKey: ak-1234\nsecretKey: true\n").secret_key == "true"
    for blank in ("accessKey: rocketmq2\nsecretKey: ''\n", "accessKey: '   '\nsecretKey: 12345678\n",
                  "accessKey: rocketmq2\n", "secretKey: 12345678\n", "", "- a\n- b\n", "accessKey: [unclosed\n"):
        assert tools(tmp_path, blank) is None, blank
    assert credentials.load(tmp_path / "missing.yml") is None
    assert credentials.from_environment({}) is None            # no ROCKETMQ_HOME: unsigned


def test_secret_not_in_repr():
    c = credentials.Credentials("rocketmq2", "s3cr3t-value")
    assert "s3cr3t-value" not in repr(c) and "s3cr3t-value" not in str(c) and "rocketmq2" in repr(c)


def test_requests_are_signed_only_with_keys():
    ext = {"topic": "T\u00e9", "queueId": "3"}
    body = b"\x00body"
    signed = AdminClient(None, credentials=credentials.Credentials("rocketmq2", "12345678")).request(
        RequestCode.PULL_MESSAGE, ext, body)
    assert ext == {"topic": "T\u00e9", "queueId": "3"}          # the caller's fields are not changed
    f = signed.ext_fields
    assert f["AccessKey"] == "rocketmq2" and f["topic"] == "T\u00e9" and f["queueId"] == "3"
    # values in key order (AccessKey, queueId, topic), then the body
    assert f["Signature"] == signing.signature("12345678", "rocketmq23T\u00e9".encode() + body)
    assert signed.body == body and signed.code == RequestCode.PULL_MESSAGE and signed.language == "JAVA"
    plain = AdminClient(None).request(RequestCode.PULL_MESSAGE, ext, body)
    assert plain.ext_fields == ext and "Signature" not in plain.ext_fields
    # a request without fields still gets AccessKey and Signature when signed
    bare = AdminClient(None, credentials=credentials.Credentials("rocketmq2", "12345678")).request(
        RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG, language="CPP")
    assert bare.ext_fields == {"AccessKey": "rocketmq2", "Signature": signing.signature("12345678", b"rocketmq2")}
    assert bare.language == "CPP"

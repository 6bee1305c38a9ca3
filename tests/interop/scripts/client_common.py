"""Shared by cpp1x_client.py and cpp21_client.py (each runs in its own venv; both bindings have the same
Message setters): JSON-lines output, a Message from a test's JSON description, and the optional ACL keys."""
import base64
import json
import os
import sys


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def text(x):
    return x.decode("utf-8") if isinstance(x, bytes) else x


def build(message_class, d):
    """{"topic","tags","keys","body_b64","props":{...}} -> a client Message."""
    msg = message_class(d["topic"])
    if d.get("tags"):
        msg.set_tags(d["tags"])
    if d.get("keys"):
        msg.set_keys(d["keys"])
    msg.set_body(base64.b64decode(d["body_b64"]))
    for k, v in (d.get("props") or {}).items():
        msg.set_property(k, v)
    return msg


def with_credentials(client):
    """ACL: sign with ACL_ACCESS_KEY / ACL_SECRET_KEY from the environment when both are set (channel ALIYUN, the
    C++ default); without them the client is left as it was (it still sends an empty AccessKey and a Signature)."""
    ak, sk = os.environ.get("ACL_ACCESS_KEY"), os.environ.get("ACL_SECRET_KEY")
    if ak is not None and sk is not None:
        client.set_session_credentials(ak, sk, "ALIYUN")
    return client

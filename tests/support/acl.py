"""ACL test kit: a NameServer + an ACL-enabled Broker whose rocketmqHome holds a plain_acl.yml, the accounts in it,
homes holding a conf/tools.yml for `mqadmin`, and admin calls signed with an account's keys."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from remoting.codes import RequestCode, ResponseCode
from tools.mqadmin.client import AdminClient
from tools.mqadmin.credentials import Credentials
from tools.mqadmin.msgfmt import MQ
from tools.mqadmin.mqclient import max_offset

from .daemons import ROOT, BrokerProcess, NamesrvProcess

ACL_EXCEPTION = "org.apache.rocketmq.acl.common.AclException: "
CLUSTER = "AclCluster"

# (access key, secret key) of the accounts in PLAIN_ACL
ADMIN = ("rocketmq2", "12345678")                 # admin, no perms listed: everything
CLIENT = ("aclClient", "aclSecret1")              # PUB|SUB on AclTopic, SUB only on SubOnlyTopic, DenyGroup DENY
WHITE_IN = ("whiteIn", "whiteIn123")              # whiteRemoteAddress 127.0.0.*: no signature check from here
WHITE_OUT = ("whiteOut", "whiteOut123")           # whiteRemoteAddress 10.10.10.*: signature checked from here

PLAIN_ACL = """\
globalWhiteRemoteAddresses:
  - 10.10.103.*
accounts:
  - accessKey: rocketmq2
    secretKey: 12345678
    admin: true
  - accessKey: aclClient
    secretKey: aclSecret1
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - AclTopic=PUB|SUB
      - SubOnlyTopic=SUB
    groupPerms:
      - DenyGroup=DENY
  - accessKey: whiteIn
    secretKey: whiteIn123
    whiteRemoteAddress: 127.0.0.*
  - accessKey: whiteOut
    secretKey: whiteOut123
    whiteRemoteAddress: 10.10.10.*
    defaultTopicPerm: PUB|SUB
    defaultGroupPerm: SUB
"""


# the accounts of 4.9.7's example plain_acl.yml (as a mapping; the admin's secret differs from the user's so a
# test can tell them apart), for tests that compare answers with Java's or write the file themselves
EXAMPLE_ACL = {
    "globalWhiteRemoteAddresses": ["10.10.103.*"],
    "accounts": [
        {"accessKey": "RocketMQ", "secretKey": 12345678, "whiteRemoteAddress": None, "admin": False,
         "defaultTopicPerm": "DENY", "defaultGroupPerm": "SUB",
         "topicPerms": ["topicA=DENY", "topicB=PUB|SUB", "topicC=SUB"],
         "groupPerms": ["groupA=DENY", "groupB=PUB|SUB", "groupC=SUB"]},
        {"accessKey": "rocketmq2", "secretKey": 87654321, "whiteRemoteAddress": "192.168.1.*", "admin": True},
    ]}


def refusal(reason: str) -> str:
    """The start of the remark an ACL refusal carries: the AclException's text naming the reason."""
    return ACL_EXCEPTION + reason


@contextmanager
def acl_cluster(root: Path, plain_acl: str = PLAIN_ACL, topics: tuple[str, ...] = (), **props: object):
    """(namesrv, broker, rocketmq home) with aclEnable=true and `plain_acl` as conf/plain_acl.yml; `topics`
    created by the admin account."""
    home = root / "rmq-home"
    (home / "conf").mkdir(parents=True, exist_ok=True)
    (home / "conf" / "plain_acl.yml").write_text(plain_acl)
    with NamesrvProcess(root / "ns") as ns, \
            BrokerProcess(root / "broker", ns.addr, aclEnable=True, rocketmqHome=home,
                          brokerClusterName=CLUSTER, **props) as br:
        for topic in topics:
            create_topic(br.addr, topic)
        yield ns, br, home


def tools_home(root: Path, name: str, acl: tuple[str, str] | None) -> Path:
    """A ROCKETMQ_HOME (root/name) for mqadmin: conf/tools.yml with these keys, or no tools.yml at all."""
    home = root / name
    (home / "conf").mkdir(parents=True, exist_ok=True)
    if acl is not None:
        (home / "conf" / "tools.yml").write_text(f"accessKey: {acl[0]}\nsecretKey: {acl[1]}\n")
    return home


def mqadmin_as(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Our mqadmin with ROCKETMQ_HOME=home (so it signs with home/conf/tools.yml's keys, if any)."""
    env = dict(os.environ, ROCKETMQ_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tools.mqadmin", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=home)


async def _with_admin(acl: tuple[str, str] | None, fn):
    admin = AdminClient(None, credentials=Credentials(*acl) if acl else None)
    try:
        return await fn(admin)
    finally:
        await admin.close()


def call(addr: str, code: int, ext: dict | None = None, acl: tuple[str, str] | None = ADMIN, body: bytes | None = None):
    """One request signed with `acl`'s keys (unsigned for None): the response."""
    return asyncio.run(_with_admin(acl, lambda a: a.call(addr, code, ext, body)))


def create_topic(addr: str, topic: str, queues: int = 4, acl: tuple[str, str] = ADMIN) -> None:
    resp = call(addr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
        "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}, acl)
    assert resp.code == ResponseCode.SUCCESS, (resp.code, resp.remark)


def max_offsets(addr: str, topic: str, queues: int = 4, acl: tuple[str, str] = ADMIN) -> list[int]:
    """GET_MAX_OFFSET of every queue (signed): what is stored."""
    async def run(admin: AdminClient) -> list[int]:
        return [await max_offset(admin, addr, MQ(topic, "broker-a", q)) for q in range(queues)]
    return asyncio.run(_with_admin(acl, run))

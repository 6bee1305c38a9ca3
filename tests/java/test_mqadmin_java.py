"""Apache's own `mqadmin` (4.9.7) runs every subcommand of the table against our cluster and against a Java
cluster built the same way (a NameServer, two broker groups of one cluster, a topic of 8 queues on both, a Java
producer's messages, a Java push consumer online); the outputs must have the same shape: the same header columns,
the same number of rows, the same keys. Our `mqadmin` against the Java cluster is held to Apache's output there.

Shapes, not bytes: addresses, times, ids and figures differ between two clusters. Where a difference is known and
explained it is listed in KNOWN with the reason; the test fails on any other."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.admin import consumer_client_ids
from tests.support.daemons import BrokerProcess, NamesrvProcess

from .oracle import (ORACLE_HOME, JavaBroker, JavaNamesrv, deadline_poll, java_env, produce, wait_route)

CLUSTER, TOPIC, GROUP, PRODUCER_GROUP = "OpsCluster", "OpsTopic", "OpsGroup", "oracle_producer"
QUEUES, COUNT = 8, 40

# subcommand -> argument template ({ns} {a} {b}: NameServer and the two masters; {msg} an offset msgId,
# {key} a key, {uniq} a client msgId, {client} the online consumer's client id, {now} a time string)
COMMANDS: list[tuple[str, str]] = [
    ("clusterList", "-n {ns}"),
    ("topicList", "-n {ns}"),
    ("topicList-c", "topicList -n {ns} -c"),
    ("topicRoute", "-n {ns} -t {topic}"),
    ("topicStatus", "-n {ns} -t {topic}"),
    ("topicClusterList", "-n {ns} -t {topic}"),
    ("brokerStatus", "-n {ns} -b {a}"),
    ("getBrokerConfig", "-n {ns} -b {a}"),
    ("getConsumerConfig", "-n {ns} -g {group}"),
    ("getNamesrvConfig", "-n {ns}"),
    ("consumerConnection", "-n {ns} -g {group}"),
    ("consumerProgress", "-n {ns} -g {group}"),
    ("consumerProgress-all", "consumerProgress -n {ns}"),
    ("consumerStatus", "-n {ns} -g {group}"),
    ("producerConnection", "-n {ns} -g {pgroup} -t {topic}"),
    ("brokerConsumeStats", "-n {ns} -b {a}"),
    ("queryMsgById", "-n {ns} -i {msg}"),
    ("queryMsgByKey", "-n {ns} -t {topic} -k {key}"),
    ("queryMsgByUniqueKey", "-n {ns} -t {topic} -i {uniq}"),
    ("queryMsgByOffset", "-n {ns} -t {topic} -b broker-a -i 0 -o 0"),
    ("printMsgByQueue", "-n {ns} -t {topic} -a broker-a -i 0"),
    ("queryCq", "-n {ns} -t {topic} -q 0 -i 0 -c 2 -b {a}"),
    ("statsAll", "-n {ns} -t {topic}"),
    ("allocateMQ", "-n {ns} -t {topic} -i 127.0.0.1@1,127.0.0.1@2"),
    ("producer", "-n {ns} -b {a}"),
    ("updateSubGroup", "-n {ns} -c {cluster} -g OpsGroup2"),
    ("cloneGroupOffset", "-n {ns} -s {group} -d OpsGroup2 -t {topic}"),
    ("updateTopicPerm", "-n {ns} -t {topic} -b {a} -p 6"),
    ("updateKvConfig", "-n {ns} -s ops -k k1 -v v1"),
    ("deleteKvConfig", "-n {ns} -s ops -k k1"),
    ("resetOffsetByTime", "-n {ns} -g {group} -t {topic} -s now"),
    ("sendMessage", "-n {ns} -t {topic} -p hello"),
    ("exportConfigs", "-n {ns} -c {cluster} -f {out}"),
    ("exportMetadata", "-n {ns} -c {cluster} -f {out}"),
    ("exportMetrics", "-n {ns} -c {cluster} -f {out}"),
    ("cleanExpiredCQ", "-n {ns} -c {cluster}"),
    ("cleanUnusedTopic", "-n {ns} -c {cluster}"),
    ("deleteExpiredCommitLog", "-n {ns} -c {cluster}"),
    ("wipeWritePerm", "-n {ns} -b broker-b"),
    ("addWritePerm", "-n {ns} -b broker-b"),
    ("deleteSubGroup", "-n {ns} -c {cluster} -g OpsGroup2"),
]

# differences that are understood: name -> why
KNOWN: dict[str, str] = {}

# keys we report beyond 4.9.7's: the runtime info's HA and 5.x timer figures (README); broker config keys of
# 5.x (timer*, diskSpace*Ratio) and ours (brokerTraceEnable, channelExpiredTimeout, the log* keys of both daemons),
# haMasterAddress (Java omits it while null); the 5.x NameServer keys we honour
EXTRA_KEYS = {"haConnectionCount", "push2SlaveMaxOffset", "slaveFallBehindMuch", "timerCongestNum",
              "timerDeliverLagMs", "timerDequeueTps", "timerEnqueueTps", "timerOffsetBehind", "timerPendingNum",
              "timerReadBehind",
              "brokerTraceEnable", "channelExpiredTimeout", "diskSpaceCleanForciblyRatio", "diskSpaceWarningLevelRatio",
              "haMasterAddress", "mappedFileSizeTimerLog", "timerCongestNumEachSlot", "timerFlushIntervalMs",
              "timerMaxDelaySec", "timerPrecisionMs", "timerRollWindowSlot", "timerWheelEnable",
              "enableAllTopicList", "returnOrderTopicConfigToBroker", "scanNotActiveBrokerInterval",
              "logLevel", "metricsExporterType", "metricsPromExporterHost", "metricsPromExporterPort", "metricsLabel",
              "metricsOtelCardinalityLimit", "logMaxFileSize", "logMaxBackups", "logDir"}

NUM = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass
class Shape:
    headers: list[tuple[str, ...]]
    keys: set[str]
    rows: int

    def __str__(self) -> str:
        return f"headers={self.headers} keys={sorted(self.keys)} rows={self.rows}"


def shape(text: str) -> Shape:
    """Header lines (their `#` columns), `key: value` / `key = value` keys, and the count of other lines."""
    headers, keys, rows = [], set(), 0
    for line in text.splitlines():
        if not line.strip() or line.startswith(("OpenJDK", "SLF4J", "WARNING", "log4j")):
            continue
        cols = tuple(t for t in re.split(r"\s{2,}", line.strip()) if t.startswith("#"))
        if cols:
            headers.append(cols)
            continue
        m = re.match(r"^\s*([A-Za-z][\w .%()/-]*?)\s*[:=]\s", line)
        if m and not NUM.match(m.group(1)):
            key = re.sub(r"_/.*", "_<path>", m.group(1).strip())     # commitLogDiskRatio_<store path>
            if key not in EXTRA_KEYS:
                keys.add(key)
        else:
            rows += 1
    return Shape(headers, keys, rows)


@dataclass
class World:
    ns: str
    a: str
    b: str
    msg: str
    key: str
    uniq: str


def apache(work: Path, argv: list[str]) -> str:
    r = subprocess.run([str(ORACLE_HOME / "bin" / "mqadmin"), *argv], cwd=work, env=java_env(work / "home"),
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return r.stdout


def ours(argv: list[str], cwd: Path) -> str:
    """Our mqadmin run in `cwd`: consumerStatus writes each client's running info under <now>/<clientId> there,
    as Java's does."""
    r = subprocess.run([sys.executable, "-m", "tools.mqadmin", *argv], capture_output=True, text=True, timeout=120,
                       cwd=cwd)
    assert "Traceback" not in r.stderr, r.stderr
    return r.stdout


def argv_of(name: str, template: str, w: World, out: Path) -> list[str]:
    words = template.split()
    cmd = name.split("-")[0]
    if words and not words[0].startswith("-"):
        cmd, words = words[0], words[1:]
    fill = dict(ns=w.ns, a=w.a, b=w.b, msg=w.msg, key=w.key, uniq=w.uniq, topic=TOPIC, group=GROUP,
                pgroup=PRODUCER_GROUP, cluster=CLUSTER, out=str(out / name))
    return [cmd, *(x.format(**fill) for x in words)]


def build(java, root: Path, namesrv, brokers, ns_addr: str, addrs: list[str]) -> tuple[World, subprocess.Popen]:
    work = root / "admin"
    work.mkdir(parents=True, exist_ok=True)
    for argv in (["updateTopic", "-n", ns_addr, "-c", CLUSTER, "-t", TOPIC, "-r", str(QUEUES), "-w", str(QUEUES)],
                 ["updateSubGroup", "-n", ns_addr, "-c", CLUSTER, "-g", GROUP]):
        deadline_poll(lambda: "success" in apache(work, argv), 60, f"{argv[0]} on {ns_addr}", interval=1)
    wait_route(ns_addr, TOPIC, QUEUES)
    log = produce(java, root / "producer", ns_addr, TOPIC, COUNT, "opskey")
    first = log.main[0]
    # a consumer that stays online: it waits for an id that never comes, and has consumed everything meanwhile
    ids = root / "consumer" / "never.ids"
    ids.parent.mkdir(parents=True, exist_ok=True)
    ids.write_text("NEVER\n")
    consumer = java.start(root / "consumer", "OracleConsumer", "-n", ns_addr, "-t", TOPIC, "-g", GROUP, "-o",
                          root / "consumer" / "c.log", "--ids", ids, "--timeout", 3000)
    w = World(ns_addr, addrs[0], addrs[1], first.offset_id, first.key, first.msg_id)
    deadline_poll(lambda: "#Diff Total: 0" in apache(work, ["consumerProgress", "-n", ns_addr, "-g", GROUP])
                  or "Diff Total: 0" in apache(work, ["consumerProgress", "-n", ns_addr, "-g", GROUP]),
                  120, "the consumer to catch up", interval=2)
    return w, consumer


@pytest.fixture(scope="module")
def worlds(java, tmp_path_factory):
    root = tmp_path_factory.mktemp("mqadmin-java")
    ns = NamesrvProcess(root / "ours" / "ns").start()
    bra = BrokerProcess(root / "ours" / "a", ns.addr, brokerClusterName=CLUSTER, brokerName="broker-a").start()
    brb = BrokerProcess(root / "ours" / "b", ns.addr, brokerClusterName=CLUSTER, brokerName="broker-b").start()
    jns = JavaNamesrv(root / "java" / "ns").start()
    ja = JavaBroker(root / "java" / "a", jns.addr, brokerClusterName=CLUSTER, brokerName="broker-a").start()
    jb = JavaBroker(root / "java" / "b", jns.addr, brokerClusterName=CLUSTER, brokerName="broker-b").start()
    consumers = []
    try:
        w_ours, c1 = build(java, root / "ours", ns, (bra, brb), ns.addr, [bra.addr, brb.addr])
        consumers.append(c1)
        w_java, c2 = build(java, root / "java", jns, (ja, jb), jns.addr, [ja.addr, jb.addr])
        consumers.append(c2)
        yield root, w_ours, w_java
    finally:
        for c in consumers:
            c.kill()
            c.wait(timeout=30)
        for d in (jb, ja, jns, brb, bra, ns):
            d.stop()


def consumer_lines(root: Path) -> int:
    path = root / "consumer" / "c.log"
    return sum(1 for line in path.read_text(errors="replace").splitlines() if line.startswith("MSG "))


def test_operator_day_java_consumer_on_our_cluster(worlds):
    """The diagnostic calls our broker forwards to a live Java consumer, through our mqadmin: its running info,
    a message consumed directly, and a reset by time that makes it receive everything again."""
    root, w, _ = worlds
    conn = ours(["consumerConnection", "-n", w.ns, "-g", GROUP], root)
    client_ids = consumer_client_ids(conn)
    assert len(client_ids) == 1, conn
    status = ours(["consumerStatus", "-n", w.ns, "-g", GROUP, "-i", client_ids[0]], root)
    assert "PROP_CLIENT_VERSION" in status and TOPIC in status, status
    direct = ours(["queryMsgById", "-n", w.ns, "-i", w.msg, "-g", GROUP, "-d", client_ids[0]], root)
    assert "consumeResult=CR_SUCCESS" in direct, direct
    before = consumer_lines(root / "ours")
    reset = ours(["resetOffsetByTime", "-n", w.ns, "-g", GROUP, "-t", TOPIC, "-s", "0"], root)
    assert reset.count("broker-") >= QUEUES * 2, reset
    deadline_poll(lambda: consumer_lines(root / "ours") >= before + COUNT, 90,
                  "the Java consumer to receive every message again after the reset")


@pytest.mark.parametrize("name,template", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_apache_mqadmin_same_shape_on_both_clusters(worlds, name, template):
    root, w_ours, w_java = worlds
    out_dir = root / "out"
    (out_dir / "ours").mkdir(parents=True, exist_ok=True)
    (out_dir / "java").mkdir(parents=True, exist_ok=True)
    work = root / "admin-run"
    work.mkdir(exist_ok=True)
    on_ours = apache(work, argv_of(name, template, w_ours, out_dir / "ours"))
    on_java = apache(work, argv_of(name, template, w_java, out_dir / "java"))
    (root / f"{name}.ours.txt").write_text(on_ours)
    (root / f"{name}.java.txt").write_text(on_java)
    if name in KNOWN:
        pytest.xfail(KNOWN[name])
    assert "Exception" not in on_ours or "Exception" in on_java, on_ours
    assert str(shape(on_ours)) == str(shape(on_java)), f"\n--- on ours:\n{on_ours}\n--- on Java:\n{on_java}"


@pytest.mark.parametrize("name,template", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_our_mqadmin_prints_what_apache_prints_on_java(worlds, name, template):
    root, _, w_java = worlds
    out_dir = root / "out2"
    (out_dir / "apache").mkdir(parents=True, exist_ok=True)
    (out_dir / "ours").mkdir(parents=True, exist_ok=True)
    work = root / "admin-run2"
    work.mkdir(exist_ok=True)
    # ours first: our delete* of a name already gone fails (the bad-input rule), Apache's succeeds
    by_ours = ours(argv_of(name, template, w_java, out_dir / "ours"), work)
    by_apache = apache(work, argv_of(name, template, w_java, out_dir / "apache"))
    if name in KNOWN:
        pytest.xfail(KNOWN[name])
    assert str(shape(by_ours)) == str(shape(by_apache)), f"\n--- ours:\n{by_ours}\n--- Apache's:\n{by_apache}"


"""The console, unchanged, against an unmodified Java 4.9.7 cluster (Java NameServer + Java broker): a Java
producer's messages with keys on a topic of 4 queues, a Java push consumer online. Every page is checked against
Apache's own mqadmin (4.9.7) or the Java client: the overview, a topic's offsets, a topic created and deleted from
the form, a group's progress and running info, messages by key and time, a resend to the Java consumer (the Java
client answers CONSUME_MESSAGE_DIRECTLY: the success path), a reset by time the consumer obeys, a dead letter
found and resent, and the metadata export."""
from __future__ import annotations

import asyncio
import html as htmllib
import json
import re
import time
import urllib.parse
from datetime import datetime
from pathlib import Path
from urllib.request import Request

import pytest

from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from store import message as m
from tests.support.admin import java_json
from tests.support.console import ConsoleProcess, Web

from .oracle import JavaBroker, JavaNamesrv, deadline_poll, produce, read_consumer_log, wait_route

CLUSTER, BROKER, TOPIC, GROUP = "JavaConCluster", "broker-j", "JavaConTopic", "JavaConGroup"
QUEUES, COUNT, KEYS = 4, 20, "jconkey"


class World:
    def __init__(self, root: Path, ns: JavaNamesrv, broker: JavaBroker, console: ConsoleProcess, java,
                 sends: list, started: datetime) -> None:
        self.root, self.ns, self.broker, self.console, self.java = root, ns, broker, console, java
        self.sends, self.started = sends, started
        self.work = root / "admin"
        self.consumer_log = root / "consumer" / "c.log"

    def mqadmin(self, *args: str) -> str:
        """Apache's mqadmin against the Java NameServer."""
        return self.java.mqadmin(self.work, *args, "-n", self.ns.addr)

    def received(self) -> list:
        return read_consumer_log(self.consumer_log)[0] if self.consumer_log.exists() else []


@pytest.fixture(scope="module")
def world(java, tmp_path_factory):
    root = tmp_path_factory.mktemp("console-java")
    (root / "admin").mkdir()
    started = datetime.now().replace(microsecond=0)
    with JavaNamesrv(root / "ns") as ns, \
            JavaBroker(root / "broker", ns.addr, brokerClusterName=CLUSTER, brokerName=BROKER) as br:
        w = World(root, ns, br, None, java, [], started)   # type: ignore[arg-type]
        for argv in (["updateTopic", "-c", CLUSTER, "-t", TOPIC, "-r", str(QUEUES), "-w", str(QUEUES)],
                     ["updateSubGroup", "-c", CLUSTER, "-g", GROUP]):
            deadline_poll(lambda: "success" in w.mqadmin(*argv), 60, f"{argv[0]} on the Java cluster", interval=1)
        wait_route(ns.addr, TOPIC, QUEUES)
        w.sends = produce(java, root / "producer", ns.addr, TOPIC, COUNT, KEYS).main
        ids = root / "consumer" / "never.ids"
        ids.parent.mkdir(parents=True)
        ids.write_text("NEVER\n")      # it waits for an id that never comes: online for the whole module
        consumer = java.start(root / "consumer", "OracleConsumer", "-n", ns.addr, "-t", TOPIC, "-g", GROUP,
                              "-o", w.consumer_log, "--ids", ids, "--timeout", 3000)
        try:
            deadline_poll(lambda: len(w.received()) >= COUNT and diff_total(w) == 0, 120,
                          "the Java consumer to receive everything and commit it", interval=1)
            with ConsoleProcess(root / "console", ns.addr) as console:
                w.console = console
                yield w
        finally:
            consumer.kill()
            consumer.wait(timeout=30)


@pytest.fixture
def web(world) -> Web:
    w = Web(world.console.url, timeout=40)
    w.login()
    return w


# --------------------------------------------------------------------------------------- parsing helpers
def diff_total(w: World) -> int | None:
    found = re.search(r"^Diff Total: (-?\d+)", w.mqadmin("consumerProgress", "-g", GROUP), re.M)
    return int(found.group(1)) if found else None


def json_of(text: str) -> dict:
    """The JSON an Apache mqadmin command prints (after any JVM warnings), as fastjson writes it."""
    return java_json(text[text.index("{"):])


def flash(html: str, kind: str) -> str:
    found = re.search(rf'data-testid="flash-{kind}">([^<]*)<', html)
    return htmllib.unescape(found.group(1)) if found else ""


def page_ok(web: Web, path: str) -> str:
    status, html = web.get(path)
    assert status == 200 and "Traceback" not in html, (path, status, html[-3000:])
    return html


def client_ids(text: str) -> list[str]:
    """consumerConnection's rows under its #ClientId header."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#ClientId"))
    out = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        out.append(line.split()[0])
    return out


def progress_rows(text: str) -> set[tuple[str, str, int, int, int]]:
    """consumerProgress -g rows (#Topic #Broker Name #QID #Broker Offset #Consumer Offset #Diff #LastTime):
    (topic, broker, qid, broker offset, consumer offset)."""
    rows = re.findall(r"^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(-?\d+)\s+-?\d+\s", text, re.M)
    return {(t, b, int(q), int(bo), int(co)) for t, b, q, bo, co in rows}


def page_progress(html: str) -> set[tuple[str, str, int, int, int]]:
    rows = re.findall(r'data-testid="progress-row" data-topic="([^"]*)" data-broker="([^"]*)" data-qid="(\d+)">'
                      r'.*?data-testid="broker-offset">(\d+)<.*?data-testid="consumer-offset">(-?\d+)<', html, re.S)
    return {(htmllib.unescape(t), b, int(q), int(bo), int(co)) for t, b, q, bo, co in rows}


def received_keys(w: World, key: str) -> int:
    return sum(1 for g in w.received() if g.keys == key)


# ------------------------------------------------------------------------------------------------ tests
def test_overview_lists_the_java_broker(world, web):
    html = page_ok(web, "/")
    addr = world.broker.addr
    row = re.search(rf"<tr>\s*<td>{CLUSTER}</td><td>{BROKER}</td><td>(\w+)</td><td>{re.escape(addr)}</td>\s*"
                    rf"<td>([^<]*)</td>", html)
    assert row, html[-3000:]
    assert row.groups() == ("MASTER", "V4_9_7")
    apache = world.mqadmin("clusterList")
    line = next(x for x in apache.splitlines() if addr in x)
    assert re.search(rf"^{CLUSTER}\s+{BROKER}\s+0\s+{re.escape(addr)}\s+V4_9_7\s", line), apache


def test_topic_list_and_offsets_equal_apache_topic_status(world, web):
    html = page_ok(web, "/topics")
    assert f'data-testid="topic-row" data-topic="{TOPIC}"' in html
    assert TOPIC in world.mqadmin("topicList")
    html = page_ok(web, f"/topics/{TOPIC}")
    ours = {(b, int(q), int(lo), int(hi)) for b, q, lo, hi in re.findall(
        r'data-testid="status-row" data-broker="([^"]+)" data-qid="(\d+)">.*?data-testid="min-offset">(\d+)<'
        r'.*?data-testid="max-offset">(\d+)<', html, re.S)}
    apache = world.mqadmin("topicStatus", "-t", TOPIC)
    theirs = {(b, int(q), int(lo), int(hi)) for b, q, lo, hi in re.findall(
        r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s", apache, re.M)}
    assert len(ours) == QUEUES and ours == theirs, (ours, apache)
    assert sum(hi - lo for _, _, lo, hi in ours) == COUNT


def test_topic_created_and_deleted_from_the_form(world, web):
    name = f"JavaConForm{int(time.time())}"
    status, html = web.post("/topics/update", {"topic": name, "target": f"cluster:{CLUSTER}",
                                               "readQueueNums": "3", "writeQueueNums": "3", "perm": "RW"})
    assert status == 200 and name in flash(html, "ok"), html[-3000:]
    route = json_of(world.mqadmin("topicRoute", "-t", name))
    assert [(q["brokerName"], q["readQueueNums"], q["writeQueueNums"], q["perm"]) for q in route["queueDatas"]] \
        == [(BROKER, 3, 3, 6)]
    status, html = web.post("/topics/delete", {"topic": name, "cluster": CLUSTER})
    assert status == 200 and name in flash(html, "ok"), html[-3000:]
    gone = world.mqadmin("topicRoute", "-t", name)
    assert "No topic route info" in gone, gone
    assert name not in world.mqadmin("topicList")
    status, html = web.get(f"/topics/{name}")
    assert status == 404


def test_group_online_progress_and_running_info(world, web):
    html = page_ok(web, f"/groups?q={GROUP}")
    row = re.search(rf'data-testid="group-row" data-group="{GROUP}">.*?data-testid="group-online">([^<]*)<',
                    html, re.S)
    assert row and row.group(1) == "1 client(s)", html[-3000:]
    apache = world.mqadmin("consumerProgress", "-g", GROUP)
    html = page_ok(web, f"/groups/{GROUP}")
    total = re.search(r"^Diff Total: (-?\d+)", apache, re.M)
    assert total, apache
    assert re.search(rf'data-testid="diff-total">{total.group(1)}<', html), html[-3000:]
    theirs = progress_rows(apache)
    assert {t for t, *_ in theirs} >= {TOPIC} and page_progress(html) == theirs, (page_progress(html), apache)
    (client,) = client_ids(world.mqadmin("consumerConnection", "-g", GROUP))
    assert f'data-testid="client-row" data-client="{client}"' in html
    (link,) = re.findall(r'href="(/groups/[^"]+/clients/[^"]+)" data-testid="running-link"', html)
    assert urllib.parse.unquote(link) == f"/groups/{GROUP}/clients/{client}"
    info = htmllib.unescape(page_ok(web, link))
    assert 'data-testid="running-info"' in info, info[-3000:]
    for text in ("#Consumer Properties#", "PROP_CLIENT_VERSION", "V4_9_7", "PROP_CONSUME_TYPE", "CONSUME_PASSIVELY",
                 "#Consumer Subscription#", TOPIC, "#Consumer Offset#"):
        assert text in info, (text, info[-4000:])


def test_messages_by_key_time_and_detail(world, web):
    first = world.sends[0]
    html = page_ok(web, f"/messages?mode=key&topic={TOPIC}&key={first.key}")
    assert re.findall(r'data-testid="result-row" data-msgid="([^"]+)"', html) == [first.msg_id]
    assert first.msg_id in world.mqadmin("queryMsgByKey", "-t", TOPIC, "-k", first.key)
    html = page_ok(web, f"/messages?mode=time&topic={TOPIC}&range=30m")
    assert set(re.findall(r'data-testid="result-row" data-msgid="([^"]+)"', html)) >= {s.msg_id for s in world.sends}
    html = page_ok(web, f"/messages/{first.offset_id}")
    assert f'data-testid="detail-msgid">{first.msg_id}<' in html
    props = dict(re.findall(r'<tr data-prop="([^"]+)"><th>[^<]*</th><td class="mono">([^<]*)</td>', html))
    apache = world.mqadmin("queryMsgById", "-i", first.offset_id)
    shown = re.search(r"^Properties:\s+\{(.*)\}", apache, re.M)
    assert shown, apache
    theirs = dict(p.split("=", 1) for p in shown.group(1).split(", "))
    assert theirs["KEYS"] == first.key and theirs["TAGS"] == "TagA" and theirs["UNIQ_KEY"] == first.msg_id
    assert props == theirs, (props, apache)


def test_resend_to_the_java_consumer_succeeds(world, web):
    """The Java client answers CONSUME_MESSAGE_DIRECTLY: the success flash with its consumeResult."""
    first = world.sends[0]
    (client,) = client_ids(world.mqadmin("consumerConnection", "-g", GROUP))
    html = page_ok(web, f"/messages/{first.offset_id}")
    assert f'<option value="{GROUP} {client}">' in html, html[-3000:]
    before = received_keys(world, first.key)
    status, html = web.post(f"/messages/{first.offset_id}/resend", {"target": f"{GROUP} {client}"})
    text = flash(html, "ok")
    assert status == 200 and not flash(html, "error"), html[-3000:]
    assert text.startswith(f"Resent {first.msg_id} to {client} of {GROUP}: CR_SUCCESS"), text
    # the Java consumer's listener ran on it (the direct consume logs like any other)
    deadline_poll(lambda: received_keys(world, first.key) > before, 30, "the direct consume in the consumer's log")


def test_reset_by_time_makes_the_java_consumer_receive_again(world, web):
    html = page_ok(web, f"/groups/{GROUP}")
    assert re.search(r'data-testid="reset-cplus">', html) and \
        not re.search(r'value="on" checked data-testid="reset-cplus"', html), "C++ box ticked for a Java client"
    before = len(world.received())
    status, html = web.post(f"/groups/{GROUP}/reset", {"topic": TOPIC, "force": "on",
                                                       "timestamp": world.started.isoformat(timespec="seconds")})
    assert status == 200 and "reset" in flash(html, "ok"), html[-3000:]
    assert "told the online consumers" in flash(html, "ok")
    reset_rows = re.findall(r'data-testid="reset-row" data-broker="([^"]+)" data-qid="(\d+)"><td>[^<]*</td>'
                            r'<td class="n">\d+</td><td class="n">(\d+)</td>', html)
    assert sorted(reset_rows) == [(BROKER, str(q), "0") for q in range(QUEUES)], html[-3000:]
    deadline_poll(lambda: len(world.received()) >= before + COUNT, 90,
                  "the Java consumer to receive every message again after the reset", interval=0.5)
    again = {g.msg_id for g in world.received()[before:]}
    assert again >= {s.msg_id for s in world.sends}


def send_back_to_dlq(broker_addr: str, offset_id: str, msg_id: str) -> None:
    """A consumer's give-up as the broker receives it: CONSUMER_SEND_MSG_BACK with delay level -1."""
    async def go() -> None:
        client = RemotingClient()
        try:
            resp = await client.invoke(broker_addr, make_request(RequestCode.CONSUMER_SEND_MSG_BACK, {
                "offset": str(m.decode_offset_msg_id(offset_id)[1]), "group": GROUP, "delayLevel": "-1",
                "originMsgId": msg_id, "originTopic": TOPIC}), 10)
            assert resp.code == ResponseCode.SUCCESS, resp.remark
        finally:
            await client.close()
    asyncio.run(go())


def test_dead_letter_found_and_resent_to_retry(world, web):
    dead = world.sends[1]
    send_back_to_dlq(world.broker.addr, dead.offset_id, dead.msg_id)
    dlq = f"%DLQ%{GROUP}"
    route = json_of(world.mqadmin("topicRoute", "-t", dlq))
    assert [q["perm"] for q in route["queueDatas"]] == [6], route     # 4.9.7 makes %DLQ% topics readable
    html = page_ok(web, f"/dlq?group={GROUP}&range=30m")
    found = re.findall(r'data-testid="result-row" data-msgid="([^"]+)" data-offset-id="([^"]+)"', html)
    assert [x[0] for x in found] == [dead.msg_id], html[-3000:]
    assert dead.key in html
    before = received_keys(world, dead.key)
    status, html = web.post("/dlq/resend", {"group": GROUP, "id": found[0][1]})
    assert status == 200 and flash(html, "ok").startswith(f"Resent 1 dead letter(s) of {GROUP} to %RETRY%{GROUP}"), \
        html[-3000:]
    retry = world.mqadmin("printMsg", "-t", f"%RETRY%{GROUP}")
    assert f"KEYS={dead.key}" in retry, retry[-3000:]
    deadline_poll(lambda: received_keys(world, dead.key) > before, 90,
                  "the Java consumer to receive the resent dead letter from %RETRY%")
    got = [g for g in world.received() if g.keys == dead.key][-1]
    assert (got.msg_id, got.md5) == (dead.msg_id, dead.md5)


def test_metadata_export_has_apache_export_metadata_shape(world, web):
    status, hdrs, body = web._open(Request(f"{web.base}/bulk/export?cluster={CLUSTER}&what=metadata&format=json"))
    assert status == 200 and 'filename="metadata.json"' in hdrs["Content-Disposition"], body[-2000:]
    ours = json.loads(body)
    out = world.root / "apache-export"
    world.mqadmin("exportMetadata", "-c", CLUSTER, "-f", str(out))
    theirs = java_json((out / "metadata.json").read_text())
    assert set(ours) == set(theirs) == {"topicConfigTable", "subscriptionGroupTable", "exportTime"}
    assert TOPIC in ours["topicConfigTable"] and GROUP in ours["subscriptionGroupTable"]
    assert set(ours["topicConfigTable"]) == set(theirs["topicConfigTable"])
    assert set(ours["subscriptionGroupTable"]) == set(theirs["subscriptionGroupTable"])
    assert ours["topicConfigTable"] == theirs["topicConfigTable"]
    assert ours["subscriptionGroupTable"] == theirs["subscriptionGroupTable"]

"""The console's consumer group and producer pages against a real cluster (a NameServer, two brokers of one
cluster), each change checked in the page and with `mqadmin`; a real C++ 1.x push consumer for the online,
running-info and not-answering checks."""
from __future__ import annotations

import asyncio
import re
import urllib.parse
import time

import pytest

from tests.integration.test_console_topics import (CLUSTER, console_cluster, flash, multipart, ok, rows, send,
                                                   unique)
from tests.support.admin import mqadmin
from tests.support.console import Web
from tests.support.cpp1x import PushConsumer
from tools.mqadmin import adminext as ax
from tools.mqadmin.client import AdminClient
from tools.mqadmin.mqclient import Producer
from tools.mqadmin.msgfmt import MQ


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    yield from console_cluster(tmp_path_factory.mktemp("console-groups"))


@pytest.fixture
def admin_web(env) -> Web:
    w = Web(env["console"].url)
    w.login()
    return w


def consumer_config(ns, group: str) -> dict[str, dict[str, str]]:
    """getConsumerConfig's sections: broker name -> field -> value; {} when no broker has the group."""
    out = mqadmin("getConsumerConfig", "-g", group, "-n", ns.addr)
    if out.returncode != 0:
        return {}
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in out.stdout.splitlines():
        m = re.match(r"=+\w+:(\S+?)=+$", line)
        if m:
            current = sections.setdefault(m.group(1), {})
        elif current is not None and "=" in line:
            k, v = line.split("=", 1)
            current[k.strip()] = v.strip()
    return sections


def diff_total(ns, group: str) -> int:
    return int(re.search(r"Diff Total: (-?\d+)", ok("consumerProgress", "-g", group, ns=ns)).group(1))


def progress_offsets(ns, group: str) -> dict[tuple[str, int], int]:
    """consumerProgress -g: (broker, qid) -> consumer offset."""
    out = {}
    for line in ok("consumerProgress", "-g", group, ns=ns).splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 6 and parts[2].isdigit():
            out[(parts[1], int(parts[2]))] = int(parts[4])
    return out


def commit_offsets(ns_addr: str, group: str, topic: str, per_queue: int) -> None:
    """What a consumer that consumed `per_queue` messages of each queue commits (UPDATE_CONSUMER_OFFSET)."""
    async def go() -> None:
        admin = AdminClient(ns_addr)
        try:
            route = await admin.route(topic)
            for bd in route.brokerDatas:
                qd = next(q for q in route.queueDatas if q.brokerName == bd.brokerName)
                for qid in range(qd.readQueueNums):
                    await ax.update_offset(admin, bd.brokerAddrs[0], group, MQ(topic, bd.brokerName, qid), per_queue)
        finally:
            await admin.close()
    asyncio.run(go())


def lag_on_list(web: Web, group: str) -> int:
    _, page = web.get(f"/groups?q={group}")
    m = re.search(rf'data-group="{group}">.*?data-testid="group-lag">(\d+)<', page, re.S)
    assert m, page[-3000:]
    return int(m.group(1))


def lag_reaches(web: Web, group: str, value: int, timeout: float = 10.0) -> bool:
    """The list shows the charts' last sample (every second here): the lag there follows within a sample."""
    deadline = time.monotonic() + timeout
    while True:
        shown = lag_on_list(web, group)
        if shown == value:
            return True
        assert time.monotonic() < deadline, f"the list shows lag {shown}, not {value}"
        time.sleep(0.2)


def test_group_create_update_delete(env, admin_web):
    ns, a = env["ns"], env["a"]
    g = unique("ConG")
    status, html = admin_web.post("/groups/update", {"group": g, "target": f"cluster:{CLUSTER}",
                                                     "consumeEnable": "on", "retryMaxTimes": "7",
                                                     "retryQueueNums": "1", "brokerId": "0",
                                                     "whichBrokerWhenConsumeSlowly": "1"})
    assert status == 200 and g in flash(html, "ok"), html[-2000:]
    cfg = consumer_config(ns, g)
    assert set(cfg) == {"broker-a", "broker-b"}
    assert cfg["broker-a"]["retryMaxTimes"] == "7" and cfg["broker-a"]["consumeBroadcastEnable"] == "false"
    assert cfg["broker-a"]["consumeEnable"] == "true"
    _, page = admin_web.get(f"/groups?q={g}")
    assert rows(page, "group-row", "group") == [g]

    # update on one broker: broadcast on, consume off, whichBrokerWhenConsumeSlowly 2
    admin_web.post("/groups/update", {"group": g, "target": f"broker:{a.addr}", "consumeBroadcastEnable": "on",
                                      "retryMaxTimes": "3", "whichBrokerWhenConsumeSlowly": "2"})
    cfg = consumer_config(ns, g)
    assert cfg["broker-a"]["consumeBroadcastEnable"] == "true" and cfg["broker-a"]["consumeEnable"] == "false"
    assert cfg["broker-a"]["whichBrokerWhenConsumeSlowly"] == "2" and cfg["broker-b"]["retryMaxTimes"] == "7"

    status, page = admin_web.get(f"/groups/{g}")
    assert status == 200 and 'data-testid="group-config"' in page and "No consumer of this group is online" in page

    status, html = admin_web.post("/groups/delete", {"group": g, "target": f"cluster:{CLUSTER}"})
    assert g in flash(html, "ok"), html[-2000:]
    assert consumer_config(ns, g) == {}
    status, html = admin_web.post("/groups/delete", {"group": g, "target": f"cluster:{CLUSTER}"})
    assert "does not exist" in flash(html, "error")


def test_lag_equals_consumer_progress_and_reset(env, admin_web):
    ns = env["ns"]
    t, g = unique("ConLagT"), unique("ConLagG")
    ok("updateTopic", "-c", CLUSTER, "-t", t, "-r", "2", "-w", "2", ns=ns)
    ok("updateSubGroup", "-c", CLUSTER, "-g", g, ns=ns)
    ok("updateTopic", "-c", CLUSTER, "-t", f"%RETRY%{g}", "-r", "1", "-w", "1", ns=ns)   # as a consumer's heartbeat
    before = int(time.time() * 1000) - 1000
    send(ns.addr, t, 40)
    commit_offsets(ns.addr, g, t, 3)        # 4 queues, 3 consumed of each
    expected = diff_total(ns, g)
    assert expected == 40 - 12
    assert lag_reaches(admin_web, g, expected)
    _, page = admin_web.get(f"/groups/{g}")
    assert re.search(rf'data-testid="diff-total">{expected}<', page)
    assert len(re.findall(r'data-testid="progress-row"', page)) == 4

    # reset to before the messages: every offset back to 0 (no consumer online: written on the brokers)
    status, html = admin_web.post(f"/groups/{g}/reset", {"topic": t, "timestamp": str(before), "force": "on"})
    assert status == 200 and "reset" in flash(html, "ok"), html[-3000:]
    assert len(re.findall(r'data-testid="reset-row"', html)) == 4
    assert set(progress_offsets(ns, g).values()) == {0} and diff_total(ns, g) == 40
    assert lag_reaches(admin_web, g, 40)
    # and to "now": nothing left
    admin_web.post(f"/groups/{g}/reset", {"topic": t, "timestamp": "now", "force": "on"})
    assert diff_total(ns, g) == 0 and lag_reaches(admin_web, g, 0)

    status, html = admin_web.post(f"/groups/{g}/reset", {"topic": t, "timestamp": "yesterday-ish"})
    assert "is not a date and time" in flash(html, "error") and "Traceback" not in html


def test_online_consumer_running_info_and_silence(env, admin_web, tmp_path):
    ns = env["ns"]
    t, g = unique("ConOnT"), unique("ConOnG")
    ok("updateTopic", "-c", CLUSTER, "-t", t, "-r", "2", "-w", "2", ns=ns)
    ok("updateSubGroup", "-c", CLUSTER, "-g", g, ns=ns)
    consumer = PushConsumer(tmp_path / "c", ns.addr, g, t)
    try:
        send(ns.addr, t, 10)
        assert consumer.wait_for(lambda msgs: len(msgs) >= 10, timeout=60)
        deadline = time.monotonic() + 30
        while diff_total(ns, g) != 0 and time.monotonic() < deadline:   # offsets are committed every few s
            time.sleep(0.5)
        assert diff_total(ns, g) == 0 and lag_reaches(admin_web, g, 0)
        _, page = admin_web.get(f"/groups?q={g}")
        assert re.search(r'data-testid="group-online">1 client\(s\)<', page), page[-2000:]
        status, page = admin_web.get(f"/groups/{g}")
        (client,) = rows(page, "client-row", "client")
        (running,) = re.findall(r'href="(/groups/[^"]+/clients/[^"]+)" data-testid="running-link"', page)
        assert urllib.parse.unquote(running) == f"/groups/{g}/clients/{client}"
        status, page = admin_web.get(running)
        assert status == 200 and 'data-testid="running-info"' in page and "#Consumer Properties#" in page

        # an online consumer told of a reset: the result table comes from the brokers' new path
        status, html = admin_web.post(f"/groups/{g}/reset", {"topic": t, "timestamp": "0", "force": "on"})
        assert len(re.findall(r'data-testid="reset-row"', html)) == 4, html[-3000:]

        consumer.pause()          # it cannot answer the running info request: said so, in bounded time
        start = time.monotonic()
        status, page = admin_web.get(f"/groups/{g}")
        assert status == 200 and time.monotonic() - start < 2     # the group's page does not ask the client
        start = time.monotonic()
        status, page = admin_web.get(running)
        assert status == 200 and time.monotonic() - start < 8
        assert re.search(r'data-testid="running-error">the client did not answer', page), page[-3000:]
    finally:
        consumer.stop()


def test_unknown_group_bad_input_and_read_only(env, admin_web):
    ns = env["ns"]
    status, page = admin_web.get("/groups/NoSuchGroupHere")
    assert status == 404 and "does not exist" in page and "Traceback" not in page
    g = unique("ConRoG")
    status, html = admin_web.post("/groups/update", {"group": g, "target": f"cluster:{CLUSTER}",
                                                     "retryMaxTimes": "abc"})
    assert "retryMaxTimes must be a whole number" in flash(html, "error") and consumer_config(ns, g) == {}
    ok("updateSubGroup", "-c", CLUSTER, "-g", g, "-r", "4", ns=ns)
    anon = Web(env["console"].url)
    anon.get("/groups")
    posts = {"/groups/update": {"group": g, "target": f"cluster:{CLUSTER}", "retryMaxTimes": "9"},
             "/groups/delete": {"group": g, "target": f"cluster:{CLUSTER}"},
             f"/groups/{g}/reset": {"topic": "Whatever", "timestamp": "now"}}
    for path, fields in posts.items():
        status, html = anon.post(path, fields)
        assert status == 403 and "read-only" in html, path
        status, html = admin_web.post(path, fields, csrf=False)
        assert status == 403 and "CSRF" in html, path
    status, _ = multipart(anon, "/bulk/import", {"target": f"cluster:{CLUSTER}"}, "g.csv", f"groupName\n{g}x\n".encode())
    assert status == 403
    cfg = consumer_config(ns, g)
    assert cfg["broker-a"]["retryMaxTimes"] == "4" and consumer_config(ns, g + "x") == {}


def test_producers(env, admin_web):
    ns = env["ns"]
    t = unique("ConProdT")
    ok("updateTopic", "-c", CLUSTER, "-t", t, ns=ns)
    group = unique("PID_console_")
    web = Web(env["console"].url)

    async def go() -> tuple[str, str, str]:
        admin = AdminClient(ns.addr)
        p = Producer(admin, group)
        try:
            await p.send(t, b"x")
            _, listed = await asyncio.to_thread(web.get, "/producers")
            _, looked = await asyncio.to_thread(web.get, f"/producers?group={group}&topic={t}")
            _, missing = await asyncio.to_thread(web.get, f"/producers?group=NoSuchPID&topic={t}")
            return listed, looked, missing
        finally:
            await p.shutdown()
            await admin.close()
    listed, looked, missing = asyncio.run(go())
    assert group in rows(listed, "producer-row", "group")
    assert len(re.findall(r'data-testid="connection-row"', looked)) == 1
    assert re.search(r'data-testid="lookup-error">[^<]*the producer group\[NoSuchPID\] not exist', missing)
    assert 'data-testid="connection-row"' not in missing

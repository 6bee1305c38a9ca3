"""The console's topic pages and bulk export/import against a real cluster (a NameServer, two brokers of one
cluster), each change checked in the page and with `mqadmin`; export imported into a second, empty cluster."""
from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from urllib.request import Request

import pytest

from tests.support.admin import java_json, mqadmin
from tests.support.console import ConsoleProcess, Web
from tests.support.daemons import BrokerProcess, NamesrvProcess
from tools.mqadmin.client import AdminClient
from tools.mqadmin.mqclient import Producer

CLUSTER = "ConsoleCluster"
OTHER = "ImportCluster"


def wait_registered(ns_addr: str, names: set[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = mqadmin("clusterList", "-n", ns_addr).stdout
        if all(n in out for n in names):
            return
        time.sleep(0.2)
    raise TimeoutError(f"brokers {names} not registered with {ns_addr}")


def console_cluster(root):
    """NameServer + broker-a + broker-b (CLUSTER), a second NameServer + broker-c (OTHER), and a console of the
    first; yields a dict of them."""
    with NamesrvProcess(root / "ns") as ns, NamesrvProcess(root / "ns2") as ns2:
        with BrokerProcess(root / "a", ns.addr, brokerName="broker-a", brokerClusterName=CLUSTER) as a, \
                BrokerProcess(root / "b", ns.addr, brokerName="broker-b", brokerClusterName=CLUSTER) as b, \
                BrokerProcess(root / "c", ns2.addr, brokerName="broker-c", brokerClusterName=OTHER) as c:
            wait_registered(ns.addr, {"broker-a", "broker-b"})
            wait_registered(ns2.addr, {"broker-c"})
            with ConsoleProcess(root / "console", ns.addr) as con, \
                    ConsoleProcess(root / "console2", ns2.addr) as con2:
                yield {"ns": ns, "ns2": ns2, "a": a, "b": b, "c": c, "console": con, "console2": con2}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    yield from console_cluster(tmp_path_factory.mktemp("console-topics"))


@pytest.fixture
def admin_web(env) -> Web:
    w = Web(env["console"].url)
    w.login()
    return w


def ok(*args: str, ns) -> str:
    out = mqadmin(*args, "-n", ns.addr)
    assert out.returncode == 0 and "Traceback" not in out.stderr, (args, out.stdout, out.stderr)
    return out.stdout


def route_of(ns, topic: str) -> dict | None:
    out = mqadmin("topicRoute", "-t", topic, "-n", ns.addr)
    return java_json(out.stdout) if out.returncode == 0 else None


def queues(route: dict) -> dict[str, tuple[int, int, int]]:
    return {q["brokerName"]: (q["readQueueNums"], q["writeQueueNums"], q["perm"]) for q in route["queueDatas"]}


def rows(html: str, testid: str, attr: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" data-{attr}="([^"]*)"', html)


def flash(html: str, kind: str) -> str:
    m = re.search(rf'data-testid="flash-{kind}">([^<]*)<', html)
    return m.group(1) if m else ""


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def create(web: Web, topic: str, target: str = f"cluster:{CLUSTER}", **fields: str) -> str:
    status, html = web.post("/topics/update", {"topic": topic, "target": target, "readQueueNums": "4",
                                               "writeQueueNums": "4", "perm": "RW", **fields})
    assert status == 200 and "Traceback" not in html
    return html


def send(ns_addr: str, topic: str, n: int) -> None:
    async def go() -> None:
        admin = AdminClient(ns_addr)
        p = Producer(admin, "PID_console_test")
        try:
            for i in range(n):
                await p.send(topic, f"m{i}".encode())
        finally:
            await p.shutdown()
            await admin.close()
    asyncio.run(go())


def multipart(web: Web, path: str, fields: dict[str, str], filename: str, content: bytes,
              csrf: bool = True) -> tuple[int, str]:
    """A multipart/form-data POST with one file, as a browser's file upload form sends it."""
    boundary = "----console" + uuid.uuid4().hex
    if csrf:
        fields = {**fields, "_csrf": web.csrf}
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    status, hdrs, html = web._open(Request(web.base + path, data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"}))
    if status == 303:
        return web.get(hdrs["Location"])
    return status, html


def download(web: Web, path: str) -> tuple[int, dict, str]:
    return web._open(Request(web.base + path))


# ---------------------------------------------------------------- tests

def test_create_update_delete_topic(env, admin_web):
    ns, a = env["ns"], env["a"]
    t = unique("ConT")
    html = create(admin_web, t)
    assert t in flash(html, "ok"), html[-3000:]
    assert queues(route_of(ns, t)) == {"broker-a": (4, 4, 6), "broker-b": (4, 4, 6)}
    _, page = admin_web.get(f"/topics?q={t}")
    assert rows(page, "topic-row", "topic") == [t]
    assert re.search(r'data-testid="topic-read-total">8<', page)

    # one broker only: queues and perm
    html = create(admin_web, t, target=f"broker:{a.addr}", readQueueNums="2", writeQueueNums="2", perm="R")
    assert flash(html, "ok"), html[-3000:]
    assert queues(route_of(ns, t)) == {"broker-a": (2, 2, 4), "broker-b": (4, 4, 6)}
    _, page = admin_web.get(f"/topics?q={t}")
    assert re.search(r'data-testid="topic-read-total">6<', page) and "R-- RW-" in page

    status, html = admin_web.post("/topics/delete", {"topic": t, "cluster": CLUSTER})
    assert status == 200 and t in flash(html, "ok"), html[-3000:]
    assert route_of(ns, t) is None
    assert t not in ok("topicList", ns=ns).split()
    _, page = admin_web.get(f"/topics?q={t}")
    assert rows(page, "topic-row", "topic") == []
    # deleting it again: mqadmin's refusal, shown
    status, html = admin_web.post("/topics/delete", {"topic": t, "cluster": CLUSTER})
    assert status == 200 and "does not exist" in flash(html, "error")


def test_order_topic_sets_order_conf(env, admin_web):
    ns = env["ns"]
    t = unique("ConOrd")
    assert flash(create(admin_web, t, order="on"), "ok")
    conf = ok("updateOrderConf", "-t", t, "-m", "get", ns=ns)
    assert "broker-a:4" in conf and "broker-b:4" in conf


def test_filter(env, admin_web):
    ns = env["ns"]
    tag = uuid.uuid4().hex[:6]
    for name in (f"FiltA{tag}", f"FiltB{tag}", f"%RETRY%FiltG{tag}", f"%DLQ%FiltG{tag}"):
        ok("updateTopic", "-c", CLUSTER, "-t", name, ns=ns)
    _, page = admin_web.get(f"/topics?q=filta{tag}")
    assert rows(page, "topic-row", "topic") == [f"FiltA{tag}"]
    _, page = admin_web.get(f"/topics?q={tag}")
    assert rows(page, "topic-row", "topic") == [f"FiltA{tag}", f"FiltB{tag}"]
    _, page = admin_web.get(f"/topics?q={tag}&retry=1")
    assert rows(page, "topic-row", "topic") == [f"%RETRY%FiltG{tag}", f"FiltA{tag}", f"FiltB{tag}"]
    _, page = admin_web.get(f"/topics?q={tag}&retry=1&dlq=1")
    assert len(rows(page, "topic-row", "topic")) == 4
    _, page = admin_web.get("/topics?q=TBW102")
    assert rows(page, "topic-row", "topic") == []
    _, page = admin_web.get("/topics?q=TBW102&system=1")
    assert rows(page, "topic-row", "topic") == ["TBW102"]


def test_detail_equals_topic_status(env, admin_web):
    ns = env["ns"]
    t = unique("ConDet")
    ok("updateTopic", "-c", CLUSTER, "-t", t, "-r", "3", "-w", "3", ns=ns)
    send(ns.addr, t, 13)
    status, page = admin_web.get(f"/topics/{t}")
    assert status == 200, page[-2000:]
    shown = re.findall(r'data-testid="status-row" data-broker="([^"]+)" data-qid="(\d+)">.*?'
                       r'data-testid="min-offset">(\d+)<.*?data-testid="max-offset">(\d+)<', page, re.S)
    expected = [tuple(line.split()[:4]) for line in ok("topicStatus", "-t", t, ns=ns).splitlines()[1:]]
    assert shown == expected and len(shown) == 6
    assert sum(int(r[3]) for r in shown) == 13
    assert re.search(r'data-testid="topic-total">13<', page)
    assert re.search(rf'data-testid="topic-clusters">{CLUSTER}<', page)
    assert sorted(rows(page, "route-row", "broker")) == ["broker-a", "broker-b"]


def test_unknown_topic_and_bad_input(env, admin_web):
    ns = env["ns"]
    status, page = admin_web.get("/topics/NoSuchTopicHere")
    assert status == 404 and "does not exist" in page and "Traceback" not in page
    t = unique("ConBad")
    html = create(admin_web, t, readQueueNums="abc")
    assert "readQueueNums must be a whole number" in flash(html, "error"), html[-2000:]
    html = create(admin_web, "bad name!")
    assert "is not valid" in flash(html, "error")
    html = create(admin_web, t, target="cluster:NoSuchCluster")
    assert "NoSuchCluster" in flash(html, "error") and "Traceback" not in html
    assert route_of(ns, t) is None


def test_read_only_and_csrf_refused(env, admin_web):
    ns = env["ns"]
    t = unique("ConRo")
    ok("updateTopic", "-c", CLUSTER, "-t", t, ns=ns)
    anon = Web(env["console"].url)
    anon.get("/topics")
    posts = {"/topics/update": {"topic": t, "target": f"cluster:{CLUSTER}", "readQueueNums": "1",
                                "writeQueueNums": "1", "perm": "R"},
             "/topics/delete": {"topic": t, "cluster": CLUSTER},
             "/bulk/topics": {"topics": t, "target": f"cluster:{CLUSTER}", "readQueueNums": "1"}}
    for path, fields in posts.items():
        status, html = anon.post(path, fields)
        assert status == 403 and "read-only" in html, path
    status, _ = multipart(anon, "/bulk/import", {"target": f"cluster:{CLUSTER}"}, "m.json",
                          b'{"topicConfigTable":{"RoImported":{"readQueueNums":1,"writeQueueNums":1}}}')
    assert status == 403
    # an admin without the CSRF token
    for path, fields in posts.items():
        status, html = admin_web.post(path, fields, csrf=False)
        assert status == 403 and "CSRF" in html, path
    assert queues(route_of(ns, t)) == {"broker-a": (8, 8, 6), "broker-b": (8, 8, 6)}
    assert route_of(ns, "RoImported") is None


def test_bulk_create(env, admin_web):
    ns = env["ns"]
    names = [unique("ConBulk") for _ in range(5)]
    status, html = admin_web.post("/bulk/topics", {"topics": "\n".join(names[:3]) + "\n" + ", ".join(names[3:]),
                                                   "target": f"cluster:{CLUSTER}", "readQueueNums": "2",
                                                   "writeQueueNums": "2", "perm": "RW"})
    assert status == 200 and "5 topic(s)" in flash(html, "ok"), html[-2000:]
    assert sorted(rows(html, "bulk-created-row", "topic")) == sorted(names)
    listed = ok("topicList", ns=ns).split()
    for n in names:
        assert n in listed and queues(route_of(ns, n)) == {"broker-a": (2, 2, 6), "broker-b": (2, 2, 6)}
    status, html = admin_web.post("/bulk/topics", {"topics": "good1 bad!name", "target": f"cluster:{CLUSTER}"})
    assert "is not valid" in flash(html, "error") and route_of(ns, "good1") is None


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_import_into_another_cluster(env, admin_web, fmt):
    ns, ns2 = env["ns"], env["ns2"]
    t, g = unique(f"ConExp{fmt}"), unique(f"ConExpG{fmt}")
    ok("updateTopic", "-c", CLUSTER, "-t", t, "-r", "3", "-w", "3", ns=ns)
    ok("updateSubGroup", "-c", CLUSTER, "-g", g, "-r", "5", ns=ns)
    if fmt == "json":
        status, hdrs, body = download(admin_web, f"/bulk/export?cluster={CLUSTER}&what=metadata&format=json")
        assert status == 200 and 'filename="metadata.json"' in hdrs["Content-Disposition"]
        data = json.loads(body)
        assert set(data) == {"topicConfigTable", "subscriptionGroupTable", "exportTime"}
        assert data["topicConfigTable"][t]["readQueueNums"] == 6          # summed over the masters, as mqadmin
        assert data["subscriptionGroupTable"][g]["retryMaxTimes"] == 5
        # the same shape as mqadmin exportMetadata -c writes
        out_dir = env["console"].workdir / "mqadmin-export"
        ok("exportMetadata", "-c", CLUSTER, "-f", str(out_dir), ns=ns)
        theirs = json.loads((out_dir / "metadata.json").read_text())
        assert theirs["topicConfigTable"][t] == data["topicConfigTable"][t]
        assert theirs["subscriptionGroupTable"][g] == data["subscriptionGroupTable"][g]
        uploads = [("metadata.json", body.encode())]
    else:
        status, hdrs, topics_csv = download(admin_web, f"/bulk/export?cluster={CLUSTER}&what=topics&format=csv")
        assert status == 200 and "attachment" in hdrs["Content-Disposition"]
        assert topics_csv.startswith("topicName,readQueueNums,writeQueueNums,perm,order")
        assert f"\n{t},6,6,6,false," in topics_csv
        _, _, groups_csv = download(admin_web, f"/bulk/export?cluster={CLUSTER}&what=groups&format=csv")
        assert f"\n{g},true," in groups_csv
        uploads = [("topics.csv", topics_csv.encode()), ("groups.csv", groups_csv.encode())]
    other = Web(env["console2"].url)
    other.login()
    for name, content in uploads:
        status, html = multipart(other, "/bulk/import", {"target": f"cluster:{OTHER}", "divide": "on"}, name,
                                 content)
        assert status == 200 and "Traceback" not in html
        assert re.search(r'data-testid="import-result"', html), html[-3000:]
    assert queues(route_of(ns2, t)) == {"broker-c": (6, 6, 6)}
    assert "retryMaxTimes" in ok("getConsumerConfig", "-g", g, ns=ns2)
    assert re.search(r"retryMaxTimes\s+=\s+5", ok("getConsumerConfig", "-g", g, ns=ns2))
    # again: every item already exists; a system topic in the file is refused
    name, content = uploads[0]
    status, html = multipart(other, "/bulk/import", {"target": f"cluster:{OTHER}"}, name, content)
    assert re.search(rf'data-name="{t}" data-outcome="already exists"', html)
    status, html = multipart(other, "/bulk/import", {"target": f"cluster:{OTHER}"}, "sys.json",
                             b'{"topicConfigTable":{"TBW102":{"readQueueNums":1,"writeQueueNums":1}}}')
    assert re.search(r'data-name="TBW102" data-outcome="refused: system topic"', html)
    assert "1 refused" in flash(html, "error")


def test_bad_import_and_export(env, admin_web):
    status, html = multipart(admin_web, "/bulk/import", {"target": f"cluster:{CLUSTER}"}, "x.json", b"{not json")
    assert status == 200 and "not valid metadata JSON" in flash(html, "error")
    status, html = multipart(admin_web, "/bulk/import", {"target": f"cluster:{CLUSTER}"}, "x.csv",
                             b"topicName,readQueueNums\nT1,abc\n")
    assert "line" in flash(html, "error") and "Traceback" not in html
    status, html = admin_web.get("/bulk/export?cluster=NoSuch&what=topics&format=csv")
    assert status == 404 and "not found" in html

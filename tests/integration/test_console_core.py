"""The console daemon against a real NameServer and broker: the overview, login, read-only mode and CSRF on every
change route of every page family, the audit log, the charts' lag, and a cluster that goes away and comes back."""
from __future__ import annotations

import asyncio
import importlib
import json
import re

import pytest

from console.app import PAGES
from tests.support.admin import mqadmin
from tests.support.console import ADMIN_PASSWORD, ConsoleProcess, Web
from tests.support.daemons import BrokerProcess, NamesrvProcess, free_port
from tests.support.wait import until
from tools.mqadmin.adminext import update_offset
from tools.mqadmin.client import AdminClient
from tools.mqadmin.msgfmt import MQ

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("console-core")
    with NamesrvProcess(root / "ns") as ns, \
            BrokerProcess(root / "a", ns.addr, brokerClusterName="CoreCluster") as a, \
            ConsoleProcess(root / "console", ns.addr) as admin_console, \
            ConsoleProcess(root / "ro", ns.addr, admin=False) as ro_console:
        yield {"ns": ns, "a": a, "console": admin_console, "ro": ro_console, "root": root}


def change_routes() -> list[str]:
    """Every POST route of every page family (path parameters filled with a dummy), login/logout aside."""
    out = []
    for name in PAGES:
        for route in importlib.import_module(f"console.pages.{name}").routes:
            if route.method == "POST" and route.path not in ("/login", "/logout"):
                out.append(re.sub(r"\{[^}]+\}", "x", route.path))
    return out


def test_overview_shows_the_broker(world):
    status, html = Web(world["console"].url).get("/")
    assert status == 200
    row = re.search(r"<tr>\s*<td>CoreCluster</td><td>broker-a</td><td>MASTER</td><td>([^<]+)</td>\s*<td>([^<]+)</td>",
                    html)
    assert row and row.groups() == (world["a"].addr, "V4_9_7"), html
    assert "0 slave(s) connected" in html
    assert 'data-testid="read-only"' in html        # not logged in


def test_every_change_route_is_refused_read_only_and_without_csrf(world):
    routes = change_routes()
    assert len(routes) >= 1
    audit = world["root"] / "ro" / "audit.log"
    for console, logged_in in ((world["ro"], False), (world["console"], False), (world["console"], True)):
        web = Web(console.url)
        if logged_in:
            web.login()
        for path in routes:
            status, html = web.post(path, {"topic": "NeverMade", "group": "NeverMade"}, csrf=False)
            assert status == 403 and "missing or wrong CSRF token" in html, (path, status)
            if not logged_in:
                status, html = web.post(path, {"topic": "NeverMade", "group": "NeverMade"})
                assert status == 403 and "read-only console" in html, (path, status)
        # a cross-origin form post is refused even with the token
        status, html = web.post(routes[0], {"topic": "NeverMade"}, headers={"Origin": "http://evil.example"})
        assert status == 403 and "cross-origin" in html
    assert "NeverMade" not in mqadmin("topicList", "-n", world["ns"].addr).stdout
    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    assert any(e["outcome"] == "refused: read-only" for e in lines)
    assert any(e["outcome"] == "refused: missing or wrong CSRF token" for e in lines)


def test_read_only_console_has_no_login(world):
    web = Web(world["ro"].url)
    status, html = web.post("/login", {"user": "admin", "password": ADMIN_PASSWORD})
    assert status == 200 and "No admin login is configured" in html and 'data-testid="read-only"' in html


def test_login_logout_and_the_audit_page(world):
    web = Web(world["console"].url)
    status, html = web.post("/login", {"user": "admin", "password": "Wr0ngPassw0rd"})
    assert "Wrong user or password" in html and 'data-testid="read-only"' in html
    before = web.jar._cookies["127.0.0.1"]["/"]["rmqc_session"].value    # noqa: SLF001
    html = web.login()
    after = web.jar._cookies["127.0.0.1"]["/"]["rmqc_session"].value     # noqa: SLF001
    assert before != after                                               # a new session on login
    assert "Logged in as admin." in html
    status, html = web.get("/audit")
    assert status == 200
    rows = re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td><td>127\.0\.0\.1</td><td>login</td><td>[^<]+</td>\s*"
                      r"<td[^>]*>([^<]+)</td>", html)
    assert rows[:2] == [("admin", "ok"), ("admin", "refused: bad credentials")]
    assert "Wr0ngPassw0rd" not in html and ADMIN_PASSWORD not in html           # never a password
    status, html = web.post("/logout", {})
    assert 'data-testid="read-only"' in html


def charts(console: ConsoleProcess, group: str | None = None) -> dict:
    status, body = Web(console.url).get("/api/charts" + (f"?group={group}" if group else ""))
    assert status == 200
    return json.loads(body)


def test_chart_lag_follows_the_group(world):
    ns, a = world["ns"], world["a"]
    assert mqadmin("updateTopic", "-n", ns.addr, "-b", a.addr, "-t", "ChartT", "-r", "2", "-w", "2").returncode == 0
    assert mqadmin("updateSubGroup", "-n", ns.addr, "-b", a.addr, "-g", "ChartG").returncode == 0
    for i in range(6):
        out = mqadmin("sendMessage", "-n", ns.addr, "-t", "ChartT", "-p", f"m{i}", "-b", "broker-a", "-i", str(i % 2))
        assert out.returncode == 0, out.stderr

    async def commit(offset: int) -> None:
        admin = AdminClient(ns.addr)
        try:
            for q in (0, 1):
                await update_offset(admin, a.addr, "ChartG", MQ("ChartT", "broker-a", q), offset)
        finally:
            await admin.close()
    asyncio.run(commit(0))
    lag = until(lambda: (s := charts(world["console"], "ChartG")["groups"].get("ChartG")) and s[-1][1] == 6 and s)
    assert list(charts(world["console"], "ChartG")["groups"]) == ["ChartG"]
    assert "TOOLS_CONSUMER" not in charts(world["console"])["groups"]      # built-in groups are not charted
    asyncio.run(commit(3))
    falls = until(lambda: (s := charts(world["console"])["groups"]["ChartG"]) and s[-1][1] == 0 and s)
    assert falls[-1][0] > lag[-1][0]
    data = charts(world["console"])
    assert f"CoreCluster/broker-a" in data["brokers"] and data["error"] == ""
    status, html = Web(world["console"].url).get("/charts?group=ChartG")
    assert status == 200 and 'data-group="ChartG"' in html and "charts.js" in html


def test_a_cluster_that_goes_away_is_not_shown(tmp_path):
    port = free_port()
    with NamesrvProcess(tmp_path / "ns", listenPort=port) as ns, \
            BrokerProcess(tmp_path / "b", ns.addr, brokerName="broker-gone") as b, \
            ConsoleProcess(tmp_path / "c", ns.addr) as console:
        web = Web(console.url)
        assert "broker-gone" in web.get("/")[1]
        until(lambda: "DefaultCluster/broker-gone" in charts(console)["brokers"])
        b.stop()
        # the NameServer drops the broker when its channel closes; the page and the charts follow
        until(lambda: "broker-gone" not in web.get("/")[1])
        until(lambda: charts(console)["brokers"] == {})
        ns.stop()
        status, html = web.get("/")
        assert status == 502 and "Cluster unavailable" in html and 'data-testid="cluster-error"' in html
        data = until(lambda: (d := charts(console))["error"] and d)
        assert data["brokers"] == {} and data["groups"] == {}
        with NamesrvProcess(tmp_path / "ns2", listenPort=port) as ns2, \
                BrokerProcess(tmp_path / "b2", ns2.addr, brokerName="broker-back"):
            until(lambda: web.get("/")[0] == 200 and "broker-back" in web.get("/")[1])
            assert "broker-gone" not in web.get("/")[1]
        assert console.alive()

"""The console's pure parts: password hashes, its properties, sessions, the audit log, the charts' series."""
from __future__ import annotations

import asyncio
from collections import deque

import pytest

from console.audit import AuditLog
from console.config import ConsoleConfig, check_password, hash_password, load
from console.history import History
from console.sessions import Sessions
from console.web import ms_time
from remoting.config import ConfigError


def test_password_hash_round_trip_and_salt():
    h = hash_password("s3cret", iterations=1000)
    assert h.startswith("pbkdf2_sha256$1000$")
    assert check_password("s3cret", h)
    assert not check_password("s3cret ", h) and not check_password("", h)
    assert hash_password("s3cret", iterations=1000) != h           # a fresh salt each time
    assert not check_password("s3cret", "md5$1$00$00")             # another scheme is never accepted
    assert not check_password("s3cret", "pbkdf2_sha256$x$zz$00")


def test_properties_file_and_overrides(tmp_path, monkeypatch):
    monkeypatch.delenv("NAMESRV_ADDR", raising=False)
    f = tmp_path / "console.properties"
    f.write_text("namesrvAddr=10.0.0.1:9876\nlistenPort=9000\nadminUser=ops\n"
                 f"adminPasswordHash={hash_password('pw', iterations=1000)}\n")
    c = load(str(f), {"listenPort": "9100", "listenAddress": None})
    assert (c.namesrvAddr, c.listenPort, c.listenAddress) == ("10.0.0.1:9876", 9100, "127.0.0.1")
    assert c.admin_configured
    assert not ConsoleConfig().admin_configured
    assert ConsoleConfig(adminUser="u").admin_configured is False          # a user without a hash logs in nobody
    assert ConsoleConfig(accessKey="ak", secretKey="sk").admin_configured


def test_bad_properties_are_refused(tmp_path):
    f = tmp_path / "c.properties"
    f.write_text("adminPasword=x\n")                                  # a typo must not silently open a console
    with pytest.raises(ConfigError, match="adminPasword"):
        load(str(f))
    f.write_text("adminUser=a\nadminPasswordHash=plaintext\n")
    with pytest.raises(ConfigError, match="hash-password"):
        load(str(f))
    f.write_text("pollIntervalSeconds=0\n")
    with pytest.raises(ConfigError, match="positive"):
        load(str(f))
    f.write_text("listenPort=http\n")
    with pytest.raises(ConfigError):
        load(str(f))


def test_namesrv_from_environment(monkeypatch):
    monkeypatch.setenv("NAMESRV_ADDR", "1.2.3.4:9876")
    assert load(None).namesrvAddr == "1.2.3.4:9876"
    assert load(None, {"namesrvAddr": "5.6.7.8:9876"}).namesrvAddr == "5.6.7.8:9876"


def test_sessions_expire_rotate_on_login_and_check_csrf():
    now = [100.0]
    table = Sessions(60, clock=lambda: now[0])
    s = table.new()
    assert table.get(s.token) is s
    assert s.csrf_ok(s.csrf) and not s.csrf_ok("") and not s.csrf_ok(None) and not s.csrf_ok(s.csrf + "x")
    s.flash("ok", "hello")
    admin = table.login(s, "ops")
    assert admin.token != s.token and admin.csrf != s.csrf          # no session fixation
    assert table.get(s.token) is None and table.get(admin.token).user == "ops"
    assert admin.take_flashes() == [("ok", "hello")] and admin.take_flashes() == []
    now[0] += 59
    assert table.get(admin.token) is admin                          # sliding expiry
    now[0] += 61
    assert table.get(admin.token) is None
    assert table.get(None) is None and table.get("nope") is None


def test_audit_log_tail_newest_first_skips_torn_lines(tmp_path):
    log = AuditLog(str(tmp_path / "sub" / "audit.log"))
    assert log.tail() == []
    log.record("ops", "127.0.0.1", "topic.create", "T1", "ok", now=0)
    log.record(None, "10.0.0.2", "topic.delete", "T1", "refused: read-only", now=1)
    with open(log.path, "ab") as f:
        f.write(b'{"torn": ')                      # a crash mid-line
    entries = log.tail()
    assert [e["action"] for e in entries] == ["topic.delete", "topic.create"]
    assert entries[0]["user"] == "-" and entries[1]["user"] == "ops"
    assert [e["target"] for e in log.tail(2)] == ["T1"]      # the torn line counts against n, then is skipped


def test_history_drops_gone_series_and_keeps_the_window():
    h = History(admin=None, interval_s=1, window_s=10)
    h._put(h.groups, {"G1": (5.0, 1.0), "G2": (7.0, 0.0)}, now=100)
    h._put(h.groups, {"G1": (3.0, 1.0)}, now=105)
    assert list(h.groups) == ["G1"]                                        # G2 left the cluster: its series too
    h._put(h.groups, {"G1": (1.0, 1.0)}, now=112)
    assert [p[0] for p in h.groups["G1"]] == [105, 112]                    # older than the window: gone
    assert h.series("groups") == {"G1": [(105, 3.0, 1.0), (112, 1.0, 1.0)]}
    assert isinstance(h.groups["G1"], deque)


def test_history_clears_everything_when_the_cluster_is_gone():
    from tests.support.daemons import free_port
    from tools.mqadmin.client import AdminClient
    port = free_port()                                  # nothing listens there: the NameServer is gone

    async def go() -> History:
        admin = AdminClient(f"127.0.0.1:{port}", timeout=2)
        try:
            h = History(admin=admin, interval_s=1, window_s=10)
            h._put(h.brokers, {"C/b": (1.0, 2.0)}, now=1)
            h._put(h.groups, {"G": (1.0, 2.0)}, now=1)
            await h.sample()
            return h
        finally:
            await admin.close()
    h = asyncio.run(go())
    assert h.brokers == {} and h.groups == {} and f"127.0.0.1:{port}" in h.error and h.samples == 1


def test_ms_time():
    assert ms_time(0) == "-" and ms_time(None) == "-" and ms_time("x") == "x"
    assert ms_time(1_700_000_000_123).endswith(".123")


def _stats_body(groups: dict) -> str:
    from remoting import fastjson
    out = []
    for group, topics in groups.items():
        stats = []
        for topic, (tps, queues) in topics.items():
            table = {(("brokerName", "b"), ("queueId", q), ("topic", topic)): {
                "brokerOffset": b, "consumerOffset": c, "lastTimestamp": 0} for q, (b, c) in enumerate(queues)}
            stats.append({"consumeTps": tps, "offsetTable": table})
        out.append({group: stats})
    return fastjson.dumps({"brokerAddr": "127.0.0.1:10911", "consumeStatsList": out, "totalDiff": 0})


def test_lags_read_off_a_consume_stats_answer_equal_the_full_parse():
    from console.cluster import _lags_parsed, lags_of_body
    body = _stats_body({"G1": {"T1": (1.5, [(10, 4), (3, 3)]), "%RETRY%G1": (0.0, [(2, 0)])},
                        "G_2": {"T1": (0.25, [(5, 9)])},             # consumer ahead of broker: counts 0
                        "Idle": {}})
    fast, full = lags_of_body(body), _lags_parsed(body)
    assert {g: (v.lag, v.tps, v.topics) for g, v in fast.items()} == \
        {g: (v.lag, v.tps, v.topics) for g, v in full.items()} == \
        {"G1": (8, 1.5, {"T1", "%RETRY%G1"}), "G_2": (0, 0.25, {"T1"}), "Idle": (0, 0.0, set())}
    assert lags_of_body(_stats_body({})) == {}
    # a body of another shape (spaces, as a pretty printer would write it) is parsed whole, not misread
    spaced = body.replace('":[', '": [')
    assert {g: v.lag for g, v in lags_of_body(spaced).items()} == {"G1": 8, "G_2": 0, "Idle": 0}


def test_redirect_targets_stay_on_the_console():
    from console.web import local_path
    assert local_path("/topics") and local_path("/dlq?group=G&range=30m")
    for bad in ("//evil.example/x", "/\\evil.example", "/a\\b", "https://evil.example", "topics", "/a\r\nSet-Cookie:x",
                "", None, 3):
        assert not local_path(bad), bad

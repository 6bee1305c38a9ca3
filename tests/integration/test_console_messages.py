"""The console's message pages against a real NameServer + broker + console: a test message sent from the form
and found by id, key, time range (preset and explicit) and queue offset; its detail (fields, properties, body
as text / hex / JSON, the broker-written trace); peek-receive; dead letters listed, exported and resent to the
group's retry topic; read-only and CSRF-less posts refused; bad input answered with a message, not a 500.
Each result is checked in the page and in the cluster (mqadmin or the broker's own answers)."""
from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
import time
from datetime import datetime

import pytest

from remoting.codes import RequestCode, ResponseCode
from store import message as m
from tests.support.admin import create_topic, mqadmin, request
from tests.support.console import ConsoleProcess, Web
from tests.support.daemons import BrokerProcess, NamesrvProcess
from tests.support.wait import until

TOPIC = "ConsoleMsgTopic"
GROUP = "CID_console_dlq"
JSON_BODY = '{"order": 42, "items": ["a", "b"]}'


def shown(page: str, name: str) -> str:
    """The text of the first element carrying data-testid=name (tags stripped)."""
    mm = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', page, re.S)
    assert mm, f"no {name} in page"
    return html.unescape(re.sub(r"<[^>]+>", "", mm.group(1))).strip()


def result_ids(page: str) -> list[str]:
    return re.findall(r'data-testid="result-row" data-msgid="([0-9A-F]+)"', page)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("console-messages")
    with NamesrvProcess(root / "ns") as ns, \
            BrokerProcess(root / "broker", ns.addr, brokerTraceEnable=True) as br, \
            ConsoleProcess(root / "console", ns.addr) as console:
        create_topic(br.addr, TOPIC, queues=2)
        until(lambda: mqadmin("topicRoute", "-t", TOPIC, "-n", ns.addr).returncode == 0)
        web = Web(console.url, timeout=30)
        web.login()
        yield {"ns": ns, "br": br, "console": console, "web": web, "root": root}


@pytest.fixture(scope="module")
def sent(world):
    """A JSON-bodied test message sent from the form; the SendResult the page shows."""
    web = world["web"]
    status, page = web.post("/send", {"topic": TOPIC, "tags": "TagJ", "keys": "order-42 k2", "body": JSON_BODY})
    assert status == 200 and 'data-testid="send-result"' in page, page[-3000:]
    out = {k: shown(page, f"send-{k}") for k in ("status", "msgid", "offset-msgid", "queue", "offset", "broker")}
    assert out["status"] == "SEND_OK", out
    out["at"] = int(time.time() * 1000)
    return out


def test_send_form_stores_the_message(world, sent):
    shown = mqadmin("queryMsgById", "-i", sent["offset-msgid"], "-n", world["ns"].addr)
    assert shown.returncode == 0, shown.stderr
    assert f"Topic:               {TOPIC}" in shown.stdout and "[order-42 k2]" in shown.stdout, shown.stdout
    assert f"UNIQ_KEY={sent['msgid']}" in shown.stdout
    by_key = mqadmin("queryMsgByKey", "-t", TOPIC, "-k", "order-42", "-n", world["ns"].addr)
    assert sent["msgid"] in by_key.stdout, by_key.stdout
    # the flash and the audit log name the send
    status, audit = world["web"].get("/audit")
    assert "send test message" in audit and sent["msgid"] in audit


def test_find_by_id_key_time_and_offset(world, sent):
    web = world["web"]
    for path in (f"/messages?mode=id&msgId={sent['offset-msgid']}",
                 f"/messages?mode=id&msgId={sent['msgid']}&topic={TOPIC}",
                 f"/messages?mode=key&topic={TOPIC}&key=order-42",
                 f"/messages?mode=time&topic={TOPIC}&range=30m",
                 f"/messages?mode=offset&topic={TOPIC}&queueId={sent['queue']}&offset={sent['offset']}"):
        status, page = web.get(path)
        assert status == 200, (path, page[-2000:])
        assert sent["msgid"] in result_ids(page), (path, page[-3000:])
        assert f'href="/messages/{sent["offset-msgid"]}"' in page
    # an explicit range around the send finds it; one ending before it does not
    fmt = "%Y-%m-%dT%H:%M:%S"
    b = datetime.fromtimestamp(sent["at"] / 1000 - 120).strftime(fmt)
    e = datetime.fromtimestamp(sent["at"] / 1000 + 60).strftime(fmt)
    _, page = web.get(f"/messages?mode=time&topic={TOPIC}&begin={b}&end={e}")
    assert sent["msgid"] in result_ids(page), page[-3000:]
    early = datetime.fromtimestamp(sent["at"] / 1000 - 60).strftime(fmt)
    _, page = web.get(f"/messages?mode=time&topic={TOPIC}&begin={b}&end={early}")
    assert sent["msgid"] not in result_ids(page)
    # a key nobody used: an empty answer that says so
    _, page = web.get(f"/messages?mode=key&topic={TOPIC}&key=never-used")
    assert "no message of topic" in shown(page, "result-note")


def test_time_range_is_capped_newest_first(world):
    topic = "ConsoleCapTopic"
    create_topic(world["br"].addr, topic, queues=1)
    until(lambda: mqadmin("topicRoute", "-t", topic, "-n", world["ns"].addr).returncode == 0)
    for i in range(5):
        resp = request(world["br"].addr, RequestCode.SEND_MESSAGE, {
            "producerGroup": "PID_cap", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
            "queueId": "0", "sysFlag": "0", "bornTimestamp": str(int(time.time() * 1000)), "flag": "0",
            "properties": m.properties_to_string({"UNIQ_KEY": f"{i:032X}", "KEYS": f"cap{i}"})}, b"x")
        assert resp.code == ResponseCode.SUCCESS
    from console import messages_data as md
    from tools.mqadmin.client import AdminClient

    async def go():
        admin = AdminClient(world["ns"].addr)
        try:
            now = int(time.time() * 1000)
            return await md.by_time(admin, topic, now - 600_000, now, cap=3)
        finally:
            await admin.close()
    found = asyncio.run(go())
    assert found.capped and found.total == 5
    assert [r.keys for r in found.rows] == ["cap4", "cap3", "cap2"]
    _, page = world["web"].get(f"/messages?mode=time&topic={topic}&range=30m")
    assert len(result_ids(page)) == 5 and 'data-testid="result-capped"' not in page


def test_detail_shows_fields_properties_and_body_views(world, sent):
    web = world["web"]
    url = f"/messages/{sent['offset-msgid']}"
    status, page = web.get(url)
    assert status == 200, page[-3000:]
    assert shown(page, "detail-msgid") == sent["msgid"]
    assert shown(page, "body-text") == JSON_BODY
    for prop, value in (("KEYS", "order-42 k2"), ("TAGS", "TagJ"), ("UNIQ_KEY", sent["msgid"])):
        mm = re.search(rf'<tr data-prop="{prop}"><th>{prop}</th><td class="mono">([^<]*)</td>', page)
        assert mm and html.unescape(mm.group(1)) == value, prop
    for name in ("Store host", "Born host", "Queue offset", "Commit log offset", "Reconsume times", "System flag",
                 "Body CRC", "Stored size", "Store time", "Born time"):
        assert f'data-field="{name}"' in page, name
    assert re.search(rf'data-field="Queue offset">{sent["offset"]}<', page)
    _, hexpage = web.get(url + "?view=hex")
    assert shown(hexpage, "body-hex").startswith("00000000  7b 22 6f 72")   # {"or
    _, jsonpage = web.get(url + "?view=json")
    assert json.loads(shown(jsonpage, "body-json")) == json.loads(JSON_BODY)
    assert '\n  "order": 42' in shown(jsonpage, "body-json")            # pretty-printed
    # the broker writes a Pub trace record (brokerTraceEnable): the trace view shows it, as queryMsgTraceById
    until(lambda: 'data-testid="trace"' in web.get(url)[1], timeout=30, every=0.5)
    _, page = web.get(url)
    assert re.search(r"<tr><td>Pub</td>", page), page[-3000:]
    out = mqadmin("queryMsgTraceById", "-i", sent["msgid"], "-n", world["ns"].addr)
    assert "Pub" in out.stdout
    # no group subscribes yet; the resend form says no client is online
    assert "No consumer group subscribes" in page and 'data-testid="resend-none"' in page


def test_receive_lists_the_newest_without_committing(world, sent):
    web = world["web"]
    status, page = web.get(f"/send/receive?topic={TOPIC}&count=5")
    assert status == 200 and sent["msgid"] in result_ids(page), page[-3000:]
    _, page = web.get(f"/send/receive?topic={TOPIC}&count=5&tags=OtherTag")
    assert sent["msgid"] not in result_ids(page)
    # the tools' group committed nothing
    resp = request(world["br"].addr, RequestCode.QUERY_CONSUMER_OFFSET,
                {"consumerGroup": "TOOLS_CONSUMER", "topic": TOPIC, "queueId": sent["queue"]})
    assert resp.code != ResponseCode.SUCCESS or int(resp.ext("offset", "-1")) <= 0


def make_dead_letter(world, body: bytes, keys: str) -> m.StoredMessage:
    """A message of TOPIC refused by GROUP with maxReconsumeTimes 0: the broker's own send-back (the request a
    consumer sends when it gives up) stores it in %DLQ%<group> exactly as for a real consumer."""
    addr = world["br"].addr
    props = m.properties_to_string({"KEYS": keys, "TAGS": "TagD", "UNIQ_KEY": f"D{time.time_ns():031X}"[:32]})
    resp = request(addr, RequestCode.SEND_MESSAGE, {
        "producerGroup": "PID_dlq", "topic": TOPIC, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
        "queueId": "0", "sysFlag": "0", "bornTimestamp": str(int(time.time() * 1000)), "flag": "0",
        "properties": props}, body)
    assert resp.code == ResponseCode.SUCCESS, resp
    phys = m.decode_offset_msg_id(resp.ext("msgId"))[1]
    back = request(addr, RequestCode.CONSUMER_SEND_MSG_BACK, {
        "offset": str(phys), "group": GROUP, "delayLevel": "0", "originMsgId": resp.ext("msgId"),
        "originTopic": TOPIC, "maxReconsumeTimes": "0"})
    assert back.code == ResponseCode.SUCCESS, back
    return m.decode_offset_msg_id(resp.ext("msgId"))


def dlq_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-testid="result-row" data-msgid="([0-9A-F]+)" data-offset-id="([0-9A-F]+)"', page)


def test_dead_letters_listed_exported_and_resent(world):
    web = world["web"]
    make_dead_letter(world, b"dead-1", "dk1")
    make_dead_letter(world, "dead-2 é".encode(), "dk2")
    until(lambda: mqadmin("topicRoute", "-t", f"%DLQ%{GROUP}", "-n", world["ns"].addr).returncode == 0)
    q = f"group={GROUP}&range=30m"
    status, page = web.get(f"/dlq?{q}")
    assert status == 200, page[-3000:]
    rows = dlq_rows(page)
    assert len(rows) == 2, page[-3000:]
    # by id
    _, one = web.get(f"/dlq?group={GROUP}&msgId={rows[0][1]}")
    assert [r[1] for r in dlq_rows(one)] == [rows[0][1]]
    # exports
    status, text = web.get(f"/dlq/export.csv?{q}")
    assert status == 200
    recs = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["body"] for r in recs) == ["dead-1", "dead-2 é"]
    assert {r["originalTopic"] for r in recs} == {TOPIC} and {r["topic"] for r in recs} == {f"%DLQ%{GROUP}"}
    status, text = web.get(f"/dlq/export.json?{q}")
    data = json.loads(text)
    assert sorted(d["keys"] for d in data) == ["dk1", "dk2"] and all(d["properties"]["TAGS"] == "TagD" for d in data)
    # resend the selection (both): each lands in %RETRY%<group> with RETRY_TOPIC, keys, tags, body kept
    status, page = web.post("/dlq/resend", {"group": GROUP, "id": rows[0][1], "_back": f"/dlq?{q}"})
    status, page = web.post("/dlq/resend", {"group": GROUP, "id": rows[1][1], "_back": f"/dlq?{q}"})
    assert status == 200 and "Resent 1 dead letter(s)" in shown(page, "flash-ok"), page[-3000:]
    retry = f"%RETRY%{GROUP}"
    until(lambda: mqadmin("topicRoute", "-t", retry, "-n", world["ns"].addr).returncode == 0)
    out = mqadmin("printMsg", "-t", retry, "-n", world["ns"].addr)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(f"RETRY_TOPIC={TOPIC}") == 2 and "KEYS=dk1" in out.stdout and "KEYS=dk2" in out.stdout
    assert "BODY: dead-1" in out.stdout and "TAGS=TagD" in out.stdout and "DELAY=" not in out.stdout
    _, audit = web.get("/audit")
    assert audit.count("<td>resend dead letter</td>") == 2 and audit.count("<td>resend dead letters</td>") == 2
    # a message that is not a dead letter of the group is refused, with the reason
    _, page = web.post("/dlq/resend", {"group": "CID_other", "id": rows[0][1]})
    assert "resend dead letters failed" in shown(page, "flash-error") and "not in %DLQ%CID_other" in page


def test_dead_letters_of_a_group_without_any(world):
    _, page = world["web"].get("/dlq?group=CID_never_failed&range=1h")
    assert "has no dead letters" in shown(page, "result-note")


def test_read_only_session_and_missing_csrf_are_refused(world, sent):
    ro = Web(world["console"].url)
    ro.get("/")
    for path, fields in (("/send", {"topic": TOPIC, "body": "x"}),
                         (f"/messages/{sent['offset-msgid']}/resend", {"target": "G c"}),
                         ("/dlq/resend", {"group": GROUP, "id": sent["offset-msgid"]})):
        status, page = ro.post(path, fields, follow=False)
        assert status == 403 and "read-only" in page, path
        status, page = world["web"].post(path, fields, csrf=False, follow=False)
        assert status == 403 and "CSRF" in page, path
    # the pages still render for the read-only session, with the change buttons disabled
    _, page = ro.get("/send")
    assert re.search(r'data-testid="send-submit" disabled', page)


@pytest.mark.parametrize("path, status, needle", [
    ("/messages?mode=id&msgId=not-an-id", 400, "is not a message id"),
    ("/messages?mode=id&msgId=0123456789ABCDEF0123456789ABCDEF", 400, "give its topic"),
    ("/messages?mode=time&topic=" + TOPIC + "&begin=2024-01-02T00:00&end=2024-01-01T00:00", 400,
     "end is before begin"),
    ("/messages?mode=time&topic=" + TOPIC + "&begin=yesterday", 400, "is not a time"),
    ("/messages?mode=offset&topic=" + TOPIC + "&queueId=0&offset=x", 400, "offset must be a whole number"),
    ("/messages?mode=key&topic=NoSuchTopicAnywhere&key=k", 404, "topic NoSuchTopicAnywhere does not exist"),
    ("/messages?mode=offset&topic=" + TOPIC + "&queueId=0&offset=999999", 200, "no message at offset 999999"),
    ("/messages/zz-not-hex", 400, "is not a message id"),
    ("/dlq?group=" + GROUP + "&range=forever", 400, "unknown time range"),
    ("/send/receive?topic=" + TOPIC + "&count=many", 400, "count must be a whole number"),
    ("/dlq/export.csv?group=" + GROUP + "&begin=bad", 400, "is not a time"),
])
def test_bad_input_is_a_message_not_a_traceback(world, path, status, needle):
    got, page = world["web"].get(path)
    assert got == status, (path, page[-2000:])
    assert needle in html.unescape(page) and "Traceback" not in page


def test_bad_send_form_is_a_message(world):
    web = world["web"]
    _, page = web.post("/send", {"topic": TOPIC, "body": "x", "delayLevel": "x"})
    assert "send test message failed: delayLevel must be a whole number" in shown(page, "flash-error")
    _, page = web.post("/send", {"topic": TOPIC, "body": ""})
    assert "body is required" in shown(page, "flash-error")

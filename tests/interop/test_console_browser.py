"""The console in a real headless Chromium (Debian's, driven by Playwright) against a NameServer and a broker
with real C++ 1.x clients producing and consuming, as an operator uses it: log in, create a topic from the form,
send a test message, find it by key and by time range, open its detail, resend it to a consumer, watch a group's
lag rise and fall on the chart, reset the group's offsets, find and resend a dead letter. Each step is checked in
the page and in the cluster (our mqadmin or the client), and each leaves a screenshot in
test-artifacts/console/<test>/ (the README's come from here)."""
from __future__ import annotations

import base64
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from playwright.sync_api import expect

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from store import message as m
from tests.support.admin import mqadmin, request
from tests.support.console import ADMIN_PASSWORD, ADMIN_USER, ConsoleProcess
from tests.support.cpp1x import PushConsumer, message, produce

pytestmark = [pytest.mark.interop, pytest.mark.timeout(400)]

TOPIC, GROUP, KEY = "BrowserTopic", "CID_browser", "browser-key-1"
BODY = '{"hello": "chromium", "n": 1}'
SLOW_MS = 30_000        # a resend to a consumer waits for the broker's 10 s bound; a lag drains in seconds


def ok(*args: str) -> str:
    out = mqadmin(*args)
    assert out.returncode == 0 and "Traceback" not in out.stderr, (args, out.stdout, out.stderr)
    return out.stdout


def diff_total(ns: str) -> int:
    return int(re.search(r"^Diff Total: (-?\d+)$", ok("consumerProgress", "-g", GROUP, "-n", ns), re.M).group(1))


def bodies(consumer: PushConsumer) -> list[str]:
    return [base64.b64decode(x["body_b64"]).decode() for x in consumer.messages]


def log_in(page, base: str) -> None:
    page.goto(base + "/login")
    form = page.get_by_test_id("login")
    form.locator("input[name=user]").fill(ADMIN_USER)
    form.locator("input[name=password]").fill(ADMIN_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("user")).to_have_text(f"admin: {ADMIN_USER}")


def test_an_operators_tour_in_chromium(cluster, browser_page, tmp_path):
    ns, br = cluster
    page, shot = browser_page.page, browser_page.shots
    started = datetime.now().replace(microsecond=0)
    with ConsoleProcess(tmp_path / "console", ns.addr) as console:
        base = console.url
        log_in(page, base)
        page.goto(base + "/")
        expect(page.get_by_test_id("brokers")).to_contain_text(br.addr)
        shot("cluster")

        # 1. a topic from the form: 4 queues on the cluster
        page.goto(base + "/topics")
        form = page.get_by_test_id("topic-form")
        form.get_by_test_id("topic-name").fill(TOPIC)
        form.get_by_test_id("topic-read").fill("4")
        form.get_by_test_id("topic-write").fill("4")
        form.get_by_test_id("topic-submit").click()
        expect(page.get_by_test_id("flash-ok")).to_contain_text(TOPIC)
        shot("topic-created")
        route = fastjson.loads(ok("topicRoute", "-t", TOPIC, "-n", ns.addr))
        assert [(q["readQueueNums"], q["writeQueueNums"]) for q in route["queueDatas"]] == [(4, 4)]
        page.locator(f'[data-testid=topic-row][data-topic="{TOPIC}"] a').first.click()
        expect(page.get_by_test_id("status-row")).to_have_count(4)          # topicStatus: a row per queue
        shot("topic-detail")

        # 2. a test message from the send form
        page.goto(base + "/send")
        form = page.get_by_test_id("send-form")
        form.get_by_test_id("send-topic").fill(TOPIC)
        form.get_by_test_id("send-tags").fill("TagB")
        form.get_by_test_id("send-keys").fill(KEY)
        form.get_by_test_id("send-body").fill(BODY)
        form.get_by_test_id("send-submit").click()
        expect(page.get_by_test_id("send-status")).to_have_text("SEND_OK")
        msg_id = page.get_by_test_id("send-msgid").inner_text().strip()
        offset_id = page.get_by_test_id("send-offset-msgid").inner_text().strip()
        shot("sent")
        assert msg_id in ok("queryMsgByKey", "-t", TOPIC, "-k", KEY, "-n", ns.addr)

        # 3. found by key, then by a time-range preset
        page.goto(base + "/messages")
        form = page.get_by_test_id("query-key")
        form.get_by_test_id("q-key-topic").fill(TOPIC)
        form.get_by_test_id("q-key").fill(KEY)
        form.get_by_test_id("q-key-submit").click()
        expect(page.locator(f'[data-testid=result-row][data-msgid="{msg_id}"]')).to_have_count(1)
        shot("found-by-key")
        form = page.get_by_test_id("query-time")
        form.get_by_test_id("q-time-topic").fill(TOPIC)
        form.get_by_test_id("range-preset").select_option("30m")
        form.get_by_test_id("q-time-submit").click()
        row = page.locator(f'[data-testid=result-row][data-msgid="{msg_id}"]')
        expect(row).to_have_count(1)
        shot("found-by-time")

        # 4. its detail: properties, and the body as text and JSON
        row.get_by_test_id("detail-link").click()
        expect(page.get_by_test_id("detail-msgid")).to_contain_text(msg_id)
        expect(page.get_by_test_id("detail-props")).to_contain_text(KEY)
        expect(page.get_by_test_id("body-text")).to_contain_text('"hello": "chromium"')
        page.get_by_test_id("body-tab-json").click()
        expect(page.get_by_test_id("body-json")).to_contain_text('"hello": "chromium"')
        shot("detail")
        detail_url = page.url

        consumer = PushConsumer(tmp_path / "consumer", ns.addr, GROUP, TOPIC, seconds=300)
        try:
            assert consumer.wait_for(lambda got: BODY.encode() in [base64.b64decode(x["body_b64"]) for x in got], 60)
            page.goto(f"{base}/groups?q={GROUP}")
            expect(page.locator(f'[data-testid=group-row][data-group="{GROUP}"] [data-testid=group-online]'))\
                .to_contain_text("1 client", timeout=SLOW_MS)
            shot("groups")

            # 5. reset the group's offsets to before the message, once the client has committed an offset on
            # every queue (the broker refuses a reset for a queue the group never committed, as Java's does): the
            # live consumer receives it again
            produce(tmp_path, ns.addr, "PID_browser", "sync",
                    [message(TOPIC, f"warm-{i}".encode(), "TagW", f"warm-{i}") for i in range(8)])
            assert consumer.wait_for(lambda got: len(got) >= 9, 60)
            deadline = time.monotonic() + 30
            while diff_total(ns.addr) != 0 and time.monotonic() < deadline:
                time.sleep(0.3)
            assert diff_total(ns.addr) == 0
            before = bodies(consumer).count(BODY)
            page.goto(f"{base}/groups/{GROUP}")
            form = page.get_by_test_id("reset-form")
            form.get_by_test_id("reset-topic").fill(TOPIC)
            form.get_by_test_id("reset-time").fill(started.isoformat(timespec="seconds"))
            expect(form.get_by_test_id("reset-cplus")).to_be_checked()     # the online client is a C++ one
            form.get_by_test_id("reset-submit").click()
            expect(page.get_by_test_id("reset-result")).to_be_visible()
            expect(page.get_by_test_id("reset-row")).to_have_count(4)
            shot("offsets-reset")
            assert consumer.wait_for(lambda got: [base64.b64decode(x["body_b64"]).decode() for x in got]
                                     .count(BODY) > before, 60)

            # 6. resend it to the online consumer: the C++ core never answers CONSUME_MESSAGE_DIRECTLY, so the
            # page shows the broker's timeout (CODE 207) after its 10 s bound, as mqadmin does
            page.goto(detail_url)
            deadline = time.monotonic() + 30
            while page.get_by_test_id("resend-none").count() and time.monotonic() < deadline:
                page.reload()
            target = page.get_by_test_id("resend-target").locator("option").first.get_attribute("value")
            assert target and target.startswith(GROUP + " ")
            page.get_by_test_id("resend-target").select_option(target)
            with page.expect_navigation(timeout=SLOW_MS):
                page.get_by_test_id("resend-submit").click(no_wait_after=True)
            expect(page.get_by_test_id("flash-error")).to_contain_text("CODE: 207")
            shot("resent-to-consumer")
            direct = mqadmin("queryMsgById", "-i", offset_id, "-g", GROUP, "-d", target.split(" ", 1)[1],
                             "-n", ns.addr)
            assert "CODE: 207" in direct.stderr

            # 7. lag on the chart: 40 messages while the consumer is frozen, then it drains them
            consumer.pause()
            produce(tmp_path, ns.addr, "PID_browser", "sync",
                    [message(TOPIC, f"lag-{i}".encode(), "TagL", f"lag-{i}") for i in range(40)])
            page.goto(f"{base}/charts?group={GROUP}")
            lag_cell = page.locator(f'[data-testid=lag-row][data-group="{GROUP}"] td').nth(1)
            expected = diff_total(ns.addr)
            assert expected >= 40
            expect(lag_cell).to_have_text(str(expected), timeout=SLOW_MS)
            shot("lag-high")
            consumer.resume()
            expect(lag_cell).to_have_text("0", timeout=60_000)
            line = page.locator(f'#lag polyline[data-series="{GROUP}"]')
            expect(line).to_have_attribute("data-last", "0")
            shot("lag-fallen")
            assert diff_total(ns.addr) == 0
            assert sum(b.startswith("lag-") for b in bodies(consumer)) >= 40

            # 8. a dead letter: the consumer's give-up as the broker receives it (CONSUMER_SEND_MSG_BACK with
            # delay level -1); found on the dead-letter page and resent to %RETRY%<group>
            with ThreadPoolExecutor(1) as pool:     # Playwright's sync API holds this thread's event loop
                resp = pool.submit(request, br.addr, RequestCode.CONSUMER_SEND_MSG_BACK, {
                    "offset": str(m.decode_offset_msg_id(offset_id)[1]), "group": GROUP, "delayLevel": "-1",
                    "originMsgId": msg_id, "originTopic": TOPIC}).result(timeout=30)
            assert resp.code == ResponseCode.SUCCESS, resp.remark
            page.goto(base + "/dlq")
            form = page.get_by_test_id("dlq-query")
            form.get_by_test_id("dlq-group").fill(GROUP)
            form.get_by_test_id("range-preset").select_option("30m")
            form.get_by_test_id("dlq-submit").click()
            dead = page.get_by_test_id("result-row")
            expect(dead).to_have_count(1)
            expect(dead).to_contain_text(KEY)
            shot("dead-letter")
            before = bodies(consumer).count(BODY)
            dead.get_by_test_id("select-row").check()
            page.get_by_test_id("dlq-resend-submit").click()
            expect(page.get_by_test_id("flash-ok")).to_contain_text("Resent 1 dead letter(s)")
            shot("dead-letter-resent")
            assert consumer.wait_for(lambda got: [base64.b64decode(x["body_b64"]).decode() for x in got]
                                     .count(BODY) > before, 60)
            again = [x for x in consumer.messages if base64.b64decode(x["body_b64"]).decode() == BODY][-1]
            assert (again["topic"], again["keys"], again["tags"]) == (TOPIC, KEY, "TagB")
        finally:
            consumer.stop()

        # 9. the audit page lists what was done, by whom
        page.goto(base + "/audit")
        audit = page.get_by_test_id("audit")
        for action in ("login", "topic", "send", "reset", "resend"):
            expect(audit).to_contain_text(action)
        shot("audit")
    browser_page.assert_no_errors()


def test_read_only_in_chromium(cluster, browser_page, tmp_path):
    """Without an admin login: no change form is shown, and a change posted from the page's own script (as a
    forged form would) is refused with 403 and leaves the cluster as it was."""
    ns, _ = cluster
    page, shot = browser_page.page, browser_page.shots
    with ConsoleProcess(tmp_path / "ro", ns.addr, admin=False) as console:
        page.goto(console.url + "/topics")
        expect(page.get_by_test_id("read-only")).to_be_visible()
        expect(page.get_by_test_id("topic-form")).to_have_count(0)      # no change form for a read-only session
        shot("topics-read-only")
        answer = page.evaluate("""async () => {
            const csrf = document.querySelector('meta[name=csrf-token]').content;
            const body = new URLSearchParams({_csrf: csrf, topic: 'ForgedTopic', target: '', readQueueNums: '8',
                                              writeQueueNums: '8', perm: 'RW'});
            const r = await fetch('/topics/update', {method: 'POST', body});
            return [r.status, await r.text()];
        }""")
        assert answer[0] == 403 and "read-only console" in answer[1]
        assert "ForgedTopic" not in ok("topicList", "-n", ns.addr)
    browser_page.errors.clear()     # the refused fetch logs a 403 in the page's console, by design

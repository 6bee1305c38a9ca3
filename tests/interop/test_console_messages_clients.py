"""The console's message pages with a real third-party consumer online (the C++ 1.x core, rocketmq==0.4.4):
the detail page lists the group's client for "resend to a consumer"; the core never answers
CONSUME_MESSAGE_DIRECTLY, so the page shows the broker's CODE 207 (CONSUME_MSG_TIMEOUT) error after Java's
10 s bound, not a hang. A dead letter resent from the dead-letter page reaches the group's consumer again.
(No client available here answers CONSUME_MESSAGE_DIRECTLY; the Java client would: tests/java.)"""
from __future__ import annotations

import base64
import re
import time

import pytest

from remoting.codes import RequestCode, ResponseCode
from store import message as m
from tests.support.admin import create_topic, mqadmin, request
from tests.support.console import ConsoleProcess, Web
from tests.support.cpp1x import PushConsumer, message, produce
from tests.support.wait import until

pytestmark = pytest.mark.interop

TOPIC = "ConsoleDirect"
GROUP = "CID_console_direct"


@pytest.fixture(scope="module")
def console(cluster, tmp_path_factory):
    ns, br = cluster
    with ConsoleProcess(tmp_path_factory.mktemp("console"), ns.addr) as c:
        web = Web(c.url, timeout=40)
        web.login()
        yield web


def test_resend_to_a_cpp_consumer_shows_the_brokers_timeout(cluster, console, tmp_path):
    ns, br = cluster
    create_topic(br.addr, TOPIC, queues=2)
    sent = produce(tmp_path, ns.addr, "PID_console_direct", "sync", [message(TOPIC, b"direct-1", "TagA", "dk")])
    consumer = PushConsumer(tmp_path / "c", ns.addr, GROUP, TOPIC)
    try:
        assert consumer.wait_for(lambda got: len(got) >= 1, 60)
        status, page = console.get(f"/messages?mode=key&topic={TOPIC}&key=dk")
        (offset_id,) = re.findall(r'data-offset-id="([0-9A-F]+)"', page)
        assert sent[0]["msg_id"] in page
        url = f"/messages/{offset_id}"
        page = until(lambda: (lambda p: p if "resend-none" not in p else None)(console.get(url)[1]))
        (target,) = re.findall(r'<option value="([^"]+)">', page)
        assert target.startswith(GROUP + " ")
        # the group consumed it (once the client has committed its offset): the MessageTrack mqadmin prints
        consumed = rf'data-group="{GROUP}"><td>{GROUP}</td><td data-testid="track-type">CONSUMED<'
        until(lambda: re.search(consumed, console.get(url)[1]))
        started = time.monotonic()
        status, page = console.post(f"{url}/resend", {"target": target})
        took = time.monotonic() - started
        assert status == 200, page[-2000:]
        flash = re.search(r'data-testid="flash-error">([^<]*)<', page).group(1)
        assert flash.startswith("resend to a consumer failed: CODE: 207") and "Timeout" in flash, flash
        assert 9 <= took < 20, took
        direct = mqadmin("queryMsgById", "-i", offset_id, "-g", GROUP, "-d", target.split(" ", 1)[1],
                         "-n", ns.addr)
        assert "CODE: 207" in direct.stderr    # the console and mqadmin agree
    finally:
        consumer.stop()


def test_a_resent_dead_letter_reaches_the_groups_consumer(cluster, console, tmp_path):
    ns, br = cluster
    topic, group = "ConsoleDlqTopic", "CID_console_dlq_cpp"
    create_topic(br.addr, topic, queues=1)
    consumer = PushConsumer(tmp_path / "c", ns.addr, group, topic)
    try:
        (s,) = produce(tmp_path, ns.addr, "PID_console_dlq", "sync", [message(topic, b"to-die", "TagD", "dead-k")])
        assert consumer.wait_for(lambda got: len(got) >= 1, 60)
        # the consumer's give-up, as the broker receives it: CONSUMER_SEND_MSG_BACK past maxReconsumeTimes
        (row,) = re.findall(r'data-offset-id="([0-9A-F]+)"',
                            console.get(f"/messages?mode=key&topic={topic}&key=dead-k")[1])
        offset = m.decode_offset_msg_id(row)[1]
        back = request(br.addr, RequestCode.CONSUMER_SEND_MSG_BACK, {
            "offset": str(offset), "group": group, "delayLevel": "0", "originMsgId": s["msg_id"],
            "originTopic": topic, "maxReconsumeTimes": "0"})
        assert back.code == ResponseCode.SUCCESS
        page = until(lambda: (lambda p: p if 'data-testid="result-row"' in p else None)(
            console.get(f"/dlq?group={group}&range=30m")[1]))
        (dead,) = re.findall(r'data-offset-id="([0-9A-F]+)"', page)
        before = len(consumer.messages)
        status, page = console.post("/dlq/resend", {"group": group, "id": dead})
        assert "Resent 1 dead letter(s)" in page, page[-2000:]
        # the group's consumer (subscribed to %RETRY%<group> by the client) receives it again, its topic restored
        assert consumer.wait_for(lambda got: len(got) > before and any(
            base64.b64decode(x["body_b64"]) == b"to-die" for x in got[before:]), 60), consumer.messages
        again = [x for x in consumer.messages[before:] if base64.b64decode(x["body_b64"]) == b"to-die"][0]
        assert (again["topic"], again["keys"], again["tags"]) == (topic, "dead-k", "TagD")
    finally:
        consumer.stop()

"""A message the consumer refuses (RECONSUME_LATER / a throwing handler) comes back through %RETRY%<group>
after its delay level (CONSUMER_SEND_MSG_BACK -> SCHEDULE_TOPIC_XXXX -> retry topic), with reconsumeTimes 1,
for every client; messages it accepted are not delivered again. Delay levels are 1 s here."""
from __future__ import annotations

import base64
from collections import Counter

import pytest

from tests.support.consumers import CLIENTS, push_consumer
from tests.support.cpp1x import message, produce

pytestmark = pytest.mark.interop


BROKER_PROPS = dict(messageDelayLevel=" ".join(["1s"] * 18))


@pytest.mark.parametrize("client", CLIENTS)
def test_refused_messages_come_back_once_through_the_retry_topic(cluster, tmp_path, client):
    ns, _ = cluster
    slug = client.replace(".", "").replace("-", "")
    topic, group = f"RetryTopic{slug}", f"CID_retry_{slug}"
    produce(tmp_path, ns.addr, "PID_retry", "sync", [message(topic, b"warm-up")])
    c = push_consumer(client, tmp_path / "c", ns.addr, group, topic, behaviour="retry")
    try:
        msgs = [message(topic, f"retry-{i}".encode(), tags="TagA") for i in range(4)] + \
               [message(topic, f"ok-{i}".encode(), tags="TagA") for i in range(6)]
        assert all(r.get("status") == 0 for r in produce(tmp_path, ns.addr, "PID_retry", "sync", msgs))
        want = Counter({f"retry-{i}".encode(): 2 for i in range(4)}) + Counter(f"ok-{i}".encode() for i in range(6))

        def counts(got):
            return Counter(b for b in (base64.b64decode(g["body_b64"]) for g in got) if b != b"warm-up")
        assert c.wait_for(lambda got: counts(got) == want, 60), (counts(c.messages), c.errors)
        for g in c.messages:
            body = base64.b64decode(g["body_b64"])
            if body.startswith(b"retry-"):
                assert g["reconsume_times"] in (0, 1)
                assert g["tags"] == "TagA"
        again = [g for g in c.messages if base64.b64decode(g["body_b64"]).startswith(b"retry-")
                 and g["reconsume_times"] == 1]
        assert len(again) == 4
    finally:
        c.stop()

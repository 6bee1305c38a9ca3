"""Drive rocketmq-client-python 2.0.0 (C++ 2.1 core) from a test: run with the .cache/v200 python.

    produce NAMESRV GROUP MODE < messages.jsonl     MODE: sync | oneway | orderly (sharding key = keys)
    push NAMESRV GROUP TOPIC EXPRESSION MODEL SECONDS [retry]
Same JSON shapes as cpp1x_client.py, the same ACL_ACCESS_KEY / ACL_SECRET_KEY. Ends with os._exit: the 2.1 core
can segfault in shutdown.
"""
import base64
import json
import os
import sys
import threading
import time

from client_common import build, out, text as s, with_credentials
from rocketmq.client import ConsumeStatus, Message, MessageModel, Producer, PushConsumer


def produce(namesrv, group, mode):
    p = with_credentials(Producer(group, orderly=(mode == "orderly")))
    p.set_name_server_address(namesrv)
    p.start()
    msgs = [json.loads(line) for line in sys.stdin if line.strip()]
    for n, d in enumerate(msgs):
        msg = build(Message, d)
        try:
            if mode == "oneway" and n < len(msgs) - 1:
                p.send_oneway(msg)    # the last one goes sync so queued oneway frames are known to be out
                out({"sent": True})
            elif mode == "orderly":
                r = p.send_orderly_with_sharding_key(msg, d.get("keys") or "k")
                out({"status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
            else:
                r = p.send_sync(msg)
                out({"status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
        except Exception as e:
            out({"error": str(e)})
    os._exit(0)


def push(namesrv, group, topic, expression, model, seconds, behaviour=""):
    c = PushConsumer(group, message_model=MessageModel.BROADCASTING if model == "BROADCASTING" else MessageModel.CLUSTERING)
    c.set_name_server_address(namesrv)
    with_credentials(c)

    refused = set()

    def on_message(m):
        out({"topic": s(m.topic), "tags": s(m.tags), "keys": s(m.keys), "id": s(m.id),
             "body_b64": base64.b64encode(m.body).decode(), "queue_id": m.queue_id, "queue_offset": m.queue_offset,
             "reconsume_times": m.reconsume_times, "born_ms": m.born_timestamp, "arrived_ms": int(time.time() * 1000),
             "props": {k: s(m.get_property(k)) for k in ("color", "nonAscii", "TIMER_DEQUEUE_MS") if m.get_property(k)}})
        if behaviour == "retry" and m.body.startswith(b"retry-") and m.body not in refused:
            refused.add(m.body)
            return ConsumeStatus.RECONSUME_LATER
        return ConsumeStatus.CONSUME_SUCCESS
    c.subscribe(topic, on_message, expression)
    c.start()
    out("READY")
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    deadline = time.time() + float(seconds)
    while time.time() < deadline and not stop.is_set():
        stop.wait(0.1)
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(*sys.argv[2:5])
    else:
        push(*sys.argv[2:9])

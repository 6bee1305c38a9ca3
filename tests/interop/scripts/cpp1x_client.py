"""Drive the real C++ 1.x client (PyPI rocketmq==0.4.4) from a test: run with that venv's python.

    produce NAMESRV GROUP MODE < messages.jsonl      MODE: sync | async | oneway | batch
        each input line {"topic","tags","keys","body_b64","props":{...}}; prints one JSON line per send
    produce ... orderly: each input line's "shard" (int) picks the queue (shard % queue count), as
        send_orderly's hashing selector does
    push NAMESRV GROUP TOPIC EXPRESSION MODEL SECONDS [retry]   MODEL: CLUSTERING | BROADCASTING
        prints READY, then one JSON line per message received, until SECONDS pass or stdin closes;
        with "retry", a body starting with b"retry-" is refused (RECONSUME_LATER) the first time it comes
    pull NAMESRV GROUP TOPIC
        walks every queue from offset 0 to the end and prints one JSON line per message
ACL_ACCESS_KEY and ACL_SECRET_KEY in the environment: sign with them (set_session_credentials).
"""
import base64
import json
import os
import sys
import threading
import time

from client_common import build as build_message, out, text, with_credentials
from rocketmq.client import Message, MessageModel, Producer, PullConsumer, PushConsumer


def describe(m):
    props = {}
    for k in ("color", "nonAscii", "UNIQ_KEY", "KEYS", "TAGS", "CLUSTER"):
        v = m.get_property(k)
        if v:
            props[k] = v.decode("utf-8") if isinstance(v, bytes) else v
    s = text
    return {"topic": s(m.topic), "tags": s(m.tags), "keys": s(m.keys), "id": s(m.id),
            "body_b64": base64.b64encode(m.body).decode(), "queue_id": m.queue_id, "queue_offset": m.queue_offset,
            "commit_log_offset": m.commit_log_offset, "reconsume_times": m.reconsume_times, "props": props}


def build(d):
    return build_message(Message, d)


def produce(namesrv, group, mode):
    p = with_credentials(Producer(group))
    p.set_namesrv_addr(namesrv)
    p.start()
    msgs = [json.loads(line) for line in sys.stdin if line.strip()]
    if mode == "batch":
        r = p.send_batch([build(d) for d in msgs])
        out({"status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
    elif mode == "async":
        done = threading.Semaphore(0)

        def ok(r):
            out({"status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
            done.release()

        def fail(e):
            out({"error": str(e)})
            done.release()
        for d in msgs:
            p.send_async(build(d), ok, fail)
        for _ in msgs:
            done.acquire(timeout=30)
    else:
        for n, d in enumerate(msgs):
            try:
                # oneway frames still queued in the client die with the process: the last message goes
                # sync on the same connection, so its answer proves the earlier frames reached the broker
                if mode == "oneway" and n < len(msgs) - 1:
                    p.send_oneway(build(d))
                    out({"sent": True})
                elif mode == "orderly":
                    r = p.send_orderly(build(d), int(d.get("shard", 0)))
                    out({"status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
                else:
                    r = p.send_sync(build(d))
                    out({"status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
            except Exception as e:  # the client's own error text is what a test checks
                out({"error": str(e)})
    os._exit(0)


def push(namesrv, group, topic, expression, model, seconds, behaviour=""):
    c = PushConsumer(group, message_model=MessageModel.BROADCASTING if model == "BROADCASTING" else MessageModel.CLUSTERING)
    c.set_namesrv_addr(namesrv)
    c.set_instance_name(f"{group}-{os.getpid()}")
    with_credentials(c)

    refused = set()

    def on_message(m):
        out(describe(m))   # returning normally acknowledges (0.4.4 maps exceptions to RECONSUME_LATER)
        if behaviour == "retry" and m.body.startswith(b"retry-") and m.body not in refused:
            refused.add(m.body)
            raise RuntimeError("consume later")
    c.subscribe(topic, on_message, expression)
    c.start()
    out("READY")
    deadline = time.time() + float(seconds)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while time.time() < deadline and not stop.is_set():
        stop.wait(0.1)
    os._exit(0)   # skip the C++ shutdown: offsets were committed while running


def pull(namesrv, group, topic):
    c = with_credentials(PullConsumer(group))
    c.set_namesrv_addr(namesrv)
    c.start()
    for m in c.pull(topic):
        out(describe(m))
    out("END")
    os._exit(0)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "produce":
        produce(*sys.argv[2:5])
    elif cmd == "push":
        push(*sys.argv[2:9])
    elif cmd == "pull":
        pull(*sys.argv[2:5])

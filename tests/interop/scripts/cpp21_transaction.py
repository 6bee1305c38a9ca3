"""A transactional producer of rocketmq-client-python 2.0.0 (C++ 2.1 core): run with the .cache/v200 python.

    cpp21_transaction.py NAMESRV GROUP CHECKS_JSON
CHECKS_JSON maps a message's keys to the answer its CHECK_TRANSACTION_STATE gets: "commit", "rollback" or
"unknown" (keys not in it: "unknown"). Prints "READY" once started; then reads one JSON message per stdin line
({"topic","tags","keys","body_b64","props", "local": "commit"|"rollback"|"unknown"}), sends it in a
transaction whose local outcome is "local", and prints {"sent": keys, "status", "msg_id", "offset"}; every
check the broker sends prints {"check": keys, "answer", "msg_id"}. Closing stdin ends it (os._exit: the 2.1
core can crash in shutdown).
"""
import json
import os
import sys

from client_common import build, out, text as s
from rocketmq.client import Message, TransactionMQProducer, TransactionStatus

ANSWERS = {"commit": TransactionStatus.COMMIT, "rollback": TransactionStatus.ROLLBACK,
           "unknown": TransactionStatus.UNKNOWN}


def main(namesrv, group, checks_json):
    checks = json.loads(checks_json)

    def on_check(msg):
        keys = s(msg.keys)
        answer = checks.get(keys, "unknown")
        out({"check": keys, "answer": answer, "msg_id": s(msg.id), "topic": s(msg.topic)})
        return ANSWERS[answer]

    p = TransactionMQProducer(group, on_check)
    p.set_name_server_address(namesrv)
    p.start()
    out("READY")
    for line in sys.stdin:
        if not line.strip():
            continue
        d = json.loads(line)
        local = ANSWERS[d.get("local", "unknown")]
        try:
            r = p.send_message_in_transaction(build(Message, d), lambda _m, _a: local)
            out({"sent": d.get("keys"), "status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
        except Exception as e:
            out({"sent": d.get("keys"), "error": str(e)})
    os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:4])

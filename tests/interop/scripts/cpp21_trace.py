"""cpp21_client.py with message trace switched on: every Producer and PushConsumer gets
SetProducerMessageTrace / SetPushConsumerMessageTrace(handle, OPEN) before start() (the binding has no Python
setter for it). Run with the .cache/v200 python.

    produce NAMESRV GROUP MESSAGES.jsonl    sync sends, one JSON line each, then "READY"; exits when stdin closes
    push ...                                as cpp21_client.py

The 2.1 core sends its trace records in the background after each send: the producer stays up until the test,
having seen them stored, closes stdin (os._exit at once would drop them)."""
import ctypes
import json
import os
import sys

import cpp21_client
from client_common import build, out
from rocketmq import client as rc
from rocketmq.ffi import dll

TRACE_OPEN = 0   # CCommon.h CTraceModel { OPEN, CLOSE }

dll.SetProducerMessageTrace.argtypes = [ctypes.c_void_p, ctypes.c_int]
dll.SetProducerMessageTrace.restype = ctypes.c_int
dll.SetPushConsumerMessageTrace.argtypes = [ctypes.c_void_p, ctypes.c_int]
dll.SetPushConsumerMessageTrace.restype = ctypes.c_int


def _traced(cls, setter):
    start = cls.start

    def traced_start(self):
        if setter(self._handle, TRACE_OPEN) != 0:
            raise RuntimeError(f"{setter.__name__} failed")
        start(self)
    cls.start = traced_start


_traced(rc.Producer, dll.SetProducerMessageTrace)
_traced(rc.PushConsumer, dll.SetPushConsumerMessageTrace)


def produce(namesrv, group, path):
    p = rc.Producer(group)
    p.set_name_server_address(namesrv)
    p.start()
    with open(path) as f:
        for line in f:
            if line.strip():
                r = p.send_sync(build(rc.Message, json.loads(line)))
                out({"status": int(r.status), "msg_id": r.msg_id, "offset": r.offset})
    out("READY")
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(*sys.argv[2:5])
    else:
        cpp21_client.push(*sys.argv[2:9])

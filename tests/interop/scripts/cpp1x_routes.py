"""Run with the rocketmq==0.4.4 venv: ask the real C++ 1.x client for the queues of each topic given.

Prints one JSON line per topic: {"topic", "queues": [[brokerName, queueId], ...]} or {"topic", "error"}.
FetchSubscriptionMessageQueues needs only the NameServer: the client fetches the route and turns it into
message queues (readable queues of each broker's queue data), as a pull consumer does.
"""
import ctypes
import json
import sys

from rocketmq.client import PullConsumer, Producer, Message, dll, _CMessageQueue
from rocketmq.exceptions import ffi_check

namesrv, group = sys.argv[1], sys.argv[2]
topics = sys.argv[3:]
consumer = PullConsumer(group)
consumer.set_namesrv_addr(namesrv)
consumer.start()
for topic in topics:
    mqs = ctypes.POINTER(_CMessageQueue)()
    size = ctypes.c_int()
    try:
        ffi_check(dll.FetchSubscriptionMessageQueues(consumer._handle, topic.encode(), ctypes.pointer(mqs),
                                                     ctypes.pointer(size)))
    except Exception as e:  # the client's own error text is what the test checks
        print(json.dumps({"topic": topic, "error": str(e)}), flush=True)
        continue
    queues = sorted([mqs[i].brokerName.decode(), mqs[i].queueId] for i in range(size.value))
    ffi_check(dll.ReleaseSubscriptionMessageQueue(mqs))
    print(json.dumps({"topic": topic, "queues": queues}), flush=True)

# A producer resolving an unknown topic (no TBW102 registered): the client's "No route info" error.
producer = Producer(group + "_P")
producer.set_namesrv_addr(namesrv)
producer.start()
try:
    msg = Message(topics[-1])
    msg.set_body("route me")
    producer.send_sync(msg)
    print(json.dumps({"send": "ok"}), flush=True)
except Exception as e:
    print(json.dumps({"send_error": str(e)}), flush=True)
sys.stdout.flush()
import os
os._exit(0)  # skip the C++ client's slow shutdown; results are already printed

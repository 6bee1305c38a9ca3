"""Run with the rocketmq-client-python 2.0.0 venv (C++ 2.1 core): one sync send to each topic given.

Usage: python cpp21_no_route.py <namesrv> <group> <topic>...
Prints {"core": <the library's version line>}, then one JSON line per topic: {"topic", "send": "ok"} or
{"topic", "send_error": <the client's error text>}, then exits hard: the 2.1 core may segfault on shutdown.
"""
import ctypes
import json
import os
import sys

from rocketmq.client import Message, Producer, dll

namesrv, group = sys.argv[1], sys.argv[2]
producer = Producer(group, timeout=3000)
producer.set_name_server_address(namesrv)
producer.start()
dll.ShowProducerVersion.argtypes = [ctypes.c_void_p]  # a 64-bit handle (an int would be cut to 32 bits)
dll.ShowProducerVersion.restype = ctypes.c_char_p
print(json.dumps({"core": dll.ShowProducerVersion(producer._handle).decode()}), flush=True)
for topic in sys.argv[3:]:
    try:
        msg = Message(topic)
        msg.set_body("route me")
        producer.send_sync(msg)
        print(json.dumps({"topic": topic, "send": "ok"}), flush=True)
    except Exception as e:  # the client's own error text is what the test checks
        print(json.dumps({"topic": topic, "send_error": str(e)}), flush=True)
sys.stdout.flush()
os._exit(0)  # skip the C++ client's shutdown (it can segfault); results are already printed

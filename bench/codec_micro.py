"""Per-call cost of the per-message functions (header and record codecs, properties, hashes), in this process's
mode (compiled or pure Python; `ROCKETMQ_PY_PURE=1` forces pure).

    python -m bench.codec_micro [--number 20000]

Prints ns per call for each function, so a compiled build can be compared with the pure one on the same data:
a Java client's SEND_MESSAGE_V2 header (ROCKETMQ serialization), a SEND_OK response header, a 1 KiB record.
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

from remoting import codec, hotpath
from remoting.codes import SerializeType
from remoting.command import RemotingCommand
from store import message as m

# what the Java 4.9.7 producer sends for one message (SendMessageRequestHeaderV2, short keys a..m)
_SEND_V2_EXT = {"a": "ProducerGroup_bench", "b": "BenchmarkTest", "c": "TBW102", "d": "4", "e": "3",
                "f": "0", "g": "1764445612345", "h": "0",
                "i": "UNIQ_KEY\x017F0000010A6F18B4AAC2A8C7F1A40000\x02WAIT\x01true\x02TAGS\x01TagA",
                "j": "0", "k": "false", "m": "false"}


def _cases() -> list[tuple[str, Callable[[], object]]]:
    req = RemotingCommand(code=310, language="JAVA", version=399, opaque=1234, ext_fields=_SEND_V2_EXT,
                          body=b"x" * 1024, serialize_type=SerializeType.ROCKETMQ)
    frame = codec.encode_frame(req)
    header = codec.encode_rocketmq_header(req)
    resp = RemotingCommand(code=0, opaque=1234, flag=1, serialize_type=SerializeType.ROCKETMQ,
                           ext_fields={"msgId": "7F00000100002A9F0000000000A1B2C3", "queueId": "3",
                                       "queueOffset": "123456", "MSG_REGION": "DefaultRegion", "TRACE_ON": "true"})
    props = _SEND_V2_EXT["i"] + "\x02CLUSTER\x01DefaultCluster"
    rec = m.StoredMessage(topic="BenchmarkTest", body=b"x" * 1024, queue_id=3, born_timestamp=1764445612345,
                          born_host=("127.0.0.1", 50000), store_timestamp=1764445612346,
                          store_host=("127.0.0.1", 10911), properties=props)
    raw = bytes(m.encode(rec))
    key = "BenchmarkTest#7F0000010A6F18B4AAC2A8C7F1A40000"
    return [
        ("frame_length", lambda: codec.frame_length(frame)),
        ("decode_frame (ROCKETMQ, SEND_V2)", lambda: codec.decode_frame(frame)),
        ("decode_rocketmq_header", lambda: codec.decode_rocketmq_header(header)),
        ("encode_rocketmq_header (SEND_OK)", lambda: codec.encode_rocketmq_header(resp)),
        ("encode_frame_parts (SEND_OK)", lambda: codec.encode_frame_parts(resp)),
        ("record encode (1 KiB)", lambda: m.encode(rec)),
        ("record decode (1 KiB)", lambda: m.decode(raw)),
        ("string_to_properties", lambda: m.string_to_properties(props)),
        ("java_string_hash (index key)", lambda: m.java_string_hash(key)),
    ]


def run(number: int) -> list[tuple[str, float]]:
    out = []
    for name, fn in _cases():
        for _ in range(number // 10):
            fn()
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best = min(best, (time.perf_counter() - t0) / number)
        out.append((name, best * 1e9))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--number", type=int, default=20000)
    args = p.parse_args()
    print(f"mode: {hotpath.describe()}")
    for name, ns in run(args.number):
        print(f"{name:40s} {ns:10.0f} ns")


if __name__ == "__main__":
    main()

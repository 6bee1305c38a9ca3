"""Producer load with the C++-core client (PyPI rocketmq==0.4.4), run inside its own venv by bench/cpp_driver.py.

    python cpp_producer.py NAMESRV TOPIC GROUP SIZE THREADS SECONDS TPS

Each thread sends synchronously (Producer.send_sync) in a loop; one JSON line per second {"tick": ...} and a
final {"done": ...} line with the latencies in microseconds bucketed like bench/stats.py.
"""
import json
import sys
import threading
import time
from collections import Counter

from rocketmq.client import Message, Producer, SendStatus


def bucket(us):
    if us < 1000:
        return us
    if us < 10000:
        return us - us % 10
    return us - us % 100


def main():
    namesrv, topic, group = sys.argv[1:4]
    size, threads, seconds, tps = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
    body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    producer = Producer(group)
    producer.set_namesrv_addr(namesrv)
    producer.start()
    # one send first, so the timed run starts with the route loaded
    warm = Message(topic)
    warm.set_body(body)
    producer.send_sync(warm)
    lock = threading.Lock()
    state = {"msgs": 0, "errors": 0, "rt_sum": 0, "rt_n": 0, "rt_max": 0, "retries": 0, "hist": Counter()}
    t_start = time.monotonic()
    deadline = t_start + seconds
    period = threads / tps if tps else 0.0

    def run():
        msg = Message(topic)
        msg.set_tags("TagA")
        msg.set_body(body)
        next_at = time.monotonic()
        local = Counter()
        n = errors = rt_sum = rt_max = retries = 0
        while time.monotonic() < deadline:
            if period:
                next_at += period
                d = next_at - time.monotonic()
                if d > 0:
                    time.sleep(d)
            t0 = time.perf_counter_ns()
            ok = False
            for _attempt in range(20):
                try:
                    ok = producer.send_sync(msg).status == SendStatus.OK
                    break
                except Exception as e:  # noqa: BLE001 - counted as an error, the load goes on
                    # the 1.x core's timed lock on its connection table fails at once under contention (its
                    # deadline is computed on the wrong clock) and the send then reports "No route info"
                    # without having sent anything: retry at once, as an application would, and count it
                    if "No route info" not in str(e):
                        sys.stderr.write(f"send failed: {str(e)[:200]}\n")
                        break
                    retries += 1
            us = (time.perf_counter_ns() - t0) // 1000
            if ok:
                n += 1
                rt_sum += us
                rt_max = max(rt_max, us)
                local[bucket(us)] += 1
            else:
                errors += 1
            if n % 256 == 0 or not ok:
                with lock:
                    state["msgs"] += n; state["errors"] += errors; state["rt_sum"] += rt_sum
                    state["rt_n"] += n; state["rt_max"] = max(state["rt_max"], rt_max); state["hist"].update(local)
                    state["retries"] += retries
                n = errors = rt_sum = retries = 0
                local = Counter()
        with lock:
            state["msgs"] += n; state["errors"] += errors; state["rt_sum"] += rt_sum
            state["rt_n"] += n; state["rt_max"] = max(state["rt_max"], rt_max); state["hist"].update(local)
            state["retries"] += retries

    workers = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    last = 0
    while any(w.is_alive() for w in workers):
        time.sleep(1.0)
        with lock:
            now = state["msgs"]
        sys.stdout.write(json.dumps({"tick": now - last}) + "\n")
        sys.stdout.flush()
        last = now
    elapsed = time.monotonic() - t_start
    sys.stdout.write(json.dumps({"done": {k: (dict(v) if k == "hist" else v) for k, v in state.items()},
                                 "elapsed": elapsed}) + "\n")
    sys.stdout.flush()
    producer.shutdown()


if __name__ == "__main__":
    main()

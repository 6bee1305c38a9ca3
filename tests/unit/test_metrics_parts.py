"""The exporter's pure parts: the lag arithmetic, the O(1) histogram's exposition, the cardinality cap, label
classification, exporter keys, and the /metrics endpoint's answers to bad requests."""
from __future__ import annotations

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from broker.metrics.labels import is_system, message_type
from broker.metrics.lag import consumer_lags
from daemon.metrics import Histogram, MetricsHttpServer, RpcLatency, capped, exporter_enabled, new_registry, \
    parse_metrics_label
from remoting.dispatch import Dispatcher, latency_key, observe


class Queues:
    def __init__(self, bounds: dict[tuple[str, int], tuple[int, int]]) -> None:
        self.bounds = bounds      # (topic, queue) -> (min offset, max offset)

    def min_offset_in_queue(self, topic: str, queue_id: int) -> int:
        return self.bounds[(topic, queue_id)][0]

    def max_offset_in_queue(self, topic: str, queue_id: int) -> int:
        return self.bounds[(topic, queue_id)][1]


def test_lag_is_inflight_plus_ready_and_expired_apart():
    store = Queues({("T", 0): (0, 10), ("T", 1): (5, 8), ("T", 2): (0, 4)})
    times = {("T", 0, 2): 1_000, ("T", 0, 6): 3_000, ("T", 1, 5): 2_000, ("T", 1, 7): 2_500}
    (r,) = consumer_lags({"T@G": {0: 2, 1: 3, 2: 4}}, {("G", "T", 0): 6}, store,
                         lambda t, q, o: times.get((t, q, o), 0))
    # queue 0: 8 unconsumed, 4 of them pulled; queue 1: offsets 3-4 deleted before consumption, 3 unconsumed
    # (none pulled); queue 2: consumed to the end
    assert (r.lag, r.inflight, r.ready, r.expired) == (8 + 3, 4, 4 + 3, 2)
    assert r.oldest_unconsumed_ms == 1_000 and r.oldest_unpulled_ms == 2_000


def test_a_commit_past_the_pulled_offset_and_uncommitted_queues():
    store = Queues({("T", 0): (0, 10), ("T", 1): (0, 10)})
    (r,) = consumer_lags({"T@G": {0: 9, 1: -1}}, {("G", "T", 0): 5}, store, lambda *a: 7)
    assert (r.lag, r.inflight, r.ready) == (1, 0, 1)      # pulled counts from the commit; -1: no position
    (r,) = consumer_lags({"%RETRY%G@G": {0: 10}}, {}, Queues({("%RETRY%G", 0): (0, 10)}), lambda *a: 7)
    assert (r.group, r.topic, r.lag, r.oldest_unconsumed_ms) == ("G", "%RETRY%G", 0, 0)


def test_histogram_exposition_is_cumulative():
    h = Histogram((1.0, 10.0))
    for v in (0.5, 1.0, 5.0, 50.0):
        h.observe(("a",), v)
    fam = h.family("x_latency", "doc", ["k"], {"cluster": "C"}, 10)
    got = {(s.name, s.labels.get("le")): s.value for s in fam.samples}
    assert got == {("x_latency_bucket", "1.0"): 2, ("x_latency_bucket", "10.0"): 3, ("x_latency_bucket", "+Inf"): 4,
                   ("x_latency_count", None): 4, ("x_latency_sum", None): 56.5}
    assert fam.samples[0].labels["cluster"] == "C" and fam.samples[0].labels["k"] == "a"


def test_rpc_latency_names_codes_as_5x():
    lat = RpcLatency()
    d = Dispatcher()
    lat.attach(d)
    began = time.monotonic()
    for key in ((310, 0, False, False), (11, 19, True, False), (99999, 1, False, True)):
        observe(d.latency, latency_key(*key), began)   # what the dispatcher does per answer
    labels = [s.labels for s in lat.family({}, 100).samples if s.name.endswith("_count")]
    assert [(x["request_code"], x["response_code"], x["is_long_polling"], x["result"]) for x in labels] == [
        ("send_message_v2", "success", "false", "success"), ("pull_message", "pull_not_found", "true", "success"),
        ("99999", "system_error", "false", "oneway")]


def test_cardinality_cap_and_exporter_keys(caplog):
    assert capped(range(10), 3, "m") == [0, 1, 2] and "metricsOtelCardinalityLimit" in caplog.text
    assert exporter_enabled("prom", "b") and not exporter_enabled("DISABLE", "b")
    assert not exporter_enabled("OTLP_GRPC", "b") and "not supported" in caplog.text
    assert parse_metrics_label("env:prod,bad,zone:a") == {"env": "prod", "zone": "a"}


def test_label_classification():
    assert message_type("SCHEDULE_TOPIC_XXXX") == message_type("rmq_sys_wheel_timer") == "delay"
    assert message_type("RMQ_SYS_TRANS_HALF_TOPIC") == "transaction" and message_type("Orders") == "normal"
    assert is_system("TBW102") == is_system("rmq_sys_x") == is_system("T", "TOOLS_CONSUMER") == "true"
    assert is_system("Orders", "CID_orders") == "false" and is_system("T", "CID_RMQ_SYS_X") == "true"


async def test_endpoint_serves_metrics_and_refuses_the_rest():
    server = MetricsHttpServer(new_registry(), "127.0.0.1", 0, "test")
    await server.start()
    port = server._server.sockets[0].getsockname()[1]

    async def ask(raw: bytes) -> tuple[bytes, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0], body
    try:
        status, body = await ask(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == b"HTTP/1.1 200 OK"
        assert any(f.name == "process_cpu_seconds" for f in text_string_to_metric_families(body.decode()))
        assert (await ask(b"GET / HTTP/1.1\r\n\r\n"))[0] == b"HTTP/1.1 404 Not Found"
        assert (await ask(b"POST /metrics HTTP/1.1\r\n\r\n"))[0] == b"HTTP/1.1 405 Method Not Allowed"
        assert (await ask(b"garbage\r\n\r\n"))[0] == b"HTTP/1.1 400 Bad Request"
        assert (await ask(b"\x00" * 20000))[0] == b""                # an endless header: closed, no answer
        assert server.scrapes == 1
    finally:
        await server.stop()


def test_our_exposition_says_what_prometheus_clients_does():
    """daemon/metrics.exposition against prometheus-client's generate_latest, parsed back: the same families,
    types, samples, labels (escapes included) and values."""
    from prometheus_client.exposition import generate_latest
    from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily

    from daemon.metrics import exposition

    class Odd:
        def collect(self):
            c = CounterMetricFamily("x_messages_total", 'help with \\ and "quotes"\nand a line', labels=["topic"])
            c.add_metric(['we"ird\\name\nline'], 3)
            c.add_metric(["plain"], 1.5e21)
            g = GaugeMetricFamily("x_gauge", "g")
            g.add_metric([], float("nan"))
            yield c
            yield g
            h = Histogram((1.0, 2.0))
            h.observe(("a",), 1.5)
            yield h.family("x_latency", "h", ["k"], {"cluster": "C"}, 10)
    reg = new_registry(Odd())

    def parsed(text: bytes):
        return [(f.name, f.type, f.documentation, [(s.name, s.labels, repr(s.value)) for s in f.samples])
                for f in text_string_to_metric_families(text.decode()) if f.name.startswith("x_")]
    ours, theirs = parsed(exposition(reg)), parsed(generate_latest(reg))
    assert ours == theirs and len(ours) == 3
    assert b'topic="we\\"ird\\\\name\\nline"' in exposition(reg)

"""What both daemons' Prometheus exporters share (docs/metrics.md): the exporter keys, constant labels, a
histogram whose observation is a dict look-up and two list increments, the request-latency recorder the
dispatchers call, the cardinality cap, and the `/metrics` HTTP endpoint.

The endpoint is served on the daemon's event loop, not prometheus-client's thread: the collectors read the
daemon's tables at scrape time, and those tables belong to the loop."""
from __future__ import annotations

import asyncio
import bisect
import logging
import time
from typing import Iterable

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import HistogramMetricFamily

from remoting.codes import RequestCode, ResponseCode
from remoting.dispatch import RPC_LATENCY_BUCKETS, latency_labels

log = logging.getLogger("metrics")

EXPORTER_TYPES = ("DISABLE", "OTLP_GRPC", "PROM", "LOG")


def exporter_enabled(exporter_type: str, owner: str) -> bool:
    """PROM turns the endpoint on; the 5.x OTLP_GRPC and LOG exporters are not supported (a warning)."""
    kind = (exporter_type or "DISABLE").strip().upper()
    if kind == "PROM":
        return True
    if kind in ("OTLP_GRPC", "LOG"):
        log.warning("%s: metricsExporterType=%s is not supported, only PROM: metrics are off", owner, kind)
    elif kind != "DISABLE":
        log.warning("%s: unknown metricsExporterType %r: metrics are off", owner, exporter_type)
    return False


def parse_metrics_label(text: str) -> dict[str, str]:
    """metricsLabel "k1:v1,k2:v2": constant labels (a malformed pair is skipped with a warning, as 5.x)."""
    out: dict[str, str] = {}
    for item in (p for p in (text or "").split(",") if p):
        kv = item.split(":")
        if len(kv) != 2 or not kv[0].strip():
            log.warning("metricsLabel is not valid: %s", text)
            continue
        out[kv[0].strip()] = kv[1].strip()
    return out


class Histogram:
    """Cumulative histograms by label tuple: `observe` bisects the bounds and bumps two list items (no label
    objects per observation); `family` builds the Prometheus family at scrape time."""

    def __init__(self, bounds: Iterable[float], series: dict | None = None) -> None:
        self.bounds = tuple(bounds)
        # labels -> [count per bucket ..., +Inf count, sum]; a hot path may own the dict and fill it itself
        # (remoting/dispatch.observe, the send path's sizes), with this same layout
        self.series: dict = {} if series is None else series

    def observe(self, labels: tuple, value: float) -> None:
        s = self.series.get(labels)
        if s is None:
            s = self.series[labels] = [0] * (len(self.bounds) + 1) + [0.0]
        s[bisect.bisect_left(self.bounds, value)] += 1
        s[-1] += value

    def family(self, name: str, doc: str, label_names: list[str], const: dict[str, str],
               limit: int) -> HistogramMetricFamily:
        fam = HistogramMetricFamily(name, doc, labels=list(const) + label_names)
        cv = list(const.values())
        for labels, s in capped(self.series.items(), limit, name):
            acc, buckets = 0, []
            for bound, n in zip(self.bounds + (float("inf"),), s[:-1]):
                acc += n
                buckets.append((_le(bound), acc))
            fam.add_metric(cv + [str(x) for x in labels], buckets, s[-1])
        return fam


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


_warned: set[str] = set()


def capped(items: Iterable, limit: int, name: str) -> list:
    """At most `limit` series of one metric (metricsOtelCardinalityLimit); the rest are dropped, with one
    warning per metric."""
    out = []
    for i, item in enumerate(items):
        if i >= limit:
            if name not in _warned:
                _warned.add(name)
                log.warning("metric %s has more than %d label sets (metricsOtelCardinalityLimit): the rest are "
                            "not exported", name, limit)
            break
        out.append(item)
    return out


class RpcLatency:
    """rocketmq_rpc_latency: the dispatchers fill `hist.series` themselves (remoting/dispatch.observe), keyed by
    dispatch.latency_key(request code, response code, long polling, oneway); the labels are made at scrape time."""

    def __init__(self) -> None:
        self.hist = Histogram(RPC_LATENCY_BUCKETS)

    def attach(self, dispatcher) -> None:
        dispatcher.latency = self.hist.series

    def family(self, const: dict[str, str], limit: int) -> HistogramMetricFamily:
        """Codes named as 5.x names them (RemotingHelper.getRequestCodeDesc: the constant's name in lower case,
        the number when unknown)."""
        named = Histogram(self.hist.bounds)
        for key, s in list(self.hist.series.items()):
            req, resp, lp, oneway = latency_labels(key)
            named.series[(code_name(RequestCode, req), code_name(ResponseCode, resp), "true" if lp else "false",
                          "oneway" if oneway else "success")] = s
        return named.family("rocketmq_rpc_latency", "Rpc latency (milliseconds)",
                            ["request_code", "response_code", "is_long_polling", "result"],
                            {**const, "protocol_type": "remoting"}, limit)


def code_name(enum, code: int) -> str:
    try:
        return enum(code).name.lower()
    except ValueError:
        return str(code)


def new_registry(*collectors) -> CollectorRegistry:
    """Our collectors plus prometheus-client's process, platform and GC figures."""
    reg = CollectorRegistry(auto_describe=False)
    for c in collectors:
        reg.register(c)
    ProcessCollector(registry=reg)
    PlatformCollector(registry=reg)
    GCCollector(registry=reg)
    return reg


_TYPES = {"info": "gauge", "stateset": "gauge", "gaugehistogram": "histogram", "unknown": "untyped"}


def exposition(registry: CollectorRegistry) -> bytes:
    """The text format 0.0.4 of every family of `registry` (what prometheus-client's generate_latest writes for
    our families, at a fraction of its cost: it validates and escapes every name of every sample, which made it
    two thirds of a scrape)."""
    out: list[str] = []
    add = out.append
    for fam in registry.collect():
        kind = _TYPES.get(fam.type, fam.type)
        name = fam.name + ("_total" if fam.type == "counter" else "_info" if fam.type == "info" else "")
        doc = fam.documentation.replace("\\", "\\\\").replace("\n", "\\n")
        add(f"# HELP {name} {doc}\n# TYPE {name} {kind}\n")
        for smp in fam.samples:
            v = float(smp.value)
            value = repr(v) if -_INF < v < _INF else ("NaN" if v != v else "+Inf" if v > 0 else "-Inf")
            if smp.labels:
                labels = ",".join(f'{k}="{_escape(str(x))}"' for k, x in smp.labels.items())
                add(f"{smp.name}{{{labels}}} {value}\n")
            else:
                add(f"{smp.name} {value}\n")
    return "".join(out).encode()


_INF = float("inf")


def _escape(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return value


class Exporter:
    """A daemon's metrics service: its /metrics server when on (`server` None when off); the daemon starts and
    stops it with its other services."""

    server: "MetricsHttpServer | None" = None

    async def start(self) -> None:
        if self.server is not None:
            await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()


class MetricsHttpServer:
    """GET /metrics on the loop: the exposition of `registry` in the classic text format (0.0.4, what every
    Prometheus 2.x reads); anything else is 404, a bad request 400. One
    request per connection (Connection: close), a bounded header read."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int, owner: str) -> None:
        self.registry, self.host, self.port, self.owner = registry, host, port, owner
        self._server: asyncio.base_events.Server | None = None
        self.scrapes = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=16384)
        log.info("%s: Prometheus metrics on http://%s:%d/metrics", self.owner, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            parts = head.split(b"\r\n", 1)[0].split()
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
                await self._reply(writer, 400, b"bad request\n")
            elif parts[0] not in (b"GET", b"HEAD"):
                await self._reply(writer, 405, b"method not allowed\n")
            elif parts[1].split(b"?", 1)[0] != b"/metrics":
                await self._reply(writer, 404, b"see /metrics\n")
            else:
                began = time.monotonic()
                body = exposition(self.registry)
                self.scrapes += 1
                log.debug("%s: scrape of %d bytes in %.1f ms", self.owner, len(body),
                          (time.monotonic() - began) * 1000)
                await self._reply(writer, 200, b"" if parts[0] == b"HEAD" else body,
                                  CONTENT_TYPE_PLAIN_0_0_4.encode())
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
            pass
        except Exception:  # noqa: BLE001 - a failing collector must not take the daemon down
            log.exception("%s: metrics scrape failed", self.owner)
            await self._reply(writer, 500, b"scrape failed\n")
        finally:
            writer.close()

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, status: int, body: bytes,
                     ctype: bytes = b"text/plain; charset=utf-8") -> None:
        reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed",
                  500: b"Internal Server Error"}[status]
        try:
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % (status, reason, ctype, len(body)) + body)
            await writer.drain()
        except ConnectionError:
            pass

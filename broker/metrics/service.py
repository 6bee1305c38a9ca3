"""BrokerMetrics: the exporter's service. Off unless metricsExporterType=PROM; on, it hands its tables to the
hot paths, which fill them in compiled code (each a None test when off; on, a dict look-up, a bisect and two
increments per request), and serves /metrics.

Most counters are not kept here: messages and bytes in and out are the BrokerStatsManager's running totals
(the 4.9.7 stats the send and pull paths keep anyway), read at scrape time. Kept here: the request-latency and
message-size histograms (filled by the dispatchers and the send path), create times, DLQ moves, transaction
ends, and the pulled offsets (filled by the pull path)."""
from __future__ import annotations

import inspect
import logging
import time
from typing import TYPE_CHECKING

from daemon.metrics import (Exporter, Histogram, MetricsHttpServer, RpcLatency, exporter_enabled, new_registry,
                            parse_metrics_label)
from remoting.codes import RequestCode, ResponseCode

from .buckets import CREATE_TIME_BUCKETS, MESSAGE_SIZE_BUCKETS
from .collector import BrokerCollector

if TYPE_CHECKING:
    from ..controller import Broker

log = logging.getLogger("broker")

_CREATE = {int(RequestCode.UPDATE_AND_CREATE_TOPIC): "topic",
           int(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP): "group"}


def timed(handler, hist: Histogram):
    """A dispatcher handler whose answer time goes into `hist` by invocation_status (5.x measures topic and
    group creation in its admin processor); admin requests only, off the hot paths."""
    def observe(began: float, resp) -> None:
        ok = resp is not None and resp.code == ResponseCode.SUCCESS
        hist.observe(("success" if ok else "failure",), (time.monotonic() - began) * 1000.0)

    def run(conn, req):
        began = time.monotonic()
        result = handler(conn, req)
        if not inspect.isawaitable(result):
            observe(began, result)
            return result

        async def finish():
            resp = await result
            observe(began, resp)
            return resp
        return finish()
    return run


class BrokerMetrics(Exporter):
    def __init__(self, broker: "Broker") -> None:
        b = broker.settings.broker
        self.enabled = exporter_enabled(b.metricsExporterType, "broker")
        self.server: MetricsHttpServer | None = None
        self.sizes = Histogram(MESSAGE_SIZE_BUCKETS)           # by stored topic, filled by the send path
        self.create = {"topic": Histogram(CREATE_TIME_BUCKETS), "group": Histogram(CREATE_TIME_BUCKETS)}
        self.dlq: dict[tuple[str, str], int] = {}            # (group, original topic) -> messages
        self.tx_ends: dict[tuple[str, bool], int] = {}       # (topic, committed) -> transactions
        self.pulled: dict = {}
        self.latency = RpcLatency()
        if not self.enabled:
            return
        const = {"cluster": b.brokerClusterName, "node_type": "broker", "node_id": b.brokerName,
                 **parse_metrics_label(b.metricsLabel)}
        self.collector = BrokerCollector(broker, self, const, b.metricsOtelCardinalityLimit)
        self.server = MetricsHttpServer(new_registry(self.collector), b.metricsPromExporterHost or b.brokerIP1,
                                        b.metricsPromExporterPort, "broker")

    def attach(self, send, pull, end_transaction, dispatchers) -> None:
        """Hooks on: the send path's sizes and DLQ moves, the pull path's offsets, transaction ends, request
        latency and the creation times of topics and groups."""
        if not self.enabled:
            return
        send.metrics = self
        send.size_series = self.sizes.series
        pull.pulled = self.pulled
        if end_transaction is not None:
            end_transaction.metrics = self
        for d in dispatchers:
            self.latency.attach(d)
            for code, kind in _CREATE.items():
                handler = d.handler(code)
                if handler is not None:
                    d.register(code, timed(handler, self.create[kind]))

    # ------------------------------------------------------------ the recorders off the hot paths
    def to_dlq(self, group: str, topic: str) -> None:
        key = (group, topic)
        self.dlq[key] = self.dlq.get(key, 0) + 1

    def transaction_ended(self, topic: str, committed: bool) -> None:
        key = (topic, committed)
        self.tx_ends[key] = self.tx_ends.get(key, 0) + 1

"""BrokerMetrics: the exporter's service. Off unless metricsExporterType=PROM; on, it attaches its recorders
to the hot paths (each a None test when off, an O(1) dict update when on) and serves /metrics.

Most counters are not kept here: messages and bytes in and out are the BrokerStatsManager's running totals
(the 4.9.7 stats the send and pull paths keep anyway), read at scrape time. Kept here: the message-size and
create-time histograms, DLQ moves, transaction ends, and (on the pull processor) the pulled offsets."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from daemon.metrics import (Exporter, Histogram, MetricsHttpServer, RpcLatency, exporter_enabled, new_registry,
                            parse_metrics_label)
from remoting.codes import RequestCode, ResponseCode

from .collector import BrokerCollector
from .labels import is_retry_or_dlq, is_system, message_type

if TYPE_CHECKING:
    from ..controller import Broker

log = logging.getLogger("broker")

MESSAGE_SIZE_BUCKETS = (1024.0, 4096.0, 512 * 1024.0, 1024 * 1024.0, 2 * 1024 * 1024.0, 4 * 1024 * 1024.0)
CREATE_TIME_BUCKETS = (10.0, 100.0, 1000.0, 3000.0, 5000.0)
_CREATE = {int(RequestCode.UPDATE_AND_CREATE_TOPIC): "topic", int(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP): "group"}


class BrokerRpcLatency(RpcLatency):
    """rocketmq_rpc_latency, plus the topic / group creation times 5.x measures in its admin processor."""

    def __init__(self) -> None:
        super().__init__()
        self.create = {"topic": Histogram(CREATE_TIME_BUCKETS), "group": Histogram(CREATE_TIME_BUCKETS)}

    def observe(self, request_code: int, response_code: int, seconds: float, long_polling: bool,
                oneway: bool) -> None:
        super().observe(request_code, response_code, seconds, long_polling, oneway)
        kind = _CREATE.get(request_code)
        if kind is not None:
            status = "success" if response_code == ResponseCode.SUCCESS else "failure"
            self.create[kind].observe((status,), seconds * 1000.0)


class BrokerMetrics(Exporter):
    def __init__(self, broker: "Broker") -> None:
        b = broker.settings.broker
        self.enabled = exporter_enabled(b.metricsExporterType, "broker")
        self.server: MetricsHttpServer | None = None
        self.sizes = Histogram(MESSAGE_SIZE_BUCKETS)
        self._size_labels: dict[str, tuple] = {}
        self.dlq: dict[tuple[str, str], int] = {}            # (group, original topic) -> messages
        self.tx_ends: dict[tuple[str, bool], int] = {}       # (topic, committed) -> transactions
        self.latency = BrokerRpcLatency()
        if not self.enabled:
            return
        const = {"cluster": b.brokerClusterName, "node_type": "broker", "node_id": b.brokerName,
                 **parse_metrics_label(b.metricsLabel)}
        self.collector = BrokerCollector(broker, self, const, b.metricsOtelCardinalityLimit)
        self.server = MetricsHttpServer(new_registry(self.collector), b.metricsPromExporterHost or b.brokerIP1,
                                        b.metricsPromExporterPort, "broker")

    def attach(self, send, pull, end_transaction, dispatchers) -> None:
        """Hooks on: the send path's sizes and DLQ moves, the pull path's offsets, transaction ends, latency."""
        if not self.enabled:
            return
        send.metrics = self
        pull.pulled = {}
        self.pulled = pull.pulled
        if end_transaction is not None:
            end_transaction.metrics = self
        for d in dispatchers:
            d.latency = self.latency


    # ------------------------------------------------------------ the hot-path recorders
    def stored(self, request_topic: str, stored_topic: str, num: int, wrote_bytes: int) -> None:
        """A send stored `num` messages: rocketmq_message_size (per message, as 5.x: wrote bytes / count); a
        message a client sent to %RETRY% that went to %DLQ% is a DLQ move."""
        if stored_topic.startswith("%") and is_retry_or_dlq(stored_topic):   # not counted in, as 5.x
            if stored_topic.startswith("%DLQ%") and request_topic.startswith("%RETRY%"):
                self.to_dlq(request_topic[len("%RETRY%"):], request_topic)
            return
        labels = self._size_labels.get(stored_topic)
        if labels is None:
            labels = self._size_labels[stored_topic] = (stored_topic, message_type(stored_topic),
                                                         is_system(stored_topic))
        self.sizes.observe(labels, wrote_bytes / num)

    def to_dlq(self, group: str, topic: str) -> None:
        key = (group, topic)
        self.dlq[key] = self.dlq.get(key, 0) + 1

    def transaction_ended(self, topic: str, committed: bool) -> None:
        key = (topic, committed)
        self.tx_ends[key] = self.tx_ends.get(key, 0) + 1

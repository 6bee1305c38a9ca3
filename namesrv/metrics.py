"""The NameServer's Prometheus exporter (docs/metrics.md): live broker registrations, topics with routes, route
look-ups and request latency, read from the route table and the dispatcher at scrape time."""
from __future__ import annotations

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily

from daemon.metrics import (Exporter, MetricsHttpServer, RpcLatency, exporter_enabled, new_registry,
                            parse_metrics_label)
from remoting.codes import RequestCode, ResponseCode
from remoting.dispatch import Dispatcher, latency_labels

from .config import NamesrvConfig
from .route_info import RouteInfo

_ROUTE = int(RequestCode.GET_ROUTEINFO_BY_TOPIC)


class NamesrvCollector:
    def __init__(self, routes: RouteInfo, latency: RpcLatency, const: dict[str, str], limit: int) -> None:
        self.routes, self.latency, self.const, self.limit = routes, latency, const, limit

    def collect(self):
        const, names = self.const, list(self.const)
        cv = list(const.values())
        alive = GaugeMetricFamily("rocketmq_namesrv_broker_alive", "Live broker registrations",
                                  labels=names + ["cluster", "broker", "broker_id"])
        for bd in self.routes.broker_addr_table.values():
            for broker_id, addr in sorted(bd.brokerAddrs.items()):
                if addr in self.routes.broker_live_table:
                    alive.add_metric(cv + [bd.cluster, bd.brokerName, str(broker_id)], 1)
        yield alive
        topics = GaugeMetricFamily("rocketmq_namesrv_topic_number", "Topics with routes", labels=names)
        topics.add_metric(cv, len(self.routes.topic_queue_table))
        yield topics
        # route look-ups, from the latency histogram's GET_ROUTEINFO_BY_TOPIC series (no counter of their own)
        found = not_found = 0
        for key, s in self.latency.hist.series.items():
            code, resp, _lp, _oneway = latency_labels(key)
            if code == _ROUTE:
                n = sum(s[:-1])
                if resp == ResponseCode.SUCCESS:
                    found += n
                else:
                    not_found += n
        routes = CounterMetricFamily("rocketmq_namesrv_route_requests_total", "GET_ROUTEINFO_BY_TOPIC answers",
                                     labels=names + ["result"])
        routes.add_metric(cv + ["found"], found)
        routes.add_metric(cv + ["not_found"], not_found)
        yield routes
        yield self.latency.family(const, self.limit)


class NamesrvMetrics(Exporter):
    """Off unless metricsExporterType=PROM; then the dispatcher times every request and /metrics is served."""

    def __init__(self, config: NamesrvConfig, routes: RouteInfo, dispatcher: Dispatcher, listen_port: int) -> None:
        self.config = config
        self.server: MetricsHttpServer | None = None
        if not exporter_enabled(config.metricsExporterType, "namesrv"):
            return
        latency = RpcLatency()
        latency.attach(dispatcher)
        const = {"node_type": "nameserver", "node_id": f"namesrv@{listen_port}",
                 **parse_metrics_label(config.metricsLabel)}
        registry = new_registry(NamesrvCollector(routes, latency, const, config.metricsOtelCardinalityLimit))
        self.server = MetricsHttpServer(registry, config.metricsPromExporterHost or "0.0.0.0",
                                        config.metricsPromExporterPort, "namesrv")


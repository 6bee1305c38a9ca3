"""BrokerCollector: every broker family of docs/metrics.md, built at scrape time from the broker's own tables
(stats totals, topic / group / offset tables, client channels, store and HA figures) and the recorders of
BrokerMetrics. Every family is yielded even without samples, so its HELP / TYPE lines are always there."""
from __future__ import annotations

import os
import shutil
import time
from typing import TYPE_CHECKING, Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from daemon.metrics import Histogram, capped
from remoting.codes import version_desc
from store.maintenance import remain_to_flush
from store.timer.convert import TIMER_TOPIC

from ..topic_config import SCHEDULE_TOPIC
from .labels import is_retry_or_dlq, is_system, message_type
from .lag import consumer_lags

if TYPE_CHECKING:
    from ..controller import Broker
    from .service import BrokerMetrics

# the processors 5.x reports watermarks for; ours queue only sends (those waiting for a flush or a slave)
PROCESSORS = ("send", "async_put", "pull", "ack", "query_message", "client_manager", "heartbeat", "lite_pull",
              "transaction", "consumer_manager", "admin", "reply")
CONSUME_MODES = {"CONSUME_ACTIVELY": "pull", "CONSUME_PASSIVELY": "push", "CONSUME_POP": "pop"}
STORAGE = {"storage_type": "local", "storage_medium": "disk"}


class BrokerCollector:
    def __init__(self, broker: "Broker", metrics: "BrokerMetrics", const: dict[str, str], limit: int) -> None:
        self.broker, self.metrics, self.const, self.limit = broker, metrics, const, limit
        self.names, self.values = list(const), list(const.values())

    # families with this broker's constant labels first
    def _gauge(self, name: str, doc: str, labels: list[str] | None = None, const: dict | None = None):
        extra = const or {}
        return GaugeMetricFamily(name, doc, labels=self.names + list(extra) + (labels or []))

    def _counter(self, name: str, doc: str, labels: list[str]):
        return CounterMetricFamily(name, doc, labels=self.names + labels)

    def _add(self, fam: Metric, rows, prefix: list[str] | None = None) -> Metric:
        """rows: (label values, value); at most metricsOtelCardinalityLimit of them."""
        for labels, value in capped(rows, self.limit, fam.name):
            fam.add_metric(self.values + (prefix or []) + [str(x) for x in labels], value)
        return fam

    def collect(self) -> Iterator[Metric]:
        yield from self._traffic()
        yield from self._clients()
        yield from self._lag()
        yield from self._transactions()
        yield from self._storage()
        yield from self._timer()
        yield from self._ha()
        yield self.metrics.latency.family(self.const, self.limit)
        for kind, name in (("topic", "rocketmq_topic_create_execution_time"),
                           ("group", "rocketmq_consumer_group_create_execution_time")):
            yield self.metrics.create[kind].family(name, f"The distribution of create {kind} time",
                                                   ["invocation_status"], self.const, self.limit)

    # ------------------------------------------------------------ messages in and out
    def _traffic(self) -> Iterator[Metric]:
        stats, m = self.broker.stats, self.metrics
        in_rows, bytes_rows = [], []
        for topic, c in stats.topic_put.items():
            if is_retry_or_dlq(topic):
                continue
            num, size = c[0], c[2]
            if topic == SCHEDULE_TOPIC:      # the consumers' send-backs are not messages in (5.x)
                num -= stats.send_back_schedule[0]
                size -= stats.send_back_schedule[1]
            labels = (topic, message_type(topic), is_system(topic))
            in_rows.append((labels, num))
            bytes_rows.append((labels, size))
        label_names = ["topic", "message_type", "is_system"]
        yield self._add(self._counter("rocketmq_messages_in_total", "Total number of incoming messages",
                                      label_names), in_rows)
        yield self._add(self._counter("rocketmq_throughput_in_total", "Total traffic of incoming messages",
                                      label_names), bytes_rows)
        # the send path keys sizes by stored topic; the labels are made here, retry and DLQ topics left out
        sizes = Histogram(m.sizes.bounds, {(t, message_type(t), is_system(t)): s
                                           for t, s in list(m.sizes.series.items()) if not is_retry_or_dlq(t)})
        yield sizes.family("rocketmq_message_size", "Incoming messages size", label_names, self.const, self.limit)
        out_rows, out_bytes = [], []
        for topic, by_group in stats.group_get.items():
            if is_retry_or_dlq(topic):
                continue
            for group, c in by_group.items():
                labels = (topic, group, is_system(topic, group))
                out_rows.append((labels, c[0]))
                out_bytes.append((labels, c[2]))
        label_names = ["topic", "consumer_group", "is_system"]
        yield self._add(self._counter("rocketmq_messages_out_total", "Total number of outgoing messages",
                                      label_names), out_rows)
        yield self._add(self._counter("rocketmq_throughput_out_total", "Total traffic of outgoing messages",
                                      label_names), out_bytes)
        # DLQ moves: the send-backs' (counted as they happen, off the hot path) and the sends a client made to a
        # retry topic past their last retry, which the send path stored in %DLQ%<group> (its put count, here)
        dlq = dict(m.dlq)
        for topic, c in stats.topic_put.items():
            if topic.startswith("%DLQ%"):
                group = topic[len("%DLQ%"):]
                key = (group, "%RETRY%" + group)
                dlq[key] = dlq.get(key, 0) + c[0]
        yield self._add(self._counter("rocketmq_send_to_dlq_messages_total", "Consumer send to DLQ messages",
                                      ["consumer_group", "topic", "is_system"]),
                        [((g, t, is_system(t, g)), n) for (g, t), n in dlq.items()])

    # ------------------------------------------------------------ configuration and clients
    def _clients(self) -> Iterator[Metric]:
        br = self.broker
        ff = br.fast_failure
        yield self._add(self._gauge("rocketmq_processor_watermark", "Request processor watermark", ["processor"]),
                        [((p,), ff.pending if p == "send" else 0) for p in PROCESSORS])
        yield self._add(self._gauge("rocketmq_broker_permission", "Broker permission"),
                        [((), br.settings.broker.brokerPermission)])
        yield self._add(self._gauge("rocketmq_topic_number", "Active topic number"), [((), len(br.topics.table))])
        yield self._add(self._gauge("rocketmq_consumer_group_number", "Active subscription group number"),
                        [((), len(br.groups.table))])
        producers: dict[tuple, int] = {}
        for channels in br.producers.groups.values():
            for ch in channels.values():
                key = (str(ch.language).lower(), version_desc(ch.version).lower(), "remoting")
                producers[key] = producers.get(key, 0) + 1
        yield self._add(self._gauge("rocketmq_producer_connections", "Producer connections",
                                    ["language", "version", "protocol_type"]), list(producers.items()))
        consumers: dict[tuple, int] = {}
        for group, info in br.consumers.groups.items():
            mode = CONSUME_MODES.get(info.consume_type, info.consume_type.lower())
            for ch in info.channels.values():
                key = (group, str(ch.language).lower(), version_desc(ch.version).lower(), mode, "remoting",
                       is_system("", group))
                consumers[key] = consumers.get(key, 0) + 1
        yield self._add(self._gauge("rocketmq_consumer_connections", "Consumer connections",
                                    ["consumer_group", "language", "version", "consume_mode", "protocol_type",
                                     "is_system"]), list(consumers.items()))

    # ------------------------------------------------------------ lag
    def _lag(self) -> Iterator[Metric]:
        br = self.broker
        store = br.store
        now = int(time.time() * 1000)

        def store_time(topic: str, queue_id: int, offset: int) -> int:
            cq = store.consume_queue(topic, queue_id)
            e = cq.entry(offset) if cq is not None else None
            msg = store.commitlog.message_at(e[0]) if e else None
            return msg.store_timestamp if msg is not None else 0
        lags = consumer_lags(br.offsets.table, self.metrics.pulled, store, store_time)
        names = ["consumer_group", "topic", "is_retry", "is_system"]
        fams = {k: self._gauge(n, d, names) for k, n, d in (
            ("lag", "rocketmq_consumer_lag_messages", "Consumer lag messages"),
            ("lag_ms", "rocketmq_consumer_lag_latency", "Consumer lag time (milliseconds)"),
            ("inflight", "rocketmq_consumer_inflight_messages", "Consumer inflight messages"),
            ("queueing_ms", "rocketmq_consumer_queueing_latency", "Consumer queueing time (milliseconds)"),
            ("ready", "rocketmq_consumer_ready_messages", "Consumer ready messages"),
            ("expired", "rocketmq_consumer_expired_messages",
             "Messages deleted by retention before the group consumed them"))}
        rows: dict[str, list] = {k: [] for k in fams}
        for r in lags:
            labels = (r.group, r.topic, "true" if r.topic.startswith("%RETRY%") else "false",
                      is_system(r.topic, r.group))
            rows["lag"].append((labels, r.lag))
            rows["inflight"].append((labels, r.inflight))
            rows["ready"].append((labels, r.ready))
            rows["expired"].append((labels, r.expired))
            rows["lag_ms"].append((labels, now - r.oldest_unconsumed_ms if r.oldest_unconsumed_ms else 0))
            rows["queueing_ms"].append((labels, now - r.oldest_unpulled_ms if r.oldest_unpulled_ms else 0))
        for k, fam in fams.items():
            yield self._add(fam, rows[k])

    # ------------------------------------------------------------ transactions
    def _transactions(self) -> Iterator[Metric]:
        ends = self.metrics.tx_ends
        yield self._add(self._counter("rocketmq_commit_messages_total", "Total number of commit messages",
                                      ["topic"]), [((t,), n) for (t, c), n in ends.items() if c])
        yield self._add(self._counter("rocketmq_rollback_messages_total", "Total number of rollback messages",
                                      ["topic"]), [((t,), n) for (t, c), n in ends.items() if not c])
        # the open transactions are known by key, not by topic: one series for them all
        yield self._add(self._gauge("rocketmq_half_messages", "Half messages of all topics", ["topic"]),
                        [(("RMQ_SYS_TRANS_HALF_TOPIC",), len(self.broker.transactions.ledger.open))])

    # ------------------------------------------------------------ store
    def _storage(self) -> Iterator[Metric]:
        store = self.broker.store
        cl_dir = store.config.commitlog_dir
        used = total = 0
        try:
            du = shutil.disk_usage(cl_dir if os.path.exists(cl_dir) else store.config.storePathRootDir)
            used, total = du.total - du.free, du.total
        except OSError:
            pass
        cl = store.commitlog
        earliest = 0
        first = cl.message_at(cl.min_offset()) if cl.max_offset() > cl.min_offset() else None
        if first is not None:
            earliest = int(time.time() * 1000) - first.store_timestamp
        for name, doc, value in (
                ("rocketmq_storage_size", "Broker storage size (bytes used on its disk)", used),
                ("rocketmq_storage_disk_ratio", "Used / total of the commit log's disk", used / total if total else 0),
                ("rocketmq_storage_flush_behind_bytes", "Broker flush behind bytes", remain_to_flush(store)),
                ("rocketmq_storage_dispatch_behind_bytes", "Broker dispatch behind bytes",
                 max(0, cl.max_offset() - store.dispatched_offset)),
                ("rocketmq_storage_message_reserve_time", "Broker message reserve time (milliseconds)", earliest)):
            yield self._add(self._gauge(name, doc, const=STORAGE), [((), value)], list(STORAGE.values()))

    def _timer(self) -> Iterator[Metric]:
        timer = self.broker.store.timer
        info = timer.runtime_info() if timer is not None else {}
        behind = int(info.get("timerOffsetBehind", 0))
        for name, doc, value in (
                ("rocketmq_timer_enqueue_lag", "Timer enqueue messages", behind),
                ("rocketmq_timer_enqueue_latency", "Timer enqueue latency (milliseconds)",
                 int(info.get("timerReadBehind", 0)) * 1000 if behind else 0),
                ("rocketmq_timer_dequeue_lag", "Timer dequeue messages", int(info.get("timerCongestNum", 0))),
                ("rocketmq_timer_dequeue_latency", "Timer dequeue latency (milliseconds)",
                 int(info.get("timerDeliverLagMs", 0)))):
            yield self._add(self._gauge(name, doc), [((), value)])
        # the timer counts what waits, not by topic: one series, under the timer's topic
        yield self._add(self._gauge("rocketmq_timing_messages", "Current message number in timing", ["topic"]),
                        [((TIMER_TOPIC,), int(info.get("timerPendingNum", 0)))] if timer is not None else [])
        yield self._add(self._counter("rocketmq_timer_enqueue_total", "Total number of timer enqueue", ["topic"]),
                        [((TIMER_TOPIC,), timer.enqueued)] if timer is not None else [])
        yield self._add(self._counter("rocketmq_timer_dequeue_total", "Total number of timer dequeue", ["topic"]),
                        [((TIMER_TOPIC,), timer.dequeued)] if timer is not None else [])

    def _ha(self) -> Iterator[Metric]:
        """On a master: slaves connected, and its max offset minus the highest slave acknowledgement (a slave
        does not learn its master's max offset from the HA stream: no lag sample there)."""
        ha = self.broker.store.ha
        master = not self.broker.is_slave
        connected = ha.connection_count if master else 0
        yield self._add(self._gauge("rocketmq_ha_connected_slaves", "Slaves connected to this master"),
                        [((), connected)])
        yield self._add(self._gauge("rocketmq_ha_replication_lag_bytes", "Replication lag in bytes"),
                        [((), ha.slave_fall_behind() if connected else 0)] if master else [])

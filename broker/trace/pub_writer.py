"""Pub trace records written by the broker (`brokerTraceEnable`, ours, off by default), so an operator can see
with queryMsgTraceById who sent a message even when the client does not trace.

Java 4.9.7/5.x has no such switch: its `traceOn` (default true) is only echoed to clients as TRACE_ON in send
answers, telling *them* whether to trace; it is left as it is. The records have the client's Pub layout
(remoting.trace) and go to `msgTraceTopicName` with KEYS = msgIds and keys, so the tool finds them.

Off the hot path: a send only appends a tuple here; every FLUSH_INTERVAL the due entries become records, and
the records one trace message per MAX_TRACE_BODY, as a client's trace producer batches them.

Clients that trace themselves are skipped, so their messages do not show two Pub rows: a producer group is
known to trace once a Pub record of that group reached a trace topic of this broker. A message waits
HOLD_MS before its record is written, longer than a client's own batching (500 ms in the Java client), so
even a tracing group's first messages are not doubled.

Each record's fields: timestamp = the store time, costTime = the broker's handling time up to the store,
storeHost = this broker's address, offsetMsgId and success (stored: PUT_OK) from the put, msgType from
the message's properties (transaction half, delay/timer, normal), regionId = the broker's."""
from __future__ import annotations

import asyncio
import calendar
import itertools
import logging
import os
import random
import socket
import struct
import time
from typing import Iterable, NamedTuple

from remoting import trace
from remoting.headers import SendMessageRequestHeader
from remoting.runtime import cancel_and_wait
from store import message as m
from store.message_store import MessageStore
from store.results import PutResult, PutStatus

from ..config import BrokerConfig
from ..topic_config import DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, TopicConfigManager

log = logging.getLogger("broker.trace")

FLUSH_INTERVAL = 0.5
HOLD_MS = 3000   # a client that traces has sent its own Pub by then (the Java client batches 500 ms)
_DELAY_PROPS = ("DELAY", "__STARTDELIVERTIME", "TIMER_DELIVER_MS", "TIMER_DELAY_SEC", "TIMER_DELAY_MS")


class _Sent(NamedTuple):
    at_ms: int               # when the send was handled
    group: str
    topic: str
    msgs: list[tuple[str, int]]   # per stored message: its properties string and body length (not the body)
    offset_ids: list[str]
    store_ms: int
    success: bool


class UniqIdMaker:
    """Client-style unique msgIds (UNIQ_KEY) for the trace messages: address, pid, a per-process random, ms
    since the start of the month and a counter, as 32 hex digits like MessageClientIDSetter's."""

    def __init__(self, ip: str) -> None:
        try:
            addr = socket.inet_aton(ip)
        except OSError:
            addr = socket.inet_aton("127.0.0.1")
        self._prefix = (addr + struct.pack(">HI", os.getpid() & 0xFFFF, random.getrandbits(32))).hex().upper()
        self._counter = itertools.count()

    def next(self) -> str:
        t = time.gmtime()
        month_start = calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))
        since = int((time.time() - month_start) * 1000) & 0xFFFFFFFF
        return self._prefix + struct.pack(">IH", since, next(self._counter) & 0xFFFF).hex().upper()


def is_trace_topic(topic: str, configured: str) -> bool:
    return topic in (configured, trace.DEFAULT_TRACE_TOPIC) or topic.startswith(trace.CLOUD_TRACE_TOPIC_PREFIX)


def message_type(props: dict[str, str]) -> trace.MessageType:
    if props.get("TRAN_MSG", "").lower() == "true":
        return trace.MessageType.Trans_Msg_Half
    if any(props.get(k) for k in _DELAY_PROPS):
        return trace.MessageType.Delay_Msg
    return trace.MessageType.Normal_Msg


class BrokerTraceWriter:
    def __init__(self, config: BrokerConfig, store: MessageStore, topics: TopicConfigManager,
                 store_host: tuple[str, int]) -> None:
        self.config = config
        self.store = store
        self.topics = topics
        self.store_host = store_host
        self.store_addr = f"{store_host[0]}:{store_host[1]}"
        self.tracing_groups: set[str] = set()
        self._pending: list[_Sent] = []
        self._trace_bodies: list[bytes] = []
        self._ids = UniqIdMaker(store_host[0])
        self._task: asyncio.Task | None = None
        self.written = 0   # records written, for tests and logs

    # ------------------------------------------------------------ hot path
    def sent(self, header: SendMessageRequestHeader, msgs: list[m.StoredMessage], result: PutResult,
             at_ms: int) -> None:
        """Called by the send processor after each put: keeps what the record needs, nothing more."""
        topic = header.topic
        if is_trace_topic(topic, self.config.msgTraceTopicName):
            if result.status == PutStatus.PUT_OK:
                self._trace_bodies += [x.body for x in msgs]
            return
        if (topic.startswith(RETRY_GROUP_TOPIC_PREFIX) or topic.startswith(DLQ_GROUP_TOPIC_PREFIX)
                or topic in self.topics.system_topics or result.append is None):
            return
        a = result.append
        self._pending.append(_Sent(at_ms, header.producerGroup, topic, [(x.properties, len(x.body)) for x in msgs],
                                   a.msg_ids, a.store_timestamp, result.status == PutStatus.PUT_OK))

    # ------------------------------------------------------------ batches
    def _learn(self) -> None:
        bodies, self._trace_bodies = self._trace_bodies, []
        for body in bodies:
            records, _bad = trace.decode(bytes(body).decode("utf-8", "replace"))
            self.tracing_groups.update(r.group for r in records if isinstance(r, trace.Pub))

    def _records(self, sent: Iterable[_Sent]) -> list[trace.Pub]:
        out = []
        for s in sent:
            if s.group in self.tracing_groups:
                continue
            for (properties, body_length), offset_id in zip(s.msgs, s.offset_ids):
                props = m.string_to_properties(properties)
                out.append(trace.Pub(
                    timestamp=s.store_ms, region_id=self.config.regionId, group=s.group, topic=s.topic,
                    msg_id=props.get("UNIQ_KEY") or offset_id, tags=props.get("TAGS", ""),
                    keys=props.get("KEYS", ""), store_host=self.store_addr, body_length=body_length,
                    cost_time=max(0, s.store_ms - s.at_ms), msg_type=message_type(props),
                    offset_msg_id=offset_id, success=s.success))
        return out

    def flush(self, force: bool = False, now_ms: int | None = None) -> int:
        """Write the records of the sends older than HOLD_MS (all of them when `force`); how many."""
        self._learn()
        now = int(time.time() * 1000) if now_ms is None else now_ms
        cut = len(self._pending) if force else next(
            (i for i, s in enumerate(self._pending) if now - s.at_ms < HOLD_MS), len(self._pending))
        due, self._pending = self._pending[:cut], self._pending[cut:]
        records = self._records(due)
        batch: list[trace.Pub] = []
        size = 0
        for r in records:
            text = trace.encode(r)
            if batch and size + len(text) > trace.MAX_TRACE_BODY:
                self._write(batch)
                batch, size = [], 0
            batch.append(r)
            size += len(text)
        if batch:
            self._write(batch)
        return len(records)

    def _write(self, records: list[trace.Pub]) -> None:
        topic = self.config.msgTraceTopicName
        tc = self.topics.get(topic)
        if tc is None:
            log.warning("trace topic %s does not exist: %d Pub records dropped", topic, len(records))
            return
        props = {"KEYS": " ".join(trace.trace_keys(records)), "UNIQ_KEY": self._ids.next(), "WAIT": "false",
                 "CLUSTER": self.config.brokerClusterName}
        now = int(time.time() * 1000)
        msg = m.StoredMessage(topic=topic, body=trace.encode_all(records).encode(),
                              queue_id=random.randrange(max(tc.writeQueueNums, 1)), born_timestamp=now,
                              born_host=self.store_host, properties=m.properties_to_string(props))
        result = self.store.put_message(msg)
        if result.status != PutStatus.PUT_OK:
            log.warning("writing %d Pub records to %s failed: %s", len(records), topic, result.status.value)
            return
        self.written += len(records)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="broker-trace")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - a failed batch must not stop later ones
                log.exception("broker trace batch failed")

    async def stop(self) -> None:
        """Before the store shuts down: what is pending is written now."""
        await cancel_and_wait(self._task)
        self._task = None
        try:
            self.flush(force=True)
        except Exception:  # noqa: BLE001
            log.exception("broker trace final batch failed")

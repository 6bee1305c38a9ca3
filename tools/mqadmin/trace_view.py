"""The views and text of `mqadmin queryMsgTraceById -i MSG_ID [-t TRACE_TOPIC]` (QueryMsgTraceByIdSubCommand
4.9.7; the command itself is in tools.mqadmin.message_cmds).

The trace messages are found as the Java tool finds them: QUERY_MESSAGE on the trace topic (default
RMQ_SYS_TRACE_TOPIC) with key = the msgId, at every broker of the topic's route; their bodies are decoded
(remoting.trace) and the records of that msgId become views (TraceView.decodeFromTraceTransData): Pub rows
in the order found, then one block per consumer group (java.util.HashMap order) of its SubAfter rows. The
client host is the trace message's born host; the output is Apache's, column for column.

One deliberate difference: a SubAfter record without timestamp and group (the C++ 2.x core's and the CLOUD
form) takes both from the SubBefore record of the same requestId and msgId, so the consuming group shows;
Java prints an empty group and the time of the query there."""
from __future__ import annotations

import time
from dataclasses import dataclass

from remoting import trace
from store import message as m


ROW = "{:<10} {:<20} {:<20} {:<20} {:<10} {:<10}"


@dataclass
class TraceView:
    """One record of the traced message, as the tool shows it (client/trace/TraceView)."""
    kind: str            # the record type: Pub, SubBefore, SubAfter, EndTransaction
    group: str
    client_host: str     # born host (address only) of the trace message that carried the record
    timestamp: int
    cost_time: int
    success: bool
    record: trace.TraceRecord

    @property
    def status(self) -> str:
        return "success" if self.success else "failed"


def views_of(msg_id: str, trace_msgs: list[m.StoredMessage], now_ms: int | None = None) -> list[TraceView]:
    """The records about `msg_id` in the trace messages, in message then body order."""
    found: list[tuple[str, trace.TraceRecord]] = []
    for msg in trace_msgs:
        records, _bad = trace.decode(msg.decompressed_body().decode("utf-8", "replace"))
        found += [(msg.born_host[0], r) for r in records if r.msg_id == msg_id]
    # the C++ 2.x core sends SubBefore and SubAfter as separate messages: match them over all of them
    before = {(r.request_id, r.msg_id): r for _, r in found if isinstance(r, trace.SubBefore)}
    now = int(time.time() * 1000) if now_ms is None else now_ms
    out = []
    for host, r in found:
        if isinstance(r, trace.SubAfter):
            group, ts = r.group, r.timestamp
            if group is None or ts is None:
                sb = before.get((r.request_id, r.msg_id))
                group = group if group is not None else (sb.group if sb else "")
                ts = ts if ts is not None else (sb.timestamp + r.cost_time if sb else now)
            out.append(TraceView("SubAfter", group, host, ts, r.cost_time, r.success, r))
        elif isinstance(r, trace.SubBefore):
            out.append(TraceView("SubBefore", r.group, host, r.timestamp, 0, True, r))
        elif isinstance(r, trace.Pub):
            out.append(TraceView("Pub", r.group, host, r.timestamp, r.cost_time, r.success, r))
        else:
            out.append(TraceView("EndTransaction", r.group, host, r.timestamp, 0, True, r))
    return out


def _time(ms: int) -> str:
    """DateFormatUtils.format(ms, "yyyy-MM-dd HH:mm:ss"), local time."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def render(views: list[TraceView]) -> str:
    """printMessageTrace's text: each Pub with its header line and a blank line, then per consumer group
    (HashMap iteration order) a header, its Sub rows and a blank line."""
    lines: list[str] = []
    by_group: dict[str, list[TraceView]] = {}
    for v in views:
        if v.kind == "Pub":
            lines.append(ROW.format("#Type", "#ProducerGroup", "#ClientHost", "#SendTime", "#CostTimes", "#Status"))
            lines.append(ROW.format("Pub", v.group, v.client_host, _time(v.timestamp), f"{v.cost_time}ms", v.status))
            lines.append("")
        elif v.kind == "SubAfter":
            by_group.setdefault(v.group, []).append(v)
    for group in m.java_hashmap_order(list(by_group)):
        lines.append(ROW.format("#Type", "#ConsumerGroup", "#ClientHost", "#ConsumerTime", "#CostTimes", "#Status"))
        for v in by_group[group]:
            lines.append(ROW.format("Sub", v.group, v.client_host, _time(v.timestamp), f"{v.cost_time}ms", v.status))
        lines.append("")
    return "".join(line + "\n" for line in lines)

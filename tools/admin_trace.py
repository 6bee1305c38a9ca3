"""mqadmin queryMsgTraceById -i MSG_ID [-t TRACE_TOPIC] [-b BEGIN_MS] [-e END_MS] [-c MAX]
(QueryMsgTraceByIdSubCommand 4.9.7; -b/-e/-c from 5.x, with 4.9.7's window 0..now and 64 as defaults).

The trace messages are found as the Java tool finds them: QUERY_MESSAGE on the trace topic (default
RMQ_SYS_TRACE_TOPIC) with key = the msgId, at every broker of the topic's route; their bodies are decoded
(remoting.trace) and the records of that msgId become views (TraceView.decodeFromTraceTransData): Pub rows
in the order found, then one block per consumer group (java.util.HashMap order) of its SubAfter rows. The
client host is the trace message's born host; the output is Apache's, column for column.

One deliberate difference: a SubAfter record without timestamp and group (the C++ 2.x core's and the CLOUD
form) takes both from the SubBefore record of the same requestId and msgId, so the consuming group shows;
Java prints an empty group and the time of the query there. As every subcommand of ours, a failure (no route
for the trace topic, no trace message) is one line on stderr and exit status 1, where Java prints the
exception's stack trace and exits 0."""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Callable

from remoting import fastjson, trace
from remoting.bodies import TopicRouteData
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from store import message as m

from .admin_client import AdminError, call, namesrvs

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


async def find_trace_messages(client: RemotingClient, args: argparse.Namespace, topic: str, msg_id: str,
                              max_num: int, begin: int, end: int) -> list[m.StoredMessage]:
    """MQAdminImpl.queryMessage (not by unique key): QUERY_MESSAGE to a broker of each broker group of the
    route (the master, else any), keeping the messages of `topic` whose KEYS hold `msg_id`."""
    resp = await call(client, namesrvs(args)[0], RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
    if resp.code != ResponseCode.SUCCESS:
        raise AdminError(f"The topic[{topic}] not matched route info")
    route = TopicRouteData.from_json(fastjson.loads(resp.body))
    ext = {"topic": topic, "key": msg_id, "maxNum": str(max_num), "beginTimestamp": str(begin),
           "endTimestamp": str(end)}
    found: list[m.StoredMessage] = []
    for bd in route.brokerDatas:
        addr = bd.brokerAddrs.get(0) or next(iter(bd.brokerAddrs.values()), None)
        if addr is None:
            continue
        try:
            resp = await call(client, addr, RequestCode.QUERY_MESSAGE, ext)
        except Exception as e:  # noqa: BLE001 - Java logs a failed broker and goes on with the others
            print(f"queryMessage from {addr} failed: {e}", file=sys.stderr)
            continue
        if resp.code == ResponseCode.SUCCESS:
            found += [x for x in m.decode_all(resp.body or b"")
                      if x.topic == topic and msg_id in (x.props.get("KEYS") or "").split(trace.KEY_SEPARATOR)]
    if not found:
        raise AdminError("query message by key finished, but no message.")
    return found


async def query_trace(client: RemotingClient, args: argparse.Namespace) -> None:
    msg_id = args.msgId.strip()
    topic = (args.traceTopic or trace.DEFAULT_TRACE_TOPIC).strip()
    # 4.9.7 queries up to now with at most 64 messages; -b / -e / -c are 5.x's options for that window
    end = int(args.endTimestamp) if args.endTimestamp else int(time.time() * 1000)
    found = await find_trace_messages(client, args, topic, msg_id, int(args.maxNum or 64),
                                      int(args.beginTimestamp or 0), end)
    print(render(views_of(msg_id, found)), end="")


TRACE_COMMANDS: dict[str, tuple[str, list, Callable]] = {
    "queryMsgTraceById": ("query a message trace",
                          [(("-i", "--msgId"), {"required": True}),
                           (("-t", "--traceTopic"), {"help": "The name value of message trace topic"}),
                           (("-b", "--beginTimestamp"), {"help": "Begin timestamp(ms). default:0"}),
                           (("-e", "--endTimestamp"), {"help": "End timestamp(ms). default: now"}),
                           (("-c", "--maxNum"), {"help": "The maximum number of messages returned by the query, "
                                                         "default:64"})],
                          query_trace),
}

"""startMonitoring: Apache's MonitorService with its DefaultMonitorListener. Every 20 s a round walks the groups
(every %RETRY% topic the NameServer knows): an online group's undone messages per topic (max lag of a queue, the
sum, and how far the last consumed message lags the newest), then its clients' running info checked for
different subscriptions and blocked queues. Meanwhile the OFFSET_MOVED_EVENT topic is consumed as
`__MONITOR_CONSUMER`, each event reported as the messages a group lost to an offset correction.

The listener's lines go to stdout (Java logs them to rocketmq_client.log). Deviation: the first round runs at
start, not after Java's 20 s initial delay, so an operator sees a result at once."""
from __future__ import annotations

import asyncio
import sys
import time

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode

from . import adminext as ax
from . import mqclient as mc
from .cli import CommandError
from .client import AdminClient
from .consumer_cmds import analyze_process_queue, analyze_subscription
from .msgfmt import MQ, RETRY_PREFIX, TOOLS_CONSUMER_GROUP
from store.message import java_hashmap_order

ROUND_INTERVAL = 20.0                 # MonitorConfig.roundInterval
MONITOR_CONSUMER_GROUP = "__MONITOR_CONSUMER"
OFFSET_MOVED_EVENT = "OFFSET_MOVED_EVENT"
V3_1_8_SNAPSHOT = 62                  # clients older than this cannot answer running-info requests
PREFIX = "[MONITOR] "
NOTIFY = PREFIX + " [NOTIFY] "        # Java's LOG_NOTIFY, with its doubled blank


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def undone_msgs(group: str, topic: str, table: dict[MQ, dict], delays: dict[MQ, int]) -> str:
    """computeUndoneMsgs over one topic's queues: the sum of positive lags, the largest lag, the largest delay
    (store time of a queue's newest message minus the group's last consumed one, from `delays`)."""
    total = single = 0
    for w in table.values():
        diff = int(w.get("brokerOffset", 0)) - int(w.get("consumerOffset", 0))
        single = max(single, diff)
        if diff > 0:
            total += diff
    delay = max([0, *delays.values()])
    return (f"UndoneMsgs [consumerGroup={group}, topic={topic}, undoneMsgsTotal={total}, "
            f"undoneMsgsSingleMQ={single}, undoneMsgsDelayTimeMills={delay}]")


def delete_msgs_event(body: dict, store_ts: int) -> str:
    """DeleteMsgsEvent.toString around the OffsetMovedEvent a broker wrote."""
    q = body.get("messageQueue") or {}
    mq = MQ(str(q.get("topic")), str(q.get("brokerName")), int(q.get("queueId", 0)))
    return (f"DeleteMsgsEvent [offsetMovedEvent=OffsetMovedEvent [consumerGroup={body.get('consumerGroup')}, "
            f"messageQueue={mq}, offsetRequest={int(body.get('offsetRequest', 0))}, "
            f"offsetNew={int(body.get('offsetNew', 0))}], eventTimestamp={store_ts}]")


async def _delay(admin: AdminClient, mq: MQ, w: dict) -> int:
    """How long ago, in store time, the group's last consumed message was written before the queue's newest one;
    0 when unknown (Java swallows every failure here)."""
    last = int(w.get("lastTimestamp", 0))
    if last <= 0:
        return 0
    try:
        addr = mc.broker_addr(await admin.route(mq.topic), mq.broker_name)
        top = await mc.max_offset(admin, addr, mq)
        if top <= 0:
            return 0
        res = await mc.pull(admin, addr, TOOLS_CONSUMER_GROUP, mq, top - 1, 1)
    except CommandError:
        return 0
    return res.messages[0].store_timestamp - last if res.status == "FOUND" and res.messages else 0


async def report_undone(admin: AdminClient, group: str) -> None:
    try:
        table, _ = await ax.consume_stats(admin, group)
        await ax.consumer_connection(admin, group)     # an offline group is not reported
    except CommandError:
        return
    by_topic: dict[str, dict[MQ, dict]] = {}
    for mq, w in table.items():
        by_topic.setdefault(mq.topic, {})[mq] = w
    for topic in java_hashmap_order(list(by_topic)):
        queues = by_topic[topic]
        delays = {mq: await _delay(admin, mq, w) for mq, w in queues.items()}
        say(PREFIX + "reportUndoneMsgs: " + undone_msgs(group, topic, queues, delays))


async def report_running_info(admin: AdminClient, group: str) -> None:
    try:
        cc = await ax.consumer_connection(admin, group)
    except CommandError:
        return
    infos: dict[str, dict] = {}
    for conn in cc.get("connectionSet") or []:
        if int(conn.get("version", 0)) < V3_1_8_SNAPSHOT:
            continue
        cid = str(conn.get("clientId"))
        try:
            info = await ax.running_info(admin, group, cid, False)
        except CommandError:
            continue
        if info is not None:
            infos[cid] = info
    if not infos:
        return
    infos = dict(sorted(infos.items()))                # a TreeMap by client id
    if not analyze_subscription(infos):
        say(NOTIFY + f"reportConsumerRunningInfo: ConsumerGroup: {group}, Subscription different")
    for cid, info in infos.items():
        result = analyze_process_queue(cid, info)
        if result:
            say(NOTIFY + f"reportConsumerRunningInfo: ConsumerGroup: {group}, ClientId: {cid}, {result}")


async def one_round(admin: AdminClient) -> None:
    say(PREFIX + "=========================================beginRound")
    try:
        resp = await admin.namesrv(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)
        topics = list(fastjson.loads(resp.body).get("topicList") or [])
    except CommandError as e:
        print(f"fetch topic list failed: {e}", file=sys.stderr)
        topics = []
    for topic in java_hashmap_order(topics):       # a HashSet in Java
        if topic.startswith(RETRY_PREFIX):
            group = topic[len(RETRY_PREFIX):]
            await report_undone(admin, group)
            await report_running_info(admin, group)
    say(PREFIX + "=========================================endRound")


class OffsetMovedWatcher:
    """The push consumer of OFFSET_MOVED_EVENT: each queue from the group's committed offset (a new group starts
    at the queue's end, CONSUME_FROM_LAST_OFFSET), long polling, offsets committed after each batch."""

    SUSPEND_MS = 15000

    def __init__(self, admin: AdminClient) -> None:
        self.admin = admin
        self.offsets: dict[MQ, tuple[str, int]] = {}

    async def position(self) -> None:
        try:
            route = await self.admin.route(OFFSET_MOVED_EVENT)
        except CommandError as e:
            print(f"no route of {OFFSET_MOVED_EVENT}: {e}", file=sys.stderr)
            return
        for mq in mc.read_queues(route, OFFSET_MOVED_EVENT):
            addr = mc.broker_addr(route, mq.broker_name)
            resp = await self.admin.call(addr, RequestCode.QUERY_CONSUMER_OFFSET, {
                "consumerGroup": MONITOR_CONSUMER_GROUP, "topic": mq.topic, "queueId": str(mq.queue_id)})
            if resp.code == ResponseCode.SUCCESS:
                offset = int(resp.ext("offset", "0") or 0)
            else:
                offset = await mc.max_offset(self.admin, addr, mq)
            self.offsets[mq] = (addr, offset)

    async def run(self) -> None:
        await asyncio.gather(*(self._queue(mq) for mq in self.offsets))

    async def _queue(self, mq: MQ) -> None:
        addr, offset = self.offsets[mq]
        while True:
            try:
                res = await mc.pull(self.admin, addr, MONITOR_CONSUMER_GROUP, mq, offset, 32,
                                    suspend_ms=self.SUSPEND_MS)
            except CommandError as e:
                print(f"pull {mq} failed: {e}", file=sys.stderr)
                await asyncio.sleep(3)        # PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION
                continue
            for msg in res.messages:
                try:
                    body = fastjson.loads(msg.body)
                except ValueError:
                    continue                  # Java's listener swallows an unreadable event
                say(PREFIX + "reportDeleteMsgsEvent: " + delete_msgs_event(body, msg.store_timestamp))
            if res.next_begin != offset:
                offset = res.next_begin
                try:
                    await ax.update_offset(self.admin, addr, MONITOR_CONSUMER_GROUP, mq, offset)
                except CommandError:
                    pass


async def start_monitoring(admin: AdminClient) -> None:
    """Until the process is killed."""
    watcher = OffsetMovedWatcher(admin)
    await watcher.position()
    events = asyncio.create_task(watcher.run())
    try:
        while True:
            begin = time.monotonic()
            await one_round(admin)
            await asyncio.sleep(max(0.0, ROUND_INTERVAL - (time.monotonic() - begin)))
    finally:
        events.cancel()

"""DefaultMQAdminExt's consumer and message calls the subcommands share: consume stats and connections of a
group (found through its %RETRY% topic's route), running info, consume-directly, offset resets, message
look-ups. Each raises AdminError with Java's response code where Java raises MQClientException, so callers
can take Java's fallbacks (CONSUMER_NOT_ONLINE)."""
from __future__ import annotations

import random
import sys

from remoting import fastjson
from remoting.bodies import BrokerData, TopicRouteData
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand
from store import message as m

from .cli import CommandError
from .client import AdminClient, AdminError
from .msgfmt import JAVA_LONG_MAX, MQ, RETRY_PREFIX, connection_enums, java_hashset_order, mq_table

QUERY_MAX = 64
_IMPL = "org.apache.rocketmq.tools.admin.DefaultMQAdminExtImpl"
ROUTE_FRAME = "org.apache.rocketmq.client.impl.MQClientAPIImpl.getTopicRouteInfoFromNameServer(MQClientAPIImpl.java:1419)"


class ClientError(AdminError):
    """An error Java raises as MQClientException (not MQBrokerException); `frame` is where Java raises it, for the
    places that print RemotingHelper.exceptionSimpleDesc (queryMsgById's MessageTrack)."""

    def __init__(self, code: int, remark: str | None, frame: str) -> None:
        super().__init__(code, remark)
        self.frame = frame

    def java_desc(self) -> str:
        msg = f"CODE: {self.code}  DESC: {self.remark}"
        if "\nSee " not in msg:   # FAQUrl.attachDefaultURL
            msg += "\nFor more information, please visit the url, http://rocketmq.apache.org/docs/faq/"
        return f"org.apache.rocketmq.client.exception.MQClientException: {msg}, {self.frame}"


async def route(admin: AdminClient, topic: str) -> TopicRouteData:
    try:
        return await admin.route(topic)
    except AdminError as e:
        raise ClientError(e.code, e.remark, ROUTE_FRAME) from None


def select_addr(bd: BrokerData) -> str | None:
    """BrokerData.selectBrokerAddr: the master, else any slave."""
    addr = bd.brokerAddrs.get(0)
    if addr is None and bd.brokerAddrs:
        addr = random.choice(list(bd.brokerAddrs.values()))
    return addr


def body_json(resp: RemotingCommand) -> dict:
    if not resp.body:
        return {}
    try:
        return fastjson.loads(bytes(resp.body))
    except ValueError as e:
        raise CommandError(f"unreadable answer body: {e}") from None


async def group_route(admin: AdminClient, group: str) -> TopicRouteData:
    return await route(admin, RETRY_PREFIX + group)


async def consume_stats(admin: AdminClient, group: str, topic: str | None = None) -> tuple[dict[MQ, dict], float]:
    """examineConsumeStats: GET_CONSUME_STATS to every broker of the group's retry topic; the merged
    offset table and the summed TPS. No offsets at all is CONSUMER_NOT_ONLINE as in Java."""
    rd = await group_route(admin, group)
    table: dict[MQ, dict] = {}
    tps = 0.0
    ext = {"consumerGroup": group}
    if topic:
        ext["topic"] = topic
    for bd in rd.brokerDatas:
        addr = select_addr(bd)
        if addr:
            d = body_json(await admin.ok(addr, RequestCode.GET_CONSUME_STATS, ext, timeout=admin.timeout * 3))
            table.update(mq_table(d.get("offsetTable")))
            tps += float(d.get("consumeTps", 0) or 0)
    if not table:
        raise ClientError(ResponseCode.CONSUMER_NOT_ONLINE, "Not found the consumer group consume stats, because "
                          "return offset table is empty, maybe the consumer not consume any message",
                          f"{_IMPL}.examineConsumeStats(DefaultMQAdminExtImpl.java:323)")
    return table, tps


async def min_offsets(admin: AdminClient, table: dict[MQ, dict]) -> dict[MQ, int]:
    """The min offset of every queue in a consume-stats table (GET_TOPIC_STATS_INFO per topic and broker): where a
    consumer offset is below it, messages were deleted (retention) before the group consumed them."""
    out: dict[MQ, int] = {}
    for topic in sorted({mq.topic for mq in table}):
        names = {mq.broker_name for mq in table if mq.topic == topic}
        for bd in (await admin.route(topic)).brokerDatas:
            addr = select_addr(bd)
            if addr and bd.brokerName in names:
                d = body_json(await admin.ok(addr, RequestCode.GET_TOPIC_STATS_INFO, {"topic": topic}))
                out.update((mq, int(w.get("minOffset", 0))) for mq, w in mq_table(d.get("offsetTable")).items())
    return out


async def consumer_connection(admin: AdminClient, group: str, addr: str | None = None) -> dict:
    """examineConsumerConnectionInfo: GET_CONSUMER_CONNECTION_LIST to one broker of the retry topic (or `addr`)."""
    given = addr is not None
    if addr is None:
        rd = await group_route(admin, group)
        if not rd.brokerDatas:
            raise CommandError("the group's retry topic has no broker")
        addr = select_addr(random.choice(rd.brokerDatas))
    cc: dict = {}
    if addr:
        cc = body_json(await admin.ok(addr, RequestCode.GET_CONSUMER_CONNECTION_LIST, {"consumerGroup": group}))
    if not cc.get("connectionSet"):
        raise ClientError(ResponseCode.CONSUMER_NOT_ONLINE, "Not found the consumer group connection",
                          f"{_IMPL}.examineConsumerConnectionInfo(DefaultMQAdminExtImpl.java:{387 if given else 372})")
    return connection_enums(cc)


async def running_info(admin: AdminClient, group: str, client_id: str, jstack: bool) -> dict | None:
    """getConsumerRunningInfo: GET_CONSUMER_RUNNING_INFO through the first broker of the retry topic."""
    rd = await group_route(admin, group)
    for bd in rd.brokerDatas:
        addr = select_addr(bd)
        if addr:
            ext = {"consumerGroup": group, "clientId": client_id, "jstackEnable": "true" if jstack else "false"}
            return body_json(await admin.ok(addr, RequestCode.GET_CONSUMER_RUNNING_INFO, ext,
                                            timeout=admin.timeout * 3))
    return None


async def update_offset(admin: AdminClient, addr: str, group: str, mq: MQ, offset: int) -> None:
    await admin.ok(addr, RequestCode.UPDATE_CONSUMER_OFFSET, {"consumerGroup": group, "topic": mq.topic,
                                                              "queueId": str(mq.queue_id),
                                                              "commitOffset": str(offset)})


async def reset_offset_by_time(admin: AdminClient, topic: str, group: str, timestamp: int, force: bool,
                               cplus: bool = False) -> dict[MQ, int]:
    """resetOffsetByTimestamp: INVOKE_BROKER_TO_RESET_OFFSET to every broker of the topic (language CPP for -c)."""
    route = await admin.route(topic)
    out: dict[MQ, int] = {}
    ext = {"topic": topic, "group": group, "timestamp": str(timestamp), "isForce": "true" if force else "false"}
    for bd in route.brokerDatas:
        addr = select_addr(bd)
        if not addr:
            continue
        req = admin.request(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, ext, language="CPP" if cplus else "JAVA")
        try:
            resp = await admin.remoting.invoke(addr, req, timeout=admin.timeout)
        except (OSError, ConnectionError) as e:
            raise CommandError(f"connect to {addr} failed: {e}") from None
        except TimeoutError:
            raise CommandError(f"wait response on the channel <{addr}> timeout, {admin.timeout:g}(s)") from None
        if resp.code != ResponseCode.SUCCESS or resp.body is None:
            raise AdminError(resp.code, resp.remark)
        out.update({mq: int(v) for mq, v in mq_table(body_json(resp).get("offsetTable")).items()})
    return {mq: out[mq] for mq in java_hashset_order(list(out))}   # Java prints its HashMap


async def reset_offset_old(admin: AdminClient, group: str, topic: str, timestamp: int,
                           force: bool) -> list[dict]:
    """resetOffsetByTimestampOld: per broker, the group's offsets of the topic (or every read queue from the
    topic's stats when it has none), each moved to the offset of `timestamp` (-1: the max offset) when forced
    or when that is a rollback; the RollbackStats rows."""
    route = await admin.route(topic)
    read_nums = {}
    for bd in route.brokerDatas:
        for qd in route.queueDatas:
            if qd.brokerName == bd.brokerName:
                read_nums[bd.brokerName] = qd.readQueueNums
    rows = []
    for bd in route.brokerDatas:
        addr = select_addr(bd)
        if not addr:
            continue
        d = body_json(await admin.ok(addr, RequestCode.GET_CONSUME_STATS, {"consumerGroup": group}))
        offsets = {mq: w for mq, w in mq_table(d.get("offsetTable")).items() if mq.topic == topic}
        if not offsets:
            stats = mq_table(body_json(await admin.ok(addr, RequestCode.GET_TOPIC_STATS_INFO,
                                                      {"topic": topic})).get("offsetTable"))
            for i in range(read_nums.get(bd.brokerName, 0)):
                mq = MQ(topic, bd.brokerName, i)
                st = stats.get(mq)
                if st is None:
                    raise CommandError(f"no offsets of {mq} in the topic's stats")
                offsets[mq] = {"brokerOffset": st.get("maxOffset", 0), "consumerOffset": st.get("minOffset", 0)}
        for mq, w in offsets.items():
            ext = {"topic": mq.topic, "queueId": str(mq.queue_id)}
            if timestamp == -1:
                target = int((await admin.ok(addr, RequestCode.GET_MAX_OFFSET, ext)).ext("offset", "0"))
            else:
                ext["timestamp"] = str(timestamp)
                target = int((await admin.ok(addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, ext)).ext("offset", "0"))
            consumer = int(w.get("consumerOffset", 0))
            row = {"brokerName": mq.broker_name, "queueId": mq.queue_id,
                   "brokerOffset": int(w.get("brokerOffset", 0)), "consumerOffset": consumer,
                   "timestampOffset": target, "rollbackOffset": consumer}
            if force or target <= consumer:
                row["rollbackOffset"] = target
                await update_offset(admin, addr, group, mq, target)
            rows.append(row)
    return rows


# ---------------------------------------------------------------- messages

async def view_message(admin: AdminClient, msg_id: str) -> m.StoredMessage:
    """viewMessage(offsetMsgId): VIEW_MESSAGE_BY_ID to the store host the id names."""
    try:
        (host, port), offset = m.decode_offset_msg_id(msg_id)
    except (ValueError, IndexError):
        raise CommandError(f"not an offset message id: {msg_id}") from None
    addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    resp = await admin.ok(addr, RequestCode.VIEW_MESSAGE_BY_ID, {"offset": str(offset)})
    found = m.decode_all(resp.body or b"")
    if not found:
        raise AdminError(ResponseCode.SYSTEM_ERROR, f"no message at offset {offset} of {addr}")
    return found[0]


async def query_message(admin: AdminClient, topic: str, key: str, max_num: int, begin: int = 0,
                        end: int = JAVA_LONG_MAX, unique: bool = False) -> list[m.StoredMessage]:
    """MQAdminImpl.queryMessage: QUERY_MESSAGE to a broker of each broker group of the topic, the messages whose
    KEYS hold the key (or whose UNIQ_KEY is it); none is NO_MESSAGE "query message by key finished, but no message.".
    A topic without a route is Java's TOPIC_NOT_EXIST "The topic[T] not matched route info"."""
    try:
        route = await admin.route(topic)
    except AdminError as e:
        if e.code != ResponseCode.TOPIC_NOT_EXIST:
            raise
        raise AdminError(ResponseCode.TOPIC_NOT_EXIST, f"The topic[{topic}] not matched route info") from None
    ext = {"topic": topic, "key": key, "maxNum": str(max_num), "beginTimestamp": str(begin),
           "endTimestamp": str(end)}
    if unique:
        ext["_UNIQUE_KEY_QUERY"] = "true"
    out: list[m.StoredMessage] = []
    for bd in route.brokerDatas:
        addr = select_addr(bd)
        if not addr:
            continue
        try:
            resp = await admin.call(addr, RequestCode.QUERY_MESSAGE, ext)
        except CommandError as e:   # Java logs a failed broker and goes on with the others
            print(f"queryMessage from {addr} failed: {e}", file=sys.stderr)
            continue
        if resp.code == ResponseCode.SUCCESS:
            out += m.decode_all(resp.body or b"")
        elif resp.code != ResponseCode.QUERY_NOT_FOUND:
            print(f"queryMessage from {addr}: CODE: {resp.code}  DESC: {resp.remark}", file=sys.stderr)
    if unique:
        out = [x for x in out if x.props.get("UNIQ_KEY") == key and x.topic == topic]
    else:
        out = [x for x in out if x.topic == topic and key in (x.props.get("KEYS") or "").split(" ")]
    if not out:
        raise AdminError(ResponseCode.NO_MESSAGE, "query message by key finished, but no message.")
    return out


async def topic_consumed_by(admin: AdminClient, topic: str) -> list[str]:
    """queryTopicConsumeByWho: QUERY_TOPIC_CONSUME_BY_WHO to a broker of the topic."""
    route = await admin.route(topic)
    for bd in route.brokerDatas:
        addr = select_addr(bd)
        if addr:
            d = body_json(await admin.ok(addr, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, {"topic": topic}))
            return m.java_hashmap_order(list(d.get("groupList") or []))   # GroupList holds a HashSet
    return []

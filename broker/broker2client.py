"""Requests the broker makes to its clients on their own connections (Broker2Client.java): forwarding an
admin's question to one consumer (callClient), pushing new offsets to a group (resetOffset), and collecting
each consumer's offsets (getConsumeStatus). The answers are built with Java 4.9.7's codes and remarks."""
from __future__ import annotations

import logging
from typing import Callable

from remoting import fastjson
from remoting.codes import MQVersion, RequestCode, ResponseCode, version_desc
from remoting.command import RemotingCommand, make_request
from remoting.errors import RemotingSendRequestError, RemotingTimeoutError
from store.message_store import MessageStore

from .client_manager import ClientChannel, ConsumerManager
from .consumer_offset import ConsumerOffsetManager
from .processors.common import mq_key
from .topic_config import TopicConfigManager

log = logging.getLogger("broker")

CALL_CLIENT_TIMEOUT = 10.0       # Broker2Client.callClient: invokeSync(channel, request, 10000)
CONSUMER_STATUS_TIMEOUT = 5.0    # Broker2Client.getConsumeStatus: invokeSync(..., 5000)

# The first stack frame of Java's exceptions as RemotingHelper.exceptionSimpleDesc prints it (4.9.7 sources)
_INVOKE_SYNC_TIMEOUT_AT = ("org.apache.rocketmq.remoting.netty.NettyRemotingAbstract.invokeSyncImpl"
                           "(NettyRemotingAbstract.java:438)")
_INVOKE_SYNC_SEND_AT = ("org.apache.rocketmq.remoting.netty.NettyRemotingAbstract.invokeSyncImpl"
                        "(NettyRemotingAbstract.java:441)")


def timeout_desc(addr: str, timeout: float) -> str:
    return (f"org.apache.rocketmq.remoting.exception.RemotingTimeoutException: wait response on the channel "
            f"<{addr}> timeout, {int(timeout * 1000)}(ms), {_INVOKE_SYNC_TIMEOUT_AT}")


def send_failed_desc(addr: str) -> str:
    return (f"org.apache.rocketmq.remoting.exception.RemotingSendRequestException: send request to <{addr}> "
            f"failed, {_INVOKE_SYNC_SEND_AT}")


def _response(code: int, remark: str | None = None, body: bytes | None = None) -> RemotingCommand:
    return RemotingCommand(code=int(code), remark=remark, body=body)


class Broker2Client:
    def __init__(self, broker_name: str, store: MessageStore, topics: TopicConfigManager,
                 consumers: ConsumerManager, offsets: ConsumerOffsetManager) -> None:
        self.broker_name = broker_name
        self.store = store
        self.topics = topics
        self.consumers = consumers
        self.offsets = offsets
        self.call_timeout = CALL_CLIENT_TIMEOUT
        self.status_timeout = CONSUMER_STATUS_TIMEOUT

    # ------------------------------------------------------------ one consumer
    def find_channel(self, group: str, client_id: str) -> ClientChannel | None:
        """ConsumerManager.findChannel(group, clientId)."""
        info = self.consumers.groups.get(group)
        if info is None:
            return None
        for ch in info.channels.values():
            if ch.client_id == client_id:
                return ch
        return None

    async def call_consumer(self, code: int, ext_fields: dict[str, str] | None, body: bytes | None,
                            group: str, client_id: str | None) -> RemotingCommand:
        """AdminBrokerProcessor.callConsumer: a new request with the admin's code, extFields and body to the
        consumer's connection; its answer (code, remark, extFields, body) goes back to the admin as it is."""
        ch = self.find_channel(group, client_id) if client_id is not None else None
        if ch is None:
            shown = "null" if client_id is None else client_id
            return _response(ResponseCode.SYSTEM_ERROR, f"The Consumer <{group}> <{shown}> not online")
        if ch.version < MQVersion.V3_1_8_SNAPSHOT:
            return _response(ResponseCode.SYSTEM_ERROR,
                             f"The Consumer <{client_id}> Version <{version_desc(ch.version)}> too low to finish, "
                             f"please upgrade it to V3_1_8_SNAPSHOT")
        conn = ch.conn
        addr = getattr(conn, "remote_addr", "")
        request = make_request(code, dict(ext_fields) if ext_fields is not None else None, body)
        was_open = not getattr(conn, "closed", False)
        try:
            answer = await conn.request(request, self.call_timeout)
        except (RemotingTimeoutError, RemotingSendRequestError) as e:
            if isinstance(e, RemotingSendRequestError) and not (was_open and getattr(conn, "closed", False)):
                log.warning("invoke consumer %s of %s failed: %s", client_id, group, e)
                return _response(ResponseCode.SYSTEM_ERROR,
                                 f"invoke consumer <{group}> <{client_id}> Exception: {send_failed_desc(addr)}")
            # sent, then no answer; also when the channel closed meanwhile: a 4.9.7 server does not fail its
            # waiting requests on a close (failFast is the client's only), so Java's answer is the timeout one
            # (given here at once instead of at the end of the wait)
            return _response(ResponseCode.CONSUME_MSG_TIMEOUT,
                             f"consumer <{group}> <{client_id}> Timeout: {timeout_desc(addr, self.call_timeout)}")
        except Exception as e:  # noqa: BLE001 - Java: any other failure of invokeSync is a SYSTEM_ERROR remark
            log.warning("invoke consumer %s of %s failed: %s", client_id, group, e)
            return _response(ResponseCode.SYSTEM_ERROR,
                             f"invoke consumer <{group}> <{client_id}> Exception: {send_failed_desc(addr)}")
        # the client's answer is the admin's answer (the dispatcher puts the admin's opaque on it)
        return RemotingCommand(code=answer.code, language=answer.language, version=answer.version,
                               remark=answer.remark, ext_fields=answer.ext_fields, body=answer.body)

    # ------------------------------------------------------------ reset offset
    def reset_offset(self, topic: str, group: str, timestamp: int, force: bool, for_c: bool) -> RemotingCommand:
        """Broker2Client.resetOffset: the new offset of every write queue, pushed oneway to every consumer of
        the group as RESET_CONSUMER_CLIENT_OFFSET. Like Java, the committed offsets are not touched here: the
        consumers apply the new offsets and commit them."""
        tc = self.topics.get(topic)
        if tc is None:
            log.error("[reset-offset] reset offset failed, no topic in this broker. topic=%s", topic)
            return _response(ResponseCode.SYSTEM_ERROR,
                             f"[reset-offset] reset offset failed, no topic in this broker. topic={topic}")
        table: dict[int, int] = {}
        for q in range(tc.writeQueueNums):
            current = self.offsets.query(group, topic, q)
            if current == -1:
                return _response(ResponseCode.SYSTEM_ERROR, f"THe consumer group <{group}> not exist")
            if timestamp == -1:
                target = self.store.max_offset_in_queue(topic, q)
            else:
                target = self.store.offset_in_queue_by_time(topic, q, timestamp)
            if target < 0:
                log.warning("reset offset is invalid. topic=%s, queueId=%d, timeStampOffset=%d", topic, q, target)
                target = 0
            table[q] = target if force or target < current else current
        mq_table = {mq_key({"brokerName": self.broker_name, "queueId": q, "topic": topic}): off
                    for q, off in table.items()}
        if for_c:
            body = fastjson.dumpb({"offsetTable": [{"brokerName": self.broker_name, "offset": off, "queueId": q,
                                                    "topic": topic} for q, off in table.items()]})
        else:
            body = fastjson.dumpb({"offsetTable": mq_table})
        # ResetOffsetRequestHeader as Java fills it: isForce is a primitive boolean left false
        header = {"topic": topic, "group": group, "timestamp": str(timestamp), "isForce": "false"}
        info = self.consumers.groups.get(group)
        if info is None or not info.channels:
            remark = (f"Consumer not online, so can not reset offset, Group: {group} Topic: {topic} "
                      f"Timestamp: {timestamp}")
            log.error(remark)
            return _response(ResponseCode.CONSUMER_NOT_ONLINE, remark)
        for ch in list(info.channels.values()):
            if ch.version < MQVersion.V3_0_7_SNAPSHOT:
                return _response(ResponseCode.SYSTEM_ERROR,
                                 f"the client does not support this feature. version={version_desc(ch.version)}")
            try:
                ch.conn.oneway(make_request(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, dict(header), body))
                log.info("[reset-offset] reset offset success. topic=%s, group=%s, clientId=%s",
                         topic, group, ch.client_id)
            except Exception as e:  # noqa: BLE001 - Java logs and goes on with the next channel
                log.error("[reset-offset] reset offset exception. topic=%s, group=%s ,error=%s", topic, group, e)
        return _response(ResponseCode.SUCCESS, body=fastjson.dumpb({"offsetTable": mq_table}))

    # ------------------------------------------------------------ consumer status
    async def get_consume_status(self, topic: str, group: str, origin_client_id: str | None) -> RemotingCommand:
        """Broker2Client.getConsumeStatus: GET_CONSUMER_STATUS_FROM_CLIENT to each consumer (or only the one
        named), 5 s each, one after the other; a consumer that fails or does not answer is left out."""
        info = self.consumers.groups.get(group)
        if info is None:
            # Java dereferences the missing group: the remoting layer's answer to its NullPointerException
            return _response(ResponseCode.SYSTEM_ERROR, "java.lang.NullPointerException, org.apache.rocketmq.broker."
                             "client.net.Broker2Client.getConsumeStatus(Broker2Client.java:243)")
        if not info.channels:
            return _response(ResponseCode.SYSTEM_ERROR, f"No Any Consumer online in the consumer group: [{group}]")
        header = {"topic": topic, "group": group}
        table: dict[str, object] = {}
        for ch in list(info.channels.values()):
            if ch.version < MQVersion.V3_0_7_SNAPSHOT:
                return _response(ResponseCode.SYSTEM_ERROR,
                                 f"the client does not support this feature. version={version_desc(ch.version)}")
            if origin_client_id and origin_client_id != ch.client_id:
                continue
            try:
                answer = await ch.conn.request(make_request(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT,
                                                            dict(header)), self.status_timeout)
                if answer.code == ResponseCode.SUCCESS and answer.body is not None:
                    decoded = fastjson.loads(answer.body) or {}
                    table[ch.client_id] = _mq_map(decoded.get("messageQueueTable"))
            except Exception as e:  # noqa: BLE001
                log.error("[get-consumer-status] get consumer status exception. topic=%s, group=%s, error=%s",
                          topic, group, e)
            if origin_client_id:
                break
        return _response(ResponseCode.SUCCESS,
                         body=fastjson.dumpb({"consumerTable": table, "messageQueueTable": {}}))


def _mq_map(table: object) -> dict:
    """A MessageQueue-keyed map as a client wrote it, re-keyed the way fastjson writes it back."""
    out: dict = {}
    if not isinstance(table, dict):
        return out
    for k, v in table.items():
        if isinstance(k, tuple):
            d = dict(k)
            out[mq_key({"brokerName": d.get("brokerName", ""), "queueId": d.get("queueId", 0),
                        "topic": d.get("topic", "")})] = v
    return out

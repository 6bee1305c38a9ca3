"""GET_CONSUMER_LIST_BY_GROUP, QUERY_CONSUMER_OFFSET, UPDATE_CONSUMER_OFFSET (ConsumerManageProcessor.java)."""
from __future__ import annotations

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler
from remoting.headers import (GetConsumerListByGroupRequestHeader, OffsetResponseHeader,
                              QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader)
from store.message_store import MessageStore

from ..client_manager import ConsumerManager
from ..consumer_offset import ConsumerOffsetManager


class ConsumerManageProcessor:
    def __init__(self, store: MessageStore, consumers: ConsumerManager, offsets: ConsumerOffsetManager) -> None:
        self.store = store
        self.consumers = consumers
        self.offsets = offsets

    def table(self) -> dict[int, Handler]:
        return {RequestCode.GET_CONSUMER_LIST_BY_GROUP: self.get_consumer_list,
                RequestCode.UPDATE_CONSUMER_OFFSET: self.update_offset,
                RequestCode.QUERY_CONSUMER_OFFSET: self.query_offset}

    def get_consumer_list(self, conn, req: RemotingCommand) -> RemotingCommand:
        h = GetConsumerListByGroupRequestHeader.decode(req.ext_fields)
        info = self.consumers.groups.get(h.consumerGroup)
        if info is None or not info.channels:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"no consumer for this group, {h.consumerGroup}",
                                 ext_fields={})
        body = fastjson.dumpb({"consumerIdList": info.client_ids()})
        # an empty custom header (GetConsumerListByGroupResponseHeader): "extFields":{} on the wire
        return make_response(req, ResponseCode.SUCCESS, ext_fields={}, body=body)

    def update_offset(self, conn, req: RemotingCommand) -> RemotingCommand:
        h = UpdateConsumerOffsetRequestHeader.decode(req.ext_fields)
        self.offsets.commit(h.consumerGroup, h.topic, h.queueId, h.commitOffset)
        return make_response(req, ResponseCode.SUCCESS, ext_fields={})

    def query_offset(self, conn, req: RemotingCommand) -> RemotingCommand:
        h = QueryConsumerOffsetRequestHeader.decode(req.ext_fields)
        offset = self.offsets.query(h.consumerGroup, h.topic, h.queueId)
        if offset >= 0:
            return make_response(req, ResponseCode.SUCCESS, ext_fields=OffsetResponseHeader(offset).encode())
        if h.setZeroIfNotFound is not False:
            min_offset = self.store.min_offset_in_queue(h.topic, h.queueId)
            if min_offset <= 0 and not self._in_disk(h.topic, h.queueId, 0):
                return make_response(req, ResponseCode.SUCCESS, ext_fields=OffsetResponseHeader(0).encode())
        return make_response(req, ResponseCode.QUERY_NOT_FOUND,
                             "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first", ext_fields={})

    def _in_disk(self, topic: str, queue_id: int, cq_offset: int) -> bool:
        """checkInDiskByConsumeOffset: the message is older than the hot part of memory."""
        phys = self.store.commit_log_offset_in_queue(topic, queue_id, cq_offset)
        cq = self.store.consume_queue(topic, queue_id)
        if cq is None or cq.entry(cq_offset) is None:
            return False
        return self.store.commitlog.max_offset() - phys > self.store.memory_limit

"""Offsets asked by admins and clients (AdminBrokerProcessor.java): queue min/max/earliest, offset by time, the
consumer and delay offset tables."""
from __future__ import annotations

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler
from remoting.headers import (GetEarliestMsgStoretimeResponseHeader, OffsetResponseHeader, SearchOffsetRequestHeader,
                              TopicQueueRequestHeader)
from store.message_store import MessageStore

from ..consumer_offset import ConsumerOffsetManager
from ..schedule import ScheduleMessageService


class OffsetAdminProcessor:
    def __init__(self, store: MessageStore, offsets: ConsumerOffsetManager, schedule: ScheduleMessageService) -> None:
        self.store = store
        self.offsets = offsets
        self.schedule = schedule

    def table(self) -> dict[int, Handler]:
        R = RequestCode
        return {R.GET_MAX_OFFSET: self.get_max_offset, R.GET_MIN_OFFSET: self.get_min_offset,
                R.GET_EARLIEST_MSG_STORETIME: self.get_earliest_msg_storetime,
                R.SEARCH_OFFSET_BY_TIMESTAMP: self.search_offset_by_timestamp,
                R.GET_ALL_CONSUMER_OFFSET: self.get_all_consumer_offset,
                R.GET_ALL_DELAY_OFFSET: self.get_all_delay_offset}

    def get_max_offset(self, conn, req):
        h = TopicQueueRequestHeader.decode(req.ext_fields)
        return make_response(req, ResponseCode.SUCCESS,
                             ext_fields=OffsetResponseHeader(self.store.max_offset_in_queue(h.topic, h.queueId)).encode())

    def get_min_offset(self, conn, req):
        h = TopicQueueRequestHeader.decode(req.ext_fields)
        return make_response(req, ResponseCode.SUCCESS,
                             ext_fields=OffsetResponseHeader(self.store.min_offset_in_queue(h.topic, h.queueId)).encode())

    def get_earliest_msg_storetime(self, conn, req):
        h = TopicQueueRequestHeader.decode(req.ext_fields)
        ts = self.store.earliest_message_time(h.topic, h.queueId)
        return make_response(req, ResponseCode.SUCCESS, ext_fields=GetEarliestMsgStoretimeResponseHeader(ts).encode())

    def search_offset_by_timestamp(self, conn, req):
        h = SearchOffsetRequestHeader.decode(req.ext_fields)
        off = self.store.offset_in_queue_by_time(h.topic, h.queueId, h.timestamp)
        return make_response(req, ResponseCode.SUCCESS, ext_fields=OffsetResponseHeader(off).encode())

    def get_all_consumer_offset(self, conn, req):
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.offsets.to_json()))

    def get_all_delay_offset(self, conn, req):
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb(self.schedule.to_json()))

"""QUERY_MESSAGE (by key) and VIEW_MESSAGE_BY_ID (by commit-log offset) (QueryMessageProcessor.java)."""
from __future__ import annotations

from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler
from remoting.headers import QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader
from store.message_store import MessageStore


class QueryProcessor:
    def __init__(self, store: MessageStore) -> None:
        self.store = store

    def table(self) -> dict[int, Handler]:
        return {RequestCode.QUERY_MESSAGE: self.query_message, RequestCode.VIEW_MESSAGE_BY_ID: self.view_message}

    def query_message(self, conn, req: RemotingCommand) -> RemotingCommand:
        h = QueryMessageRequestHeader.decode(req.ext_fields)
        max_num = h.maxNum
        if (req.ext("_UNIQUE_KEY_QUERY") or "").lower() == "true":
            max_num = self.store.config.defaultQueryMaxNum
        msgs, last_ts, last_phy = self.store.query_message(h.topic, h.key, max_num, h.beginTimestamp, h.endTimestamp)
        header = QueryMessageResponseHeader(last_ts, last_phy).encode()
        if not msgs:
            return make_response(req, ResponseCode.QUERY_NOT_FOUND,
                                 "can not find message, maybe time range not correct", ext_fields=header)
        body = b"".join(bytes(self.store.select_one_message_by_offset(x.physical_offset, x.store_size)) for x in msgs)
        return make_response(req, ResponseCode.SUCCESS, ext_fields=header, body=body)

    def view_message(self, conn, req: RemotingCommand) -> RemotingCommand:
        h = ViewMessageRequestHeader.decode(req.ext_fields)
        view = self.store.select_one_message_by_offset(h.offset)
        if view is None:
            return make_response(req, ResponseCode.SYSTEM_ERROR, f"can not find message by the offset, {h.offset}")
        body = bytes(view)
        view.release()
        return make_response(req, ResponseCode.SUCCESS, body=body)

"""The transaction request codes: END_TRANSACTION (EndTransactionProcessor.java), a producer's commit or
rollback of a half message, sent after its local transaction or as the answer to CHECK_TRANSACTION_STATE (a
slave refuses it); and the operator's RESUME_CHECK_HALF_MESSAGE (AdminBrokerProcessor.java)."""
from __future__ import annotations

import logging

from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler
from remoting.headers import EndTransactionRequestHeader, ResumeCheckHalfMessageRequestHeader
from store.message_store import MessageStore

from ..transaction.service import (TRANSACTION_COMMIT_TYPE, TRANSACTION_NOT_TYPE, TRANSACTION_ROLLBACK_TYPE,
                                   Decision, TransactionalMessageService)

log = logging.getLogger("broker.transaction")

_KINDS = {TRANSACTION_NOT_TYPE: "pending", TRANSACTION_COMMIT_TYPE: "commit", TRANSACTION_ROLLBACK_TYPE: "rollback"}


class SlaveEndTransactionProcessor:
    def table(self) -> dict[int, Handler]:
        return {RequestCode.END_TRANSACTION: self.end_transaction,
                RequestCode.RESUME_CHECK_HALF_MESSAGE: self.resume_check_half_message}

    def resume_check_half_message(self, conn, req: RemotingCommand) -> RemotingCommand:
        # Java's slave tries the put, which its store refuses
        return make_response(req, ResponseCode.SYSTEM_ERROR, "Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed.")

    def end_transaction(self, conn, req: RemotingCommand) -> RemotingCommand:
        log.warning("Message store is slave mode, so end transaction is forbidden. ")
        return make_response(req, ResponseCode.SLAVE_NOT_AVAILABLE)


class EndTransactionProcessor:
    def __init__(self, service: TransactionalMessageService, store: MessageStore) -> None:
        self.service = service
        self.store = store
        self.metrics = None     # broker/metrics.BrokerMetrics when the exporter is on: commits and rollbacks

    def table(self) -> dict[int, Handler]:
        return {RequestCode.END_TRANSACTION: self.end_transaction,
                RequestCode.RESUME_CHECK_HALF_MESSAGE: self.resume_check_half_message}

    def resume_check_half_message(self, conn, req: RemotingCommand) -> RemotingCommand:
        decision = self.service.resume(ResumeCheckHalfMessageRequestHeader.decode(req.ext_fields).msgId)
        return make_response(req, decision.code, decision.remark)

    def end_transaction(self, conn, req: RemotingCommand):
        h = EndTransactionRequestHeader.decode(req.ext_fields)
        kind = _KINDS.get(h.commitOrRollback)
        if kind is None:            # checkFields, while decoding the header
            return make_response(req, ResponseCode.SYSTEM_ERROR, "commitOrRollback field wrong")
        if log.isEnabledFor(logging.DEBUG):
            # Java warns on every UNKNOW, rollback and check answer; at thousands a second that is a cost and
            # noise, so here they are debug lines
            log.debug("%s from %s: %s. %s", "check answer" if h.fromTransactionCheck else "end transaction",
                      getattr(conn, "remote_addr", "?"), kind, h)
        if kind == "pending":
            return None             # UNKNOW: nothing to do and no answer; the check asks again later
        decision = self.service.end(h.commitLogOffset, h.producerGroup, h.tranStateTableOffset,
                                    kind == "commit", self.store.config.max_delay_level)
        if self.metrics is not None and decision.topic is not None:
            self.metrics.transaction_ended(decision.topic, kind == "commit")
        if decision.put is not None and self.store.must_wait(decision.put, decision.wait):
            return self._after_store(req, decision)
        return make_response(req, decision.code, decision.remark)

    async def _after_store(self, req: RemotingCommand, decision: Decision) -> RemotingCommand:
        # sendFinalMessage answers SUCCESS whatever the flush or the slave said: the wait only orders the answer
        await self.store.wait_stored(decision.put, decision.wait)
        return make_response(req, decision.code, decision.remark)

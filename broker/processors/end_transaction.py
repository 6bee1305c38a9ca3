"""END_TRANSACTION (EndTransactionProcessor.java). Only the slave's refusal exists yet: transactional half
messages are refused at send until the transaction service is built."""
from __future__ import annotations

import logging

from remoting.codes import RequestCode, ResponseCode
from remoting.command import RemotingCommand, make_response
from remoting.dispatch import Handler

log = logging.getLogger("broker")


class SlaveEndTransactionProcessor:
    def table(self) -> dict[int, Handler]:
        return {RequestCode.END_TRANSACTION: self.end_transaction}

    def end_transaction(self, conn, req: RemotingCommand) -> RemotingCommand:
        log.warning("Message store is slave mode, so end transaction is forbidden. ")
        return make_response(req, ResponseCode.SLAVE_NOT_AVAILABLE)

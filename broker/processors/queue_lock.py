"""LOCK_BATCH_MQ / UNLOCK_BATCH_MQ: queue locks for orderly consumers (RebalanceLockManager.java)."""
from __future__ import annotations

import time

from remoting import fastjson
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_response
from remoting.dispatch import Handler

from .common import mq_key

LOCK_MAX_LIVE_MS = 60000


class QueueLockProcessor:
    def __init__(self) -> None:
        self.locks: dict[tuple[str, tuple], tuple[str, int]] = {}   # (group, mq) -> (clientId, last refresh)

    def table(self) -> dict[int, Handler]:
        return {RequestCode.LOCK_BATCH_MQ: self.lock_batch_mq, RequestCode.UNLOCK_BATCH_MQ: self.unlock_batch_mq}

    def lock_batch_mq(self, conn, req):
        data = fastjson.loads(req.body or b"{}")
        group, client = data.get("consumerGroup", ""), data.get("clientId", "")
        now = int(time.time() * 1000)
        ok = []
        for mq in data.get("mqSet") or []:
            key = (group, mq_key(mq))
            holder = self.locks.get(key)
            if holder is None or holder[0] == client or now - holder[1] > LOCK_MAX_LIVE_MS:
                self.locks[key] = (client, now)
                ok.append(mq)
        return make_response(req, ResponseCode.SUCCESS, body=fastjson.dumpb({"lockOKMQSet": ok}))

    def unlock_batch_mq(self, conn, req):
        data = fastjson.loads(req.body or b"{}")
        group, client = data.get("consumerGroup", ""), data.get("clientId", "")
        for mq in data.get("mqSet") or []:
            key = (group, mq_key(mq))
            if self.locks.get(key, ("",))[0] == client:
                del self.locks[key]
        return make_response(req, ResponseCode.SUCCESS)

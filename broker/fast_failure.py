"""Overload protection for the send path: SYSTEM_BUSY answers as the Java broker gives them.

Java 4.9.7 has four ways to answer a send SYSTEM_BUSY (code 2) instead of storing it, for the request codes
its send executor serves (SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE, CONSUMER_SEND_MSG_BACK):

* `[REJECTREQUEST]system busy, start flow control for a while`: NettyRemotingAbstract.processRequestCommand,
  when SendMessageProcessor.rejectRequest() holds, i.e. DefaultMessageStore.isOSPageCacheBusy(): a put has
  held the commit-log lock for more than `osPageCacheBusyTimeOutMills` (1000). Written even for a oneway send.
* `[OVERLOAD]system busy, start flow control for a while`: the send executor's bounded queue
  (`sendThreadPoolQueueCapacity`, 10000) is full (RejectedExecutionException). Not written for a oneway send.
* `[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: %sms, size of queue: %d`:
  BrokerFastFailure (every 10 ms, if `brokerFastFailureEnable`) answers every queued send while the page
  cache is busy.
* `[TIMEOUT_CLEAN_QUEUE]broker busy, ...` (same tail): BrokerFastFailure answers queued sends that waited
  `waitTimeMillsInSendQueue` (200) or more. Both clean-queue answers are written even for oneway sends, and,
  like the other two, in the default (JSON) serialization, with no extFields.

How this maps onto one asyncio loop. Our send executor is the event loop itself: a send is handled inline
when its bytes are read, so "waiting in the send queue" is the time its bytes sit in the socket while the
loop is busy with other work. A timer armed every 10 ms (Java's BrokerFastFailure period) stamps when it is
next due; libuv (and asyncio) run due timers before polling sockets again, so bytes read by the loop at a
time `t` more than `waitTimeMillsInSendQueue` after the pending tick was due have been waiting at least that
long (the poll that returned them could not have blocked past the timer). That lower bound is the "period in
queue" we report and the only per-send test: one clock read and a comparison with `deadline`. There are no
false positives; sends read early in the round after a long round are let through, and the rounds stay short
because a rejected send costs a few microseconds against a stored one's tens.

* TIMEOUT_CLEAN_QUEUE: `brokerFastFailureEnable` and the loop is `waitTimeMillsInSendQueue` or more behind.
* PCBUSY_CLEAN_QUEUE: the same, `osPageCacheBusyTimeOutMills` or more behind. Puts run on the loop, so a put
  stalled in the page cache (what Java sees as the lock held too long) shows as the loop falling that far
  behind; we cannot tell it from other loop stalls and treat every one of them so.
* REJECTREQUEST: a tick that ran `osPageCacheBusyTimeOutMills` or more late means the loop (the store) was
  stalled; the sends read before the next tick arrived while it was, and Java refuses those at submission.
  As in Java this does not depend on `brokerFastFailureEnable`.
* OVERLOAD: the sends the broker has accepted but not answered yet (SYNC_FLUSH / SYNC_MASTER sends waiting
  for the flush or the slave: our queue of started-but-unfinished send work) number more than
  `sendThreadPoolQueueCapacity`. With ASYNC_FLUSH every send is answered inline and this never triggers.
  "size of queue" in the clean-queue remarks is this count too.

A rejected send is answered before its header is decoded and stores nothing. The decision itself is the
pure function `verdict`; `FastFailure` holds the state, the timer and the counters.
"""
from __future__ import annotations

import asyncio
import logging
import time

from remoting.codes import FLAG_RESPONSE, ResponseCode
from remoting.command import RemotingCommand

log = logging.getLogger("broker")

TICK_SECONDS = 0.010        # BrokerFastFailure runs cleanExpiredRequest every 10 ms
LOG_EVERY_SECONDS = 1.0     # at most one summary line a second while sends are being refused

REJECT_REQUEST = "[REJECTREQUEST]system busy, start flow control for a while"
OVERLOAD = "[OVERLOAD]system busy, start flow control for a while"
_CLEAN_TAIL = "broker busy, start flow control for a while, period in queue: %sms, size of queue: %d"
PCBUSY_CLEAN_QUEUE = "[PCBUSY_CLEAN_QUEUE]" + _CLEAN_TAIL
TIMEOUT_CLEAN_QUEUE = "[TIMEOUT_CLEAN_QUEUE]" + _CLEAN_TAIL

# the kinds of refusal, the names in the remarks
KIND_REJECT, KIND_OVERLOAD, KIND_PCBUSY, KIND_TIMEOUT = "REJECTREQUEST", "OVERLOAD", "PCBUSY_CLEAN_QUEUE", "TIMEOUT_CLEAN_QUEUE"
# which of them Java writes back for a oneway request (RequestTask.returnResponse does not look; OVERLOAD does)
ANSWERS_ONEWAY = {KIND_REJECT: True, KIND_OVERLOAD: False, KIND_PCBUSY: True, KIND_TIMEOUT: True}


def verdict(behind_ms: float, pending: int, *, rejecting: bool, enabled: bool, wait_ms: int, capacity: int,
            pc_busy_ms: int) -> tuple[str, str] | None:
    """(kind, remark) of the SYSTEM_BUSY answer a send gets, or None if it is to be handled.

    `behind_ms`: how far past the due time of the pending tick the loop is (a lower bound of how long this
    send waited); `pending`: sends accepted and not answered yet; `rejecting`: the last tick found the loop
    stalled for `pc_busy_ms` or more. Java's order: rejectRequest, then the full queue, then the cleaner."""
    if rejecting:
        return KIND_REJECT, REJECT_REQUEST
    if pending > capacity:
        return KIND_OVERLOAD, OVERLOAD
    if enabled and behind_ms >= wait_ms:
        if behind_ms >= pc_busy_ms:
            return KIND_PCBUSY, PCBUSY_CLEAN_QUEUE % (round(behind_ms), pending)
        return KIND_TIMEOUT, TIMEOUT_CLEAN_QUEUE % (round(behind_ms), pending)
    return None


def page_cache_busy(lag_ms: float, pc_busy_ms: int) -> bool:
    """isOSPageCacheBusy for a loop that was `lag_ms` late: stalled longer than osPageCacheBusyTimeOutMills
    (Java's `diff < 10000000` guard is for an unset lock timestamp, which a measured lag never is)."""
    return lag_ms > pc_busy_ms


def deadline_after(due: float, *, rejecting: bool, enabled: bool, wait_ms: int) -> float:
    """The monotonic time after which a send is refused, for a tick due at `due` (the hot path's one test:
    `pending > capacity or time.monotonic() > deadline`, then `FastFailure.refuse` answers by `verdict`)."""
    if rejecting:
        return float("-inf")
    if enabled:
        return due + wait_ms / 1000.0
    return float("inf")


class FastFailure:
    """The send path's admission state. `deadline` and `pending`/`capacity` are read per send (SendProcessor);
    `pending` is counted by the sends that wait for the flush or the slave. Not started, it refuses nothing."""

    def __init__(self, *, enabled: bool = True, wait_ms: int = 200, capacity: int = 10000,
                 pc_busy_ms: int = 1000) -> None:
        self.enabled = enabled
        self.wait_ms = int(wait_ms)
        self.capacity = int(capacity)
        self.pc_busy_ms = int(pc_busy_ms)
        self.pending = 0
        self.deadline = float("inf")
        self.due = float("inf")
        self.rejecting = False
        self.max_lag_ms = 0.0       # the latest tick's lateness, and the worst since the last summary
        self.refused = {KIND_REJECT: 0, KIND_OVERLOAD: 0, KIND_PCBUSY: 0, KIND_TIMEOUT: 0}
        self._logged = dict(self.refused)
        self._next_log = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._configs: tuple | None = None

    @classmethod
    def from_config(cls, broker_config, store_config) -> "FastFailure":
        """Following the BrokerConfig / MessageStoreConfig objects: UPDATE_BROKER_CONFIG changes of the four
        keys apply within a second (Java reads its getters each time)."""
        ff = cls()
        ff._configs = (broker_config, store_config)
        ff._reload()
        return ff

    def _reload(self) -> None:
        b, s = self._configs
        self.enabled = bool(b.brokerFastFailureEnable)
        self.wait_ms = int(b.waitTimeMillsInSendQueue)
        self.capacity = int(b.sendThreadPoolQueueCapacity)
        self.pc_busy_ms = int(s.osPageCacheBusyTimeOutMills)

    # ------------------------------------------------------------ the send path
    def refuse(self, conn, req: RemotingCommand) -> bool:
        """Called when the hot-path test fired: answer SYSTEM_BUSY and return True (the send is not to be
        handled), or return False if the verdict, taken again here, is to handle it after all."""
        found = verdict((time.monotonic() - self.due) * 1000.0, self.pending, rejecting=self.rejecting,
                        enabled=self.enabled, wait_ms=self.wait_ms, capacity=self.capacity,
                        pc_busy_ms=self.pc_busy_ms)
        if found is None:
            return False
        kind, remark = found
        self.refused[kind] += 1
        if req.is_oneway and not ANSWERS_ONEWAY[kind]:
            return True
        # RemotingCommand.createResponseCommand + writeAndFlush: default serialization, no extFields, even
        # for a oneway request (Java writes these without looking at the flag)
        conn.send(RemotingCommand(code=ResponseCode.SYSTEM_BUSY, remark=remark, opaque=req.opaque,
                                  flag=FLAG_RESPONSE))
        return True

    def busy(self) -> bool:
        """The hot-path test, for callers that are not on the hot path (tests, other processors)."""
        return self.pending > self.capacity or time.monotonic() > self.deadline

    def runtime_info(self) -> dict[str, str]:
        """GET_BROKER_RUNTIME_INFO's send-queue keys: the sends waiting for flush/slave, the capacity, and how
        long a send read now has waited at least (how far the loop is behind the tick; 0 when on time)."""
        behind = (time.monotonic() - self.due) * 1000.0
        return {"sendThreadPoolQueueSize": str(self.pending), "sendThreadPoolQueueCapacity": str(self.capacity),
                "sendThreadPoolQueueHeadWaitTimeMills": str(round(behind) if behind > 0 else 0)}

    # ------------------------------------------------------------ the tick
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._arm(time.monotonic())

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.rejecting = False
        self.due = self.deadline = float("inf")

    def _arm(self, now: float) -> None:
        self.due = now + TICK_SECONDS
        self.deadline = deadline_after(self.due, rejecting=self.rejecting, enabled=self.enabled,
                                       wait_ms=self.wait_ms)
        self._timer = self._loop.call_later(TICK_SECONDS, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        lag_ms = (now - self.due) * 1000.0
        if lag_ms > self.max_lag_ms:
            self.max_lag_ms = lag_ms
        # the loop was stalled: what it reads before the next tick arrived while the store was busy
        self.rejecting = page_cache_busy(lag_ms, self.pc_busy_ms)
        if now >= self._next_log:
            self._summary(now)
            if self._configs is not None:
                self._reload()
        self._arm(now)

    def _summary(self, now: float) -> None:
        self._next_log = now + LOG_EVERY_SECONDS
        counts = {k: n - self._logged[k] for k, n in self.refused.items() if n != self._logged[k]}
        if counts:
            log.warning("broker busy, start flow control for a while: %s sends answered SYSTEM_BUSY in the last "
                        "%.0f s (%s); loop lag up to %d ms, %d sends pending", sum(counts.values()),
                        LOG_EVERY_SECONDS, ", ".join(f"{k} {n}" for k, n in counts.items()),
                        self.max_lag_ms, self.pending)
            self._logged = dict(self.refused)
        self.max_lag_ms = 0.0

"""Send-side half of the 5.x timer (HookUtils.handleScheduleMessage / checkIfTimerMessage /
transformTimerMessage): a message with TIMER_DELAY_SEC, TIMER_DELAY_MS or TIMER_DELIVER_MS (or the 4.x-cloud
__STARTDELIVERTIME, epoch ms) due later than now is stored in rmq_sys_wheel_timer, queue 0, with TIMER_OUT_MS
(its time floored to the timer precision, one tick earlier when exactly on a tick), REAL_TOPIC and REAL_QID;
store/timer delivers it. A time not in the future is stored in its topic at once."""
from __future__ import annotations

import re

from remoting.codes import ResponseCode
from store import message as m
from store.config import MessageStoreConfig
from store.timer import convert as c
from store.timer.service import TimerMessageStore, precision_of

from .schedule import PROPERTY_DELAY, delay_level_of

_JAVA_LONG = re.compile(r"[+-]?[0-9]+\Z")     # what Long.parseLong accepts
_TIMER_PROPS = (c.PROPERTY_TIMER_DELIVER_MS, c.PROPERTY_TIMER_DELAY_SEC, c.PROPERTY_TIMER_DELAY_MS)
# without one of these (or DELAY) in its properties a send is never timed: the send path skips the hook
TIMER_TRIGGERS = _TIMER_PROPS + (c.PROPERTY_STARTDELIVERTIME,)


class TimerRefused(Exception):
    """The send's answer: SendMessageProcessor's mapping of WHEEL_TIMER_* (5.x)."""

    def __init__(self, code: int, remark: str) -> None:
        super().__init__(remark)
        self.code = code
        self.remark = remark


def illegal(cfg: MessageStoreConfig) -> TimerRefused:
    return TimerRefused(ResponseCode.MESSAGE_ILLEGAL,
                        "timer message illegal, the delay time should not be bigger than the max delay "
                        f"{cfg.timerMaxDelaySec * 1000}ms; or if set del msg, the delay time should be bigger than "
                        "the current time")


def _long(raw: str, cfg: MessageStoreConfig) -> int:
    """Long.parseLong, and (beyond 5.x, which reads a negative as a time long past) no negative values."""
    if not _JAVA_LONG.match(raw) or not -2**63 <= int(raw) < 2**63 or int(raw) < 0:
        raise illegal(cfg)
    return int(raw)


def deliver_ms_of(props: dict[str, str], now_ms: int, cfg: MessageStoreConfig) -> int | None:
    """The wanted delivery time, by 5.x's precedence (delay seconds, delay ms, deliver ms), then
    __STARTDELIVERTIME; None when the message is not a timer message."""
    if props.get(c.PROPERTY_TIMER_DELAY_SEC) is not None:
        return now_ms + _long(props[c.PROPERTY_TIMER_DELAY_SEC], cfg) * 1000
    if props.get(c.PROPERTY_TIMER_DELAY_MS) is not None:
        return now_ms + _long(props[c.PROPERTY_TIMER_DELAY_MS], cfg)
    if props.get(c.PROPERTY_TIMER_DELIVER_MS) is not None:
        return _long(props[c.PROPERTY_TIMER_DELIVER_MS], cfg)
    if props.get(c.PROPERTY_STARTDELIVERTIME) is not None:
        return _long(props[c.PROPERTY_STARTDELIVERTIME], cfg)
    return None


def divert_to_timer(msg: m.StoredMessage, props: dict[str, str], cfg: MessageStoreConfig, now_ms: int,
                    timer: TimerMessageStore | None) -> bool:
    """Before the delay-level branch, on the property map the send built (changed in place, as
    divert_to_schedule). True when the message now goes to the timer topic; TimerRefused for a send to refuse.
    A delay level wins: the timer properties are then dropped (checkIfTimerMessage)."""
    if m.transaction_type(msg.sys_flag) not in (m.TRANSACTION_NOT_TYPE, m.TRANSACTION_COMMIT_TYPE):
        return False
    if msg.topic == c.TIMER_TOPIC:
        return False                            # a rolled timer message
    if PROPERTY_DELAY in props and delay_level_of(props) > 0:
        for key in _TIMER_PROPS:
            props.pop(key, None)
        return False
    if c.PROPERTY_TIMER_OUT_MS in props:
        return False                            # already timed once (a delivered timer message sent again)
    if not any(props.get(k) is not None for k in TIMER_TRIGGERS):
        return False
    if not cfg.timerWheelEnable:
        raise TimerRefused(ResponseCode.SYSTEM_ERROR, "accurate timer message is not enabled, timerWheelEnable is false")
    deliver = deliver_ms_of(props, now_ms, cfg)
    if deliver is None or deliver <= now_ms:
        if c.PROPERTY_TIMER_DEL_UNIQKEY in props:
            raise illegal(cfg)
        return False
    if deliver - now_ms > cfg.timerMaxDelaySec * 1000:
        raise illegal(cfg)
    precision = precision_of(cfg.timerPrecisionMs)
    deliver = deliver - precision if deliver % precision == 0 else deliver // precision * precision
    if timer is not None and timer.is_reject(deliver):
        limit = cfg.timerCongestNumEachSlot
        raise TimerRefused(ResponseCode.SYSTEM_ERROR,
                           f"timer message is under flow control, max num limit is {limit * 2} or the current value "
                           f"is greater than {limit} and less than {limit * 2}, trigger random flow control")
    props[c.PROPERTY_TIMER_OUT_MS] = str(deliver)
    props[c.PROPERTY_REAL_TOPIC] = msg.topic
    props[c.PROPERTY_REAL_QUEUE_ID] = str(msg.queue_id)
    msg.properties = m.properties_to_string(m.reorder_properties_like_java(props))
    msg.topic = c.TIMER_TOPIC
    msg.queue_id = 0
    return True

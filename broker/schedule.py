"""Delayed delivery (ScheduleMessageService + CommitLog's delay branch, 4.9.7 semantics; in 5.x both live in
the broker, as here).

A message whose DELAY property is a level > 0 is stored in SCHEDULE_TOPIC_XXXX, queue level-1, with its real
topic and queue kept in REAL_TOPIC / REAL_QID; the store gives that consume-queue entry the delivery time as
its tags code. One task per level walks its queue in order and, when an entry is due, puts the message back
into its real topic. The next offset per level is kept in config/delayOffset.json.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from typing import Callable

from remoting import fastjson
from remoting.config import read_config_file, write_file_atomically
from store import message as m
from store.dispatch import DispatchRequest
from store.message_store import MessageStore
from store.results import PutStatus

log = logging.getLogger("broker")

SCHEDULE_TOPIC = "SCHEDULE_TOPIC_XXXX"
TRANS_HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC"
PROPERTY_DELAY = "DELAY"
PROPERTY_REAL_TOPIC = "REAL_TOPIC"
PROPERTY_REAL_QUEUE_ID = "REAL_QID"

DELIVER_BURST = 64
DELAY_FOR_A_WHILE = 0.1
_JAVA_INT = re.compile(r"[+-]?[0-9]+\Z")   # what Integer.parseInt accepts


class BadDelayLevel(ValueError):
    pass


def delay_level_of(props: dict[str, str]) -> int:
    """Message.getDelayTimeLevel: 0 when absent; a value Integer.parseInt refuses is an error."""
    raw = props.get(PROPERTY_DELAY)
    if raw is None:
        return 0
    if not _JAVA_INT.match(raw) or not -2**31 <= int(raw) < 2**31:
        raise BadDelayLevel(f'For input string: "{raw}"')
    return int(raw)


def divert_to_schedule(msg: m.StoredMessage, props: dict[str, str], max_level: int) -> bool:
    """CommitLog.putMessage's delay branch. `props` is the message's property map as Java holds it (insertion
    order matters for the HashMap order of the rewritten properties string); it is changed in place.
    True when the message now goes to the schedule topic."""
    if m.transaction_type(msg.sys_flag) not in (m.TRANSACTION_NOT_TYPE, m.TRANSACTION_COMMIT_TYPE):
        return False
    level = delay_level_of(props)
    if level <= 0:
        return False
    if level > max_level:
        level = max_level
        props[PROPERTY_DELAY] = str(level)
    props[PROPERTY_REAL_TOPIC] = msg.topic
    props[PROPERTY_REAL_QUEUE_ID] = str(msg.queue_id)
    msg.properties = m.properties_to_string(m.reorder_properties_like_java(props))
    msg.topic = SCHEDULE_TOPIC
    msg.queue_id = level - 1
    return True


def time_up(stored: m.StoredMessage) -> m.StoredMessage | None:
    """ScheduleMessageService.messageTimeup: the message for its real topic/queue. The properties string is
    written from the stored map before DELAY is taken out of it, so it keeps DELAY, REAL_TOPIC and REAL_QID
    (as Java stores it); None when the record has no usable real topic/queue."""
    props = stored.props
    topic = props.get(PROPERTY_REAL_TOPIC)
    qid = props.get(PROPERTY_REAL_QUEUE_ID)
    if not topic or qid is None or not _JAVA_INT.match(qid):
        return None
    return m.StoredMessage(topic=topic, body=stored.body, queue_id=int(qid), flag=stored.flag,
                           sys_flag=stored.sys_flag, born_timestamp=stored.born_timestamp,
                           born_host=stored.born_host, reconsume_times=stored.reconsume_times,
                           properties=m.properties_to_string(m.reorder_properties_like_java(props)))


class ScheduleMessageService:
    def __init__(self, store: MessageStore, store_root: str, persist: Callable[[Callable[[], None]], None],
                 clock: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.store = store
        self.levels: dict[int, int] = store.config.delay_levels_ms()
        self.max_level = store.config.max_delay_level
        self.path = os.path.join(store_root, "config", "delayOffset.json")
        self.offsets: dict[int, int] = {}
        self.clock = clock
        self._persist = persist
        self._wake: dict[int, asyncio.Event] = {}
        self._tasks: list[asyncio.Task] = []
        # a SLAVE never starts this service: its delayOffset.json is the master's copy (SlaveSynchronize) and
        # must not be overwritten from memory, so only a started service persists (Java's `started` flag)
        self.started = False

    # ------------------------------------------------------------ offsets
    def load(self) -> None:
        text = read_config_file(self.path)
        if text is not None:
            data = fastjson.loads(text)
            for level, offset in (data.get("offsetTable") or {}).items():
                self.offsets[int(level)] = int(offset)
        self._correct_offsets()

    def _correct_offsets(self) -> None:
        """correctDelayOffset: an offset outside its queue's [min, max] is moved to the nearer end."""
        for level, offset in list(self.offsets.items()):
            cq = self.store.consume_queue(SCHEDULE_TOPIC, level - 1)
            if cq is None or level not in self.levels:
                continue
            fixed = min(max(offset, cq.min_offset()), cq.max_offset())
            if fixed != offset:
                log.error("correct delay offset [ delayLevel %d ] from %d to %d", level, offset, fixed)
                self.offsets[level] = fixed

    def to_json(self) -> dict:
        return {"offsetTable": dict(self.offsets)}

    def persist(self) -> None:
        content = fastjson.dumps_pretty(self.to_json())
        path = self.path
        self._persist(lambda: write_file_atomically(path, content))

    def running_stats(self) -> dict[str, str]:
        """scheduleMessageOffset_<level> = "<delivered offset>,<queue max offset>" for each level with an offset."""
        return {f"scheduleMessageOffset_{level}": f"{offset},{self.store.max_offset_in_queue(SCHEDULE_TOPIC, level - 1)}"
                for level, offset in self.offsets.items()}

    # ------------------------------------------------------------ delivery
    def start(self) -> None:
        self.started = True
        for level in self.levels:
            self._wake[level] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._deliver_level(level), name=f"schedule-level-{level}"))
        self.store.listeners.append(self._arrived)

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        if self._arrived in self.store.listeners:
            self.store.listeners.remove(self._arrived)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.persist()

    def _arrived(self, req: DispatchRequest) -> None:
        if req.topic == SCHEDULE_TOPIC:
            event = self._wake.get(req.queue_id + 1)
            if event is not None:
                event.set()

    async def _sleep(self, level: int, seconds: float | None) -> None:
        event = self._wake[level]
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that races the event
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
        event.clear()

    async def _deliver_level(self, level: int) -> None:
        delay = self.levels[level]
        burst = 0
        while True:
            offset = self.offsets.get(level, 0)
            cq = self.store.consume_queue(SCHEDULE_TOPIC, level - 1)
            entry = cq.entry(offset) if cq is not None else None
            if entry is None:
                if cq is not None and offset < cq.min_offset():
                    self.offsets[level] = cq.min_offset()
                    continue
                await self._sleep(level, 1.0)   # woken at once by the next arrival on this level
                continue
            phys, size, deliver_at = entry
            now = self.clock()
            if deliver_at > now + delay:       # correctDeliverTimestamp: a time too far ahead means now
                deliver_at = now
            if deliver_at > now:
                # Java re-checks a level every 100 ms (DELAY_FOR_A_WHILE) rather than at the exact due time,
                # so messages due within one tick go out together, in one burst
                await asyncio.sleep(DELAY_FOR_A_WHILE)
                continue
            if not self._deliver(phys):
                await asyncio.sleep(DELAY_FOR_A_WHILE)   # then the same entry again
                continue
            self.offsets[level] = offset + 1
            burst += 1
            if burst % DELIVER_BURST == 0:     # due messages go out together (as Java's timer task delivers
                await asyncio.sleep(0)         # them), but a long backlog must not starve the loop

    def _deliver(self, phys: int) -> bool:
        """Put one due message back into its real topic; False means try this entry again later."""
        stored = self.store.look_message_by_offset(phys)
        if stored is None:
            return True                        # gone (cleaned up): skip it, as Java does
        msg = time_up(stored)
        if msg is None or msg.topic == TRANS_HALF_TOPIC:
            log.error("schedule message at %d has no deliverable real topic, discarded", phys)
            return True
        result = self.store.put_message(msg)
        if result.status != PutStatus.PUT_OK:
            log.error("schedule delivery of %d failed: %s", phys, result.status.value)
            return False
        return True

"""Producer and consumer channels by group (ConsumerManager, ConsumerGroupInfo, ProducerManager): who is
connected, their subscriptions, expiry after silence, and the change events that make the broker send
NOTIFY_CONSUMER_IDS_CHANGED."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from remoting.codes import version_name

log = logging.getLogger("broker")


def describe(channel: "ClientChannel") -> str:
    """clientId, address, language and version of a client channel, for the join / leave lines."""
    version = version_name(channel.version) if isinstance(channel.version, int) else str(channel.version)
    return (f"clientId {channel.client_id}, address {getattr(channel.conn, 'remote_addr', '?')}, "
            f"language {channel.language}, version {version}")


@dataclass
class SubscriptionData:
    topic: str
    subString: str = "*"
    tagsSet: list[str] = field(default_factory=list)
    codeSet: list[int] = field(default_factory=list)
    subVersion: int = 0
    expressionType: str = "TAG"
    classFilterMode: bool = False

    @classmethod
    def from_json(cls, d: dict) -> "SubscriptionData":
        return cls(topic=d.get("topic", ""), subString=d.get("subString") or "*",
                   tagsSet=[str(t) for t in d.get("tagsSet") or []],
                   codeSet=[int(c) for c in d.get("codeSet") or []], subVersion=int(d.get("subVersion") or 0),
                   expressionType=d.get("expressionType") or "TAG", classFilterMode=bool(d.get("classFilterMode")))

    def to_json(self) -> dict:
        return {"classFilterMode": self.classFilterMode, "codeSet": list(self.codeSet),
                "expressionType": self.expressionType, "subString": self.subString,
                "subVersion": self.subVersion, "tagsSet": list(self.tagsSet), "topic": self.topic}

    def same_as(self, other: "SubscriptionData") -> bool:
        return (self.subString, self.expressionType, sorted(self.tagsSet)) == (
            other.subString, other.expressionType, sorted(other.tagsSet))


@dataclass
class ClientChannel:
    conn: object
    client_id: str
    language: str
    version: int
    last_update_ms: int


@dataclass
class ConsumerGroupInfo:
    group: str
    consume_type: str = "CONSUME_PASSIVELY"
    message_model: str = "CLUSTERING"
    consume_from_where: str = "CONSUME_FROM_LAST_OFFSET"
    subscriptions: dict[str, SubscriptionData] = field(default_factory=dict)
    channels: dict[object, ClientChannel] = field(default_factory=dict)
    last_update_ms: int = 0

    def client_ids(self) -> list[str]:
        return [c.client_id for c in self.channels.values()]


class ConsumerManager:
    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        self.groups: dict[str, ConsumerGroupInfo] = {}
        # conn -> the groups it is a member of, so a closed connection costs its own groups, not a scan of
        # every group (Java's doChannelCloseEvent scans them all)
        self._groups_of: dict[object, set[str]] = {}
        self.clock = clock or (lambda: int(time.time() * 1000))
        self.on_ids_changed: Callable[[str, list[object]], None] | None = None

    def register(self, group: str, channel: ClientChannel, consume_type: str, message_model: str,
                 consume_from_where: str, subs: list[SubscriptionData], notify: bool) -> bool:
        """Returns True when membership or subscriptions changed."""
        info = self.groups.get(group)
        if info is None:
            info = self.groups[group] = ConsumerGroupInfo(group)
        info.consume_type, info.message_model, info.consume_from_where = consume_type, message_model, consume_from_where
        now = self.clock()
        info.last_update_ms = now
        new_channel = channel.conn not in info.channels
        old = info.channels.get(channel.conn)
        if old is not None and old.client_id != channel.client_id:
            new_channel = True
        channel.last_update_ms = now
        info.channels[channel.conn] = channel
        self._groups_of.setdefault(channel.conn, set()).add(group)
        subs_changed = False
        wanted = {s.topic: s for s in subs}
        for topic, sd in wanted.items():
            cur = info.subscriptions.get(topic)
            if cur is None or (sd.subVersion > cur.subVersion and not cur.same_as(sd)):
                subs_changed = True
            if cur is None or sd.subVersion > cur.subVersion:
                info.subscriptions[topic] = sd
        for topic in list(info.subscriptions):
            if topic not in wanted:
                del info.subscriptions[topic]
                subs_changed = True
        changed = new_channel or subs_changed
        if new_channel:
            log.info("consumer joined group %s: %s, %d members", group, describe(channel), len(info.channels))
        elif subs_changed:
            log.info("consumer group %s subscriptions changed by %s: %s", group, channel.client_id,
                     ", ".join(sorted(info.subscriptions)))
        if changed and notify and self.on_ids_changed:
            self.on_ids_changed(group, list(info.channels))
        return changed

    def unregister(self, group: str, conn: object, notify: bool) -> None:
        info = self.groups.get(group)
        if info is None:
            return
        channel = info.channels.pop(conn, None)
        if channel is None:
            return
        self._forget(conn, group)
        log.info("consumer left group %s (unregistered): %s, %s", group, describe(channel), _left(info))
        if not info.channels:
            del self.groups[group]
        elif notify and self.on_ids_changed:
            self.on_ids_changed(group, list(info.channels))

    def _forget(self, conn: object, group: str) -> None:
        groups = self._groups_of.get(conn)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del self._groups_of[conn]

    def connection_closed(self, conn: object) -> None:
        for group in sorted(self._groups_of.pop(conn, ())):
            info = self.groups.get(group)
            channel = info.channels.pop(conn, None) if info is not None else None
            if channel is not None:
                log.info("consumer left group %s (channel closed): %s, %s", group, describe(channel), _left(info))
                if not info.channels:
                    del self.groups[group]
                elif self.on_ids_changed:
                    self.on_ids_changed(group, list(info.channels))

    def expire(self, timeout_ms: int) -> list[object]:
        """Remove channels silent for `timeout_ms`; returns them so the caller closes them (no notify)."""
        now = self.clock()
        gone = []
        for group in list(self.groups):
            info = self.groups[group]
            for conn, ch in list(info.channels.items()):
                if now - ch.last_update_ms > timeout_ms:
                    del info.channels[conn]
                    self._forget(conn, group)
                    gone.append(conn)
                    log.warning("consumer expired from group %s, silent %d ms: %s, %s", group,
                                now - ch.last_update_ms, describe(ch), _left(info))
            if not info.channels:
                del self.groups[group]
        return gone

    def find_subscription(self, group: str, topic: str) -> SubscriptionData | None:
        info = self.groups.get(group)
        return info.subscriptions.get(topic) if info else None


class ProducerManager:
    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        self.groups: dict[str, dict[object, ClientChannel]] = {}
        self._groups_of: dict[object, set[str]] = {}   # conn -> its producer groups (as ConsumerManager's)
        self.clock = clock or (lambda: int(time.time() * 1000))
        self._turn = 0

    def register(self, group: str, channel: ClientChannel) -> None:
        channel.last_update_ms = self.clock()
        chans = self.groups.setdefault(group, {})
        old = chans.get(channel.conn)
        chans[channel.conn] = channel
        self._groups_of.setdefault(channel.conn, set()).add(group)
        if old is None or old.client_id != channel.client_id:
            log.info("producer joined group %s: %s, %d members", group, describe(channel), len(chans))

    def unregister(self, group: str, conn: object, why: str = "unregistered") -> None:
        chans = self.groups.get(group)
        if chans is not None:
            channel = chans.pop(conn, None)
            if channel is not None and why:
                log.info("producer left group %s (%s): %s, %d members left", group, why, describe(channel),
                         len(chans))
            if not chans:
                del self.groups[group]
        groups = self._groups_of.get(conn)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del self._groups_of[conn]

    def connection_closed(self, conn: object) -> None:
        for group in sorted(self._groups_of.get(conn, ())):
            self.unregister(group, conn, "channel closed")

    def available_channel(self, group: str) -> object | None:
        """getAvailableChannel: the group's channels in turn (a counter shared by all groups, as Java's),
        skipping closed ones; None when the group has no live producer."""
        chans = [c for c in self.groups.get(group, {}) if not getattr(c, "closed", False)]
        if not chans:
            return None
        self._turn += 1
        return chans[self._turn % len(chans)]

    def expire(self, timeout_ms: int) -> list[object]:
        now = self.clock()
        gone = []
        for group in list(self.groups):
            for conn, ch in list(self.groups[group].items()):
                if now - ch.last_update_ms > timeout_ms:
                    self.unregister(group, conn, "")
                    gone.append(conn)
                    log.warning("producer expired from group %s, silent %d ms: %s", group, now - ch.last_update_ms,
                                describe(ch))
        return gone


def _left(info: ConsumerGroupInfo) -> str:
    return f"{len(info.channels)} members left" if info.channels else "group now empty, removed"

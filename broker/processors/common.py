"""Small pieces the broker processors share."""
from __future__ import annotations

import functools

from remoting.codes import ResponseCode

FAQ_APPLY_TOPIC = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."
FAQ_SUBSCRIPTION_GROUP = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."


def topic_not_exist_remark(topic: str) -> str:
    return f"topic[{topic}] not exist, apply first please!{FAQ_APPLY_TOPIC}"


def host_of(conn) -> tuple[str, int]:
    """(ip, port) of the peer, as Java's bornHost."""
    return _split_addr(getattr(conn, "remote_addr", "") or "127.0.0.1:0")


@functools.lru_cache(maxsize=4096)
def _split_addr(addr: str) -> tuple[str, int]:
    # asked on every send with the same few strings (one per connection): parsed once
    host, _, port = addr.rpartition(":")
    return host.strip("[]"), int(port or 0)


SUCCESS = ResponseCode.SUCCESS


def mq_key(mq: dict) -> tuple:
    """A MessageQueue as fastjson writes an object map key: fields sorted."""
    return (("brokerName", mq["brokerName"]), ("queueId", int(mq["queueId"])), ("topic", mq["topic"]))


def last_store_time(store, topic: str, queue_id: int, cq_offset: int) -> int:
    """Store time of the message at cq_offset of a queue, 0 when there is none."""
    if cq_offset < 0:
        return 0
    phys = store.commit_log_offset_in_queue(topic, queue_id, cq_offset)
    msg = store.look_message_by_offset(phys) if phys or cq_offset == 0 else None
    return msg.store_timestamp if msg and msg.topic == topic else 0

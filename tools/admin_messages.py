"""mqadmin message look-ups, as the Java tool does them:
- queryMsgById -i OFFSET_MSG_ID[,...]: the offset msgId names the broker (store host) and the commit-log
  offset: VIEW_MESSAGE_BY_ID to that broker;
- queryMsgByUniqueKey -i UNIQ_KEY -t TOPIC: the client-side msgId (UNIQ_KEY): QUERY_MESSAGE with the unique-key
  flag to every master of the topic, first message whose UNIQ_KEY matches;
- queryMsgByKey -t TOPIC -k KEY: QUERY_MESSAGE to every master, messages whose KEYS contain the key.
Found messages are printed in QueryMsgByIdSubCommand.printMsg's layout; bodies go to /tmp/rocketmq/msgbodys."""
from __future__ import annotations

import argparse
import os
import time
from typing import Callable

from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from store import message as m

from .admin_client import AdminError, call, master_addrs, ok, topic_route

BODY_DIR = "/tmp/rocketmq/msgbodys"
QUERY_MAX = 64
JAVA_LONG_MAX = 2**63 - 1


def _human_time(ms: int) -> str:
    """UtilAll.timeMillisToHumanString2: yyyy-MM-dd HH:mm:ss,SSS (local time)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000)) + f",{ms % 1000:03d}"


def _java_map(props: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in props.items()) + "}"


def print_message(msg: m.StoredMessage) -> None:
    offset_id = m.offset_msg_id(msg.store_host, msg.physical_offset)
    os.makedirs(BODY_DIR, exist_ok=True)
    path = os.path.join(BODY_DIR, offset_id)
    with open(path, "wb") as f:
        f.write(msg.decompressed_body())
    props = msg.props
    rows = [("OffsetID:", offset_id), ("Topic:", msg.topic), ("Tags:", f"[{props.get('TAGS')}]"),
            ("Keys:", f"[{props.get('KEYS')}]"), ("Queue ID:", msg.queue_id), ("Queue Offset:", msg.queue_offset),
            ("CommitLog Offset:", msg.physical_offset), ("Reconsume Times:", msg.reconsume_times),
            ("Born Timestamp:", _human_time(msg.born_timestamp)), ("Store Timestamp:", _human_time(msg.store_timestamp)),
            ("Born Host:", f"{msg.born_host[0]}:{msg.born_host[1]}"),
            ("Store Host:", f"{msg.store_host[0]}:{msg.store_host[1]}"), ("System Flag:", msg.sys_flag),
            ("Properties:", _java_map(props)), ("Message Body Path:", path)]
    for name, value in rows:
        print(f"{name:<20} {value}")


async def view_by_offset_id(client: RemotingClient, msg_id: str) -> m.StoredMessage:
    try:
        (host, port), offset = m.decode_offset_msg_id(msg_id)
    except (ValueError, IndexError) as e:
        raise AdminError(f"not an offset message id: {msg_id}") from e
    addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    resp = ok(await call(client, addr, RequestCode.VIEW_MESSAGE_BY_ID, {"offset": str(offset)}))
    found = m.decode_all(resp.body or b"")
    if not found:
        raise AdminError(f"no message at offset {offset} of {addr}")
    return found[0]


async def query(client: RemotingClient, args: argparse.Namespace, topic: str, key: str,
                unique: bool) -> list[m.StoredMessage]:
    ext = {"topic": topic, "key": key, "maxNum": str(QUERY_MAX), "beginTimestamp": "0",
           "endTimestamp": str(JAVA_LONG_MAX)}
    if unique:
        ext["_UNIQUE_KEY_QUERY"] = "true"
    out: list[m.StoredMessage] = []
    for addr in master_addrs(await topic_route(client, args, topic)):
        resp = await call(client, addr, RequestCode.QUERY_MESSAGE, ext)
        if resp.code == ResponseCode.SUCCESS:
            out += m.decode_all(resp.body or b"")
        elif resp.code != ResponseCode.QUERY_NOT_FOUND:
            ok(resp)
    if unique:
        return [x for x in out if x.props.get("UNIQ_KEY") == key][:1]
    return [x for x in out if key in (x.props.get("KEYS") or "").split(" ")]


async def query_by_id(client: RemotingClient, args: argparse.Namespace) -> None:
    for msg_id in (x.strip() for x in args.msgId.split(",")):
        if msg_id:
            print_message(await view_by_offset_id(client, msg_id))


async def query_by_unique_key(client: RemotingClient, args: argparse.Namespace) -> None:
    found = await query(client, args, args.topic, args.msgId, unique=True)
    if not found:
        raise AdminError(f"query message by uniq key finished, but no message: {args.msgId}")
    print_message(found[0])


async def query_by_key(client: RemotingClient, args: argparse.Namespace) -> None:
    print(f"{'#Message ID':<50} {'#QID':>4} {'#Offset':>40}")
    for msg in await query(client, args, args.topic, args.msgKey, unique=False):
        msg_id = msg.props.get("UNIQ_KEY") or m.offset_msg_id(msg.store_host, msg.physical_offset)
        print(f"{msg_id:<50} {msg.queue_id:>4} {msg.queue_offset:>40}")


_T = (("-t", "--topic"), {"required": True})
MESSAGE_COMMANDS: dict[str, tuple[str, list, Callable]] = {
    "queryMsgById": ("Query Message by Id", [(("-i", "--msgId"), {"required": True})], query_by_id),
    "queryMsgByUniqueKey": ("Query Message by Unique key",
                            [(("-i", "--msgId"), {"required": True}), _T], query_by_unique_key),
    "queryMsgByKey": ("Query Message by Key", [(("-k", "--msgKey"), {"required": True}), _T], query_by_key),
}

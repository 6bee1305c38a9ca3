"""Look inside a store directory without a broker: `python -m store.tools ROOT <command>`.

    summary                       files of every kind, offsets, checkpoint, abort/lock state
    queue TOPIC QUEUE [FROM] [N]  consume-queue entries and the messages they point at
    msg OFFSET                    the record at a commit-log offset, every field
    scan [FROM] [N]               records of the commit log in order
Sizes are read from the files (commit log: the first file's size; queues: 20-byte entries), so it opens
stores written by Java too. Read-only: it never recovers, truncates or takes the lock.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys

from . import message as m
from .checkpoint import _CP
from .consume_queue import CQ_UNIT, _ENTRY


def _files(d: str) -> list[str]:
    return sorted(n for n in os.listdir(d) if n.isdigit()) if os.path.isdir(d) else []


def _read_record(cl_dir: str, offset: int) -> tuple[str, m.StoredMessage | None]:
    names = _files(cl_dir)
    for name in reversed(names):
        start = int(name)
        if start <= offset:
            with open(os.path.join(cl_dir, name), "rb") as f:
                f.seek(offset - start)
                head = f.read(8)
                if len(head) < 8:
                    return "beyond data", None
                size, magic = struct.unpack(">ii", head)
                if magic == m.BLANK_MAGIC_CODE:
                    return f"BLANK end-of-file marker ({size} bytes to the end)", None
                f.seek(offset - start)
                data = f.read(max(size, 0))
            try:
                return "ok", m.decode(data, 0)
            except m.RecordError as e:
                return f"invalid: {e}", None
    return "below the first file", None


def _describe(msg: m.StoredMessage, offset: int) -> str:
    props = msg.props
    return (f"@{offset} size={msg.store_size} topic={msg.topic} queue={msg.queue_id} qoffset={msg.queue_offset} "
            f"sysFlag={msg.sys_flag:#x} flag={msg.flag} born={msg.born_timestamp}@{msg.born_host[0]}:{msg.born_host[1]} "
            f"store={msg.store_timestamp} crc={msg.body_crc} reconsume={msg.reconsume_times} "
            f"prepared={msg.prepared_transaction_offset} body={len(msg.body)}B "
            f"msgId={m.offset_msg_id(msg.store_host, offset)} props={props}")


def summary(root: str) -> None:
    cl = os.path.join(root, "commitlog")
    names = _files(cl)
    print(f"store {root}: abort={'present' if os.path.exists(os.path.join(root, 'abort')) else 'absent'}")
    if os.path.exists(os.path.join(root, "checkpoint")):
        with open(os.path.join(root, "checkpoint"), "rb") as f:
            phy, logic, idx = _CP.unpack(f.read(24))
        print(f"checkpoint physicMsgTimestamp={phy} logicsMsgTimestamp={logic} indexMsgTimestamp={idx}")
    print(f"commitlog: {len(names)} files")
    for n in names:
        print(f"  {n}  {os.path.getsize(os.path.join(cl, n))} bytes")
    cq_root = os.path.join(root, "consumequeue")
    if os.path.isdir(cq_root):
        print("consumequeue:")
        for topic in sorted(os.listdir(cq_root)):
            for q in sorted(os.listdir(os.path.join(cq_root, topic)), key=lambda x: int(x) if x.isdigit() else -1):
                d = os.path.join(cq_root, topic, q)
                files = _files(d)
                count = 0
                if files:
                    with open(os.path.join(d, files[-1]), "rb") as f:
                        data = f.read()
                    pos = 0
                    while pos + CQ_UNIT <= len(data) and _ENTRY.unpack_from(data, pos)[1] > 0:
                        pos += CQ_UNIT
                    count = (int(files[-1]) + pos) // CQ_UNIT
                print(f"  {topic}/{q}: files={len(files)} maxOffset={count}")
    idx = os.path.join(root, "index")
    print(f"index: {len(_files(idx))} files")


def queue(root: str, topic: str, qid: int, start: int, n: int) -> None:
    d = os.path.join(root, "consumequeue", topic, str(qid))
    for lo in range(start, start + n):
        pos = lo * CQ_UNIT
        entry = None
        for name in reversed(_files(d)):
            if int(name) <= pos:
                with open(os.path.join(d, name), "rb") as f:
                    f.seek(pos - int(name))
                    raw = f.read(CQ_UNIT)
                if len(raw) == CQ_UNIT:
                    entry = _ENTRY.unpack(raw)
                break
        if entry is None or entry[1] <= 0:
            print(f"{lo}: end of queue")
            return
        phys, size, tags = entry
        state, msg = _read_record(os.path.join(root, "commitlog"), phys)
        print(f"{lo}: phys={phys} size={size} tagsCode={tags} -> " + (_describe(msg, phys) if msg else state))


def scan(root: str, start: int, n: int) -> None:
    cl = os.path.join(root, "commitlog")
    names = _files(cl)
    size = os.path.getsize(os.path.join(cl, names[0])) if names else 0
    offset = start
    for _ in range(n):
        state, msg = _read_record(cl, offset)
        if msg is None:
            if state.startswith("BLANK"):
                print(f"@{offset}: {state}")
                offset = (offset // size + 1) * size
                continue
            print(f"@{offset}: {state}")
            return
        print(_describe(msg, offset))
        offset += msg.store_size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m store.tools", description="Print a RocketMQ store directory")
    p.add_argument("root")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("summary")
    q = sub.add_parser("queue")
    q.add_argument("topic")
    q.add_argument("queue_id", type=int)
    q.add_argument("start", type=int, nargs="?", default=0)
    q.add_argument("count", type=int, nargs="?", default=20)
    mm = sub.add_parser("msg")
    mm.add_argument("offset", type=int)
    sc = sub.add_parser("scan")
    sc.add_argument("start", type=int, nargs="?", default=0)
    sc.add_argument("count", type=int, nargs="?", default=20)
    a = p.parse_args(argv)
    if a.cmd == "summary":
        summary(a.root)
    elif a.cmd == "queue":
        queue(a.root, a.topic, a.queue_id, a.start, a.count)
    elif a.cmd == "msg":
        state, msg = _read_record(os.path.join(a.root, "commitlog"), a.offset)
        print(_describe(msg, a.offset) if msg else state)
    else:
        scan(a.root, a.start, a.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Child writer for the crash test: appends with SYNC_FLUSH and prints `ACK seq offset size` after each
acknowledged put, until it is killed. Message seq N goes to queue 0 at queue offset N, body = body_for(N)."""
import asyncio
import hashlib
import os
import sys

# the project root (tests/reliability/scripts/ is three levels down), importable when run as a script
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

from store import message as m  # noqa: E402
from store.config import MessageStoreConfig  # noqa: E402
from store.message_store import MessageStore  # noqa: E402


def config(root: str) -> MessageStoreConfig:
    return MessageStoreConfig(storePathRootDir=root, mappedFileSizeCommitLog=64 * 1024,
                              mappedFileSizeConsumeQueue=20 * 30, maxHashSlotNum=32, maxIndexNum=128,
                              flushDiskType="SYNC_FLUSH", flushIntervalCommitLog=50, flushIntervalConsumeQueue=50)


def body_for(seq: int) -> bytes:
    return hashlib.sha256(str(seq).encode()).digest() * (1 + seq % 40)


async def main(root: str) -> None:
    store = MessageStore(config(root), ("127.0.0.1", 10911))
    store.load()
    store.start()
    seq = store.max_offset_in_queue("Crash", 0)
    print(f"START {seq}", flush=True)
    while True:
        props = m.properties_to_string({"KEYS": f"seq-{seq}", "UNIQ_KEY": f"U{seq:010d}", "TAGS": f"t{seq % 4}"})
        msg = m.StoredMessage(topic="Crash", body=body_for(seq), queue_id=0, born_timestamp=seq,
                              born_host=("10.1.2.3", 4000), properties=props)
        res = await store.put_message_async(msg)
        if res.ok:
            print(f"ACK {seq} {res.append.wrote_offset} {res.append.wrote_bytes}", flush=True)
            seq += 1


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

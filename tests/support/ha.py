"""Broker groups (a master and its slave as real daemons) and what HA tests read from them: runtime info, raw
commit-log bytes, a store opened read-only after a stop."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Callable

from remoting import fastjson
from remoting.bodies import KVTable
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from store import message as m
from store.config import MessageStoreConfig
from store.message_store import MessageStore

from .daemons import BrokerProcess

COMMITLOG_FILE = 1 << 20


def master_props(name: str, role: str = "ASYNC_MASTER", **extra: object) -> dict:
    props = {"brokerName": name, "brokerRole": role, "mappedFileSizeCommitLog": COMMITLOG_FILE,
             "brokerClusterName": "HACluster", "brokerIP2": "127.0.0.1"}
    props.update(extra)
    return props


def slave_props(name: str, broker_id: int = 1, **extra: object) -> dict:
    props = {"brokerName": name, "brokerRole": "SLAVE", "brokerId": broker_id,
             "mappedFileSizeCommitLog": COMMITLOG_FILE, "brokerClusterName": "HACluster"}
    props.update(extra)
    return props


def start_group(root: Path, ns_addr: str, name: str, role: str = "ASYNC_MASTER", master_extra: dict | None = None,
                slave_extra: dict | None = None) -> tuple[BrokerProcess, BrokerProcess]:
    """The master first (the NameServer tells the slave its HA address only once a master is registered)."""
    master = BrokerProcess(root / f"{name}-m", ns_addr, **master_props(name, role, **(master_extra or {}))).start()
    slave = BrokerProcess(root / f"{name}-s", ns_addr, **slave_props(name, **(slave_extra or {}))).start()
    return master, slave


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05, what: str = "") -> object:
    """Poll a condition on another process's state with a deadline (there is no event to await across
    processes); a TimeoutError names what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what or predicate}")
        time.sleep(interval)


def runtime_info(addr: str) -> dict[str, str]:
    async def go() -> dict[str, str]:
        client = RemotingClient()
        try:
            resp = await client.invoke(addr, make_request(RequestCode.GET_BROKER_RUNTIME_INFO), timeout=5)
            assert resp.code == ResponseCode.SUCCESS, resp
            return KVTable.from_json(fastjson.loads(resp.body)).table
        finally:
            await client.close()
    return asyncio.run(go())


def topics_of(addr: str) -> set[str]:
    """The topic names a broker knows (GET_ALL_TOPIC_CONFIG)."""
    async def go() -> set[str]:
        client = RemotingClient()
        try:
            resp = await client.invoke(addr, make_request(RequestCode.GET_ALL_TOPIC_CONFIG), timeout=5)
            assert resp.code == ResponseCode.SUCCESS, resp
            return set(fastjson.loads(resp.body)["topicConfigTable"])
        finally:
            await client.close()
    return asyncio.run(go())


def wait_topic_synced(slave: BrokerProcess, topic: str, timeout: float = 30) -> None:
    """A slave learns topics from its master's metadata every 10 s (SlaveSynchronize)."""
    wait_until(lambda: topic in topics_of(slave.addr), timeout, interval=0.5, what=f"{topic} synced to {slave.addr}")


def try_runtime_info(addr: str) -> dict[str, str] | None:
    try:
        return runtime_info(addr)
    except Exception:  # noqa: BLE001 - not up (yet)
        return None


def max_offset(broker: BrokerProcess) -> int:
    info = try_runtime_info(broker.addr)
    return int(info["commitLogMaxOffset"]) if info else -1


def wait_caught_up(master: BrokerProcess, slave: BrokerProcess, timeout: float = 60) -> int:
    """The slave's commit log ends where the master's does and it has dispatched all of it (consume queues and
    index follow the copy on a slave, as in Java)."""
    def same():
        end = max_offset(master)
        info = try_runtime_info(slave.addr) or {}
        caught_up = int(info.get("commitLogMaxOffset", -1)) == end and info.get("dispatchBehindBytes") == "0"
        return end if end > 0 and caught_up else 0
    return wait_until(same, timeout, what=f"slave {slave.addr} catches up with {master.addr}")


def wait_slave_connected(master: BrokerProcess, timeout: float = 30) -> None:
    wait_until(lambda: (try_runtime_info(master.addr) or {}).get("haConnectionCount", "0") != "0", timeout,
               what=f"a slave connects to {master.addr}")


def commitlog_dir(broker: BrokerProcess) -> Path:
    return Path(broker.props["storePathRootDir"]) / "commitlog"


def commitlog_files(broker: BrokerProcess) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(commitlog_dir(broker).iterdir()) if p.name.isdigit()}


def record_at(broker: BrokerProcess, phys: int, file_size: int = COMMITLOG_FILE) -> bytes | None:
    """The stored record at a physical offset, read from the broker's files (the page cache is shared, so
    this sees what a killed process wrote)."""
    path = commitlog_dir(broker) / f"{phys - phys % file_size:020d}"
    if not path.exists():
        return None
    with open(path, "rb") as f:
        f.seek(phys % file_size)
        head = f.read(4)
        if len(head) < 4:
            return None
        size = int.from_bytes(head, "big", signed=True)
        if size <= 0:
            return None
        return head + f.read(size - 4)


def phys_of(msg_id: str) -> int:
    return m.decode_offset_msg_id(msg_id)[1]


def open_store(broker: BrokerProcess) -> MessageStore:
    """A stopped broker's store, loaded in this process (the caller closes it)."""
    cfg = MessageStoreConfig(storePathRootDir=broker.props["storePathRootDir"],
                             mappedFileSizeCommitLog=COMMITLOG_FILE, mappedFileSizeConsumeQueue=6000)
    s = MessageStore(cfg)
    s.load()
    assert s.last_exit_ok
    return s


def consumer_offsets(addr: str, group: str, topic: str, queues: int) -> list[int]:
    """The offsets a broker stores for a group's queues (QUERY_CONSUMER_OFFSET; -1 = none stored)."""
    async def go() -> list[int]:
        client = RemotingClient()
        out = []
        try:
            for q in range(queues):
                ext = {"consumerGroup": group, "topic": topic, "queueId": str(q)}
                resp = await client.invoke(addr, make_request(RequestCode.QUERY_CONSUMER_OFFSET, ext), timeout=5)
                out.append(int(resp.ext_fields["offset"]) if resp.code == ResponseCode.SUCCESS else -1)
            return out
        finally:
            await client.close()
    return asyncio.run(go())

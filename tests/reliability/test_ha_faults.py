"""The HA link under faults and bad input, with two real stores (master and slave) in one process talking
over loopback: through a proxy that drops, stalls and cuts blocks the slave reconnects and resumes at the
right offset (byte-identical logs, nothing doubled or missing); garbage, a report past the end, a half
report and a peer that never reads only close their own connection; SYNC_MASTER answers follow the slave's
acknowledgements; a slave whose log does not continue the master's is refused and left untouched."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from store import message as m
from store.config import MessageStoreConfig
from store.message_store import MessageStore
from store.results import PutStatus
from tests.support.daemons import free_port
from tests.support.ha_proxy import HAProxy

FILE = 1 << 20
FAST = {"haSendHeartbeatInterval": 300, "haHousekeepingInterval": 1500}


def _config(root: Path, role: str, **extra) -> MessageStoreConfig:
    cfg = MessageStoreConfig(storePathRootDir=str(root), mappedFileSizeCommitLog=FILE,
                             mappedFileSizeConsumeQueue=6000, brokerRole=role, haListenPort=free_port(), **FAST)
    for k, v in extra.items():
        setattr(cfg, k, v)
    return cfg


@asynccontextmanager
async def running(cfg: MessageStoreConfig):
    store = MessageStore(cfg)
    store.load()
    store.start()
    await store.ha.start("127.0.0.1")
    try:
        yield store
    finally:
        await store.shutdown()


def put(store: MessageStore, n: int, tag: str = "a", size: int = 700) -> list:
    results = []
    for i in range(n):
        body = f"{tag}-{i}-".encode() + os.urandom(size // 2).hex().encode()[: size]
        r = store.put_message(m.StoredMessage(topic="HaT", body=body, queue_id=i % 3,
                                              properties=f"KEYS\x01{tag}-{i}\x02"))
        assert r.ok
        results.append(r)
    return results


async def until(pred, timeout: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not pred():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {timeout}s: {what}") from None


async def caught_up(master: MessageStore, slave: MessageStore, timeout: float, what: str) -> None:
    """Copied and dispatched (consume queues follow the copy on a slave)."""
    end = master.commitlog.max_offset
    await until(lambda: slave.commitlog.max_offset() == end() and slave.dispatched_offset == end(), timeout, what)


async def streaming(master: MessageStore) -> None:
    """A slave is connected and its transfer start is fixed (an empty slave starts at the master's last file
    at the moment of its first report, as in Java)."""
    await until(lambda: any(c.transfer_from >= 0 for c in master.ha.server.connections), 10, "slave streaming")


def files_of(store: MessageStore) -> dict[str, bytes]:
    d = store.config.commitlog_dir
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


def digest(store: MessageStore) -> str:
    h = hashlib.sha256()
    for name, data in files_of(store).items():
        h.update(name.encode() + data)
    return h.hexdigest()


def assert_replica(master: MessageStore, slave: MessageStore) -> None:
    assert slave.commitlog.max_offset() == master.commitlog.max_offset()
    mf, sf = files_of(master), files_of(slave)
    assert list(sf) == list(mf)
    for name in mf:
        # the unwritten tail of the last file may hold a pre-created file's zeros on either side: compare all
        assert sf[name] == mf[name], name
    for key, cq in master.consume_queues.items():
        scq = slave.consume_queue(*key)
        assert scq is not None and scq.max_offset() == cq.max_offset(), key
        for off in range(cq.min_offset(), cq.max_offset()):
            assert scq.entry(off) == cq.entry(off)


async def test_slave_resumes_at_the_right_offset_through_drops_stalls_and_cut_blocks(tmp_path):
    async with running(_config(tmp_path / "m", "ASYNC_MASTER")) as master:
        proxy = await HAProxy(master.config.haListenPort).start()
        cfg = _config(tmp_path / "s", "SLAVE", haMasterAddress=proxy.addr)
        async with running(cfg) as slave:
            await streaming(master)
            put(master, 1500, "first")                                    # > 1 file
            await until(lambda: slave.commitlog.max_offset() == master.commitlog.max_offset(), 20, "first")

            proxy.drop()                                                  # 1. the link drops
            put(master, 500, "after-drop")
            await until(lambda: slave.commitlog.max_offset() == master.commitlog.max_offset(), 20, "after drop")
            assert proxy.accepted >= 2

            proxy.stall()                                                 # 2. the link stalls past housekeeping
            stalled_at = slave.commitlog.max_offset()
            put(master, 300, "during-stall")
            accepted = proxy.accepted
            await until(lambda: proxy.accepted > accepted, 10, "the slave gives up on the stalled link")
            assert slave.commitlog.max_offset() == stalled_at
            proxy.resume()
            await until(lambda: slave.commitlog.max_offset() == master.commitlog.max_offset(), 20, "after stall")

            for round_no in range(3):                                     # 3. a block cut in half, three times
                proxy.cut_next_block = True
                put(master, 200, f"cut{round_no}", size=900)
                await until(lambda: proxy.cuts == round_no + 1, 10, "cut")
                await caught_up(master, slave, 20, "after cut")
            assert_replica(master, slave)
            # every key exactly once in the slave's queues: nothing doubled, nothing missing
            seen = []
            for key, cq in slave.consume_queues.items():
                for off in range(cq.min_offset(), cq.max_offset()):
                    seen.append(slave.commitlog.message_at(cq.entry(off)[0]).props["KEYS"])
            assert len(seen) == len(set(seen)) == 1500 + 500 + 300 + 600
        await proxy.stop()


def _raw(port: int, rcvbuf: int | None = None) -> socket.socket:
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


async def closed_by_peer(s: socket.socket, timeout: float) -> bool:
    """True once the master closed the socket (EOF or reset), reading and discarding what it sends."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    data = await loop.sock_recv(s, 65536)
                except ConnectionError:
                    return True
                if not data:
                    return True
    except TimeoutError:
        return False


async def test_bad_input_on_the_ha_port_closes_only_that_connection(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="store.ha")
    async with running(_config(tmp_path / "m", "ASYNC_MASTER")) as master:
        put(master, 12000, "bulk")       # ~ 8 MB: more than socket buffers hold
        before = digest(master)
        port = master.config.haListenPort
        loop = asyncio.get_running_loop()

        garbage = _raw(port)            # an HTTP request on the HA port
        await loop.sock_sendall(garbage, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert await closed_by_peer(garbage, 5)

        past = _raw(port)               # a report past the master's end
        await loop.sock_sendall(past, (master.commitlog.max_offset() + 1).to_bytes(8, "big"))
        assert await closed_by_peer(past, 5)
        assert "does not continue the master's" in caplog.text

        negative = _raw(port)
        await loop.sock_sendall(negative, (-5).to_bytes(8, "big", signed=True))
        assert await closed_by_peer(negative, 5)

        half = _raw(port)               # half a report, then silence: housekeeping
        await loop.sock_sendall(half, b"\x00\x00\x00\x00")
        assert await closed_by_peer(half, 5)

        deaf = _raw(port, rcvbuf=4096)  # asks for 8 MB and keeps reporting, but never reads
        start = FILE

        async def keep_reporting() -> None:
            try:
                while True:
                    await loop.sock_sendall(deaf, start.to_bytes(8, "big"))
                    await asyncio.sleep(0.2)
            except OSError:
                pass     # the master closed it
        reporter = asyncio.ensure_future(keep_reporting())
        await until(lambda: any(c.paused_since for c in master.ha.server.connections), 10, "writes back up")
        await until(lambda: not master.ha.server.connections, 10, "the deaf peer is dropped")
        reporter.cancel()
        assert "has not read what was sent" in caplog.text
        for s in (garbage, past, negative, half, deaf):
            s.close()

        assert digest(master) == before                 # nothing stored was touched
        assert master.put_message(m.StoredMessage(topic="HaT", body=b"still-writable")).ok
        slave_cfg = _config(tmp_path / "s", "SLAVE", haMasterAddress=f"127.0.0.1:{port}")
        async with running(slave_cfg) as slave:          # and a real slave still copies it all
            await until(lambda: slave.commitlog.max_offset() == master.commitlog.max_offset(), 30, "slave")
            files = files_of(master)
            assert files_of(slave) == {n: files[n] for n in files_of(slave)}


async def test_sync_master_answers_after_the_slave_acknowledged(tmp_path):
    async with running(_config(tmp_path / "m", "SYNC_MASTER", slaveTimeout=800)) as master:
        lone = put(master, 1)[0]
        assert (await master.wait_stored(lone)).status == PutStatus.SLAVE_NOT_AVAILABLE
        assert (await master.wait_stored(lone, wait=False)).status == PutStatus.PUT_OK   # WAIT=false
        proxy = await HAProxy(master.config.haListenPort).start()
        async with running(_config(tmp_path / "s", "SLAVE", haMasterAddress=proxy.addr)) as slave:
            await streaming(master)
            for r in put(master, 50):
                end = r.append.wrote_offset + r.append.wrote_bytes
                assert (await master.wait_stored(r)).status == PutStatus.PUT_OK
                assert slave.commitlog.max_offset() >= end      # the slave had it when the answer came
            proxy.stall()
            stalled = put(master, 1)[0]
            assert (await master.wait_stored(stalled)).status == PutStatus.FLUSH_SLAVE_TIMEOUT
            proxy.resume()
            await until(lambda: master.ha.push2slave_max_offset == master.commitlog.max_offset(), 10, "acks")
            # a batch waits for its end offset
            batch = master.put_messages([m.StoredMessage(topic="HaT", body=b"b%d" % i) for i in range(5)])
            assert (await master.wait_stored(batch)).status == PutStatus.PUT_OK
            assert slave.commitlog.max_offset() >= batch.append.wrote_offset + batch.append.wrote_bytes
        await proxy.stop()


async def test_sync_master_with_sync_flush_reports_the_replication_failure(tmp_path):
    async with running(_config(tmp_path / "m", "SYNC_MASTER", flushDiskType="SYNC_FLUSH")) as master:
        r = put(master, 1)[0]
        # flushed fine, no slave: the replication status is the answer (thenCombine: replica wins)
        assert (await master.wait_stored(r)).status == PutStatus.SLAVE_NOT_AVAILABLE
        assert master.flush.flushed_offset >= r.append.wrote_offset + r.append.wrote_bytes


async def test_a_slave_whose_log_does_not_continue_the_masters_is_refused(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="store.ha")
    async with running(_config(tmp_path / "m", "ASYNC_MASTER")) as master:
        put(master, 100, "master")
        # the slave's store was written by another master and is longer: it cannot follow this one
        other = _config(tmp_path / "s", "ASYNC_MASTER")
        async with running(other) as diverged:
            put(diverged, 300, "other")
        cfg = _config(tmp_path / "s", "SLAVE", haMasterAddress=f"127.0.0.1:{master.config.haListenPort}")
        async with running(cfg) as slave:
            before = digest(slave)
            await until(lambda: "does not continue the master's" in caplog.text, 10, "refusal logged")
            assert "move its store directory aside and start it empty" in caplog.text
            put(master, 10, "more")
            await asyncio.sleep(0.5)    # give a wrong implementation the time to append something
            assert digest(slave) == before
            assert master.ha.push2slave_max_offset == 0


async def test_a_slave_drops_a_master_that_sends_garbage(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="store.ha")
    connections = 0
    reports: list[bytes] = []

    async def fake_master(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        reports.append(await reader.readexactly(8))
        # a header announcing a 1 GiB block, then junk
        writer.write((0).to_bytes(8, "big") + (1 << 30).to_bytes(4, "big") + b"junk" * 100)
        await writer.drain()
        await reader.read()

    server = await asyncio.start_server(fake_master, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cfg = _config(tmp_path / "s", "SLAVE", haMasterAddress=f"127.0.0.1:{port}")
    async with running(cfg) as slave:
        await until(lambda: connections >= 2, 10, "the slave drops the link and reconnects")
        assert reports[0] == (0).to_bytes(8, "big")         # an empty slave asks for 0
        assert "bad block header" in caplog.text
        assert slave.commitlog.max_offset() == 0 and not slave.consume_queues
    server.close()

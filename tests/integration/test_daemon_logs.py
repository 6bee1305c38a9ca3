"""The daemons' logs (issue 14, "Logs"): one line per significant event, in the log file of real daemons, and
never a message body or property. Each event is driven cheaply (raw requests), its line is waited for with a
deadline, then counted: exactly one."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from remoting import fastjson
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.support.daemons import BrokerProcess, NamesrvProcess

FILE_SIZE = 64 * 1024          # a small commit-log file, so a few sends roll it
MARKER = "S3cr3tMark3r-7f41c2"  # in bodies and properties; must never reach a log


def log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


async def wait_line(path: Path, needle: str, timeout: float = 15.0) -> str:
    """Poll the log file until `needle` appears (an event, not a sleep); returns the file's text then."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_text(path)
        if needle in text:
            return text
        assert time.monotonic() < deadline, f"{needle!r} not in {path} within {timeout}s:\n{text[-3000:]}"
        await asyncio.sleep(0.05)


async def once(path: Path, needle: str, timeout: float = 15.0) -> str:
    text = await wait_line(path, needle, timeout)
    lines = [x for x in text.splitlines() if needle in x]
    assert len(lines) == 1, f"{needle!r} logged {len(lines)} times:\n" + "\n".join(lines)
    return lines[0]


def heartbeat(client_id: str, producer: str | None = None, consumer: str | None = None, topic: str = "") -> bytes:
    hb: dict = {"clientID": client_id, "consumerDataSet": [], "producerDataSet": []}
    if producer:
        hb["producerDataSet"].append({"groupName": producer})
    if consumer:
        hb["consumerDataSet"].append({
            "groupName": consumer, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
            "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET", "unitMode": False,
            "subscriptionDataSet": [{"topic": topic, "subString": "*", "tagsSet": [], "codeSet": [],
                                     "subVersion": 1, "classFilterMode": False, "expressionType": "TAG"}]})
    return fastjson.dumpb(hb)


async def send(client: RemotingClient, addr: str, topic: str, body: bytes) -> None:
    props = f"KEYS\x01{MARKER}\x02UserProp\x01{MARKER}\x02TAGS\x01t\x02"
    resp = await client.invoke(addr, make_request(RequestCode.SEND_MESSAGE, {
        "producerGroup": "PID_logs", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "1",
        "queueId": "0", "sysFlag": "0", "bornTimestamp": str(int(time.time() * 1000)), "flag": "0",
        "properties": props}, body), 5)
    assert resp.code == ResponseCode.SUCCESS, resp


async def test_each_event_is_one_line_and_no_body_or_property_is_logged(tmp_path):
    with NamesrvProcess(tmp_path / "namesrv") as ns:
        ns_log = ns.workdir / "logs" / "namesrv.log"
        await once(ns_log, "The Name Server boot success. serializeType=JSON; version rocketmq-py")
        br = BrokerProcess(tmp_path / "broker", ns.addr, mappedFileSizeCommitLog=FILE_SIZE).start()
        log = br.workdir / "logs" / "broker.log"
        try:
            # start: the recovery result, the boot line with its facts, registration on both sides
            assert "normal recovery (last exit OK)" in await once(log, "store recovered from ")
            boot = await once(log, "boot success. serializeType=JSON")
            assert f"listen port {br.port}" in boot and "role ASYNC_MASTER" in boot and "version rocketmq-py" in boot
            await once(log, f"registered to name server {ns.addr}: cluster DefaultCluster, broker broker-a")
            await once(ns_log, "broker registered: cluster DefaultCluster, broker broker-a, id 0, "
                               f"address {br.addr}")

            producer, consumer, admin = RemotingClient(), RemotingClient(), RemotingClient()
            try:
                # a producer joins and leaves (its channel closes)
                for _ in range(2):   # the second heartbeat is no new event
                    resp = await producer.invoke(br.addr, make_request(
                        RequestCode.HEART_BEAT, {}, heartbeat("127.0.0.1@logs-p", producer="PID_logs")), 5)
                    assert resp.code == ResponseCode.SUCCESS
                joined = await once(log, "producer joined group PID_logs: clientId 127.0.0.1@logs-p")
                assert "language JAVA" in joined and "version V4_9_7" in joined
                producer.close_connection(br.addr)
                await once(log, "producer left group PID_logs (channel closed): clientId 127.0.0.1@logs-p")

                # a consumer joins: its group is told to rebalance
                for _ in range(2):
                    resp = await consumer.invoke(br.addr, make_request(RequestCode.HEART_BEAT, {}, heartbeat(
                        "127.0.0.1@logs-c", consumer="CID_logs", topic="LogTopic")), 5)
                    assert resp.code == ResponseCode.SUCCESS
                await once(log, "consumer joined group CID_logs: clientId 127.0.0.1@logs-c")
                await once(log, "rebalance: NOTIFY_CONSUMER_IDS_CHANGED to 1 consumers of group CID_logs")

                # a config change names the key, old -> new
                resp = await admin.invoke(br.addr, make_request(
                    RequestCode.UPDATE_BROKER_CONFIG, {}, b"flushConsumerOffsetInterval=6000\n"), 5)
                assert resp.code == ResponseCode.SUCCESS
                await once(log, "flushConsumerOffsetInterval 5000 -> 6000")

                # sends whose bodies and properties carry the marker, until the commit log rolls
                body = (MARKER * 400).encode()
                for _ in range(FILE_SIZE // len(body) + 2):
                    await send(admin, br.addr, "LogTopic", body)
                await once(log, "commitlog/00000000000000065536 (roll, previous full)")
                await once(log, "consumequeue/LogTopic/0/00000000000000000000 (first file)")
            finally:
                for c in (producer, consumer, admin):
                    await c.close()
            await once(log, "consumer left group CID_logs (channel closed): clientId 127.0.0.1@logs-c")
        finally:
            br.stop()
        # stop: unregistered on both sides, then the stopped line
        await once(log, f"unregistered from name server {ns.addr}")
        await once(log, "broker stopped, uptime")
        await once(ns_log, f"broker unregistered: cluster DefaultCluster, broker broker-a, id 0, address {br.addr}")
    await once(ns_log, "name server stopped, uptime")

    # nothing of any message reached a log file or the daemons' stderr
    files = [*tmp_path.glob("*/logs/*"), *tmp_path.glob("*/stderr.txt")]
    assert len(files) >= 4
    for f in files:
        assert MARKER not in f.read_text(errors="replace"), f"message content in {f}"


async def test_log_keys_from_the_properties_file(tmp_path):
    """logLevel=WARNING keeps INFO lines out; logDir is where the file goes when ROCKETMQ_LOG_DIR is unset."""
    ns = NamesrvProcess(tmp_path / "namesrv", logLevel="WARNING", logMaxFileSize="1MB", logMaxBackups=2)
    with ns:
        pass
    text = log_text(ns.workdir / "logs" / "namesrv.log")
    assert " INFO " not in text and "boot success" not in text

    # a bad value stops the daemon before it starts, naming the key
    bad = NamesrvProcess(tmp_path / "bad", logMaxFileSize="lots")
    try:
        bad.start()
        raise AssertionError("a NameServer with logMaxFileSize=lots started")
    except RuntimeError:
        pass
    assert "bad value for logMaxFileSize" in bad.stderr()

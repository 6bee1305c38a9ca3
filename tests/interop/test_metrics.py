"""The Prometheus exporter (docs/metrics.md) scraped over HTTP while a real client (the C++ 1.x core,
rocketmq==0.4.4) produces and consumes: counters move by exactly the messages and stored bytes sent and
pulled, lag equals what is unconsumed (split into inflight and ready while a pull holds messages), a DLQ move
is counted, and 1,000 new topics add no per-topic series."""
from __future__ import annotations

import asyncio
import time

import pytest

from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from store import message as m
from tests.support.cpp1x import PushConsumer, message, produce
from tests.support.daemons import BrokerProcess, NamesrvProcess, free_port
from tests.support.scrape import Scrape

pytestmark = pytest.mark.interop

TOPIC, QUEUES, COUNT = "MetricsT", 4, 20


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("metrics")
    ns_port, br_port = free_port(), free_port()
    on = {"metricsExporterType": "PROM", "metricsPromExporterHost": "127.0.0.1"}
    with NamesrvProcess(root / "ns", metricsPromExporterPort=ns_port, **on) as ns, \
            BrokerProcess(root / "broker", ns.addr, metricsPromExporterPort=br_port, **on) as br:
        yield ns, br, f"http://127.0.0.1:{ns_port}/metrics", f"http://127.0.0.1:{br_port}/metrics", root


async def call(client: RemotingClient, addr: str, code: int, ext: dict) -> object:
    resp = await client.invoke(addr, make_request(code, ext), 5)
    return resp


async def create(client, addr: str, topic: str, queues: int):
    """UPDATE_AND_CREATE_TOPIC, as mqadmin updateTopic -b sends it."""
    return await call(client, addr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
        "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"})


async def pull(client, addr, group: str, queue: int, offset: int, count: int):
    return await call(client, addr, RequestCode.PULL_MESSAGE, {
        "consumerGroup": group, "topic": TOPIC, "queueId": str(queue), "queueOffset": str(offset),
        "maxMsgNums": str(count), "sysFlag": "4", "commitOffset": "0", "suspendTimeoutMillis": "0",
        "subscription": "*", "subVersion": "0", "expressionType": "TAG"})


async def commit(client, addr, group: str, queue: int, offset: int) -> None:
    resp = await call(client, addr, RequestCode.UPDATE_CONSUMER_OFFSET, {
        "consumerGroup": group, "topic": TOPIC, "queueId": str(queue), "commitOffset": str(offset)})
    assert resp.code == ResponseCode.SUCCESS, resp


def wait_scrape(url: str, ok, timeout: float = 60.0) -> Scrape:
    deadline = time.monotonic() + timeout
    while True:
        s = Scrape(url)
        if ok(s) or time.monotonic() > deadline:
            return s
        time.sleep(0.5)


async def test_counters_lag_and_dlq_follow_what_real_clients_do(cluster):
    ns, br, ns_url, br_url, root = cluster
    client = RemotingClient()
    assert (await create(client, br.addr, TOPIC, QUEUES)).code == ResponseCode.SUCCESS
    before = Scrape(br_url)
    assert before.content_type.startswith("text/plain; version=0.0.4")
    msgs = [message(TOPIC, b"x" * (10 + 37 * i), tags=f"T{i % 3}") for i in range(COUNT)]
    (root / "p").mkdir(exist_ok=True)
    sent = produce(root / "p", ns.addr, "PID_metrics", "sync", msgs)
    assert all(r.get("status") == 0 for r in sent), sent
    try:
        # every stored record, read back raw by a group of our own: the bytes the broker stored and serves
        stored_bytes, stored = 0, []
        for q in range(QUEUES):
            resp = await pull(client, br.addr, "GID_raw", q, 0, 32)
            if resp.code == ResponseCode.SUCCESS:
                stored_bytes += len(resp.body)
                stored += m.decode_all(resp.body)
        assert len(stored) == COUNT
        s = Scrape(br_url)
        lab = {"topic": TOPIC}
        assert s.value("rocketmq_messages_in_total", **lab, message_type="normal", is_system="false") == COUNT
        assert s.value("rocketmq_throughput_in_total", **lab) == stored_bytes
        assert s.value("rocketmq_message_size_count", **lab) == COUNT
        assert s.value("rocketmq_message_size_sum", **lab) == pytest.approx(stored_bytes)
        assert s.value("rocketmq_messages_out_total", **lab, consumer_group="GID_raw") == COUNT
        assert s.value("rocketmq_throughput_out_total", **lab, consumer_group="GID_raw") == stored_bytes
        assert s.value("rocketmq_producer_connections") == 0      # the producer process has exited
        sends = {"request_code": "send_message", "response_code": "success"}     # the C++ 1.x core's code
        assert s.value("rocketmq_rpc_latency_count", **sends) - before.value("rocketmq_rpc_latency_count", **sends) \
            == COUNT

        # a group holding pulled messages: committed at 0 everywhere, 3 pulled from the fullest queue
        per_queue = {q: sum(1 for x in stored if x.queue_id == q) for q in range(QUEUES)}
        q0 = max(per_queue, key=per_queue.get)
        for q in range(QUEUES):
            await commit(client, br.addr, "GID_hold", q, 0)
        assert (await pull(client, br.addr, "GID_hold", q0, 0, 3)).code == ResponseCode.SUCCESS
        s = Scrape(br_url)
        hold = {"consumer_group": "GID_hold", "topic": TOPIC, "is_retry": "false"}
        assert s.value("rocketmq_consumer_lag_messages", **hold) == COUNT
        assert s.value("rocketmq_consumer_inflight_messages", **hold) == 3
        assert s.value("rocketmq_consumer_ready_messages", **hold) == COUNT - 3
        assert s.value("rocketmq_consumer_expired_messages", **hold) == 0
        # the oldest unconsumed message is the first one stored; the oldest not pulled is younger or the same
        age = int(time.time() * 1000) - min(x.store_timestamp for x in stored)
        assert 0 < s.value("rocketmq_consumer_lag_latency", **hold) <= age
        assert age - s.value("rocketmq_consumer_lag_latency", **hold) < 2000
        assert 0 < s.value("rocketmq_consumer_queueing_latency", **hold) <= s.value("rocketmq_consumer_lag_latency",
                                                                                   **hold)
        await commit(client, br.addr, "GID_hold", q0, 3)          # the three are consumed
        s = Scrape(br_url)
        assert s.value("rocketmq_consumer_lag_messages", **hold) == COUNT - 3
        assert s.value("rocketmq_consumer_inflight_messages", **hold) == 0
        assert s.value("rocketmq_consumer_ready_messages", **hold) == COUNT - 3

        # a live push consumer: its connection, then every message consumed, lag 0
        consumer = PushConsumer(root / "c", ns.addr, "GID_push", TOPIC, seconds=90)
        try:
            assert consumer.wait_for(lambda got: len(got) >= COUNT, 60), consumer.messages
            push = {"consumer_group": "GID_push", "topic": TOPIC}
            s = wait_scrape(br_url, lambda x: x.series("rocketmq_consumer_lag_messages") and
                            any(lab.get("consumer_group") == "GID_push" for lab in
                                x.series("rocketmq_consumer_lag_messages"))
                            and x.value("rocketmq_consumer_lag_messages", **push) == 0)
            assert s.value("rocketmq_consumer_lag_messages", **push) == 0
            assert s.value("rocketmq_consumer_inflight_messages", **push) == 0
            assert s.value("rocketmq_messages_out_total", **push) == COUNT
            assert s.value("rocketmq_consumer_connections", consumer_group="GID_push", language="cpp",
                           consume_mode="push") == 1
        finally:
            consumer.stop()

        # a consumer gives one message up: CONSUMER_SEND_MSG_BACK with delay level -1 dead-letters it
        resp = await call(client, br.addr, RequestCode.CONSUMER_SEND_MSG_BACK, {
            "offset": str(stored[0].physical_offset), "group": "GID_push", "delayLevel": "-1",
            "originMsgId": "X", "originTopic": TOPIC})
        assert resp.code == ResponseCode.SUCCESS, resp
        # a client sends a message to the group's retry topic past its last retry: the broker stores it in %DLQ%
        resp = await client.invoke(br.addr, make_request(RequestCode.SEND_MESSAGE, {
            "producerGroup": "GID_push", "topic": "%RETRY%GID_push", "defaultTopic": "TBW102",
            "defaultTopicQueueNums": "4", "queueId": "0", "sysFlag": "0", "bornTimestamp": str(int(time.time() * 1000)),
            "flag": "0", "properties": "", "reconsumeTimes": "3", "maxReconsumeTimes": "3"}, b"given up"), 5)
        assert resp.code == ResponseCode.SUCCESS, resp
        s = Scrape(br_url)
        assert s.value("rocketmq_send_to_dlq_messages_total", consumer_group="GID_push", topic=TOPIC) == 1
        assert s.value("rocketmq_send_to_dlq_messages_total", consumer_group="GID_push", topic="%RETRY%GID_push") == 1
        assert s.value("rocketmq_send_to_dlq_messages_total") == 2
        # the send-back is not a message in (5.x counts sends only), and the DLQ topic is never counted in
        assert s.value("rocketmq_messages_in_total", topic=TOPIC) == COUNT
        assert not [x for x in s.series("rocketmq_messages_in_total") if x["topic"].startswith("%")]
    finally:
        await client.close()

    n = wait_scrape(ns_url, lambda x: x.value("rocketmq_namesrv_route_requests_total", result="found") > 0)
    assert n.value("rocketmq_namesrv_broker_alive", cluster="DefaultCluster", broker="broker-a", broker_id="0") == 1
    assert n.value("rocketmq_namesrv_route_requests_total", result="found") > 0
    assert n.value("rocketmq_rpc_latency_count", request_code="register_broker", response_code="success") >= 1


async def test_a_thousand_new_topics_add_no_per_topic_series(cluster):
    ns, br, _ns_url, br_url, _root = cluster
    before = Scrape(br_url)
    client = RemotingClient()
    try:
        for start in range(0, 1000, 100):
            answers = await asyncio.gather(*(create(client, br.addr, f"Idle{i:04d}", 8)
                                             for i in range(start, start + 100)))
            assert all(a.code == ResponseCode.SUCCESS for a in answers)
    finally:
        await client.close()
    after = Scrape(br_url)
    assert after.value("rocketmq_topic_number") == before.value("rocketmq_topic_number") + 1000
    for name in after.samples:
        if name.startswith("rocketmq_") and "create_execution_time" not in name and "rpc_latency" not in name:
            assert len(after.samples[name]) == len(before.samples.get(name, [])), name
    assert after.value("rocketmq_topic_create_execution_time_count", invocation_status="success") - \
        before.value("rocketmq_topic_create_execution_time_count", invocation_status="success") == 1000
    assert len(after.text) < len(before.text) + 4096       # a few latency series, not 1,000 topics' worth

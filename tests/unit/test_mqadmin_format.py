"""The text of the message / consumer / client / stats mqadmin subcommands, from bodies shaped like a Java
broker's (fastjson MessageQueue object keys). The expected lines are built with the Java classes' printf
formats (Python's % operator reads them the same way for %-Ns, %-Nd, %Nd and %.2f), so a layout drift shows."""
from __future__ import annotations

import time

import pytest

from remoting import fastjson
from store import message as m
from tools.mqadmin import client_cmds, consumer_cmds, message_cmds, msgfmt, stats_cmds
from tools.mqadmin.cli import CommandError
from tools.mqadmin.msgfmt import MQ

T0 = 1700000000000
STATS = (b'{"consumeTps":2.5,"offsetTable":{'
         b'{"brokerName":"broker-b","queueId":0,"topic":"TopicA"}:{"brokerOffset":10,"consumerOffset":10,"lastTimestamp":0},'
         b'{"brokerName":"broker-a","queueId":1,"topic":"TopicA"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000},'
         b'{"brokerName":"broker-a","queueId":0,"topic":"TopicA"}:{"brokerOffset":7,"consumerOffset":2,"lastTimestamp":1700000000000}}}')


def _date(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def test_version_names_follow_mqversion_ordinals():
    assert len(msgfmt.VERSION_NAMES) == 612
    assert msgfmt.version_desc(407) == "V4_9_7"
    assert msgfmt.version_desc(63) == "V3_1_8" and msgfmt.version_desc(62) == "V3_1_8_SNAPSHOT"
    assert msgfmt.version_desc(0) == "V3_0_0_SNAPSHOT" and msgfmt.version_desc(15) == "V3_0_0_FINAL"
    assert msgfmt.version_desc(317) == "V4_5_2" and msgfmt.version_desc(10**6) == "V5_9_9"


def test_consumer_progress_per_queue_lag_sorted_with_totals():
    d = fastjson.loads(STATS)
    table = msgfmt.mq_table(d["offsetTable"])
    fmt_h = "%-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n"
    fmt = "%-64s  %-32s  %-4d  %-20d  %-20d  %-20d  %s\n"
    want = (fmt_h % ("#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime")
            + fmt % ("TopicA", "broker-a", 0, 7, 2, 5, _date(T0))
            + fmt % ("TopicA", "broker-a", 1, 100, 90, 10, _date(T0))
            + fmt % ("TopicA", "broker-b", 0, 10, 10, 0, "N/A")
            + "\nConsume TPS: 2.50\nDiff Total: 15\n")
    assert consumer_cmds.format_progress(table, d["consumeTps"]) == want


def test_consumer_progress_reports_messages_expired_before_consumption_apart():
    """A consumer offset below the queue's min offset: those messages were deleted unconsumed. Java's Diff Total
    is kept; ours adds Expired Total and the Lag Total without them, only when there are some."""
    d = fastjson.loads(STATS)
    table = msgfmt.mq_table(d["offsetTable"])
    same = consumer_cmds.format_progress(table, d["consumeTps"])
    # min offsets at or below the consumer offsets: exactly Java's text
    assert consumer_cmds.format_progress(table, d["consumeTps"], mins={mq: 2 for mq in table}) == same
    # broker-a q1: consumed to 90, retention deleted up to 95; broker-a q0: min 7 = the whole queue (7 > 2)
    mins = {MQ("TopicA", "broker-a", 1): 95, MQ("TopicA", "broker-a", 0): 7}
    out = consumer_cmds.format_progress(table, d["consumeTps"], mins=mins)
    assert out == same + "Expired Total: 10\nLag Total: 5\n"


def test_consumer_progress_with_client_ip_column():
    table = msgfmt.mq_table(fastjson.loads(STATS)["offsetTable"])
    ips = {MQ("TopicA", "broker-a", 0): "10.0.0.7"}
    out = consumer_cmds.format_progress(table, 0, ips).splitlines()
    assert out[0] == ("%-64s  %-32s  %-4s  %-20s  %-20s  %-20s %-20s  %s" % (
        "#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Client IP", "#Diff", "#LastTime"))
    fmt = "%-64s  %-32s  %-4d  %-20d  %-20d  %-20s %-20d  %s"
    assert out[1] == fmt % ("TopicA", "broker-a", 0, 7, 2, "10.0.0.7", 5, _date(T0))
    assert out[2] == fmt % ("TopicA", "broker-a", 1, 100, 90, "N/A", 10, _date(T0))
    assert out[-2:] == ["Consume TPS: 0.00", "Diff Total: 15"]


def test_consumer_progress_group_list_rows():
    fmt = "%-64s  %-6d  %-24s %-5s  %-14s  %-7d  %d\n"
    assert consumer_cmds.GROUP_LIST_HEAD == "%-64s  %-6s  %-24s %-5s  %-14s  %-7s  %s\n" % (
        "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS", "#Diff Total")
    cc = {"connectionSet": [{"clientId": "a", "version": 407}, {"clientId": "b", "version": 63}],
          "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING"}
    assert consumer_cmds.format_group_row("G1", cc, 3.9, 15) == fmt % ("G1", 2, "V3_1_8", "PUSH", "CLUSTERING", 3, 15)
    pull = dict(cc, consumeType="CONSUME_ACTIVELY")
    assert consumer_cmds.format_group_row("G2", pull, 0, 0) == fmt % ("G2", 2, "V3_1_8", "PULL", "", 0, 0)
    assert consumer_cmds.format_group_row("G3", None, None, 4) == fmt % ("G3", 0, "OFFLINE", "", "", 0, 4)


def test_consumer_connection_reads_enum_names_and_ordinals():
    body = {"connectionSet": [{"clientAddr": "127.0.0.1:5000", "clientId": "127.0.0.1@1", "language": "CPP",
                               "version": 63}],
            "consumeFromWhere": 4, "consumeType": 1, "messageModel": "BROADCASTING",
            "subscriptionTable": {"TopicA": {"topic": "TopicA", "subString": "TagA || TagB"}}}
    out = consumer_cmds.format_connection(msgfmt.connection_enums(body))
    row = "%-36s %-22s %-10s %s\n"
    assert out == (row % ("#ClientId", "#ClientAddr", "#Language", "#Version")
                   + row % ("127.0.0.1@1", "127.0.0.1:5000", "CPP", "V3_1_8")
                   + "\nBelow is subscription:\n" + "%-20s %s\n" % ("#Topic", "#SubExpression")
                   + "%-20s %s\n" % ("TopicA", "TagA || TagB") + "\n"
                   + "ConsumeType: CONSUME_PASSIVELY\nMessageModel: BROADCASTING\n"
                   + "ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET\n")


def test_running_info_format_string():
    info = fastjson.loads(
        b'{"jstack":null,"mqTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"commitOffset":5,"cachedMsgCount":2,'
        b'"locked":false,"droped":false,"lastPullTimestamp":0,"lastConsumeTimestamp":0,"lastLockTimestamp":0},'
        b'{"brokerName":"b","queueId":0,"topic":"T"}:{"commitOffset":3}},'
        b'"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CLIENT_VERSION":"V4_9_7"},'
        b'"statusTable":{"T":{"pullRT":1.5,"pullTPS":2,"consumeRT":0.25,"consumeOKTPS":3,"consumeFailedTPS":0,'
        b'"consumeFailedMsgs":7}},'
        b'"subscriptionSet":[{"topic":"T","subString":"*","classFilterMode":false}]}')
    text = msgfmt.running_info_text(info)
    lines = text.split("\n")
    assert lines[0] == "#Consumer Properties#"
    assert lines[1:3] == ["%-40s: %s" % ("PROP_CONSUME_TYPE", "CONSUME_PASSIVELY"),
                          "%-40s: %s" % ("PROP_CLIENT_VERSION", "V4_9_7")]
    assert "%03d Topic: %-40s ClassFilter: %-8s SubExpression: %s" % (1, "T", "false", "*") in lines
    assert "%-32s  %-32s  %-4d  %-20d" % ("T", "b", 0, 3) in lines
    assert lines.index("%-32s  %-32s  %-4d  %-20d" % ("T", "b", 0, 3)) < lines.index(
        "%-32s  %-32s  %-4d  %-20d" % ("T", "b", 1, 5))
    assert "%-32s  %14.2f %14.2f %14.2f %14.2f %18.2f %25d" % ("T", 1.5, 2, 0.25, 3, 0, 7) in lines
    assert "#Consumer jstack#" not in text
    assert msgfmt.human(0) == time.strftime("%Y%m%d%H%M%S", time.localtime(0)) + "000"
    detail = [x for x in lines if x.startswith("T" + " " * 63 + "  b")][1]
    assert detail.endswith("cachedMsgCount=2, cachedMsgSizeInMiB=0, transactionMsgMinOffset=0, "
                           "transactionMsgMaxOffset=0, transactionMsgCount=0, locked=false, tryUnlockTimes=0, "
                           f"lastLockTimestamp={msgfmt.human(0)}, droped=false, lastPullTimestamp={msgfmt.human(0)}, "
                           f"lastConsumeTimestamp={msgfmt.human(0)}]")


def test_reset_tables_and_timestamps():
    table = {MQ("T", "broker-a", 0): 12, MQ("T", "broker-a", 1): 0}
    fmt = "%-40s  %-40d  %-40d\n"
    assert consumer_cmds.format_reset(table) == ("%-40s  %-40s  %-40s\n" % ("#brokerName", "#queueId", "#offset")
                                                 + fmt % ("broker-a", 0, 12) + fmt % ("broker-a", 1, 0))
    rows = [{"brokerName": "broker-a", "queueId": 0, "brokerOffset": 9, "consumerOffset": 4, "timestampOffset": 9,
             "rollbackOffset": 9}]
    assert consumer_cmds.format_rollback(rows) == (
        "%-20s  %-20s  %-20s  %-20s  %-20s  %-20s\n" % ("#brokerName", "#queueId", "#brokerOffset", "#consumerOffset",
                                                       "#timestampOffset", "#rollbackOffset")
        + "%-20s  %-20d  %-20d  %-20d  %-20d  %-20d\n" % ("broker-a", 0, 9, 4, 9, 9))
    assert consumer_cmds.reset_timestamp("now") == -1
    assert consumer_cmds.reset_timestamp("1700000000123") == 1700000000123
    local = int(time.mktime((2024, 1, 2, 3, 4, 5, 0, 0, -1))) * 1000 + 678
    assert consumer_cmds.reset_timestamp("2024-01-02#03:04:05:678") == local
    for bad in ("yesterday", "2024-13-02#03:04:05:678", ""):
        with pytest.raises(CommandError):
            consumer_cmds.reset_timestamp(bad)


def test_broker_consume_stats_skips_below_level_and_never_consumed():
    body = fastjson.loads(
        b'{"brokerAddr":"x","totalDiff":42,"consumeStatsList":[{"G1":[{"consumeTps":0,"offsetTable":{'
        b'{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":50,"consumerOffset":10,"lastTimestamp":1700000000000},'
        b'{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":5,"consumerOffset":4,"lastTimestamp":1700000000000},'
        b'{"brokerName":"b","queueId":2,"topic":"T"}:{"brokerOffset":50,"consumerOffset":0,"lastTimestamp":0}}}]}]}')
    out = consumer_cmds.format_broker_consume_stats(body, 2)
    assert out == ("%-64s  %-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n" % (
        "#Topic", "#Group", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime")
        + "%-64s  %-64s  %-32s  %-4d  %-20d  %-20d  %-20d  %s\n" % ("T", "G1", "b", 0, 50, 10, 40, _date(T0))
        + "\nDiff Total: 42\n")


def test_allocate_averagely_and_java_hashset_order():
    # Java's HashSet order of SmokeT's four queues and its allocation to three ips (a real 4.9.7 mqadmin run)
    mqs = msgfmt.java_hashset_order([MQ("SmokeT", "broker-a", i) for i in range(4)])
    assert [q.queue_id for q in mqs] == [1, 0, 3, 2]
    assert consumer_cmds.format_allocation(mqs, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) == (
        '{"result":{"10.0.0.3":[{"brokerName":"broker-a","queueId":2,"topic":"SmokeT"}],'
        '"10.0.0.2":[{"brokerName":"broker-a","queueId":3,"topic":"SmokeT"}],'
        '"10.0.0.1":[{"brokerName":"broker-a","queueId":1,"topic":"SmokeT"},'
        '{"brokerName":"broker-a","queueId":0,"topic":"SmokeT"}]}}\n')
    assert consumer_cmds.allocate_averagely("c", list(range(3)), ["a", "b", "c", "d"]) == [2]
    assert consumer_cmds.allocate_averagely("d", list(range(3)), ["a", "b", "c", "d"]) == []
    assert consumer_cmds.allocate_averagely("x", list(range(3)), ["a"]) == []


def test_producer_texts():
    conns = {"connectionSet": [{"clientId": "10.0.0.1@1", "clientAddr": "10.0.0.1:4000", "language": "JAVA",
                                "version": 407}]}
    assert client_cmds.format_producer_connections(conns) == "%04d  %-32s %-22s %-8s %s\n" % (
        1, "10.0.0.1@1", "10.0.0.1:4000", "JAVA", "V4_9_7")
    info = {"data": {"PG": [{"clientId": "c", "remoteIP": "10.0.0.1:4000", "language": "JAVA", "version": 407,
                             "lastUpdateTimestamp": T0}], "EMPTY": []}}
    assert client_cmds.format_producers(info) == (
        "producer group (PG) instance : clientId=c,remoteIP=10.0.0.1:4000, language=JAVA, version=407, "
        f"lastUpdateTimestamp={T0}\nproducer group (EMPTY) instances are empty\n")
    assert client_cmds._hello(16) == b"hello jodie" * 2 and client_cmds._hello(11) == b"hello jodie"
    assert client_cmds.china_time(0) == "1970-01-01 08:00:00"
    assert str(msgfmt.MQ("T", "b", 3)) == "MessageQueue [topic=T, brokerName=b, queueId=3]"
    assert msgfmt.send_result("SEND_OK", "U", "O", MQ("T", "b", 1), 9) == (
        "SendResult [sendStatus=SEND_OK, msgId=U, offsetMsgId=O, messageQueue=MessageQueue [topic=T, "
        "brokerName=b, queueId=1], queueOffset=9]")
    assert msgfmt.consume_directly_result({"order": False, "autoCommit": True, "consumeResult": "CR_SUCCESS",
                                           "remark": None, "spentTimeMills": 3}) == (
        "ConsumeMessageDirectlyResult [order=false, autoCommit=true, consumeResult=CR_SUCCESS, remark=null, "
        "spentTimeMills=3]")


def _msg() -> m.StoredMessage:
    props = m.properties_to_string({"KEYS": "k1 k2", "UNIQ_KEY": "AC11000100002A9F0000000000000001",
                                    "CLUSTER": "DefaultCluster", "TAGS": "TagA"})
    return m.StoredMessage("SmokeT", b"hi\xff", queue_id=3, queue_offset=1, physical_offset=354, born_timestamp=T0,
                           born_host=("127.0.0.1", 38408), store_timestamp=T0 + 1, store_host=("127.0.0.1", 46145),
                           properties=props, body_crc=7, store_size=189)


def test_message_detail_and_pulled_line():
    msg = _msg()
    text = message_cmds.message_detail(msg, "/tmp/x")
    row = "%-20s %s\n"
    assert text.startswith(row % ("OffsetID:", "7F0000010000B4410000000000000162") + row % ("Topic:", "SmokeT")
                           + row % ("Tags:", "[TagA]") + row % ("Keys:", "[k1 k2]") + "%-20s %d\n" % ("Queue ID:", 3))
    assert row % ("Born Host:", "127.0.0.1:38408") in text
    # HashMap order of the four property names, as a 4.9.7 mqadmin printed them
    assert row % ("Properties:", "{KEYS=k1 k2, UNIQ_KEY=AC11000100002A9F0000000000000001, CLUSTER=DefaultCluster, "
                                 "TAGS=TagA}") in text
    assert not message_cmds.message_detail(msg, "/tmp/x", with_offset_id=False).startswith("OffsetID")
    line = message_cmds.pulled_line(msg, "broker-a", "UTF-8", False)
    assert line.startswith("MSGID: AC11000100002A9F0000000000000001 MessageExt [brokerName=broker-a, queueId=3, "
                           "storeSize=189, queueOffset=1, sysFlag=0, bornTimestamp=1700000000000, "
                           "bornHost=/127.0.0.1:38408, storeTimestamp=1700000000001, storeHost=/127.0.0.1:46145, "
                           "msgId=7F0000010000B4410000000000000162, commitLogOffset=354, bodyCRC=7")
    assert line.endswith("body=[104, 105, -1], transactionId='null'}] BODY: NOT PRINT BODY\n")


def test_query_cq_and_tag_counts():
    body = {"maxQueueIndex": 5, "minQueueIndex": 0,
            "queueData": [{"physicOffset": 0, "physicSize": 186, "tagsCode": 12, "eval": False}]}
    assert message_cmds.format_cq(body, 3) == (
        "Queue data: \nmax: 5, min: 0\n======================================\nidx: 3\n"
        "ConsumeQueueData{physicOffset=0, physicSize=186, tagsCode=12, extendDataJson='null', bitMap='null', "
        "eval=false, msg='null'}\n======================================\n")
    assert message_cmds.format_tag_counts({"A": 1, "B": 3}) == (
        "Tag: %-30s Count: %s\n" % ("B", 3) + "Tag: %-30s Count: %s\n" % ("A", 1))


def test_stats_all_rows():
    assert stats_cmds.HEAD == "%-64s  %-64s %12s %11s %11s %14s %14s\n" % (
        "#Topic", "#Consumer Group", "#Accumulation", "#InTPS", "#OutTPS", "#InMsg24Hour", "#OutMsg24Hour")
    assert stats_cmds.format_group_row("T", "G", 5, 1.5, 0.25, 10, 3) == "%-64s  %-64s %12d %11.2f %11.2f %14d %14d\n" % (
        "T", "G", 5, 1.5, 0.25, 10, 3)
    assert stats_cmds.format_no_consumer_row("T", 2, 9) == "%-64s  %-64s %12d %11.2f %11s %14d %14s\n" % (
        "T", "", 0, 2, "", 9, "NO_CONSUMER")
    assert stats_cmds.sum_24h({"statsDay": {"sum": 0}, "statsHour": {"sum": 4}, "statsMinute": {"sum": 1}}) == 4


def test_consumer_status_analysis():
    now = T0 + 10 * 60 * 1000
    props = {"PROP_CONSUME_TYPE": "CONSUME_PASSIVELY", "PROP_CONSUMER_START_TIMESTAMP": str(T0)}
    sub_a = [{"topic": "T", "subString": "*"}]
    a = {"properties": props, "subscriptionSet": sub_a}
    b = {"properties": props, "subscriptionSet": [{"topic": "T", "subString": "TagA"}]}
    assert consumer_cmds.analyze_subscription({"a": a, "b": dict(a)}, now)
    assert not consumer_cmds.analyze_subscription({"a": a, "b": b}, now)
    assert consumer_cmds.analyze_subscription({"a": a, "b": b}, T0 + 1000)       # just started: not judged
    assert not consumer_cmds.analyze_subscription({"a": {"properties": props, "subscriptionSet": []}}, now)
    info = fastjson.loads(b'{"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"mqTable":{'
                          b'{"brokerName":"b","queueId":0,"topic":"T"}:{"cachedMsgCount":3,"lastConsumeTimestamp":0}}}')
    assert consumer_cmds.analyze_process_queue("c1", info, 70000) == (
        "c1 MessageQueue [topic=T, brokerName=b, queueId=0] can't consume for a while, maybe blocked, 70000ms\n")
    info["properties"]["PROP_CONSUME_ORDERLY"] = "true"
    assert consumer_cmds.analyze_process_queue("c1", info, 70000).endswith("can't lock for a while, 70000ms\n")


MINE = ("queryMsgById queryMsgByKey queryMsgByUniqueKey queryMsgByOffset queryMsgTraceById printMsg printMsgByQueue "
        "sendMsgStatus brokerConsumeStats producerConnection consumerConnection consumerProgress consumerStatus "
        "cloneGroupOffset producer resetOffsetByTime skipAccumulatedMessage startMonitoring statsAll allocateMQ "
        "checkMsgSendRT clusterRT queryCq sendMessage consumeMessage").split()


@pytest.mark.parametrize("name", MINE)
def test_option_specs_match_apache_help(name):
    """Each option (short, long, argument, description, required) as Apache 4.9.7's `mqadmin help <name>`."""
    import re
    from pathlib import Path

    from tools.mqadmin import cli
    from tools.mqadmin.registry import commands
    cmd = commands()[name]
    golden = (Path(__file__).parents[1] / "golden" / "mqadmin-4.9.7" / "help" / f"{name}.txt").read_text()
    opt_lines = [x for x in golden.splitlines() if x.startswith(" -")]
    opts = cli.all_options(cmd)
    assert len(opt_lines) == len(opts)
    for o in opts:
        head = f" -{o.short},--{o.long}" + (" <arg>" if o.has_arg else "")
        hit = [x for x in opt_lines if x.startswith(head + " ") and x[len(head):].strip() == o.desc]
        assert hit, (o, opt_lines)
    usage = " ".join(x.strip() for x in golden.splitlines() if not x.startswith(" -"))
    required = set(re.findall(r"(?:^|\s)-(\w)(?= <arg>|\s|$)", re.sub(r"\[[^\]]*\]", "", usage)))
    assert required == {o.short for o in opts if o.required}


def test_properties_order_of_a_running_info_as_jdk17_prints_it():
    # the order a 4.9.7 mqadmin on JDK 17 printed a C++ 1.x consumer's running info properties in
    java = ["PROP_CONSUMER_START_TIMESTAMP", "PROP_CONSUME_TYPE", "PROP_CONSUMEORDERLY", "PROP_CLIENT_VERSION",
            "PROP_NAMESERVER_ADDR", "PROP_THREADPOOL_CORE_SIZE"]
    assert msgfmt.java_properties_order(sorted(java)) == java    # the client (jsoncpp) writes them sorted


def test_message_track_descriptions_of_client_errors():
    from tools.mqadmin.adminext import ROUTE_FRAME, ClientError
    e = ClientError(17, "No topic route info in name server for the topic: %RETRY%G\nSee http://x for further details.",
                    ROUTE_FRAME)
    assert e.java_desc() == ("org.apache.rocketmq.client.exception.MQClientException: CODE: 17  DESC: No topic route "
                             "info in name server for the topic: %RETRY%G\nSee http://x for further details., "
                             + ROUTE_FRAME)
    assert ClientError(206, "Not found", "f").java_desc().endswith(
        "DESC: Not found\nFor more information, please visit the url, http://rocketmq.apache.org/docs/faq/, f")


def test_monitor_lines_are_javas_to_string():
    from tools.mqadmin.monitor import delete_msgs_event, undone_msgs
    mq = MQ("T", "broker-a", 0)
    table = {mq: {"brokerOffset": 10, "consumerOffset": 4}, MQ("T", "broker-a", 1): {"brokerOffset": 3,
                                                                                      "consumerOffset": 5}}
    # a negative diff counts for neither the sum nor (being below 0) the single-queue maximum
    assert undone_msgs("G", "T", table, {mq: 1500}) == (
        "UndoneMsgs [consumerGroup=G, topic=T, undoneMsgsTotal=6, undoneMsgsSingleMQ=6, "
        "undoneMsgsDelayTimeMills=1500]")
    body = {"consumerGroup": "G", "messageQueue": {"brokerName": "broker-a", "queueId": 2, "topic": "T"},
            "offsetNew": 0, "offsetRequest": 100}
    assert delete_msgs_event(body, 1700000000000) == (
        "DeleteMsgsEvent [offsetMovedEvent=OffsetMovedEvent [consumerGroup=G, messageQueue=MessageQueue "
        "[topic=T, brokerName=broker-a, queueId=2], offsetRequest=100, offsetNew=0], eventTimestamp=1700000000000]")


def test_java_hash_orders_fold_into_one():
    from remoting.java_order import concurrent_hashmap_order, hashmap_order
    from store.message import java_hashmap_order
    from tools.mqadmin.cli import java_hash_order
    names = ["broker-a", "broker-b", "broker-c"]
    assert hashmap_order(names) == java_hashmap_order(names) == java_hash_order(names) == \
        ["broker-b", "broker-c", "broker-a"]      # java.util.HashSet of these names, printed by Java 17
    assert java_hash_order(names, concurrent=True) == concurrent_hashmap_order(names)

"""mqadmin option parsing as commons-cli 1.5's PosixParser does it (checked against Apache's mqadmin), the
exit codes of ServerUtil.parseCmdLine, and bad values reported without a traceback."""
from __future__ import annotations

import contextlib
import io

import pytest

from tools.mqadmin import cli
from tools.mqadmin.cli import CommandError, Ctx, Group, Opt, SubCommand, UsageError, parse
from tools.mqadmin.main import main


async def _noop(ctx: Ctx) -> None:
    print("ran", ctx.values)


CMD = SubCommand("demo", "a demo", "DemoSubCommand", [
    Group((Opt("b", "brokerAddr", "which broker"), Opt("c", "clusterName", "which cluster")), required=True),
    Opt("t", "topic", "topic name", required=True),
    Opt("m", "moreStats", "more", has_arg=False),
    Opt("r", "readQueueNums", "read queues"),
], _noop)


@pytest.mark.parametrize("args", [
    ["-t", "T", "-b", "x"], ["-tT", "-bx"], ["--topic", "T", "--brokerAddr=x"], ["-topic", "T", "-b", "x"],
    ["--top", "T", "--broker", "x"], ["-t", '"T"', "-b", "x"], ["-t", "T", "-t", "U", "-b", "x"],
    ["-t", "T", "stray", "-b", "x"],
])
def test_spellings_of_an_option(args):
    values = parse(CMD, args)
    assert values["t"] == "T" and values["b"] == "x"


def test_flags_burst_and_values_after_flags():
    assert parse(CMD, ["-mt", "T", "-c", "C"]) == {"m": True, "t": "T", "c": "C"}
    assert parse(CMD, ["-t", "-1", "-c", "C"])["t"] == "-1"          # not an option: a value
    assert parse(CMD, ["-t", "T", "-c", "C", "--", "-x"]) == {"t": "T", "c": "C"}


@pytest.mark.parametrize("args", [
    [],                                   # required option and group missing
    ["-t", "T"],                          # required group missing
    ["-b", "x"],                          # required option missing
    ["-t", "T", "-b", "x", "-c", "y"],    # two of one group
    ["-t", "T", "-b", "x", "-z"],         # unknown option
    ["-t", "T", "-b", "x", "--nope"],     # unknown long option
    ["-t", "T", "-b"],                    # missing argument
    ["-t", "-b", "x"],                    # an option where the value should be
])
def test_usage_errors(args):
    with pytest.raises(UsageError):
        parse(CMD, args)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def test_bad_options_print_usage_and_exit_1():
    rc, out, _ = run(["topicRoute", "-x"])
    assert rc == 1 and out.startswith("usage: mqadmin topicRoute [-h] [-l] [-n <arg>] -t <arg>\n")
    rc, out, _ = run(["topicRoute", "-h"])            # -h, but -t missing: still a parse error in Apache
    assert rc == 1 and out.startswith("usage: mqadmin topicRoute")
    rc, out, _ = run(["topicRoute", "-t", "T", "-h"])
    assert rc == 0 and out.startswith("usage: mqadmin topicRoute")


def test_no_name_server_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NAMESRV_ADDR", raising=False)
    rc, out, err = run(["clusterList"])
    assert rc == 1 and "No name server address" in err and "Traceback" not in err


def test_name_server_from_the_environment(monkeypatch):
    monkeypatch.setenv("NAMESRV_ADDR", "127.0.0.1:1")
    rc, _, err = run(["clusterList"])
    assert rc == 1 and "connect to 127.0.0.1:1 failed" in err and "Traceback" not in err


def test_malformed_numbers():
    ctx = Ctx({"r": "abc", "w": " 8 "}, admin=None, cmd=CMD)
    with pytest.raises(CommandError, match=r'For input string: "abc" \(option -r\)'):
        ctx.int("r")
    assert ctx.int("w") == 8 and ctx.int("q", 3) == 3
    assert Ctx({"o": "TRUE"}, None).bool("o") and not Ctx({"o": "yes"}, None).bool("o")


def test_help_layout_wraps_like_commons_cli():
    long_desc = SubCommand("wrap", "", "X", [
        Opt("a", "alpha", "word " * 40),
        Opt("z", "zeta", "z"),
        Group((Opt("x", "xray", "x"), Opt("y", "yankee", "y"))),
    ], _noop)
    text = cli.format_help(long_desc)
    lines = text.splitlines()
    assert lines[0] == "usage: mqadmin wrap [-a <arg>] [-h] [-n <arg>] [-x <arg> | -y <arg>]  [-z <arg>]"
    assert all(len(line) <= 110 for line in lines)
    desc_col = lines[1].index("word")
    assert lines[2].startswith(" " * desc_col + "word") and not lines[2].startswith(" " * (desc_col + 1))


def test_java_hash_order():
    """Orders printed by Apache's mqadmin (Java 17) for sets our daemons sent in the order given here."""
    sent = ["BenchmarkTest", "DefaultCluster", "DefaultCluster_REPLY_TOPIC", "OFFSET_MOVED_EVENT",
            "SCHEDULE_TOPIC_XXXX", "SELF_TEST_TOPIC", "TBW102", "broker-a", "broker-b", "JT",
            "RMQ_SYS_TRANS_HALF_TOPIC", "PT", "PT9"]
    assert cli.java_hash_order(sent) == [                       # topicList: a HashSet
        "RMQ_SYS_TRANS_HALF_TOPIC", "PT", "BenchmarkTest", "OFFSET_MOVED_EVENT", "JT", "TBW102", "SELF_TEST_TOPIC",
        "DefaultCluster", "SCHEDULE_TOPIC_XXXX", "DefaultCluster_REPLY_TOPIC", "PT9", "broker-b", "broker-a"]
    props = ["rocketmqHome", "kvConfigPath", "configStorePath", "productEnvName", "clusterTest", "orderMessageEnable",
             "scanNotActiveBrokerInterval", "returnOrderTopicConfigToBroker", "enableAllTopicList", "listenPort",
             "serverWorkerThreads", "serverCallbackExecutorThreads", "serverSelectorThreads",
             "serverOnewaySemaphoreValue", "serverAsyncSemaphoreValue", "serverChannelMaxIdleTimeSeconds",
             "serverSocketSndBufSize", "serverSocketRcvBufSize", "writeBufferHighWaterMark", "writeBufferLowWaterMark",
             "serverSocketBacklog", "serverPooledByteBufAllocatorEnable", "useEpollNativeSelector"]
    assert cli.java_hash_order(props, concurrent=True) == [     # getNamesrvConfig: java.util.Properties
        "serverSocketBacklog", "writeBufferHighWaterMark", "scanNotActiveBrokerInterval", "serverWorkerThreads",
        "serverSelectorThreads", "serverChannelMaxIdleTimeSeconds", "writeBufferLowWaterMark",
        "serverSocketRcvBufSize", "serverAsyncSemaphoreValue", "enableAllTopicList", "kvConfigPath",
        "configStorePath", "returnOrderTopicConfigToBroker", "clusterTest", "orderMessageEnable",
        "serverSocketSndBufSize", "serverCallbackExecutorThreads", "serverOnewaySemaphoreValue", "listenPort",
        "rocketmqHome", "productEnvName", "useEpollNativeSelector", "serverPooledByteBufAllocatorEnable"]

"""The Java RocketMQ 4.9.7 oracle (../shared/tools/java-oracle): its daemons and our helper programs
(tests/java/src) as subprocesses, their logs parsed, and the few remoting calls the scenarios make."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from remoting import fastjson
from remoting.client import RemotingClient
from remoting.codes import RequestCode, ResponseCode
from remoting.command import make_request
from tests.support.daemons import DaemonProcess, free_port, free_port_pair

ORACLE_HOME = Path(os.environ.get("JAVA_ORACLE_HOME") or "/tmp/javarmq")
SRC = Path(__file__).resolve().parent / "src"
BUILD_HINT = ("build it with `bash ../shared/tools/java-oracle/build.sh /work/.mirror` from the project root "
              "(MIRROR_ROOT holding git mirrors of apache/rocketmq, alibaba/fastjson, openmessaging/dledger and "
              "opentracing/opentracing-java; see ../shared/tools/java-oracle/README.md), or point "
              "JAVA_ORACLE_HOME at an existing build")
HEAP = "256m"
BOOT_TIMEOUT = 60.0          # a JVM broker on a busy 2-core machine
FILE_SIZE = 4 << 20          # mappedFileSizeCommitLog for both sides: several files roll
CQ_SIZE = 6000               # mappedFileSizeConsumeQueue: 300 entries a file
# small index files (40 + 4 * 1000 + 20 * 4000 bytes) so they roll too; each message has 2 entries (UNIQ_KEY, KEYS)
STORE_PROPS = {"mappedFileSizeCommitLog": FILE_SIZE, "mappedFileSizeConsumeQueue": CQ_SIZE,
               "maxHashSlotNum": 1000, "maxIndexNum": 4000}


def oracle_missing() -> str | None:
    """Why the oracle cannot run here, or None."""
    for tool in ("bin/mqnamesrv", "bin/mqbroker", "bin/mqadmin", "bin/run-class"):
        if not os.access(ORACLE_HOME / tool, os.X_OK):
            return f"no Java RocketMQ 4.9.7 at {ORACLE_HOME} ({tool} missing)"
    if not (ORACLE_HOME / "lib" / "rocketmq-client-4.9.7.jar").exists():
        return f"{ORACLE_HOME}/lib has no rocketmq-client-4.9.7.jar"
    return None


def compile_helpers(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    srcs = sorted(str(p) for p in SRC.glob("*.java"))
    r = subprocess.run(["javac", "-nowarn", "--release", "8", "-cp", f"{ORACLE_HOME}/lib/*", "-d", str(out), *srcs],
                       capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        raise RuntimeError(f"javac failed:\n{r.stdout}\n{r.stderr}")
    return out


def java_env(home: Path, classes: Path | None = None, jvm_opts: str = "") -> dict[str, str]:
    """RMQ_HEAP for every JVM; user.home keeps Java's logs and client files in the test's directory; `jvm_opts`
    (e.g. -Drocketmq.home.dir=...) come last, so they win."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, RMQ_HEAP=HEAP, JAVA_OPT_EXT=f"-Duser.home={home} {jvm_opts}".rstrip())
    if classes is not None:
        env["RMQ_EXTRA_CP"] = str(classes)
    return env


def deadline_poll(check: Callable[[], object], timeout: float, what: str, interval: float = 0.2):
    """Call `check` until it returns something truthy; AssertionError naming `what` after `timeout` s."""
    end = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------------------- JVMs
class JavaDaemon(DaemonProcess):
    """A Java daemon from the oracle's bin/ (ports, address, stop as for our daemons); stdout goes to a file that
    is polled for the boot line."""

    script = ""
    boot_line = ""
    jvm_opts = ""       # system properties for this JVM (-Dname=value ...)

    def __init__(self, workdir: Path, props: dict[str, object]) -> None:
        super().__init__(workdir, {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in props.items()})
        self.conf = self.workdir / f"{self.script}.properties"
        self.out = self.workdir / "stdout.txt"

    def start(self) -> "JavaDaemon":
        self.conf.write_text("".join(f"{k}={v}\n" for k, v in self.props.items()))
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen([str(ORACLE_HOME / "bin" / self.script), "-c", str(self.conf)],
                                         cwd=self.workdir, env=java_env(self.workdir / "home", jvm_opts=self.jvm_opts),
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        start = time.monotonic()

        def booted() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.script} exited with {self.proc.returncode} before booting:\n"
                                   f"{self.output()[-3000:]}")
            return self.boot_line in self.output()

        deadline_poll(booted, BOOT_TIMEOUT, f"{self.script} to print {self.boot_line!r}")
        self.boot_seconds = time.monotonic() - start
        return self

    def output(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        try:
            return super().stop(sig, timeout)
        except subprocess.TimeoutExpired:
            return self.proc.returncode if self.proc is not None else None

    def __exit__(self, *exc: object) -> None:
        self.stop(signal.SIGKILL)


class JavaNamesrv(JavaDaemon):
    script = "mqnamesrv"
    boot_line = "The Name Server boot success"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, {"listenPort": free_port()})


class JavaBroker(JavaDaemon):
    script = "mqbroker"
    boot_line = "boot success"

    def __init__(self, workdir: Path, namesrv: str, *, listen_port: int | None = None,
                 store_root: Path | None = None, **props: object) -> None:
        root = Path(store_root or Path(workdir) / "store")
        base: dict[str, object] = {
            "listenPort": listen_port or free_port_pair(), "namesrvAddr": namesrv,
            "brokerIP1": "127.0.0.1", "brokerIP2": "127.0.0.1",
            # 4.9.7's storePathCommitLog defaults to ~/store/commitlog, not <storePathRootDir>/commitlog
            "storePathRootDir": root, "storePathCommitLog": root / "commitlog", **STORE_PROPS}
        base.update(props)
        super().__init__(workdir, base)

    @property
    def store(self) -> Path:
        return Path(self.props["storePathRootDir"])


# ------------------------------------------------------------------------------------- helper programs and logs
class JavaPrograms:
    """Our helper programs (tests/java/src), compiled once per session, and the oracle's mqadmin."""

    def __init__(self, classes: Path) -> None:
        self.classes = classes

    def start(self, workdir: Path, cls: str, *args: object) -> subprocess.Popen:
        workdir.mkdir(parents=True, exist_ok=True)
        out = open(workdir / f"{cls}.stdout.txt", "ab")
        try:
            return subprocess.Popen([str(ORACLE_HOME / "bin" / "run-class"), cls, *map(str, args)], cwd=workdir,
                                    env=java_env(workdir / "home", self.classes), stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            out.close()

    def run(self, workdir: Path, cls: str, *args: object, timeout: float = 180) -> int:
        proc = self.start(workdir, cls, *args)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
            raise AssertionError(f"{cls} did not finish within {timeout}s; output: "
                                 f"{(workdir / f'{cls}.stdout.txt').read_text(errors='replace')[-2000:]}")

    def mqadmin(self, workdir: Path, *args: str, timeout: float = 90) -> str:
        r = subprocess.run([str(ORACLE_HOME / "bin" / "mqadmin"), *args], cwd=workdir,
                           env=java_env(workdir / "home"), capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return r.stdout + r.stderr


@dataclass(frozen=True)
class Sent:
    id: str
    status: str
    msg_id: str
    offset_id: str
    broker: str
    queue: int
    qoffset: int
    key: str
    md5: str


@dataclass(frozen=True)
class Got:
    msg_id: str
    offset_id: str
    broker: str
    queue: int
    qoffset: int
    keys: str
    md5: str
    reconsume: int
    store_host: str


@dataclass
class ProducerLog:
    sends: list[Sent]
    fails: list[str]
    done: str | None
    warmup_failed: bool

    @property
    def ok(self) -> list[Sent]:
        return [s for s in self.sends if s.status == "SEND_OK"]

    @property
    def main(self) -> list[Sent]:
        return [s for s in self.sends if not s.id.startswith("w")]

    @property
    def failed_ids(self) -> set[str]:
        """msgIds of the sends that ended in an exception (stored or not: unknown)."""
        return {f.split()[3] for f in self.fails if len(f.split()) > 3 and f.split()[3] != "-"}


def read_producer_log(path: Path) -> ProducerLog:
    sends, fails, done, warm_fail = [], [], None, False
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "SEND" and len(parts) == 10:
                sends.append(Sent(parts[1], parts[2], parts[3], parts[4], parts[5], int(parts[6]), int(parts[7]),
                                  parts[8], parts[9]))
            elif parts[0] == "FAIL":
                fails.append(line)
            elif parts[0] == "DONE":
                done = line
            elif parts[0] == "WARMUP_FAILED":
                warm_fail = True
    return ProducerLog(sends, fails, done, warm_fail)


def read_consumer_log(path: Path) -> tuple[list[Got], str | None]:
    got, final = [], None
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if parts and parts[0] == "MSG" and len(parts) == 10:
            got.append(Got(parts[1], parts[2], parts[3], int(parts[4]), int(parts[5]), parts[6], parts[7],
                           int(parts[8]), parts[9]))
        elif parts and parts[0] in ("DONE", "TIMEOUT"):
            final = line
    return got, final


def start_producer(progs: JavaPrograms, workdir: Path, namesrv: str, topic: str, count: int, key_prefix: str,
                   **opts: object) -> tuple[subprocess.Popen, Path]:
    """OracleProducer in the background: the process and its log file."""
    log_path = workdir / "producer.log"
    args: list[object] = ["-n", namesrv, "-t", topic, "-c", count, "-o", log_path, "-k", key_prefix]
    for k, v in opts.items():
        args += ["--" + k.replace("_", "-"), v]
    return progs.start(workdir, "OracleProducer", *args), log_path


def finish_producer(proc: subprocess.Popen, log_path: Path, timeout: float = 240) -> ProducerLog:
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
        raise AssertionError(f"the producer did not finish within {timeout}s") from None
    log = read_producer_log(log_path)
    assert rc == 0 and log.done, (f"producer exited {rc}, warm-up failed={log.warmup_failed}, last lines:\n"
                                  + "\n".join(log_path.read_text(errors='replace').splitlines()[-10:]))
    return log


def produce(progs: JavaPrograms, workdir: Path, namesrv: str, topic: str, count: int, key_prefix: str,
            **opts: object) -> ProducerLog:
    """Run OracleProducer to the end and return its log (asserting it finished)."""
    return finish_producer(*start_producer(progs, workdir, namesrv, topic, count, key_prefix, **opts))


def consume_all(progs: JavaPrograms, workdir: Path, namesrv: str, topic: str, group: str,
                expect_ids: set[str], timeout: int = 120) -> tuple[list[Got], str | None]:
    """A fresh push consumer group reads until it has seen every id in `expect_ids` (or times out)."""
    workdir.mkdir(parents=True, exist_ok=True)
    ids = workdir / f"{group}.ids"
    ids.write_text("".join(i + "\n" for i in sorted(expect_ids)))
    out = workdir / f"{group}.log"
    progs.run(workdir, "OracleConsumer", "-n", namesrv, "-t", topic, "-g", group, "-o", out, "--ids", ids,
              "--timeout", timeout, timeout=timeout + 60)
    return read_consumer_log(out)


# ---------------------------------------------------------------------------------------------- remoting calls
async def _invoke(addr: str, code: int, ext: dict[str, str] | None = None):
    client = RemotingClient()
    try:
        return await client.invoke(addr, make_request(code, ext), timeout=10)
    finally:
        await client.close()


def invoke(addr: str, code: int, ext: dict[str, str] | None = None):
    return asyncio.run(_invoke(addr, code, ext))


def create_topic(broker_addr: str, topic: str, queues: int) -> None:
    resp = invoke(broker_addr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
        "topic": topic, "defaultTopic": "TBW102", "readQueueNums": str(queues), "writeQueueNums": str(queues),
        "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"})
    assert resp.code == ResponseCode.SUCCESS, f"create topic {topic} on {broker_addr}: {resp}"


def route(namesrv: str, topic: str) -> dict | None:
    resp = invoke(namesrv, RequestCode.GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
    if resp.code != ResponseCode.SUCCESS:
        return None
    return fastjson.loads(resp.body)


def wait_route(namesrv: str, topic: str, queues: int, timeout: float = 30) -> dict:
    def ok():
        r = route(namesrv, topic)
        return r if r and any(q.get("writeQueueNums") == queues for q in r.get("queueDatas", [])) else None
    return deadline_poll(ok, timeout, f"the route of {topic} on {namesrv}")


def broker_topics(broker_addr: str) -> set[str]:
    resp = invoke(broker_addr, RequestCode.GET_ALL_TOPIC_CONFIG)
    if resp.code != ResponseCode.SUCCESS or not resp.body:
        return set()
    return set(fastjson.loads(resp.body).get("topicConfigTable", {}))

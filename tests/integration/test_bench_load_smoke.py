"""The load generators and bench/run, at tiny volumes: they run, count exactly, and put on the wire what the
remoting codec itself builds. No figure is asserted (speed lives in bench/RESULTS.md)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.client import SendEncoder, create_topic, pull_frame
from remoting import runtime
from remoting.codec import decode_frame
from remoting.codes import RequestCode
from tests.support.daemons import ROOT, BrokerProcess, NamesrvProcess


def _json_tool(*args: str, timeout: float = 120) -> dict:
    out = subprocess.run([sys.executable, *args, "--json"], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-2000:]
    return json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    with NamesrvProcess(tmp / "ns") as ns, BrokerProcess(tmp / "broker", ns.addr) as broker:
        runtime.run(create_topic(broker.addr, "SmokeTopic", 4))
        yield ns, broker


def test_send_frames_are_what_the_codec_builds():
    single, nbytes = SendEncoder("G", "T", 100).frame(7, 3)
    cmd = decode_frame(single)
    assert (cmd.code, cmd.opaque, cmd.flag, cmd.language, nbytes) == (RequestCode.SEND_MESSAGE_V2, 7, 0, "JAVA", 100)
    assert cmd.ext_fields["a"] == "G" and cmd.ext_fields["b"] == "T" and cmd.ext_fields["e"] == "3"
    assert cmd.ext_fields["i"].startswith("UNIQ_KEY\x01") and cmd.body == SendEncoder("G", "T", 100).body
    batch = decode_frame(SendEncoder("G", "T", 10, batch=3, oneway=True).frame(8, 0)[0])
    assert (batch.code, batch.flag, batch.ext_fields["m"]) == (RequestCode.SEND_BATCH_MESSAGE, 2, "true")
    assert len(batch.body) == 3 * (20 + 10 + 2 + len(f"UNIQ_KEY\x01{'0' * 32}\x02TAGS\x01TagA\x02"))
    pull = decode_frame(pull_frame(9, "CG", "T", 2, 5, 32, 1000, 0))
    assert pull.code == RequestCode.PULL_MESSAGE and pull.ext_fields["queueOffset"] == "5"


def test_producer_and_consumer_count_every_message(cluster):
    ns, _broker = cluster
    sync = _json_tool("-m", "bench.producer", "-n", ns.addr, "-t", "SmokeTopic", "-w", "4", "-p", "2",
                      "--messages", "200", "-d", "60")
    batch = _json_tool("-m", "bench.producer", "-n", ns.addr, "-t", "SmokeTopic", "-w", "2", "-p", "1",
                       "-b", "8", "-m", "async", "-i", "2", "--messages", "64", "-d", "60")
    assert (sync["msgs"], sync["errors"], batch["msgs"], batch["errors"]) == (200, 0, 64, 0)
    assert sync["bytes"] == 200 * 1024 and sync["p50_ms"] > 0
    # the consumer walks every record (queue and ascending offsets checked) until each queue is empty
    consumed = _json_tool("-m", "bench.consumer", "-n", ns.addr, "-t", "SmokeTopic", "--drain", "-p", "2",
                          "-d", "60")
    assert (consumed["msgs"], consumed["errors"], consumed["worker_errors"]) == (264, 0, [])


def test_cpp_client_driver_sends(cluster):
    ns, _broker = cluster
    r = _json_tool("-m", "bench.producer", "--driver", "cpp", "-n", ns.addr, "-t", "SmokeTopic", "-w", "2",
                   "-d", "1", timeout=600)
    assert r["msgs"] > 0 and r["errors"] == 0


def test_bench_run_writes_its_table(tmp_path):
    out = tmp_path / "run.md"
    res = subprocess.run([sys.executable, "-m", "bench.run", "--only", "e,c", "--duration", "1", "--backlog-mb", "1",
                          "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [ln for ln in out.read_text().splitlines() if ln.startswith("| ")][1:]
    assert [r.split("|")[1].strip() for r in rows] == ["e", "c0", "c"]
    fill, drained = rows[1].split("|"), rows[2].split("|")
    assert fill[3].strip() != "0" and "1,024 msgs" in drained[2]

"""SYNC_MASTER, no acknowledged loss: a real client (C++ 1.x core, sync sends) writes to a SYNC_MASTER while
its slave follows; the master is SIGKILLed at a random moment; every message the client got SEND_OK for must
be on the slave, with the master's exact bytes at the same commit-log offset. The master is restarted on its
store for the next round and the slave reconnects.

    python -m tests.reliability.ha_chaos [ROUNDS] [--seed N]     (make chaos: 100 rounds)

prints one line per round and the totals: acknowledged, found, lost (lost must be 0).
"""
from __future__ import annotations

import argparse
import base64
import json
import random
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from store import message as m
from tests.support import ha
from tests.support.clientenv import client_env, cpp1x_python
from tests.support.cpp1x import SCRIPT
from tests.support.daemons import BrokerProcess, NamesrvProcess

TOPIC = "HaChaos"
SEND_OK = 0


@dataclass
class Round:
    acked: int
    found: int
    lost: list[str]
    sent_after_kill: int


def _body(round_no: int, i: int, rng: random.Random) -> bytes:
    # text: the 1.x core takes the body as a C string
    return f"chaos-{round_no}-{i}-".encode() + rng.randbytes(rng.randrange(8, 300)).hex().encode()


def _write_until_kill(ns_addr: str, home: Path, bodies: list[bytes], master: BrokerProcess,
                      kill_after: int, rng: random.Random) -> tuple[list[dict], int]:
    """Run the client; SIGKILL the master once `kill_after` answers came (plus a random few ms, so the kill
    also lands between a write and its answer); return the answers, in send order, and how many of them
    were read after the kill."""
    lines = "".join(json.dumps({"topic": TOPIC, "tags": "c", "keys": None, "props": {},
                                "body_b64": base64.b64encode(b).decode()}) + "\n" for b in bodies)
    proc = subprocess.Popen([str(cpp1x_python()), str(SCRIPT), "produce", ns_addr, "PID_chaos", "sync"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=client_env(home), cwd=home)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(lines)
    proc.stdin.close()
    answers: list[dict] = []
    after_kill = 0
    killed_at: float | None = None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if killed_at is None and len(answers) >= kill_after:
                time.sleep(rng.random() * 0.02)
                master.proc.send_signal(signal.SIGKILL)
                master.proc.wait(timeout=10)
                killed_at = time.monotonic()
            if killed_at is not None and time.monotonic() - killed_at > 0.5:
                break      # answers in flight at the kill have arrived by now; later sends only fail
            if not sel.select(timeout=0.1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("{"):
                answers.append(json.loads(line))
                if killed_at is not None:
                    after_kill += 1
        assert killed_at is not None, f"the client gave only {len(answers)} answers"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        sel.close()
        proc.stdout.close()
    return answers, after_kill


def _slave_records(slave: BrokerProcess) -> dict[bytes, tuple[int, bytes]]:
    """body -> (physical offset, record bytes) of every record in the slave's commit log."""
    out: dict[bytes, tuple[int, bytes]] = {}
    for name, data in ha.commitlog_files(slave).items():
        base = int(name)
        pos = 0
        while pos + 8 <= len(data):
            size = int.from_bytes(data[pos:pos + 4], "big", signed=True)
            magic = int.from_bytes(data[pos + 4:pos + 8], "big", signed=True)
            if magic != m.MESSAGE_MAGIC_CODE or size <= 0 or pos + size > len(data):
                break
            rec = data[pos:pos + size]
            msg = m.decode(rec, 0, check_crc=True)
            out[msg.body] = (base + pos, rec)
            pos += size
    return out


def run_round(n: int, ns: NamesrvProcess, master: BrokerProcess, slave: BrokerProcess, home: Path,
              rng: random.Random) -> Round:
    if not master.alive():
        master.stop()      # collects the killed process and closes its pipe
        master.start()
    home.mkdir(parents=True, exist_ok=True)
    ha.wait_slave_connected(master, 30)
    bodies = [_body(n, i, rng) for i in range(3000)]
    answers, after_kill = _write_until_kill(ns.addr, home, bodies, master, rng.randrange(1, 400), rng)
    acked = [(bodies[i], a) for i, a in enumerate(answers) if a.get("status") == SEND_OK]
    # what the slave holds once its reads of the dead master's socket are done
    on_slave = ha.wait_until(lambda: _slave_records(slave), 10, what="slave readable")
    lost = []
    for body, answer in acked:
        hit = on_slave.get(body)
        if hit is None:
            lost.append(body[:24].decode(errors="replace"))
            continue
        phys, rec = hit
        assert ha.record_at(master, phys) == rec, f"slave bytes at {phys} differ from the master's"
        assert m.decode(rec, 0).props.get(m.PROPERTY_UNIQ_KEY) == answer["msg_id"]
    return Round(len(acked), len(acked) - len(lost), lost, after_kill)


def run(rounds: int, root: Path, seed: int, report=print) -> tuple[int, int, int]:
    rng = random.Random(seed)
    totals = [0, 0, 0]
    with NamesrvProcess(root / "ns") as ns:
        master, slave = ha.start_group(root, ns.addr, "chaos", role="SYNC_MASTER",
                                       master_extra={"flushDiskType": "ASYNC_FLUSH"},
                                       slave_extra={"haSendHeartbeatInterval": 1000})
        try:
            for n in range(rounds):
                r = run_round(n, ns, master, slave, root / f"client{n}", rng)
                totals[0] += r.acked
                totals[1] += r.found
                totals[2] += len(r.lost)
                report(f"round {n + 1}/{rounds}: acknowledged {r.acked}, found on slave {r.found}, "
                       f"lost {len(r.lost)}{' ' + str(r.lost[:5]) if r.lost else ''}")
        finally:
            for proc in (slave, master):
                if proc.alive():
                    proc.stop()
    report(f"TOTAL rounds {rounds}: acknowledged {totals[0]}, found {totals[1]}, lost {totals[2]} (seed {seed})")
    return totals[0], totals[1], totals[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rounds", nargs="?", type=int, default=100)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    with tempfile.TemporaryDirectory(prefix="ha-chaos-") as d:
        acked, found, lost = run(args.rounds, Path(d), seed, report=lambda s: print(s, flush=True))
    return 0 if lost == 0 and acked > 0 else 1


if __name__ == "__main__":
    sys.exit(main())

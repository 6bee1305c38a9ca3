"""Run the ali-ons script (tests/interop/scripts/alions_client.js) with node."""
from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

from .clientenv import alions_dir, node_env
from .daemons import ROOT

SCRIPT = ROOT / "tests" / "interop" / "scripts" / "alions_client.js"


def produce(home: Path, namesrv: str, group: str, msgs: list[dict], timeout: float = 90) -> list[dict]:
    alions_dir()
    stdin = "".join(json.dumps(x) + "\n" for x in msgs)
    out = subprocess.run(["node", str(SCRIPT), "produce", namesrv, group], input=stdin, capture_output=True,
                         text=True, timeout=timeout, env=node_env(home), cwd=home)
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert lines and not any("fatal" in x for x in lines), (out.stdout[-2000:], out.stderr[-2000:])
    return lines


class NodeConsumer:
    def __init__(self, home: Path, namesrv: str, group: str, topic: str, expression_type: str, expression: str,
                 seconds: float = 90, broadcast: bool = False) -> None:
        alions_dir()
        home.mkdir(parents=True, exist_ok=True)
        args = ["node", str(SCRIPT), "consume", namesrv, group, topic, expression_type, expression, str(seconds)]
        if broadcast:
            args.append("broadcast")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=node_env(home), cwd=home)
        self.messages: list[dict] = []
        self.errors: list[dict] = []
        self.ready = False
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        with self.cond:
            self.cond.wait_for(lambda: self.ready or self.proc.poll() is not None, timeout=60)
        assert self.ready, f"ali-ons consumer did not start: {self.errors}"

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.cond:
                if line.strip() == '"READY"':
                    self.ready = True
                elif line.startswith("{"):
                    d = json.loads(line)
                    (self.errors if "error" in d or "fatal" in d else self.messages).append(d)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout: float = 60) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self.messages), timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

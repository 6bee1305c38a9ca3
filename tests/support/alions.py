"""Run the ali-ons script (tests/interop/scripts/alions_client.js) with node."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .clientenv import alions_dir, node_env
from .consumer_proc import ConsumerProcess
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


class NodeConsumer(ConsumerProcess):
    """An ali-ons consumer subprocess."""

    def __init__(self, home: Path, namesrv: str, group: str, topic: str, expression_type: str, expression: str,
                 seconds: float = 90, mode: str = "") -> None:
        """mode: "" | "broadcast" | "retry" (see alions_client.js)."""
        alions_dir()
        home.mkdir(parents=True, exist_ok=True)
        args = ["node", str(SCRIPT), "consume", namesrv, group, topic, expression_type, expression, str(seconds)]
        if mode:
            args.append(mode)
        super().__init__(args, node_env(home), home)

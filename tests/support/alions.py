"""Run the ali-ons script (tests/interop/scripts/alions_client.js) with node."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .clientenv import alions_dir, node_env, with_acl
from .consumer_proc import ConsumerProcess
from .daemons import ROOT

SCRIPT = ROOT / "tests" / "interop" / "scripts" / "alions_client.js"


def produce(home: Path, namesrv: str, group: str, msgs: list[dict], timeout: float = 90,
            acl: tuple[str, str] | None = None, allow_fatal: bool = False) -> list[dict]:
    """One JSON line per message ({"error"} for a failed send); `acl` (access key, secret key) signs the
    requests; with `allow_fatal` a producer that cannot start returns its {"fatal"} line instead of failing."""
    alions_dir()
    stdin = "".join(json.dumps(x) + "\n" for x in msgs)
    out = subprocess.run(["node", str(SCRIPT), "produce", namesrv, group], input=stdin, capture_output=True,
                         text=True, timeout=timeout, env=with_acl(node_env(home), acl), cwd=home)
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert lines and (allow_fatal or not any("fatal" in x for x in lines)), (out.stdout[-2000:], out.stderr[-2000:])
    return lines


class NodeConsumer(ConsumerProcess):
    """An ali-ons consumer subprocess."""

    def __init__(self, home: Path, namesrv: str, group: str, topic: str, expression_type: str, expression: str,
                 seconds: float = 90, mode: str = "", acl: tuple[str, str] | None = None,
                 expect_ready: bool = True) -> None:
        """mode: "" | "broadcast" | "retry" (see alions_client.js); `acl` (access key, secret key) signs; with
        `expect_ready` False a consumer the broker refuses at start is not an error."""
        alions_dir()
        home.mkdir(parents=True, exist_ok=True)
        args = ["node", str(SCRIPT), "consume", namesrv, group, topic, expression_type, expression, str(seconds)]
        if mode:
            args.append(mode)
        super().__init__(args, with_acl(node_env(home), acl), home, expect_ready=expect_ready)

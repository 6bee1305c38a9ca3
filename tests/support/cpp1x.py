"""Run the C++ client scripts in their own venvs: tests/interop/scripts/cpp1x_client.py (rocketmq==0.4.4,
C++ 1.x) and cpp21_client.py (rocketmq-client-python 2.0.0, C++ 2.1); both speak the same JSON lines."""
from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from .consumer_proc import ConsumerProcess
from .clientenv import client_env, cpp1x_python, cpp21_env, cpp21_python, with_acl
from .daemons import ROOT

SCRIPT = ROOT / "tests" / "interop" / "scripts" / "cpp1x_client.py"
SCRIPT21 = ROOT / "tests" / "interop" / "scripts" / "cpp21_client.py"


def _runner(core: str):
    if core == "2.1":
        return cpp21_python(), SCRIPT21, cpp21_env
    return cpp1x_python(), SCRIPT, client_env


def message(topic: str, body: bytes, tags: str | None = None, keys: str | None = None,
            props: dict[str, str] | None = None) -> dict:
    return {"topic": topic, "tags": tags, "keys": keys, "body_b64": base64.b64encode(body).decode(),
            "props": props or {}}


def produce(home: Path, namesrv: str, group: str, mode: str, msgs: list[dict], timeout: float = 90,
            core: str = "1.x", acl: tuple[str, str] | None = None) -> list[dict]:
    """One JSON line per message; `acl` (access key, secret key) signs the requests."""
    py, script, env = _runner(core)
    stdin = "".join(json.dumps(x) + "\n" for x in msgs)
    out = subprocess.run([str(py), str(script), "produce", namesrv, group, mode], input=stdin,
                         capture_output=True, text=True, timeout=timeout, env=with_acl(env(home), acl), cwd=home)
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert lines, out.stderr[-2000:]
    return lines


def pull_all(home: Path, namesrv: str, group: str, topic: str, timeout: float = 90,
             acl: tuple[str, str] | None = None) -> list[dict]:
    out = subprocess.run([str(cpp1x_python()), str(SCRIPT), "pull", namesrv, group, topic], capture_output=True,
                         text=True, timeout=timeout, env=with_acl(client_env(home), acl), cwd=home)
    assert '"END"' in out.stdout, out.stderr[-2000:]
    return [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]


class PushConsumer(ConsumerProcess):
    """A push consumer subprocess of the C++ 1.x or 2.1 client."""

    def __init__(self, home: Path, namesrv: str, group: str, topic: str, expression: str = "*",
                 model: str = "CLUSTERING", seconds: float = 120, core: str = "1.x", behaviour: str = "",
                 acl: tuple[str, str] | None = None) -> None:
        """behaviour "retry": bodies starting with b"retry-" are refused once (RECONSUME_LATER); `acl` (access key,
        secret key) signs the requests."""
        home.mkdir(parents=True, exist_ok=True)
        py, script, env = _runner(core)
        args = [str(py), str(script), "push", namesrv, group, topic, expression, model, str(seconds)]
        super().__init__(args + ([behaviour] if behaviour else []), with_acl(env(home), acl), home)

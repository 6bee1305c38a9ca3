"""Run our `mqadmin` as an operator would."""
from __future__ import annotations

import subprocess
import sys


def mqadmin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.mqadmin", *args], capture_output=True, text=True, timeout=60)


def found_offset_ids(out: subprocess.CompletedProcess) -> list[str]:
    """The OffsetID lines of a queryMsgBy* output."""
    return [line.split()[-1] for line in out.stdout.splitlines() if line.startswith("OffsetID:")]

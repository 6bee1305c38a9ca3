"""Recorded baselines of the benchmarks: bench/baselines/<name>.json, compared on every run."""
from __future__ import annotations

import json
from pathlib import Path

DIR = Path(__file__).parent / "baselines"


def load(name: str) -> dict:
    path = DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def save(name: str, result: dict) -> None:
    DIR.mkdir(exist_ok=True)
    (DIR / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")


def change(now: float, before: float) -> str:
    return f"{(now / before - 1) * 100:+.1f}%" if before else "n/a"

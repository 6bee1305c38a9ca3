"""Read the Java 4.9.7 wire captures in ../shared/fixtures/java-4.9.7/wire/."""
from __future__ import annotations

import json

from .daemons import ROOT

WIRE_DIR = ROOT.parent / "shared" / "fixtures" / "java-4.9.7" / "wire"


def capture_names() -> list[str]:
    return sorted(p.name[:-len(".jsonl")] for p in WIRE_DIR.glob("*.jsonl") if not p.name.endswith(".conns.jsonl"))


def frames(name: str) -> list[dict]:
    with open(WIRE_DIR / f"{name}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def all_frames() -> list[tuple[str, dict]]:
    return [(name, fr) for name in capture_names() for fr in frames(name)]

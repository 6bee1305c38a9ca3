"""Summarise a py-spy raw (collapsed) profile: top functions by self and by inclusive share of samples.

    py-spy record -p PID -d 10 -r 250 -f raw -o prof.txt   # while a scenario runs
    .venv/bin/python -m bench.profile_summary prof.txt [--top 25]
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

_LINE = re.compile(r"\s*\(([^)]*?)(?::\d+)?\)$")


def _name(frame: str) -> str:
    """'put (store/commitlog.py:88)' -> 'store/commitlog.py:put' (line numbers folded)."""
    m = _LINE.search(frame)
    func = frame[:m.start()] if m else frame
    path = m.group(1) if m else ""
    for marker in ("/work/main/", "site-packages/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{func}" if path else func


def stacks(lines: list[str]):
    """(raw frames of one stack, its sample count) for every well-formed line of a raw profile."""
    for line in lines:
        stack, _, n = line.rstrip().rpartition(" ")
        if stack and n.isdigit():
            yield stack.split(";"), int(n)


def summarise(lines: list[str]) -> tuple[int, Counter, Counter]:
    self_c: Counter = Counter()
    incl: Counter = Counter()
    total = 0
    for raw, count in stacks(lines):
        frames = [_name(f) for f in raw if f and not f.startswith("process ") and not f.startswith("thread ")]
        total += count
        if frames:
            self_c[frames[-1]] += count
        for f in set(frames):
            incl[f] += count
    return total, self_c, incl


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("profile")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    with open(args.profile) as f:
        total, self_c, incl = summarise(f.readlines())
    print(f"{total} samples")
    print("| self % | function |\n|---:|---|")
    for name, n in self_c.most_common(args.top):
        print(f"| {n / total * 100:.1f} | `{name}` |")
    print("\n| inclusive % | function |\n|---:|---|")
    for name, n in incl.most_common(args.top):
        print(f"| {n / total * 100:.1f} | `{name}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

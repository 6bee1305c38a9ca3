"""Store directories compared byte for byte: commit log and consume queue trees by relative name (pre-allocated
all-zero files do not count), index files by order (their names are creation times)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .oracle import deadline_poll


def _is_zero(path: Path) -> bool:
    zero = bytes(1 << 20)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if chunk != zero[:len(chunk)]:
                return False
    return True


def data_files(d: Path) -> dict[str, Path]:
    """Files under `d` (relative names) that hold data: pre-allocated all-zero files do not count."""
    if not d.exists():
        return {}
    return {str(p.relative_to(d)): p for p in sorted(d.rglob("*")) if p.is_file() and not _is_zero(p)}


def first_difference(a: bytes, b: bytes) -> int | None:
    if a == b:
        return None
    n = min(len(a), len(b))
    lo, hi = 0, n
    while hi - lo > 64:   # bisect on slices: memcmp speed, not a Python loop over 4 MiB
        mid = (lo + hi) // 2
        if a[lo:mid] != b[lo:mid]:
            hi = mid
        else:
            lo = mid
    for i in range(lo, hi):
        if a[i] != b[i]:
            return i
    return n


def compare_trees(ours: Path, theirs: Path) -> list[str]:
    """Differences between two directories of store files (data files only), as readable lines."""
    a, b = data_files(ours), data_files(theirs)
    problems = []
    if set(a) != set(b):
        problems.append(f"data files only in {ours}: {sorted(set(a) - set(b))}; only in {theirs}: "
                        f"{sorted(set(b) - set(a))}")
    for name in sorted(set(a) & set(b)):
        da, db = a[name].read_bytes(), b[name].read_bytes()
        at = first_difference(da, db)
        if at is not None:
            problems.append(f"{name}: sizes {len(da)}/{len(db)}, first difference at byte {at} "
                            f"({da[at:at + 16].hex()} vs {db[at:at + 16].hex()})")
    return problems


def compare_index_files(ours: Path, theirs: Path) -> list[str]:
    """Index files are named by creation time, so they are paired in name order and compared by content."""
    a = [p for p in sorted(ours.iterdir()) if p.is_file()] if ours.exists() else []
    b = [p for p in sorted(theirs.iterdir()) if p.is_file()] if theirs.exists() else []
    if len(a) != len(b):
        return [f"{len(a)} index files in {ours}, {len(b)} in {theirs}"]
    problems = []
    for pa, pb in zip(a, b):
        da, db = pa.read_bytes(), pb.read_bytes()
        at = first_difference(da, db)
        if at is not None:
            problems.append(f"index {pa.name} vs {pb.name}: sizes {len(da)}/{len(db)}, first difference at byte "
                            f"{at} ({da[at:at + 16].hex()} vs {db[at:at + 16].hex()})")
    return problems


def wait_no_problems(compare: Callable[[], list[str]], what: str, timeout: float = 60) -> None:
    """Poll a comparison until it reports no problem (the other side's reput may still be building)."""
    last: list[str] = []

    def same() -> bool:
        nonlocal last
        last = compare()
        return not last
    try:
        deadline_poll(same, timeout, what, interval=0.5)
    except AssertionError as e:
        raise AssertionError(f"{e}: " + "; ".join(last[:5])) from None


def wait_same_trees(ours: Path, theirs: Path, what: str, timeout: float = 60) -> None:
    wait_no_problems(lambda: compare_trees(ours, theirs), what, timeout)


def wait_same_index(ours: Path, theirs: Path, what: str, timeout: float = 60) -> None:
    wait_no_problems(lambda: compare_index_files(ours, theirs), what, timeout)

"""The outcome tables of a change (a reset's new offsets, an import's per-item report), kept for the page the
browser is redirected to: in memory, per session, taken once, bounded."""
from __future__ import annotations

from collections import OrderedDict

from .sessions import Session

MAX_KEPT = 1000
_kept: OrderedDict[tuple[str, str], object] = OrderedDict()


def keep(session: Session, key: str, value: object) -> None:
    _kept[(session.token, key)] = value
    _kept.move_to_end((session.token, key))
    while len(_kept) > MAX_KEPT:
        _kept.popitem(last=False)


def take(session: Session, key: str) -> object | None:
    return _kept.pop((session.token, key), None)

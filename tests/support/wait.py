"""Waiting for a condition with a bound (a poll, for what has no event to await)."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def until(fn: Callable[[], T], timeout: float = 20.0, every: float = 0.2, what: str = "condition") -> T:
    """fn() until it returns something true (then that); an AssertionError at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} never held within {timeout:g} s"
        time.sleep(every)

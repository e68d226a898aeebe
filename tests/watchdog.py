"""A guard against runaway work in a test: SIGALRM after a number of seconds (main thread)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


class RanTooLong(Exception):
    """Raised in the main thread when a watched block runs past its time."""


@contextlib.contextmanager
def watchdog(seconds: float, what: str = "the block") -> Iterator[None]:
    """Raise `RanTooLong` inside the block when it runs past `seconds` (wall clock). Work in
    C that never returns to Python (a huge integer power) is interrupted only when it ends,
    so a regression still fails, late, instead of hanging the suite."""

    def fire(signum, frame):
        raise RanTooLong(f"{what} ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

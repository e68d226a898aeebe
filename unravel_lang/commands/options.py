"""Option types shared by the subcommands: refused at the option (exit status 2, one line)
when out of range, before any work."""

from __future__ import annotations

import argparse
import math

SEED_MAX = (1 << 64) - 1
"""Largest seed: seeds are 64-bit unsigned integers (numpy's SeedSequence takes them)."""

INTERVAL_RANGE = (0.01, 3600.0)
"""Seconds allowed between two polls of `unravel watch`."""


def seed(text: str) -> int:
    """A seed: a whole number from 0 to `SEED_MAX`."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a seed is a whole number, got {text!r}") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to 2**64-1, got {text}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def interval(text: str) -> float:
    """A poll interval in seconds, within `INTERVAL_RANGE`."""
    low, high = INTERVAL_RANGE
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(
            f"the interval is between {low:g} and {high:g} seconds, got {text}")
    return value


class OneLineParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line: `unravel run: error: <what>` (and the
    `--help` to read), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

"""The engine's tempo grid in latent frames: beats, bars, and a tempo change at a bar line."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from unravel_lang.tempo import DEFAULT_BEATS, check_beats, check_k


def ceil_to(frame: int, origin: int, step: int) -> int:
    """The first frame `origin + n * step` (n >= 0) at or after `frame`."""
    if frame <= origin:
        return origin
    return origin + -(-(frame - origin) // step) * step


class GridChange(NamedTuple):
    """From latent frame `frame` on, beats are `k` frames and bars `beats` beats long.

    `restart`: the grid begins anew there (its downbeat moved); otherwise it continues the
    previous grid from one of its bar lines (a booked tempo or bar change)."""

    frame: int
    k: int
    beats: int
    restart: bool


class Clock:
    """One grid for all voices: beats at `origin + n * k` frames, bars every `beats_per_bar` beats.

    A tempo change is booked for a bar line (`schedule`) and takes over when the engine's
    cursor reaches it (`advance`); until then the queries below already see it. Each grid that
    takes over is appended to `changes` (the latest 256; `changes_total` counts them all), so
    that a reader behind the cursor knows the grid of the samples it reads.
    """

    def __init__(self, k: int, beats_per_bar: int = DEFAULT_BEATS, origin: int = 0) -> None:
        self.k = check_k(k)
        self.beats_per_bar = check_beats(beats_per_bar)
        self.origin = int(origin)
        self.pending: tuple[int, int, int] | None = None
        self.changes: deque[GridChange] = deque(maxlen=256)
        self.changes_total = 0
        self._log(restart=True)

    def _log(self, restart: bool) -> None:
        """Note the grid that holds from `origin` on (read by readers that follow the grid)."""
        self.changes.append(GridChange(self.origin, self.k, self.beats_per_bar, restart))
        self.changes_total += 1

    @property
    def bar(self) -> int:
        """Frames per bar at the current tempo."""
        return self.k * self.beats_per_bar

    def _grid(self, frame: int) -> tuple[int, int, int]:
        """`(origin, k, beats_per_bar)` of the grid that holds at `frame`."""
        if self.pending is not None and frame >= self.pending[0]:
            return self.pending
        return self.origin, self.k, self.beats_per_bar

    def beat_ceil(self, frame: int) -> int:
        """The first beat at or after `frame`."""
        origin, k, _ = self._grid(frame)
        return ceil_to(frame, origin, k)

    def bar_ceil(self, frame: int) -> int:
        """The first bar line at or after `frame`."""
        origin, k, beats = self._grid(frame)
        return ceil_to(frame, origin, k * beats)

    def quantum_ceil(self, frame: int, quantum: str) -> int:
        """The first beat (`quantum="beat"`) or bar line (`"bar"`) at or after `frame`."""
        return self.bar_ceil(frame) if quantum == "bar" else self.beat_ceil(frame)

    def schedule(self, k: int | None, frame: int, beats_per_bar: int | None = None) -> int:
        """Book tempo `k` (frames per beat) and/or `beats_per_bar` for the first bar line at or
        after `frame` (None keeps what is booked, or else what holds now).

        Returns that bar line. A later booking replaces an earlier one that has not begun.
        """
        _, booked_k, booked_beats = self.pending or (0, self.k, self.beats_per_bar)
        k = booked_k if k is None else check_k(k)
        beats = booked_beats if beats_per_bar is None else check_beats(beats_per_bar)
        at = ceil_to(frame, self.origin, self.bar)
        self.pending = (at, k, beats)
        return at

    def advance(self, frame: int) -> None:
        """Let a booked change take over once `frame` has reached its bar line."""
        if self.pending is not None and frame >= self.pending[0]:
            self.origin, self.k, self.beats_per_bar = self.pending
            self.pending = None
            self._log(restart=False)

    def restart(self, frame: int, k: int | None = None, beats_per_bar: int | None = None) -> None:
        """Put the grid's origin at `frame` (with tempo `k` and `beats_per_bar`, or the booked
        ones, or the current ones)."""
        _, booked_k, booked_beats = self.pending or (0, self.k, self.beats_per_bar)
        self.k = booked_k if k is None else check_k(k)
        self.beats_per_bar = booked_beats if beats_per_bar is None else check_beats(beats_per_bar)
        self.origin, self.pending = int(frame), None
        self._log(restart=True)

    def bars(self, frame: int) -> float:
        """Position of `frame` in bars since the grid's origin (0.0 = the first downbeat)."""
        return (frame - self.origin) / self.bar

"""The engine's tempo grid in latent frames: beats, bars, and a tempo change at a bar line."""

from __future__ import annotations

from unravel_lang.errors import PatternError

QUANTA = ("beat", "bar")


def ceil_to(frame: int, origin: int, step: int) -> int:
    """The first frame `origin + n * step` (n >= 0) at or after `frame`."""
    if frame <= origin:
        return origin
    return origin + -(-(frame - origin) // step) * step


class Clock:
    """One grid for all voices: beats at `origin + n * k` frames, bars every `beats_per_bar` beats.

    A tempo change is booked for a bar line (`schedule`) and takes over when the engine's
    cursor reaches it (`advance`); until then the queries below already see it.
    """

    def __init__(self, k: int, beats_per_bar: int = 4, origin: int = 0) -> None:
        self.k = check_k(k)
        if int(beats_per_bar) < 1:
            raise PatternError(f"beats per bar must be at least 1, got {beats_per_bar}")
        self.beats_per_bar = int(beats_per_bar)
        self.origin = int(origin)
        self.pending: tuple[int, int] | None = None

    @property
    def bar(self) -> int:
        """Frames per bar at the current tempo."""
        return self.k * self.beats_per_bar

    def _grid(self, frame: int) -> tuple[int, int]:
        """`(origin, k)` of the grid that holds at `frame`."""
        if self.pending is not None and frame >= self.pending[0]:
            return self.pending
        return self.origin, self.k

    def beat_ceil(self, frame: int) -> int:
        """The first beat at or after `frame`."""
        origin, k = self._grid(frame)
        return ceil_to(frame, origin, k)

    def bar_ceil(self, frame: int) -> int:
        """The first bar line at or after `frame`."""
        origin, k = self._grid(frame)
        return ceil_to(frame, origin, k * self.beats_per_bar)

    def quantum_ceil(self, frame: int, quantum: str) -> int:
        """The first beat (`quantum="beat"`) or bar line (`"bar"`) at or after `frame`."""
        return self.bar_ceil(frame) if quantum == "bar" else self.beat_ceil(frame)

    def schedule(self, k: int, frame: int) -> int:
        """Book tempo `k` (frames per beat) for the first bar line at or after `frame`.

        Returns that bar line. A later booking replaces an earlier one that has not begun.
        """
        k = check_k(k)
        at = ceil_to(frame, self.origin, self.bar)
        self.pending = (at, k)
        return at

    def advance(self, frame: int) -> None:
        """Let a booked tempo change take over once `frame` has reached its bar line."""
        if self.pending is not None and frame >= self.pending[0]:
            self.origin, self.k = self.pending
            self.pending = None

    def restart(self, frame: int, k: int | None = None) -> None:
        """Put the grid's origin at `frame` (with tempo `k`, or a booked one, or the current)."""
        if k is None:
            k = self.pending[1] if self.pending is not None else self.k
        self.origin, self.k, self.pending = int(frame), check_k(k), None

    def bars(self, frame: int) -> float:
        """Position of `frame` in bars since the grid's origin (0.0 = the first downbeat)."""
        return (frame - self.origin) / self.bar


def check_k(k: object) -> int:
    """`k` as a positive int (frames per beat), or a `PatternError` naming it."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise PatternError(f"tempo k (frames per beat) must be a positive integer, got {k!r}")
    return k


def check_quantum(quantum: object) -> str:
    """`quantum` if it is "beat" or "bar", else a `PatternError`."""
    if quantum not in QUANTA:
        raise PatternError(f"quantum must be 'beat' or 'bar', got {quantum!r}")
    return str(quantum)

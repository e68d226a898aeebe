"""What the engine lets others watch: the latent frames each voice sounds, and when a sample
reaches the speaker."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FrameBlock:
    """Latent frames that voice `voice` of track `track` sounds.

    Row i of `latent` `(n, dims)` float32 is the latent frame at engine frame `first + i`
    (its audio begins at sample `(first + i) * ratio` of the engine's timeline); rows where
    the voice is silent are NaN. Blocks arrive in time order per voice, ahead of the sound
    (the worker decodes ahead of the reader).
    """

    track: str
    voice: int
    first: int
    latent: np.ndarray


FrameListener = Callable[[FrameBlock], None]

MixListener = Callable[[int, np.ndarray], None]
"""`fn(sample, audio)`: the mix of the sounding tracks, `(channels, n)` float32, from engine
sample `sample` on, through a master limiter of its own, as the worker produces it (ahead
of the sound, the limiter's look-ahead behind the worker; stop fades not applied)."""


class SampleClock:
    """Maps engine samples to `time.monotonic()` seconds at which they reach the speaker.

    A real-time reader calls `mark(sample, when)` once per buffer: it reads sample `sample`
    of the engine's timeline into the first sample of a buffer that is heard at monotonic
    time `when`. The reader's output is `delay` samples late (the master limiter's
    look-ahead), so that sample is heard `delay` samples after `when`; `mark_heard` marks the
    time a sample itself is heard. Before any mark, `time_of` is None.
    """

    def __init__(self, sr: int, delay: int = 0) -> None:
        self.sr = int(sr)
        self.delay = int(delay)
        self._mark: tuple[int, float] | None = None

    def mark(self, sample: int, when: float | None = None) -> None:
        self._mark = (int(sample) - self.delay, time.monotonic() if when is None else float(when))

    def mark_heard(self, sample: int, when: float) -> None:
        """Sample `sample` itself is heard at monotonic time `when`."""
        self._mark = (int(sample), float(when))

    def time_of(self, sample: float) -> float | None:
        """Monotonic seconds at which `sample` is heard (extrapolated from the latest mark)."""
        mark = self._mark
        if mark is None:
            return None
        return mark[1] + (float(sample) - mark[0]) / self.sr

    def sample_at(self, when: float) -> float | None:
        """The engine sample heard at monotonic time `when` (None before any mark)."""
        mark = self._mark
        if mark is None:
            return None
        return mark[0] + (float(when) - mark[1]) * self.sr

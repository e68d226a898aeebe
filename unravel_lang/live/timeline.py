"""Pure maths of playing on a Link session's beat: its timeline, the nearest grid tempo, and
where each output sample of a beat is read from (the beat splice).

Units: times are `time.monotonic()` seconds, beats are Link beats (floats), lengths of audio
are samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timeline:
    """A Link session seen at one instant: Link beat `beat` at monotonic second `time`,
    `tempo` beats per minute (the timeline is linear until the tempo changes)."""

    time: float
    beat: float
    tempo: float

    def beat_at(self, when: float) -> float:
        """The session's beat at monotonic second `when`."""
        return self.beat + (when - self.time) * self.tempo / 60.0

    def time_at(self, beat: float) -> float:
        """The monotonic second at which the session reaches `beat`."""
        return self.time + (beat - self.beat) * 60.0 / self.tempo


def nearest_k(tempo: float, latent_rate: float) -> int:
    """The frames per beat whose grid tempo `60 * latent_rate / k` is nearest to `tempo` BPM."""
    if not (math.isfinite(tempo) and tempo > 0):
        raise ValueError(f"a tempo must be a positive number of BPM, got {tempo!r}")
    guess = 60.0 * latent_rate / tempo
    low = max(1, math.floor(guess))
    return min((low, low + 1), key=lambda k: abs(60.0 * latent_rate / k - tempo))


def next_bar(beat: float, quantum: int) -> int:
    """The first Link beat at or after `beat` whose phase in a bar of `quantum` beats is 0."""
    return int(math.ceil(beat / quantum - 1e-9)) * quantum


def splice(u: np.ndarray, beat_out: float, beat_in: int,
           xfade: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where samples `u` (offsets from the start of an output beat `beat_out` samples long,
    float `(n,)`) are read from in a source beat `beat_in` samples long.

    Returns `(a, b, w)`: offsets in the source, counted from the source beat's start (`a`
    from its head, `b` from its tail, so that `b == beat_in` falls on the next beat's
    start), and the weight of `b` (`out = (1 - w) * src[a] + w * src[b]`). The output beat
    plays the source's head up to `p = min(beat_out, beat_in)`, crossfading over the last
    `xfade` samples before `p` (at most half of it) into the audio that leads into the next
    source beat; so a
    longer output beat repeats `beat_out - beat_in` samples before the next onset, and a
    shorter one drops as many. Every beat onset of the source is heard exactly at the
    output beat's start.
    """
    d = beat_out - beat_in
    p = min(beat_out, float(beat_in))
    x = max(1.0, min(float(xfade), p / 2))
    a = u
    b = u - d
    w = np.clip((u - (p - x) + 1.0) / x, 0.0, 1.0)
    return a, b, w

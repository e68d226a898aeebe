"""The master safety limiter: the engine's mix never clips.

A memoryless soft knee: samples within ±`THRESHOLD` (−1 dBFS) pass unchanged, louder ones
bend smoothly (the curve and its slope are continuous) towards ±`CEILING`, which they reach
only in the limit (float32 rounds far louder samples to it). Having no memory it has no
attack or release: a steady loop comes out the same on every pass (no pumping), and it adds
no latency, so the engine's samples stay where they are.
The ceiling sits below full scale so that the peaks between samples (the true peak) of
music stay under 1.0 too; a memoryless curve cannot promise that for any signal (a
high-frequency tone driven far over full scale comes out nearly square, whose true peak
exceeds its samples').
"""

from __future__ import annotations

import numpy as np

THRESHOLD = float(10.0 ** (-1.0 / 20.0))
"""Samples at or below this magnitude (−1 dBFS, 0.891) are left alone."""

CEILING = 0.95
"""Louder samples approach this magnitude (−0.45 dBFS)."""


def limit(x: np.ndarray) -> np.ndarray:
    """The limited copy of audio `x` (any shape), float32."""
    out = np.array(x, dtype=np.float32, copy=True)
    MasterLimiter().process(out)
    return out


class MasterLimiter:
    """Limits audio in place with preallocated scratch arrays (for the audio callback)."""

    def __init__(self, threshold: float = THRESHOLD, ceiling: float = CEILING) -> None:
        if not 0.0 < threshold < ceiling:
            raise ValueError(f"need 0 < threshold < ceiling, got {threshold}, {ceiling}")
        self.threshold = np.float32(threshold)
        self.range = np.float32(ceiling - threshold)
        self._abs = np.zeros(0, dtype=np.float32)
        self._over = np.zeros(0, dtype=bool)
        self.limited = 0  # samples changed so far

    def process(self, out: np.ndarray) -> None:
        """Limit `out` (float32, any shape, C-contiguous or a 2-D row-major slice) in place."""
        n = out.size
        if n == 0:
            return
        if self._abs.size < n:
            self._abs = np.zeros(n, dtype=np.float32)
            self._over = np.zeros(n, dtype=bool)
        a = self._abs[:n].reshape(out.shape)
        np.abs(out, out=a)
        if not a.max() > self.threshold:
            return
        over = self._over[:n].reshape(out.shape)
        np.greater(a, self.threshold, out=over)
        self.limited += int(np.count_nonzero(over))
        a -= self.threshold
        a /= self.range
        np.tanh(a, out=a)
        a *= self.range
        a += self.threshold
        np.copysign(a, out, out=a)
        np.copyto(out, a, where=over)

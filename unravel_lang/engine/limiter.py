"""The master safety limiter: the engine's output never clips, not even between samples.

A look-ahead true-peak limiter with linked channels. Its detector estimates the peak of
each sample and of the three points between it and the next (4x oversampling with a
windowed-sinc interpolator, as ITU-R BS.1770 measures a true peak). Where that peak stays
at or below `THRESHOLD` (−1 dBFS) the audio passes bit for bit; above it the gain comes
down so that the peak follows a soft knee towards `CEILING`:
`out = T + (C − T)·tanh((peak − T)/(C − T))`.

The gain is computed in integer steps of `STEP_DB` so that every stage is exact and the
output does not depend on how the stream is cut into blocks:
1. required gain per sample (from the detector's peak and the knee);
2. its minimum over a window reaching `ATTACK` − 1 + `SPREAD` samples ahead and `SPREAD`
   behind (the gain is down across the interpolator's span around every peak);
3. a release that rises at most `RELEASE_DB_PER_S`;
4. the mean of the last `ATTACK` values (a smooth attack and release edge).
Each stage can only lower the gain below what step 1 asked for, never raise it.

The output is delayed by `LOOKAHEAD` samples (63: 1.43 ms at 44.1 kHz): a block given to
`process` comes back holding the samples that went in `LOOKAHEAD` samples earlier.
`limit` applies it to a whole signal and returns it aligned (the end as if silence followed).
A steady loop gives a steady output after one pass: every stage is a fixed function of
the input over a bounded window, except the release, which has recovered after a pass
longer than the release time.
"""

from __future__ import annotations

import copy

import numpy as np

THRESHOLD = float(10.0 ** (-1.0 / 20.0))
"""True peaks at or below this magnitude (−1 dBFS, 0.891) are left alone."""

CEILING = 0.93
"""Louder true peaks approach this magnitude (−0.63 dBFS)."""

TAPS = 16
"""The interpolator reaches this many samples each side (32 taps per phase)."""

SPREAD = 8
"""The gain under a peak holds this many samples each side (the interpolator's main lobes)."""

ATTACK = 40
"""Samples over which the gain comes down before a peak (and the mean that smooths it)."""

LOOKAHEAD = TAPS + SPREAD + ATTACK - 1
"""Samples of delay between input and output (63)."""

RELEASE_DB_PER_S = 40.0
"""How fast the gain comes back up after a peak, in dB per second."""

STEP_DB = 1e-5
"""The gain's resolution: it is an integer number of these steps (exact, block-invariant)."""


def _interpolator(taps: int = TAPS, beta: float = 5.0) -> np.ndarray:
    """Kaiser-windowed sinc taps `(3, 2 * taps)` float32: row k-1 gives the signal at
    `n + k/4` from samples `n - taps + 1 .. n + taps`; each row sums to 1."""
    j = np.arange(-taps + 1, taps + 1, dtype=np.float64)
    rows = []
    for k in (1, 2, 3):
        t = k / 4.0 - j
        w = np.i0(beta * np.sqrt(np.clip(1.0 - (t / taps) ** 2, 0.0, None))) / np.i0(beta)
        h = np.sinc(t) * w
        rows.append(h / h.sum())
    return np.array(rows, dtype=np.float32)


PHASES = _interpolator()
BOUND = float(np.abs(PHASES).sum(axis=1).max())
"""The interpolator's largest gain on any signal: a block whose samples stay under
`THRESHOLD / BOUND` cannot have a true peak over the threshold."""


PIECE = 8192
"""Detector points computed at once (bounds its scratch memory)."""

_COLUMNS = [np.ascontiguousarray(PHASES[:, i, None, None]) for i in range(2 * TAPS)]


def _peaks(seen: np.ndarray, n: int) -> np.ndarray:
    """The detector's peak, float32 `(n,)`, of points i = 0..n-1 of `seen` `(channels,
    n + 2·TAPS − 1)`: the largest magnitude over the channels of sample `i + TAPS − 1` and
    of the signal 1/4, 2/4 and 3/4 of a sample after it.

    Each point is summed tap by tap in the same order whatever `n` is (a matrix product
    would round differently with a point's place in the block), so the limiter's output
    does not depend on how its input is cut."""
    peak = np.abs(seen[:, TAPS - 1 : TAPS - 1 + n]).max(axis=0)
    for a in range(0, n, PIECE):
        m = min(n, a + PIECE) - a
        y = np.zeros((3, seen.shape[0], m), dtype=np.float32)
        term = np.empty_like(y)
        for i, column in enumerate(_COLUMNS):
            np.multiply(column, seen[None, :, a + i : a + i + m], out=term)
            y += term
        np.abs(y, out=y)
        np.maximum(peak[a : a + m], y.max(axis=(0, 1)), out=peak[a : a + m])
    return peak


def true_peak(x: np.ndarray) -> float:
    """The detector's true peak of audio `x` `(channels, n)` or `(n,)`: the largest
    magnitude at the samples and at the 4x oversampled points between them (the signal
    is taken as silent before and after)."""
    a = np.atleast_2d(np.asarray(x, dtype=np.float32))
    if a.size == 0:
        return 0.0
    pad = np.zeros((a.shape[0], a.shape[1] + 4 * TAPS), dtype=np.float32)
    pad[:, 2 * TAPS : 2 * TAPS + a.shape[1]] = a
    return float(_peaks(pad[:, 1:], a.shape[1] + 2 * TAPS).max())


def limit(x: np.ndarray, sr: int = 44100) -> np.ndarray:
    """The limited copy of audio `x` (`(channels, n)` or `(n,)`), float32, aligned with
    `x` (no delay), as if silence followed it."""
    a = np.array(np.atleast_2d(x), dtype=np.float32, copy=True)
    limiter = MasterLimiter(sr)
    limiter.process(a)
    out = np.concatenate([a, limiter.tail(a.shape[0])], axis=1)[:, LOOKAHEAD:]
    return out.reshape(np.shape(x))


class MasterLimiter:
    """The streaming limiter: `process(block)` limits `(channels, n)` float32 audio in
    place, `LOOKAHEAD` samples late (the first blocks begin with that much silence).

    It keeps its state between blocks, so the output is the same whatever the block sizes.
    `limited` counts the output samples whose gain was below 1 so far.
    """

    def __init__(self, sr: int = 44100, threshold: float = THRESHOLD,
                 ceiling: float = CEILING) -> None:
        if not 0.0 < threshold < ceiling:
            raise ValueError(f"need 0 < threshold < ceiling, got {threshold}, {ceiling}")
        self.sr = int(sr)
        self.threshold = float(threshold)
        self.range = float(ceiling - threshold)
        self.safe = np.float32(0.999 * threshold / BOUND)
        self.release = max(1, round(RELEASE_DB_PER_S / self.sr / STEP_DB))  # steps per sample
        self.lookahead = LOOKAHEAD
        self.limited = 0
        self.channels = 0
        self._buf = np.zeros((0, 0), dtype=np.float32)
        self._reset(1)

    def _reset(self, channels: int) -> None:
        self.channels = channels
        self._tail = np.zeros((channels, LOOKAHEAD), dtype=np.float32)  # the last inputs
        self._needs = np.zeros(ATTACK - 1 + 2 * SPREAD, dtype=np.int64)  # required gains
        self._released = 0  # the release stage's latest value
        self._recent = np.zeros(ATTACK - 1, dtype=np.int64)  # its last values, for the mean
        self._active = False  # any of the above below 0 dB

    def reset(self) -> None:
        """Forget everything (as new: silence before)."""
        self._reset(self.channels)

    def tail(self, channels: int | None = None) -> np.ndarray:
        """The last `LOOKAHEAD` input samples, limited as if silence followed (the state
        is left as it is): float32 `(channels, LOOKAHEAD)`."""
        other = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray) and name != "_buf":
                setattr(other, name, value.copy())
        other._buf = np.zeros((0, 0), dtype=np.float32)
        out = np.zeros((self.channels if channels is None else channels, LOOKAHEAD),
                       dtype=np.float32)
        other.process(out)
        return out

    def process(self, out: np.ndarray) -> None:
        """Replace `out` `(channels, n)` float32 with the limited output: the samples given
        `LOOKAHEAD` samples earlier."""
        if out.ndim != 2:
            raise ValueError(f"the limiter takes (channels, n) audio, got shape {out.shape}")
        c, n = out.shape
        if n == 0:
            return
        if c != self.channels:
            self._reset(c)
        if self._buf.shape[0] != c or self._buf.shape[1] < LOOKAHEAD + n:
            self._buf = np.zeros((c, LOOKAHEAD + max(n, 1024)), dtype=np.float32)
        buf = self._buf[:, : LOOKAHEAD + n]
        buf[:, :LOOKAHEAD] = self._tail
        buf[:, LOOKAHEAD:] = out
        seen = buf[:, LOOKAHEAD - 2 * TAPS + 1 :]  # every sample the new detector points need
        gain = None
        loud = bool(np.abs(seen).max() > self.safe)
        if loud or self._active:
            needs = self._needs_of(seen, n) if loud else None
            if needs is not None or self._active:  # else the detector found nothing over
                gain = self._gain(np.zeros(n, dtype=np.int64) if needs is None else needs)
        out[...] = buf[:, :n]
        if gain is not None:
            out *= gain
        self._tail[...] = buf[:, n : n + LOOKAHEAD]

    def _needs_of(self, seen: np.ndarray, n: int) -> np.ndarray | None:
        """The required gain in steps (int64 `(n,)`, ≤ 0) of the n detector points whose
        samples `seen` `(channels, n + 2·TAPS − 1)` hold: point i is sample `seen[:, i +
        TAPS − 1]` and the three points after it; None when all are 0 (nothing over)."""
        peak = _peaks(seen, n)
        over = peak > self.threshold
        if not over.any():
            return None
        needs = np.zeros(n, dtype=np.int64)
        p = peak[over].astype(np.float64)
        bent = self.threshold + self.range * np.tanh((p - self.threshold) / self.range)
        needs[over] = np.floor(20.0 * np.log10(bent / p) / STEP_DB).astype(np.int64)
        return needs

    def _gain(self, needs: np.ndarray) -> np.ndarray | None:
        """Advance the gain stages by the new required gains `needs` (one per detector
        point); return the linear gain float32 `(n,)` of the n output samples, or None
        when it is 1 throughout."""
        n = needs.shape[0]
        window = ATTACK + 2 * SPREAD
        ext = np.concatenate([self._needs, needs])
        hold = np.lib.stride_tricks.sliding_window_view(ext, window).min(axis=1)
        self._needs = ext[n:].copy()
        step = np.arange(n, dtype=np.int64) * self.release
        running = np.minimum.accumulate(hold - step)
        released = step + np.minimum(running, self._released + self.release)
        released = np.minimum(released, 0)
        self._released = int(released[-1])
        sums = np.concatenate([[0], np.cumsum(np.concatenate([self._recent, released]))])
        steps = (sums[ATTACK:] - sums[:-ATTACK]) // ATTACK
        self._recent = np.concatenate([self._recent, released])[n:]
        self._active = bool(self._needs.any() or self._released or self._recent.any())
        down = steps < 0
        if not down.any():
            return None
        self.limited += int(np.count_nonzero(down))
        return np.power(10.0, steps * (STEP_DB / 20.0)).astype(np.float32)

"""The reading side of the engine: mixes the ring's stems into an output buffer.

This is the only code the audio callback runs. It copies and adds preallocated arrays,
calls no model, takes no lock and allocates no audio buffers.
"""

from __future__ import annotations

import numpy as np

from unravel_lang.engine.ringbuffer import StemRing

FREE, LIVE, DONE = 0, 1, 2
"""Stem states: FREE (unused), LIVE (the worker writes a voice into it), DONE (faded out)."""


def fade_ramp(sr: int, fade_ms: float) -> np.ndarray:
    """The fade-out gain, float32 `(n,)` with n = round(sr * fade_ms / 1000) >= 1: (n - i) / n."""
    n = max(1, round(sr * fade_ms / 1000.0))
    return ((n - np.arange(n, dtype=np.float64)) / n).astype(np.float32)


class StemMixer:
    """Owns the stem ring and the per-stem state shared by the worker and the reader.

    The worker assigns a stem (`stem_from` = first sample it owns, state LIVE) and frees it;
    the reader adds the stems in the order they were assigned (`order`), so the mix does not
    depend on which stem a voice happened to get;
    a stop sets `stop_req` (from any thread) or `fade_at` (the worker, at an exact sample);
    the reader starts the fade at its own position when `stop_req` is set, applies it, and
    marks the stem DONE when the fade has ended.
    """

    def __init__(self, stems: int, channels: int, capacity: int, ramp: np.ndarray) -> None:
        self.ring = StemRing(stems, channels, capacity)
        self.stems = int(stems)
        self.channels = int(channels)
        self.ramp = ramp
        self.state = [FREE] * stems
        self.stem_from = [0] * stems
        self.fade_at = [-1] * stems
        self.stop_req = [False] * stems
        self.order: tuple[int, ...] = tuple(range(stems))
        self.underruns = 0
        self._scratch = np.zeros((channels, len(ramp)), dtype=np.float32)

    def assign(self, stem: int, start: int) -> None:
        """Give `stem` to a voice whose audio begins at absolute sample `start` (worker only)."""
        self.stem_from[stem] = start
        self.fade_at[stem] = -1
        self.stop_req[stem] = False
        self.order = tuple(s for s in self.order if s != stem) + (stem,)
        self.state[stem] = LIVE

    def release(self, stem: int) -> None:
        """Mark `stem` unused (worker only)."""
        self.state[stem] = FREE

    def free_stem(self) -> int | None:
        """The lowest unused stem, or None."""
        for stem in range(self.stems):
            if self.state[stem] == FREE:
                return stem
        return None

    @property
    def busy(self) -> bool:
        """True while any stem is in use."""
        return any(state != FREE for state in self.state)

    def read_into(self, out: np.ndarray) -> int:
        """Fill `out` `(channels, n)` with the next n mixed samples (not limited yet: the
        engine's reader adds its sources and passes the sum through the master limiter);
        return how many were there.

        Missing samples (the worker is behind, or nothing plays) are zeros; while a voice
        sounds, a short read counts as an underrun. When voices are only about to begin, a
        short read takes nothing, so that they begin without a gap.
        """
        out.fill(0.0)
        ring = self.ring
        pos = ring.read_pos
        n = min(out.shape[1], ring.write_pos - pos)
        if n < out.shape[1] and LIVE in self.state:
            if not self._sounding(pos) and 2 * n < ring.capacity:
                return 0  # a voice is about to begin: wait for a whole read, leave no gap
            self.underruns += 1
        if n <= 0:
            return 0
        index, first, second = ring.split(pos, n)
        for stem in self.order:  # in the order voices began: the same sums every time
            if self.state[stem] != LIVE:
                continue
            if self.stop_req[stem] and self.fade_at[stem] < 0:
                if pos <= self.stem_from[stem]:
                    self.state[stem] = DONE
                    continue
                self.fade_at[stem] = pos
            self._mix(stem, out, pos, index, first, 0)
            if second:
                self._mix(stem, out, pos + first, 0, second, first)
            fade_at = self.fade_at[stem]
            if fade_at >= 0 and pos + n >= fade_at + len(self.ramp):
                self.state[stem] = DONE
        ring.read_pos = pos + n
        return n

    def _sounding(self, pos: int) -> bool:
        """True when a live stem began before sample `pos`."""
        for stem in range(self.stems):
            if self.state[stem] == LIVE and self.stem_from[stem] < pos:
                return True
        return False

    def _mix(self, stem: int, out: np.ndarray, pos: int, index: int, n: int, offset: int) -> None:
        """Add stem samples `[pos, pos + n)` (ring index `index`) into `out[:, offset:]`."""
        data = self.ring.data[stem]
        lo = max(pos, self.stem_from[stem])
        hi = pos + n
        fade_at = self.fade_at[stem]
        plain_hi = hi if fade_at < 0 else min(hi, fade_at)
        if plain_hi > lo:
            a, b = lo - pos, plain_hi - pos
            np.add(out[:, offset + a : offset + b], data[:, index + a : index + b],
                   out=out[:, offset + a : offset + b])
        if fade_at < 0:
            return
        f_lo, f_hi = max(lo, fade_at), min(hi, fade_at + len(self.ramp))
        if f_hi <= f_lo:
            return
        a, b = f_lo - pos, f_hi - pos
        tmp = self._scratch[:, : b - a]
        np.multiply(data[:, index + a : index + b], self.ramp[f_lo - fade_at : f_hi - fade_at],
                    out=tmp)
        np.add(out[:, offset + a : offset + b], tmp, out=out[:, offset + a : offset + b])

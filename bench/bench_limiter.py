"""The master limiter's cost, measured side by side in one run.

CPU milliseconds per second of stereo 44.1 kHz audio for the look-ahead true-peak limiter
(`engine/limiter.py`) and for the memoryless soft-knee curve it replaced (kept here as the
reference), in blocks of 256 samples (a live audio callback) and of 64 latent frames
(131 072 samples, a render), on three signals: quiet (true peak −10 dBFS: the limiter only
checks the samples), moderate (−2 dBFS: its detector runs, the gain stays 1) and loud
(+10 dBFS: it limits all the time). Also the true peak each leaves (the limiter's own 4x
detector), and, on pathological signals, the true peak before and after each limiter as
ITU-R BS.1770 measures it (4x polyphase FIR, 81-tap Kaiser-windowed sinc, beta 5) and as
soxr's near brick-wall 4x resampler does.

Usage: python bench/bench_limiter.py [--seconds S] [--repeats N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from unravel_lang.audio import resample
from unravel_lang.engine.limiter import LOOKAHEAD, THRESHOLD, MasterLimiter, limit, true_peak

SR = 44100


class MemorylessLimiter:
    """The limiter this one replaced: a soft knee per sample (identity up to −1 dBFS,
    towards 0.95), no memory, no delay."""

    def __init__(self, threshold: float = THRESHOLD, ceiling: float = 0.95) -> None:
        self.threshold = np.float32(threshold)
        self.range = np.float32(ceiling - threshold)
        self._abs = np.zeros(0, dtype=np.float32)
        self._over = np.zeros(0, dtype=bool)

    def process(self, out: np.ndarray) -> None:
        n = out.size
        if self._abs.size < n:
            self._abs = np.zeros(n, dtype=np.float32)
            self._over = np.zeros(n, dtype=bool)
        a = self._abs[:n].reshape(out.shape)
        np.abs(out, out=a)
        if not a.max() > self.threshold:
            return
        over = self._over[:n].reshape(out.shape)
        np.greater(a, self.threshold, out=over)
        a -= self.threshold
        a /= self.range
        np.tanh(a, out=a)
        a *= self.range
        a += self.threshold
        np.copysign(a, out, out=a)
        np.copyto(out, a, where=over)


def music(seconds: float, true_peak_db: float) -> np.ndarray:
    """Stereo test music: decaying tones on a beat, a bass line and noise, float32 `(2, n)`,
    scaled to the given true peak."""
    rng = np.random.default_rng(0)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    beat = (t * 2.0) % 1.0
    env = np.exp(-6.0 * beat)
    left = env * np.sin(2 * np.pi * 220 * t) + 0.6 * np.sin(2 * np.pi * 55 * t)
    right = env * np.sin(2 * np.pi * 330 * t + 1.0) + 0.6 * np.sin(2 * np.pi * 55 * t)
    x = np.stack([left, right]) + 0.2 * rng.standard_normal((2, n))
    x = x.astype(np.float32)
    x *= np.float32(10 ** (true_peak_db / 20) / true_peak(x))
    return x


def bs1770_peak(x: np.ndarray) -> float:
    """The 4x oversampled peak of `x` `(channels, n)` by an 81-tap Kaiser FIR (beta 5)."""
    up, half = 4, 40
    h = np.sinc(np.arange(-half, half + 1) / up) * np.kaiser(2 * half + 1, 5.0)
    peak = 0.0
    for channel in x.astype(np.float64):
        stuffed = np.zeros(channel.size * up)
        stuffed[::up] = channel
        peak = max(peak, float(np.abs(np.convolve(stuffed, h)).max()))
    return peak


def soxr_peak(x: np.ndarray) -> float:
    padded = np.pad(x, ((0, 0), (1000, 1000)))
    return float(np.abs(resample(padded, SR, 4 * SR)).max())


def pathological() -> dict[str, np.ndarray]:
    n = SR // 4
    t = np.arange(n) / SR
    cases = {f"sine {hz} Hz x2": np.stack([2 * np.sin(2 * np.pi * hz * t + 0.3),
                                            2 * np.sin(2 * np.pi * hz * t + 1.1)])
             for hz in (1000, 11025, 15000, 19000, 20000, 21000)}
    square = np.where((np.arange(n) // 50) % 2 == 0, 3.0, -3.0)
    cases["square x3"] = np.stack([square, square])
    clicks = np.zeros((2, n))
    clicks[:, 1000::3000] = 4.0
    cases["clicks x4"] = clicks
    cases["noise 3 rms"] = 3 * np.random.default_rng(0).standard_normal((2, n))
    cases["fs/4 square x1"] = np.tile(np.array([1.0, 1, -1, -1]), (2, n // 4))
    return {name: x.astype(np.float32) for name, x in cases.items()}


def cost(limiter, x: np.ndarray, block: int, repeats: int) -> float:
    """Best-of-`repeats` CPU ms per second of audio to limit `x` in blocks of `block`."""
    best = float("inf")
    for _ in range(repeats):
        y = x.copy()
        t0 = time.process_time()
        for a in range(0, y.shape[1], block):
            limiter.process(y[:, a : a + block])
        best = min(best, time.process_time() - t0)
    return 1000.0 * best / (x.shape[1] / SR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"look-ahead {LOOKAHEAD} samples = {1000 * LOOKAHEAD / SR:.2f} ms at {SR} Hz")
    print(f"{'signal':>10} {'block':>7} {'memoryless ms/s':>16} {'true-peak ms/s':>15} "
          f"{'ratio':>6} {'peak before':>12} {'after (old)':>12} {'after (new)':>12}")
    for name, db in (("quiet", -10.0), ("moderate", -2.0), ("loud", 10.0)):
        x = music(args.seconds, db)
        for block in (256, 64 * 2048):
            old = cost(MemorylessLimiter(), x, block, args.repeats)
            new = cost(MasterLimiter(SR), x, block, args.repeats)
            before = true_peak(x)
            y_old = x.copy()
            MemorylessLimiter().process(y_old)
            y_new = np.concatenate([x, np.zeros((2, LOOKAHEAD), np.float32)], axis=1)
            MasterLimiter(SR).process(y_new)
            print(f"{name:>10} {block:>7} {old:>16.2f} {new:>15.2f} {new / old:>6.1f} "
                  f"{before:>12.3f} {true_peak(y_old):>12.3f} {true_peak(y_new):>12.3f}")
    print("\ntrue peak, BS.1770 4x FIR (soxr 4x in brackets)")
    print(f"{'signal':>16} {'before':>16} {'memoryless':>16} {'true-peak':>16}")
    for name, x in pathological().items():
        old = x.copy()
        MemorylessLimiter().process(old)
        new = limit(x, SR)
        print(f"{name:>16} " + " ".join(f"{bs1770_peak(y):>7.3f} ({soxr_peak(y):>6.3f})"
                                        for y in (x, old, new)))


if __name__ == "__main__":
    main()

"""Time each pattern on about an hour of latent frames against a per-frame Python loop.

Run: python bench/bench_patterns.py
Prints, per pattern, the input and output sizes, the best of 9 vectorized runs, the best of 3
runs of a straightforward loop implementation of the same pattern (one frame at a time, drawing its
random numbers one frame at a time, in the same order), and their ratio. The two outputs are
checked equal before any time is printed.

One hour at 44100 Hz / 2048 is 77,520 latent frames; the frame limit is 80,000. Inputs:
- fibo: a = 77,520 x 8, stop = 28,657 (output 75,023 frames; the default stop, 46,368, would
  make 121,391 frames, over the limit);
- orale: a = 1,211 x 8, the defaults (3:1, depth 3, shift; output 77,504 frames = a * 64);
- orale noise: a = 4,845 x 8, ratio 3:1, depth 2, alter="noise" (output 77,520 frames = a * 16);
- blend: a, b = 40 x 8, n = 6 (output 6 * 40 * 321 = 77,040 frames: blend's output grows with
  frames x dims x n, so an hour-long input cannot stay within the limit);
- swap (progressive): a, b = 278 x 8, 278 steps, n = 1 (output 278 * 278 = 77,284 frames);
- swap_once: a, b = 77,520 x 8, count = 62,016 values (10 %), n = 1 (output 77,520 frames);
- smooth (generator): 77,520 x 8 AR(1) frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from unravel_lang.generate import smooth
from unravel_lang.patterns import blend, fibo, fibo_lengths, orale, swap, swap_once
from unravel_lang.stats import stats

HOUR = round(3600 * 44100 / 2048)  # 77,520 frames
DIMS = 8


def best_of(fn: Callable[[], np.ndarray], runs: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


# -- per-frame loop versions of the same patterns ----------------------------------------


def loop_fibo(a: np.ndarray, stop: int) -> np.ndarray:
    out = []
    for length in fibo_lengths(a.shape[0], 1, stop):
        for i in range(length):
            out.append(a[i])
    return np.array(out, dtype=np.float32)


def loop_orale(a: np.ndarray, p: int, q: int, depth: int, amount: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sigma = amount * a.astype(np.float64).std(axis=0)
    block = list(a)
    dims = a.shape[1]
    for _ in range(depth):
        out = []
        for _ in range(p):
            for frame in block:
                out.append(frame)
        for _ in range(q):
            for frame in block:
                out.append((frame + sigma * rng.standard_normal(dims)).astype(np.float32))
        block = out
    return np.array(block, dtype=np.float32)


def loop_orale_shift(a: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    std = a.astype(np.float64).std(axis=0)
    block = list(a)
    for _ in range(3):
        out = []
        for _ in range(3):
            for frame in block:
                out.append(frame)
        offset = rng.uniform(-1.0, 1.0, a.shape[1]) * std
        for frame in block:
            out.append((frame + offset).astype(np.float32))
        block = out
    return np.array(block, dtype=np.float32)


def loop_blend(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    frames, dims = a.shape
    current = a.copy()
    out = [current[frame].copy() for _ in range(n) for frame in range(frames)]
    for v in range(frames * dims):
        f, d = divmod(v, dims)
        current[f, d] = b[f, d]
        for _ in range(n):
            for frame in range(frames):
                out.append(current[frame].copy())
    return np.array(out, dtype=np.float32)


def loop_swap(a: np.ndarray, b: np.ndarray, seed: int) -> np.ndarray:
    frames, dims = a.shape
    first, second = a.copy(), b.copy()
    picks = np.random.default_rng(seed).integers(0, frames * dims, size=frames)
    out = []
    for c in picks:
        f, d = divmod(int(c), dims)
        first[f, d], second[f, d] = second[f, d], first[f, d]
        for frame in range(frames):
            out.append(first[frame].copy())
    return np.array(out, dtype=np.float32)


def loop_swap_once(a: np.ndarray, b: np.ndarray, n: int, count: int, seed: int) -> np.ndarray:
    frames, dims = a.shape
    picked = np.random.default_rng(seed).choice(
        frames * dims, size=count, replace=False, shuffle=False
    )
    altered = a.copy()
    for v in picked:
        f, d = divmod(int(v), dims)
        altered[f, d] = b[f, d]
    out = []
    for _ in range(n):
        for frame in range(frames):
            out.append(altered[frame])
    return np.array(out, dtype=np.float32)


def loop_smooth(s, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    phi = s.autocorr
    gain = np.sqrt(1 - phi * phi)
    out = np.empty((k, s.dims))
    out[0] = rng.standard_normal(s.dims)
    for t in range(1, k):
        out[t] = phi * out[t - 1] + gain * rng.standard_normal(s.dims)
    return (s.mean + s.std * out).astype(np.float32)


def main() -> None:
    rng = np.random.default_rng(0)
    hour_a = rng.standard_normal((HOUR, DIMS)).astype(np.float32)
    hour_b = rng.standard_normal((HOUR, DIMS)).astype(np.float32)
    short = hour_a[: HOUR // 16]
    tiny_a, tiny_b = hour_a[:40], hour_b[:40]
    orale_a = hour_a[: HOUR // 64]
    swap_a, swap_b = hour_a[:278], hour_b[:278]
    enc = np.cumsum(rng.standard_normal((4000, DIMS)), axis=0) * 0.05
    s = stats(enc.astype(np.float32))
    count = HOUR * DIMS // 10

    cases = [
        ("fibo", hour_a.shape, lambda: fibo(hour_a, stop=28657), lambda: loop_fibo(hour_a, 28657)),
        ("orale", orale_a.shape, lambda: orale(orale_a, seed=1),
         lambda: loop_orale_shift(orale_a, 1)),
        ("orale-n", short.shape, lambda: orale(short, (3, 1), 2, 0.1, seed=1, alter="noise"),
         lambda: loop_orale(short, 3, 1, 2, 0.1, 1)),
        ("blend", tiny_a.shape, lambda: blend(tiny_a, tiny_b, n=6),
         lambda: loop_blend(tiny_a, tiny_b, 6)),
        ("swap", swap_a.shape, lambda: swap(swap_a, swap_b, seed=2),
         lambda: loop_swap(swap_a, swap_b, 2)),
        ("swap1", hour_a.shape, lambda: swap_once(hour_a, hour_b, n=1, count=count, seed=2),
         lambda: loop_swap_once(hour_a, hour_b, 1, count, 2)),
        ("smooth", (HOUR, DIMS), lambda: smooth(s, HOUR, seed=3), lambda: loop_smooth(s, HOUR, 3)),
    ]
    print(f"one hour = {HOUR:,} frames x {DIMS} dims (44100 Hz / 2048)")
    print(f"{'pattern':<8} {'input':>12} {'output':>16} {'vectorized':>11} {'loop':>10} "
          f"{'ratio':>7}")
    for name, shape, fast, slow in cases:
        t_fast, out_fast = best_of(fast, 9)
        t_slow, out_slow = best_of(slow, 3)
        if name == "smooth":
            np.testing.assert_allclose(out_fast, out_slow, rtol=1e-4, atol=1e-4)
        else:
            np.testing.assert_array_equal(out_fast, out_slow)
        size = f"{shape[0]:,}x{shape[1]}"
        print(
            f"{name:<8} {size:>12} {out_fast.shape[0]:>9,} frames {t_fast * 1e3:>8.1f} ms "
            f"{t_slow * 1e3:>7.0f} ms {t_slow / t_fast:>7.0f}x"
        )


if __name__ == "__main__":
    main()

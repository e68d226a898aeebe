"""The compositional patterns of unravel: fibo, orale, blend and swap.

Pure functions over latent arrays of shape (frames, dims). Each builds its output with index
arithmetic (no per-frame Python loop), checks the would-be length against the frame limit
(`unravel_lang.guards`) before building, and returns float32 with finite values.
Notation in the docstrings: F = frames of `a`, D = dims of `a`.
"""

from __future__ import annotations

import numpy as np

from unravel_lang.errors import PatternError
from unravel_lang.guards import (
    check_finite_output,
    check_float,
    check_int,
    check_latent,
    check_power,
    check_product,
    check_ratio,
    check_same_shape,
    check_sum,
)
from unravel_lang.rng import Seed, as_generator
from unravel_lang.stats import Stats
from unravel_lang.stats import spread as dim_spread


def fibonacci(start: int = 1, stop: int = 1) -> list[int]:
    """The distinct Fibonacci numbers 1, 2, 3, 5, 8, 13, … that lie in [start, stop]."""
    out = []
    x, y = 1, 2
    while x <= stop:
        if x >= start:
            out.append(x)
        x, y = y, x + y
    return out


def fibo_lengths(frames: int, start: int = 1, stop: int | None = None) -> list[int]:
    """The block lengths `fibo` uses for an array of `frames` frames (see `fibo`)."""
    frames = check_int(frames, "frames", minimum=1)
    start = check_int(start, "fibo: start", minimum=1)
    if stop is None:
        stop = frames
    else:
        stop = check_int(stop, "fibo: stop", minimum=1)
        if stop > frames:
            raise PatternError(
                f"fibo: stop={stop} needs {stop} frames but the array has {frames}; "
                f"stop must be <= {frames}"
            )
    series = fibonacci(start, stop)
    if not series:
        raise PatternError(
            f"fibo: no Fibonacci number (1, 2, 3, 5, 8, 13, …) lies between start={start} "
            f"and stop={stop}"
        )
    return series


def fibo(a: np.ndarray, start: int = 1, stop: int | None = None) -> np.ndarray:
    """Leading rows of `a` repeated along the Fibonacci series 1, 2, 3, 5, 8, 13, …

    Block m is rows 0..L_m - 1 of `a`, where L_1 < L_2 < … are the Fibonacci numbers (each
    value once: the series does not repeat the 1) with start <= L_m <= stop; `stop` defaults
    to F, i.e. up to the largest Fibonacci number that fits the array.
    Output length: sum of the L_m; for F = 8 and defaults, 1 + 2 + 3 + 5 + 8 = 19 frames.
    """
    a = check_latent(a, "fibo: a")
    lengths = np.asarray(fibo_lengths(a.shape[0], start, stop), dtype=np.int64)
    total = check_sum((int(x) for x in lengths), "fibo")
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = np.arange(total, dtype=np.int64) - offsets
    return a[rows]


def orale_length(frames: int, ratio: tuple[int, int] | str = (3, 1), depth: int = 2) -> int:
    """Output frames of `orale`: frames * (p + q) ** depth; refused (`PatternError`) over the
    frame limit, before the power is computed."""
    p, q = check_ratio(ratio, "orale: ratio")
    depth = check_int(depth, "orale: depth", minimum=1)
    frames = check_int(frames, "frames", minimum=1)
    return check_power(p + q, depth, frames, "orale")


def orale(
    a: np.ndarray,
    ratio: tuple[int, int] | str = (3, 1),
    depth: int = 2,
    amount: float = 0.1,
    seed: Seed = None,
    stats: Stats | None = None,
) -> np.ndarray:
    """The p:q scheme, nested `depth` times: p plain copies, then q altered copies.

    With ratio (p, q): level 0 is B0 = a; level j is B_j = p copies of B_{j-1} followed by q
    copies of B_{j-1}, each altered independently. The result is B_depth. So (3, 1), depth 2
    is (a a a a') (a a a a') (a a a a') (a a a a')'' — the last block of four altered again.
    An alteration adds Gaussian noise to every value: N(0, (amount * spread[d])^2), where
    spread[d] is the std of dim d in `a` (or `stats.std` when given), so the change stays small
    relative to each dim's spread; a constant dim of `a` is left unchanged unless `stats` is
    given. Noise is drawn from `seed`, level by level, copy by copy.
    Output length: F * (p + q) ** depth.
    """
    a = check_latent(a, "orale: a")
    p, q = check_ratio(ratio, "orale: ratio")
    depth = check_int(depth, "orale: depth", minimum=1)
    amount = check_float(amount, "orale: amount", minimum=0.0)
    check_power(p + q, depth, a.shape[0], "orale")
    spread = dim_spread(a, stats, "orale")
    rng = as_generator(seed)
    sigma = (amount * spread).astype(np.float64)
    frames, dims = a.shape
    out = np.empty((frames * (p + q) ** depth, dims), dtype=np.float32)
    out[:frames] = a
    size = frames  # out[:size] is the block of the level below
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(depth):
            block = out[:size]
            out[size : p * size].reshape(p - 1, size, dims)[:] = block
            noise = rng.standard_normal((q, size, dims))
            noise *= sigma
            noise += block
            out[p * size : (p + q) * size] = noise.reshape(q * size, dims)
            size *= p + q
    return check_finite_output(out, "orale")


def blend_length(
    frames: int, dims: int, n: int = 1, step: int = 1, include_start: bool = False
) -> int:
    """Output frames of `blend`: n * F * (ceil(F * D / step) + include_start); refused
    (`PatternError`) over the frame limit, before the product is computed."""
    frames = check_int(frames, "frames", minimum=1)
    dims = check_int(dims, "dims", minimum=1)
    n = check_int(n, "blend: n (repetitions)", minimum=1)
    step = check_int(step, "blend: step (values per replacement)", minimum=1)
    states = -(-frames * dims // step) + int(bool(include_start))
    return check_product((n, frames, states), "blend")


def blend(
    a: np.ndarray, b: np.ndarray, n: int = 1, step: int = 1, include_start: bool = False
) -> np.ndarray:
    """`a` turned into `b` one value (or `step` values) at a time, each state repeated n times.

    Values are replaced in row-major order: frame 0 dim 0, frame 0 dim 1, …, frame 0 dim D-1,
    frame 1 dim 0, …, frame F-1 dim D-1. State s (s = 1 .. S, S = ceil(F * D / step)) is `a`
    with its first min(s * step, F * D) values taken from `b`; the output is state 1 n times,
    state 2 n times, …, state S n times, so the last n copies equal `b`. With
    include_start=True, `a` itself (state 0) comes first, n times.
    Output length: n * F * (ceil(F * D / step) + include_start).
    """
    a = check_latent(a, "blend: a")
    b = check_latent(b, "blend: b")
    check_same_shape(a, b, "blend: a and b")
    frames, dims = a.shape
    total = blend_length(frames, dims, n, step, include_start)
    values = frames * dims
    first = 0 if include_start else 1
    states = total // (n * frames)
    replaced = np.minimum((np.arange(states, dtype=np.int64) + first) * step, values)
    mask = np.arange(values, dtype=np.int64)[None, :] < replaced[:, None]  # (states, values)
    flat = np.where(mask, b.reshape(1, values), a.reshape(1, values))
    out = np.broadcast_to(flat[:, None, :], (states, n, values))
    return np.ascontiguousarray(out).reshape(total, dims)


def swap_pair(
    a: np.ndarray, b: np.ndarray, count: int = 1, seed: Seed = None, by: str = "value"
) -> tuple[np.ndarray, np.ndarray]:
    """`a` and `b` with the values at `count` randomly picked data points exchanged.

    by="value": a data point is one value (frame f, dim d); `count` distinct positions are
    picked uniformly (without replacement) and a[f, d] <-> b[f, d] for each.
    by="frame": a data point is a whole frame; `count` distinct frames are exchanged.
    The multiset of all values in a and b together is unchanged. Output shapes: as `a` (F, D).
    """
    a = check_latent(a, "swap: a")
    b = check_latent(b, "swap: b")
    check_same_shape(a, b, "swap: a and b")
    return _swap_pair(a, b, count, seed, by)


def _pick(units: int, count: object, seed: Seed, by: str, shape: tuple[int, int]) -> np.ndarray:
    """`count` distinct indices in range(units), uniformly at random (order irrelevant)."""
    count = check_int(count, "swap: count (data points)", minimum=1)
    if count > units:
        what = "values" if by == "value" else "frames"
        raise PatternError(
            f"swap: count={count} is more than the {units} {what} in arrays of shape {shape}"
        )
    return as_generator(seed).choice(units, size=count, replace=False, shuffle=False)


def _units(a: np.ndarray, by: str) -> int:
    if by not in ("value", "frame"):
        raise PatternError(f"swap: by must be \"value\" or \"frame\", got {by!r}")
    return a.size if by == "value" else a.shape[0]


def _swap_pair(
    a: np.ndarray, b: np.ndarray, count: object, seed: Seed, by: str
) -> tuple[np.ndarray, np.ndarray]:
    picked = _pick(_units(a, by), count, seed, by, a.shape)
    a2 = a.copy()
    b2 = b.copy()
    if by == "value":
        fa, fb = a2.reshape(-1), b2.reshape(-1)
        fa[picked], fb[picked] = b.reshape(-1)[picked], a.reshape(-1)[picked]
    else:
        a2[picked], b2[picked] = b[picked], a[picked]
    return a2, b2


def swap(
    a: np.ndarray,
    b: np.ndarray,
    n: int = 1,
    count: int = 1,
    seed: Seed = None,
    by: str = "value",
) -> np.ndarray:
    """`a` with `count` randomly picked data points swapped with `b`'s (see `swap_pair`),
    repeated n times. Output length: n * F."""
    a = check_latent(a, "swap: a")
    b = check_latent(b, "swap: b")
    check_same_shape(a, b, "swap: a and b")
    n = check_int(n, "swap: n (repetitions)", minimum=1)
    check_product((n, a.shape[0]), "swap")
    picked = _pick(_units(a, by), count, seed, by, a.shape)
    a2 = a.copy()
    if by == "value":
        a2.reshape(-1)[picked] = b.reshape(-1)[picked]
    else:
        a2[picked] = b[picked]
    return np.tile(a2, (n, 1))

"""The compositional patterns of unravel: fibo, orale, blend, swap, swap_once.

The defaults follow the UnRAVEl proof of concept's scripts (see docs/patterns.md).
A function marked `@pattern` is a pattern: it is listed in `PATTERNS`, and from there the
language, the REPL's help and completion, the pattern trace, `plot_pattern`, `unravel generate
--pattern` and the package's names take it (docs/architecture.md, "Adding a function").

Pure functions over latent arrays of shape (frames, dims). Each builds its output with index
arithmetic (no per-frame Python loop), checks the would-be length against the frame limit
(`unravel_lang.guards`) before building, and returns float32 with finite values.
Notation in the docstrings: F = frames of `a`, D = dims of `a`.
"""

from __future__ import annotations

from collections.abc import Callable

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

#: The pattern functions by name, in the order they are defined here (filled by `@pattern`).
PATTERNS: dict[str, Callable[..., np.ndarray]] = {}


def pattern(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Mark `fn` as a pattern: add it to `PATTERNS` under its own name; return it unchanged.

    A pattern takes the array `a` (and `b` when it has a parameter `b`) first and returns a
    `(frames, dims)` array of their values; `seed` makes it seeded, `amount` sizes how much it
    alters values (0: not at all), `n` is its loop count (see `unravel_lang.trace`).
    """
    PATTERNS[fn.__name__] = fn
    return fn


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


def _loops(n: object, what: str) -> int:
    return check_int(n, f"{what}: n (loops)", minimum=1)


def fibo_length(frames: int, start: int = 1, stop: int | None = None, n: int = 1) -> int:
    """Output frames of `fibo`: n * (sum of the block lengths `fibo_lengths`)."""
    return _loops(n, "fibo") * sum(fibo_lengths(frames, start, stop))


@pattern
def fibo(a: np.ndarray, start: int = 1, stop: int | None = None, n: int = 1) -> np.ndarray:
    """Leading rows of `a` repeated along the Fibonacci series 1, 2, 3, 5, 8, 13, …, the whole
    result n times.

    Block m is rows 0..L_m - 1 of `a`, where L_1 < L_2 < … are the Fibonacci numbers (each
    value once: the series does not repeat the 1) with start <= L_m <= stop; `stop` defaults
    to F, i.e. up to the largest Fibonacci number that fits the array. The blocks in a row
    make one pass; the output is that pass n times (the loop count).
    Output length: n * sum of the L_m; for F = 8 and defaults, 1 + 2 + 3 + 5 + 8 = 19 frames.
    """
    a = check_latent(a, "fibo: a")
    lengths = np.asarray(fibo_lengths(a.shape[0], start, stop), dtype=np.int64)
    n = _loops(n, "fibo")
    once = check_sum((int(x) for x in lengths), "fibo")
    check_product((n, once), "fibo")
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = np.arange(once, dtype=np.int64) - offsets
    return a[np.tile(rows, n)]


#: orale's alterations: "shift" (the original's) and "noise" (Gaussian noise on every value).
ALTERATIONS = ("shift", "noise")


def orale_length(
    frames: int, ratio: tuple[int, int] | str = (3, 1), depth: int = 3, n: int = 1
) -> int:
    """Output frames of `orale`: n * frames * (p + q) ** depth; refused (`PatternError`) over
    the frame limit, before the power is computed."""
    p, q = check_ratio(ratio, "orale: ratio")
    depth = check_int(depth, "orale: depth", minimum=1)
    factor = _loops(n, "orale") * check_int(frames, "frames", minimum=1)
    return check_power(p + q, depth, factor, "orale")


@pattern
def orale(
    a: np.ndarray,
    ratio: tuple[int, int] | str = (3, 1),
    depth: int = 3,
    amount: float | None = None,
    seed: Seed = None,
    stats: Stats | None = None,
    alter: str = "shift",
    n: int = 1,
) -> np.ndarray:
    """The p:q scheme, nested `depth` times: p plain copies, then q altered copies; n loops.

    With ratio (p, q): level 0 is B0 = a; level j is B_j = p copies of B_{j-1} followed by q
    copies of B_{j-1}, each altered independently. The result is B_depth, n times. So (3, 1),
    depth 3 is a a a a' at level 1, that block three times and once altered again at level 2,
    and level 2's block three times and once altered again at level 3 (64 * F frames).
    spread[d] is the std of dim d in `stats` (`stats.std`) or, without stats, in `a`.
    alter="shift" (default, the original's): an altered copy gets one offset per dim, drawn
    uniformly within [-amount * spread[d], +amount * spread[d]] (amount defaults to 1) and
    added to every frame of the copy — a shift of timbre, not per-value noise.
    alter="noise": every value gets its own N(0, (amount * spread[d])^2) (amount defaults to
    0.1). Random numbers come from `seed`, level by level, copy by copy.
    Output length: n * F * (p + q) ** depth.
    """
    a = check_latent(a, "orale: a")
    p, q = check_ratio(ratio, "orale: ratio")
    depth = check_int(depth, "orale: depth", minimum=1)
    if alter not in ALTERATIONS:
        raise PatternError(f"orale: alter must be \"shift\" or \"noise\", got {alter!r}")
    if amount is None:
        amount = 1.0 if alter == "shift" else 0.1
    amount = check_float(amount, "orale: amount", minimum=0.0)
    n = _loops(n, "orale")
    once = orale_length(a.shape[0], (p, q), depth)
    check_product((n, once), "orale")
    spread = dim_spread(a, stats, "orale")
    rng = as_generator(seed)
    width = (amount * spread).astype(np.float64)
    frames, dims = a.shape
    out = np.empty((once, dims), dtype=np.float32)
    out[:frames] = a
    size = frames  # out[:size] is the block of the level below
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(depth):
            block = out[:size]
            out[size : p * size].reshape(p - 1, size, dims)[:] = block
            if alter == "shift":
                change = rng.uniform(-1.0, 1.0, (q, 1, dims)) * width
            else:
                change = rng.standard_normal((q, size, dims)) * width
            altered = block[None, :, :] + change
            out[p * size : (p + q) * size] = altered.reshape(q * size, dims)
            size *= p + q
    out = check_finite_output(out, "orale")
    return np.tile(out, (n, 1)) if n > 1 else out


def blend_length(
    frames: int, dims: int, n: int = 1, step: int = 1, include_start: bool = True
) -> int:
    """Output frames of `blend`: n * F * (ceil(F * D / step) + include_start); refused
    (`PatternError`) over the frame limit, before the product is computed."""
    frames = check_int(frames, "frames", minimum=1)
    dims = check_int(dims, "dims", minimum=1)
    n = check_int(n, "blend: n (repetitions)", minimum=1)
    step = check_int(step, "blend: step (values per replacement)", minimum=1)
    states = -(-frames * dims // step) + int(bool(include_start))
    return check_product((n, frames, states), "blend")


@pattern
def blend(
    a: np.ndarray, b: np.ndarray, n: int = 1, step: int = 1, include_start: bool = True
) -> np.ndarray:
    """`a` turned into `b` one value (or `step` values) at a time, each state repeated n times.

    Values are replaced in row-major order: frame 0 dim 0, frame 0 dim 1, …, frame 0 dim D-1,
    frame 1 dim 0, …, frame F-1 dim D-1. State 0 is `a` itself; state s (s = 1 .. S,
    S = ceil(F * D / step)) is `a` with its first min(s * step, F * D) values taken from `b`.
    The output is state 0 n times, state 1 n times, …, state S n times, so it begins with `a`
    unaltered and its last n copies equal `b`. include_start=False leaves out state 0.
    Output length: n * F * (ceil(F * D / step) + include_start); n * F * (F * D + 1) by default.
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


def _units(a: np.ndarray, by: str) -> int:
    if by not in ("value", "frame"):
        raise PatternError(f"swap: by must be \"value\" or \"frame\", got {by!r}")
    return a.size if by == "value" else a.shape[0]


def _swap_inputs(a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    a = check_latent(a, "swap: a")
    b = check_latent(b, "swap: b")
    check_same_shape(a, b, "swap: a and b")
    return a, b


def _swap_parity(
    a: np.ndarray, steps: int | None, seed: Seed, by: str
) -> np.ndarray:
    """(steps, F*D) bool: True where, after each step, the cell holds the other array's value.

    Step t picks one unit (a value, or a whole frame with by="frame") uniformly at random,
    with replacement; a cell picked an odd number of times so far is swapped."""
    units = _units(a, by)
    steps = a.shape[0] if steps is None else check_int(steps, "swap: steps", minimum=1)
    picks = as_generator(seed).integers(0, units, size=steps)
    hits = np.zeros((steps, units), dtype=bool)
    hits[np.arange(steps), picks] = True
    parity = np.logical_xor.accumulate(hits, axis=0)
    if by == "frame":
        parity = np.repeat(parity, a.shape[1], axis=1)
    return parity


def swap_length(frames: int, n: int = 1, steps: int | None = None) -> int:
    """Output frames of `swap`: n * steps * F (steps defaults to F, so n * F * F); refused
    (`PatternError`) over the frame limit."""
    frames = check_int(frames, "frames", minimum=1)
    n = check_int(n, "swap: n (repetitions)", minimum=1)
    steps = frames if steps is None else check_int(steps, "swap: steps", minimum=1)
    return check_product((n, steps, frames), "swap")


def swap_states(
    a: np.ndarray, b: np.ndarray, steps: int | None = None, seed: Seed = None, by: str = "value"
) -> tuple[np.ndarray, np.ndarray]:
    """The two working arrays of the progressive `swap` after each step: two
    (steps, F, D) float32 arrays (steps defaults to F). At every step the pair together
    holds exactly the values of `a` and `b`."""
    a, b = _swap_inputs(a, b)
    swap_length(a.shape[0], 1, steps)
    parity = _swap_parity(a, steps, seed, by)
    fa, fb = a.reshape(1, -1), b.reshape(1, -1)
    shape = (parity.shape[0], *a.shape)
    return (np.where(parity, fb, fa).reshape(shape), np.where(parity, fa, fb).reshape(shape))


@pattern
def swap(
    a: np.ndarray,
    b: np.ndarray,
    n: int = 1,
    steps: int | None = None,
    seed: Seed = None,
    by: str = "value",
) -> np.ndarray:
    """Progressive swap: `steps` times (default F), exchange one randomly picked cell between
    two working arrays (copies of `a` and `b`) and play the current state of the first n times.

    Cells (frame, dim) are picked uniformly with replacement, so a cell may be swapped back;
    by="frame" picks whole frames instead. Each state differs from the one before in at most
    one value (one frame with by="frame"). The one-shot swap is `swap_once`.
    Output length: n * steps * F (n * F * F by default).
    """
    a, b = _swap_inputs(a, b)
    total = swap_length(a.shape[0], n, steps)
    n = check_int(n, "swap: n (repetitions)", minimum=1)
    parity = _swap_parity(a, steps, seed, by)
    states = np.where(parity, b.reshape(1, -1), a.reshape(1, -1))  # (steps, F*D)
    out = np.broadcast_to(states[:, None, :], (states.shape[0], n, states.shape[1]))
    return np.ascontiguousarray(out).reshape(total, a.shape[1])


def swap_pair(
    a: np.ndarray, b: np.ndarray, count: int = 1, seed: Seed = None, by: str = "value"
) -> tuple[np.ndarray, np.ndarray]:
    """`a` and `b` with the values at `count` randomly picked data points exchanged.

    by="value": a data point is one value (frame f, dim d); `count` distinct positions are
    picked uniformly (without replacement) and a[f, d] <-> b[f, d] for each.
    by="frame": a data point is a whole frame; `count` distinct frames are exchanged.
    The multiset of all values in a and b together is unchanged. Output shapes: as `a` (F, D).
    """
    a, b = _swap_inputs(a, b)
    picked = _pick(_units(a, by), count, seed, by, a.shape)
    a2 = a.copy()
    b2 = b.copy()
    if by == "value":
        fa, fb = a2.reshape(-1), b2.reshape(-1)
        fa[picked], fb[picked] = b.reshape(-1)[picked], a.reshape(-1)[picked]
    else:
        a2[picked], b2[picked] = b[picked], a[picked]
    return a2, b2


def _pick(units: int, count: object, seed: Seed, by: str, shape: tuple[int, int]) -> np.ndarray:
    """`count` distinct indices in range(units), uniformly at random (order irrelevant)."""
    count = check_int(count, "swap: count (data points)", minimum=1)
    if count > units:
        what = "values" if by == "value" else "frames"
        raise PatternError(
            f"swap: count={count} is more than the {units} {what} in arrays of shape {shape}"
        )
    return as_generator(seed).choice(units, size=count, replace=False, shuffle=False)


@pattern
def swap_once(
    a: np.ndarray,
    b: np.ndarray,
    n: int = 1,
    count: int = 1,
    seed: Seed = None,
    by: str = "value",
) -> np.ndarray:
    """One-shot swap: `a` with `count` distinct randomly picked data points taken from `b`
    (see `swap_pair`), repeated n times. Output length: n * F."""
    a, b = _swap_inputs(a, b)
    n = check_int(n, "swap: n (repetitions)", minimum=1)
    check_product((n, a.shape[0]), "swap")
    picked = _pick(_units(a, by), count, seed, by, a.shape)
    a2 = a.copy()
    if by == "value":
        a2.reshape(-1)[picked] = b.reshape(-1)[picked]
    else:
        a2[picked] = b[picked]
    return np.tile(a2, (n, 1))

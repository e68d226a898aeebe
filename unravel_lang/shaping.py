"""Shaping tools for latent arrays (frames, dims): repeat, reverse, slice, take, concat, select,
scale, bias, jitter, interpolate, stretch and fit to the tempo grid.

A function marked `@shaping_tool` is a shaping tool: it is listed in `SHAPING_TOOLS` under
its name in the language, and from there the language, the REPL's help and completion and the
package's names take it (docs/architecture.md, "Adding a function").

Pure functions; each returns a new float32 array with finite values and checks the would-be
length against the frame limit before building. F = frames of `a`, D = dims of `a`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np

from unravel_lang.errors import PatternError
from unravel_lang.guards import (
    check_float,
    check_frames,
    check_int,
    check_latent,
    check_per_dim,
    check_product,
    check_same_dims,
    check_same_shape,
    check_sum,
    finite_float32,
)
from unravel_lang.rng import Seed, as_generator
from unravel_lang.stats import Stats
from unravel_lang.stats import spread as dim_spread

Tool = Callable[..., np.ndarray]

#: The shaping tools by their name in the language, in the order they are defined here (filled
#: by `@shaping_tool`).
SHAPING_TOOLS: dict[str, Tool] = {}

#: Per tool (language name): the parameters a score may leave out (or give as none) that the
#: language fills from the tempo grid (`k`: frames per beat); shown as `k=none`.
FROM_GRID: dict[str, tuple[str, ...]] = {}


def shaping_tool(
    fn: Tool | None = None, *, name: str | None = None, from_grid: tuple[str, ...] = ()
) -> Tool | Callable[[Tool], Tool]:
    """Mark `fn` as a shaping tool: add it to `SHAPING_TOOLS`; return it unchanged.

    `@shaping_tool` lists it under its own name; `@shaping_tool(name="slice")` under the
    name the language gives it; `from_grid=("k",)` names parameters the language fills from
    the tempo grid (see `FROM_GRID`). The tool takes latent arrays first (parameter `a`, `b`
    or `*arrays`) and returns a `(frames, dims)` array.
    """

    def mark(tool: Tool) -> Tool:
        params = inspect.signature(tool).parameters
        unknown = [p for p in from_grid if p not in params]
        if unknown:
            raise TypeError(f"{tool.__name__} has no parameter {unknown[0]!r} for the grid")
        language = name or tool.__name__
        SHAPING_TOOLS[language] = tool
        if from_grid:
            FROM_GRID[language] = tuple(from_grid)
        return tool

    return mark if fn is None else mark(fn)


@shaping_tool
def repeat(a: np.ndarray, n: int = 2) -> np.ndarray:
    """`a` n times in a row. Output length: n * F."""
    a = check_latent(a, "repeat: a")
    n = check_int(n, "repeat: n (repetitions)", minimum=1)
    check_product((n, a.shape[0]), "repeat")
    return np.tile(a, (n, 1))


@shaping_tool
def reverse(a: np.ndarray) -> np.ndarray:
    """`a` with its frames in reverse order. Output length: F."""
    a = check_latent(a, "reverse: a")
    return a[::-1].copy()


@shaping_tool(name="slice")
def slice_frames(a: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Frames start .. stop-1 of `a`, with Python's slice rules (negative counts from the end,
    out-of-range bounds are clipped). Output length: len(range(F)[start:stop]), at least 1."""
    a = check_latent(a, "slice: a")
    start = check_int(start, "slice: start")
    stop = None if stop is None else check_int(stop, "slice: stop")
    out = a[start:stop]
    if out.shape[0] == 0:
        raise PatternError(
            f"slice: frames [{start}:{'' if stop is None else stop}] of an array of "
            f"{a.shape[0]} frames is empty; pick a range inside 0..{a.shape[0]}"
        )
    return out.copy()


@shaping_tool
def take(a: np.ndarray, n: int) -> np.ndarray:
    """The last n frames of `a` (e.g. `take(input, 2bars)`: the two latest whole bars of the
    live input). Output length: n, which must be 1..F."""
    a = check_latent(a, "take: a")
    n = check_int(n, "take: n (frames)", minimum=1)
    if n > a.shape[0]:
        raise PatternError(f"take: asked for the last {n} frames of an array of {a.shape[0]}")
    return a[a.shape[0] - n :].copy()


@shaping_tool
def concat(*arrays: np.ndarray) -> np.ndarray:
    """The arrays one after another in time (all with the same dims).
    Output length: sum of their frames."""
    if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)):
        arrays = tuple(arrays[0])
    if not arrays:
        raise PatternError("concat needs at least one latent array")
    checked = [check_latent(x, f"concat: array {i + 1}") for i, x in enumerate(arrays)]
    check_same_dims(checked, "concat: arrays")
    check_sum((x.shape[0] for x in checked), "concat")
    return np.concatenate(checked, axis=0)


@shaping_tool
def select(a: np.ndarray, dims: int | Sequence[int]) -> np.ndarray:
    """The listed dims of `a`, in the order given (dims may repeat; negative counts from the
    end). Output shape: (F, len(dims))."""
    a = check_latent(a, "select: a")
    idx = [dims] if isinstance(dims, (int, np.integer)) else list(dims)
    if not idx:
        raise PatternError("select: give at least one dim")
    d = a.shape[1]
    out = []
    for i in idx:
        i = check_int(i, "select: dim")
        if not -d <= i < d:
            raise PatternError(f"select: dim {i} does not exist; the array has dims 0..{d - 1}")
        out.append(i % d)
    return a[:, out].copy()


@shaping_tool
def scale(a: np.ndarray, factor: float | Sequence[float]) -> np.ndarray:
    """`a` * factor; `factor` is one number or one number per dim (D). Output length: F."""
    a = check_latent(a, "scale: a")
    f = check_per_dim(factor, a.shape[1], "scale: factor")
    return finite_float32(a * np.asarray(f), "scale")


@shaping_tool
def bias(a: np.ndarray, offset: float | Sequence[float]) -> np.ndarray:
    """`a` + offset; `offset` is one number or one number per dim (D). Output length: F."""
    a = check_latent(a, "bias: a")
    o = check_per_dim(offset, a.shape[1], "bias: offset")
    return finite_float32(a + np.asarray(o), "bias")


@shaping_tool
def jitter(
    a: np.ndarray, amount: float = 0.1, seed: Seed = None, stats: Stats | None = None
) -> np.ndarray:
    """`a` plus Gaussian noise N(0, (amount * spread[d])^2) on every value, where spread[d] is
    the std of dim d in `a`, or `stats.std[d]` when `stats` is given. Output length: F."""
    a = check_latent(a, "jitter: a")
    amount = check_float(amount, "jitter: amount", minimum=0.0)
    noise = as_generator(seed).standard_normal(a.shape) * (amount * dim_spread(a, stats, "jitter"))
    return finite_float32(a + noise, "jitter")


def _t_per_frame(t: float | Sequence[float], frames: int) -> np.ndarray:
    arr = np.asarray(t, dtype=np.float64) if not isinstance(t, str) else None
    if arr is None or arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != frames):
        raise PatternError(
            f"interpolate: t must be a number or one number per frame ({frames}), got {t!r}"
        )
    if not np.isfinite(arr).all():
        raise PatternError("interpolate: t must be finite")
    return np.broadcast_to(arr, (frames,))[:, None]


@shaping_tool
def interpolate(
    a: np.ndarray, b: np.ndarray, t: float | Sequence[float] = 0.5, mode: str = "linear"
) -> np.ndarray:
    """A latent-space mix of `a` and `b` (same shape) at position t (0 = a, 1 = b).

    `t` is one number or one number per frame (a morph). mode="linear": (1 - t) a + t b.
    mode="slerp": per frame, the direction of the frame vector (D values) turns along the great
    circle from a[f] to b[f] (sin((1 - t) w) u_a + sin(t w) u_b) / sin(w), with u the unit
    vectors and w the angle between them, while its length goes linearly from |a[f]| to
    |b[f]|; so a mix halfway does not sag towards 0 as a linear mix of unrelated Gaussian
    latents does. Frames whose vectors are (anti)parallel or zero fall back to linear.
    Output length: F.
    """
    a = check_latent(a, "interpolate: a")
    b = check_latent(b, "interpolate: b")
    check_same_shape(a, b, "interpolate: a and b")
    tt = _t_per_frame(t, a.shape[0])
    x, y = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(all="ignore"):  # an overflow is refused below, with its place
        out = _mix(x, y, tt, mode)
    return finite_float32(out, "interpolate")


def _mix(x: np.ndarray, y: np.ndarray, tt: np.ndarray, mode: str) -> np.ndarray:
    if mode == "linear":
        out = (1 - tt) * x + tt * y
    elif mode == "slerp":
        nx = np.linalg.norm(x, axis=1, keepdims=True)
        ny = np.linalg.norm(y, axis=1, keepdims=True)
        ok = (nx > 1e-12) & (ny > 1e-12)
        ux = x / np.where(ok, nx, 1.0)
        uy = y / np.where(ok, ny, 1.0)
        w = np.arccos(np.clip((ux * uy).sum(axis=1, keepdims=True), -1.0, 1.0))
        sw = np.sin(w)
        curved = ok & (sw > 1e-6)
        safe = np.where(curved, sw, 1.0)
        direction = (np.sin((1 - tt) * w) * ux + np.sin(tt * w) * uy) / safe
        length = (1 - tt) * nx + tt * ny
        out = np.where(curved, length * direction, (1 - tt) * x + tt * y)
    else:
        raise PatternError(f"interpolate: mode must be \"linear\" or \"slerp\", got {mode!r}")
    return out


@shaping_tool
def stretch(a: np.ndarray, frames: int) -> np.ndarray:
    """`a` resampled in time to `frames` frames by linear interpolation between neighbouring
    frames (first and last frames kept). Output length: frames."""
    a = check_latent(a, "stretch: a")
    frames = check_int(frames, "stretch: frames", minimum=1)
    check_frames(frames, "stretch")
    n = a.shape[0]
    if n == 1:
        return np.repeat(a, frames, axis=0)
    pos = np.linspace(0.0, n - 1, frames) if frames > 1 else np.zeros(1)
    lo = np.minimum(np.floor(pos).astype(np.int64), n - 2)
    frac = (pos - lo)[:, None]
    out = (1 - frac) * a[lo].astype(np.float64) + frac * a[lo + 1].astype(np.float64)
    return finite_float32(out, "stretch")


@shaping_tool(from_grid=("k",))
def fit_tempo(a: np.ndarray, k: int, mode: str = "trim") -> np.ndarray:
    """`a` fitted to a whole number of beats of k frames.

    mode="trim": cut to floor(F / k) * k frames (F < k is refused);
    mode="loop": loop `a` from its start up to ceil(F / k) * k frames;
    mode="stretch": `stretch` to max(1, round(F / k)) * k frames.
    Output length: as given per mode (a multiple of k).
    """
    a = check_latent(a, "fit_tempo: a")
    k = check_int(k, "fit_tempo: k (frames per beat)", minimum=1)
    n = a.shape[0]
    if mode == "trim":
        beats = n // k
        if beats == 0:
            raise PatternError(
                f"fit_tempo: trimming {n} frames to whole beats of k={k} leaves nothing; "
                'use mode="loop" or "stretch"'
            )
        return a[: beats * k].copy()
    if mode == "loop":
        total = check_frames(-(-n // k) * k, "fit_tempo")
        return a[np.arange(total) % n]
    if mode == "stretch":
        return stretch(a, max(1, round(n / k)) * k)
    raise PatternError(
        f'fit_tempo: mode must be "trim", "loop" or "stretch", got {mode!r}'
    )

"""Mergeable statistics: what one file contributes to the statistics of a corpus.

A `StatsPart` holds, per latent dim and in float64, the frame count, the mean and the centred
sums of squares and cross-products (Chan's parallel form: the same information as raw sums
and sums of squares, without their cancellation), min and max, the centred lag-1 products
taken inside each array, and a fixed-size quantile sketch. `merge` combines two parts
associatively, so a corpus can be measured file by file, in any order, on any number of
machines, and `StatsPart.stats()` equals `stats.stats()` of all arrays at once to about 1e-12
relative (percentiles: see `SKETCH_POINTS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from unravel_lang.errors import PatternError
from unravel_lang.guards import check_latent
from unravel_lang.stats import PERCENTILE_LEVELS, Stats, corr_of

SKETCH_POINTS = 1025
"""Quantile points kept per dim (at levels 0, 1/1024, …, 1). A part of one array keeps that
array's exact (linearly interpolated) quantiles at these levels; merging re-samples the pooled
distribution there. The percentiles of a merged corpus are within 0.25 percentage point in
rank of the exact ones (the tests hold this for 40 parts of mixed distributions, merged as a
balanced tree or one by one; measured: at most 0.07), and min and max are exact."""

_LEVELS = np.linspace(0.0, 1.0, SKETCH_POINTS)
_FORMAT = "unravel-stats-part"


@dataclass(eq=False)
class StatsPart:
    """The mergeable statistics of some latent arrays `(frames, dims)` (all float64).

    frames: count; mean `(dims,)`; m2 `(dims, dims)`: sum of (x - mean)(x - mean)ᵀ; min, max
    `(dims,)`; pairs: count of lag-1 pairs (t, t+1) inside arrays; lag `(dims,)`: sum over
    pairs of (x_t - mean)(x_{t+1} - mean); head / tail `(dims,)`: sums over pairs of
    (x_t - mean) and (x_{t+1} - mean); sketch `(SKETCH_POINTS, dims)`: the values at the
    quantile levels `0 … 1`.
    """

    frames: int
    dims: int
    mean: np.ndarray
    m2: np.ndarray
    min: np.ndarray
    max: np.ndarray
    pairs: int
    lag: np.ndarray
    head: np.ndarray
    tail: np.ndarray
    sketch: np.ndarray

    @classmethod
    def of(cls, latent: np.ndarray, what: str = "array") -> StatsPart:
        """The part of one latent array `(frames, dims)` with at least one frame."""
        x = check_latent(latent, what).astype(np.float64)
        if x.shape[0] == 0:
            raise PatternError(f"{what}: has no frames to measure")
        mean = x.mean(axis=0)
        c = x - mean
        return cls(
            frames=x.shape[0], dims=x.shape[1], mean=mean, m2=c.T @ c,
            min=x.min(axis=0), max=x.max(axis=0), pairs=x.shape[0] - 1,
            lag=(c[:-1] * c[1:]).sum(axis=0), head=c[:-1].sum(axis=0), tail=c[1:].sum(axis=0),
            sketch=np.quantile(x, _LEVELS, axis=0),
        )

    def recentred(self, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`(lag, head, tail)` taken about `mean` instead of this part's own mean."""
        d = self.mean - mean
        p = float(self.pairs)
        lag = self.lag + d * (self.head + self.tail) + p * d * d
        return lag, self.head + p * d, self.tail + p * d

    def stats(self) -> Stats:
        """The `Stats` these frames have (as `stats.stats` of the arrays, percentiles from the
        sketch)."""
        n = float(self.frames)
        cov = self.m2 / n
        cov = (cov + cov.T) / 2
        std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        den = np.diag(self.m2)
        with np.errstate(divide="ignore", invalid="ignore"):
            auto = np.where(den > 0, self.lag / np.where(den > 0, den, 1.0), 0.0)
        return Stats(
            frames=self.frames, dims=self.dims, mean=self.mean, std=std,
            min=self.min, max=self.max, autocorr=np.clip(auto, -1.0, 1.0),
            cov=cov, corr=corr_of(cov, std),
            percentiles={q: self.percentile(q) for q in PERCENTILE_LEVELS},
        )

    def percentile(self, q: float) -> np.ndarray:
        """The `q`-th percentile `(dims,)` (0..100) from the sketch."""
        level = float(q) / 100.0
        return np.array([np.interp(level, _LEVELS, self.sketch[:, d]) for d in range(self.dims)])

    # -- JSON -------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """A JSON-ready dict (floats round-trip exactly)."""
        return {
            "format": _FORMAT, "version": 1, "frames": self.frames, "dims": self.dims,
            "pairs": self.pairs, "mean": self.mean.tolist(), "m2": self.m2.tolist(),
            "min": self.min.tolist(), "max": self.max.tolist(), "lag": self.lag.tolist(),
            "head": self.head.tolist(), "tail": self.tail.tolist(),
            "sketch": self.sketch.tolist(),
        }

    @classmethod
    def from_dict(cls, data: object) -> StatsPart:
        """Build a part from `to_dict` output; malformed data raises `PatternError`."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise PatternError('not a mergeable stats part (missing "format": '
                               f'"{_FORMAT}")')
        try:
            frames, dims, pairs = (int(data[k]) for k in ("frames", "dims", "pairs"))
            if frames < 1 or dims < 1 or not 0 <= pairs < frames:
                raise ValueError("frames, dims or pairs out of range")
            shapes = {"mean": (dims,), "m2": (dims, dims), "min": (dims,), "max": (dims,),
                      "lag": (dims,), "head": (dims,), "tail": (dims,),
                      "sketch": (SKETCH_POINTS, dims)}
            arrays = {}
            for name, shape in shapes.items():
                arr = np.array(data[name], dtype=np.float64)
                if arr.shape != shape or not np.isfinite(arr).all():
                    raise ValueError(f"{name} must be finite with shape {shape}")
                arrays[name] = arr
        except (KeyError, TypeError, ValueError) as exc:
            raise PatternError(f"stats part has a missing or malformed field: {exc}") from None
        return cls(frames=frames, dims=dims, pairs=pairs, **arrays)


def merge(a: StatsPart, b: StatsPart) -> StatsPart:
    """The part of the frames of `a` and `b` together (associative and commutative up to
    float rounding; the sketch within its stated error)."""
    if a.dims != b.dims:
        raise PatternError(f"cannot pool statistics of {a.dims} and {b.dims} dims")
    n = a.frames + b.frames
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.frames / n)
    m2 = a.m2 + b.m2 + np.outer(delta, delta) * (a.frames * b.frames / n)
    la, ha, ta = a.recentred(mean)
    lb, hb, tb = b.recentred(mean)
    return StatsPart(
        frames=n, dims=a.dims, mean=mean, m2=m2,
        min=np.minimum(a.min, b.min), max=np.maximum(a.max, b.max),
        pairs=a.pairs + b.pairs, lag=la + lb, head=ha + hb, tail=ta + tb,
        sketch=_merge_sketches(a, b),
    )


def merge_all(parts: Iterable[StatsPart]) -> StatsPart:
    """All `parts` pooled, in order, by a `Pooler` (a balanced merge tree, so the sketch's
    error grows with the logarithm of their number); `PatternError` when there are none."""
    pooler = Pooler()
    for part in parts:
        pooler.add(part)
    return pooler.result()


class Pooler:
    """Pools parts given one at a time, in order, keeping at most log2(n) partial merges:
    parts are merged in pairs, pairs in pairs of pairs, … (the same tree for the same order)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, StatsPart]] = []  # (parts merged, their part)

    def add(self, part: StatsPart) -> None:
        size = 1
        while self._stack and self._stack[-1][0] == size:
            _, earlier = self._stack.pop()
            part = merge(earlier, part)
            size *= 2
        self._stack.append((size, part))

    def result(self) -> StatsPart:
        """The pooled part of everything added so far."""
        if not self._stack:
            raise PatternError("no statistics to pool")
        parts = [p for _, p in self._stack]
        out = parts[0]
        for p in parts[1:]:
            out = merge(out, p)
        return out


def _merge_sketches(a: StatsPart, b: StatsPart) -> np.ndarray:
    """The quantile points of the pooled distribution: each part's CDF is linear between its
    points; their frame-weighted mean is inverted at the sketch's levels, per dim."""
    wa, wb = a.frames / (a.frames + b.frames), b.frames / (a.frames + b.frames)
    out = np.empty_like(a.sketch)
    for d in range(a.dims):
        xa, xb = a.sketch[:, d], b.sketch[:, d]
        knots = np.union1d(xa, xb)
        cdf = wa * _cdf(xa, knots) + wb * _cdf(xb, knots)
        cdf = np.maximum.accumulate(cdf)
        out[:, d] = _inverse(cdf, knots)
    return out


def _cdf(points: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The CDF at `x` of a distribution whose quantile points are `points` (at `_LEVELS`):
    linear between points; where points repeat (an atom), the CDF jumps across them."""
    lo = np.searchsorted(points, x, side="left")
    hi = np.searchsorted(points, x, side="right")
    last = len(points) - 1
    inside = (hi > 0) & (lo <= last) & (lo == hi)
    # strictly between two points: interpolate
    i = np.clip(hi, 1, last)
    x0, x1 = points[i - 1], points[i]
    t = np.where(x1 > x0, (x - x0) / np.where(x1 > x0, x1 - x0, 1.0), 1.0)
    between = _LEVELS[i - 1] + t * (_LEVELS[i] - _LEVELS[i - 1])
    # on a point (or an atom of repeated points): halfway through its levels
    on = (_LEVELS[np.clip(lo, 0, last)] + _LEVELS[np.clip(hi - 1, 0, last)]) / 2
    cdf = np.where(inside, between, on)
    cdf = np.where(hi == 0, 0.0, cdf)
    return np.where(lo > last, 1.0, cdf)


def _inverse(cdf: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Values at `_LEVELS` of the distribution whose CDF is `cdf` (non-decreasing) at `knots`."""
    if len(knots) == 1:
        return np.full(len(_LEVELS), knots[0])
    out = np.interp(_LEVELS, cdf, knots)
    out[0], out[-1] = knots[0], knots[-1]  # the extremes are exact
    return out

"""Statistics of encodings: the value distribution that synthetic generation draws from."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from unravel_lang.errors import PatternError
from unravel_lang.guards import check_int, check_latent, check_same_dims

#: Percentile levels measured by `stats` (per dim).
PERCENTILE_LEVELS = (1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0)

_JSON_FORMAT = "unravel-stats"
_VECTORS = ("mean", "std", "min", "max", "autocorr")
_MATRICES = ("cov", "corr")


@dataclass(eq=False)
class Stats:
    """Per-dim and cross-dim statistics of 1..n latent arrays (all float64).

    mean, std, min, max, autocorr: shape (dims,). std is the population std (ddof 0);
    autocorr is the lag-1 autocorrelation of each dim, measured within each array (never across
    the join of two arrays). cov, corr: shape (dims, dims); cov uses ddof 0; corr is 1 on the
    diagonal and 0 where a dim is constant. percentiles: {level: (dims,)} for the levels in
    `PERCENTILE_LEVELS`. frames: total frames measured; dims: latent dims.
    """

    frames: int
    dims: int
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    autocorr: np.ndarray
    cov: np.ndarray
    corr: np.ndarray
    percentiles: dict[float, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.frames = check_int(self.frames, "frames", minimum=0)
        self.dims = check_int(self.dims, "dims", minimum=1)
        for name in _VECTORS:
            setattr(self, name, self._array(name, getattr(self, name), (self.dims,)))
        for name in _MATRICES:
            setattr(self, name, self._array(name, getattr(self, name), (self.dims, self.dims)))
        self.percentiles = {
            float(q): self._array(f"percentile {q}", v, (self.dims,))
            for q, v in self.percentiles.items()
        }
        if (self.std < 0).any():
            raise PatternError("stats: std must be >= 0")
        if (self.min > self.max).any():
            raise PatternError("stats: min must be <= max in every dim")

    @staticmethod
    def _array(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
        arr = np.array(value, dtype=np.float64)
        if arr.shape != shape:
            raise PatternError(f"stats: {name} must have shape {shape}, got {arr.shape}")
        if not np.isfinite(arr).all():
            raise PatternError(f"stats: {name} holds a value that is not finite")
        return arr

    @classmethod
    def prior(cls, dims: int) -> Stats:
        """The unit Gaussian prior a VAE assumes: mean 0, std 1, no correlation, no
        autocorrelation, min/max -3/+3 (for `uniform`), frames 0 (nothing measured)."""
        dims = check_int(dims, "dims", minimum=1)
        from statistics import NormalDist

        pct = {q: np.full(dims, NormalDist().inv_cdf(q / 100)) for q in PERCENTILE_LEVELS}
        return cls(
            frames=0,
            dims=dims,
            mean=np.zeros(dims),
            std=np.ones(dims),
            min=np.full(dims, -3.0),
            max=np.full(dims, 3.0),
            autocorr=np.zeros(dims),
            cov=np.eye(dims),
            corr=np.eye(dims),
            percentiles=pct,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stats):
            return NotImplemented
        if (self.frames, self.dims) != (other.frames, other.dims):
            return False
        if any(
            not np.array_equal(getattr(self, n), getattr(other, n)) for n in _VECTORS + _MATRICES
        ):
            return False
        if self.percentiles.keys() != other.percentiles.keys():
            return False
        return all(np.array_equal(v, other.percentiles[q]) for q, v in self.percentiles.items())

    __hash__ = None  # type: ignore[assignment]

    # -- text -------------------------------------------------------------------------------

    def table(self, digits: int = 3) -> str:
        """A readable table: one row per dim with mean, std, min, quartiles, max and lag-1
        autocorrelation (all percentiles are in `percentiles` and the JSON); then the
        correlation matrix with two decimals."""
        qs = [q for q in (25.0, 50.0, 75.0) if q in self.percentiles]
        cols = ["mean", "std", "min"] + [f"p{q:g}" for q in qs] + ["max", "lag1"]
        width = digits + 5
        head = f"{'dim':>4} " + " ".join(f"{c:>{width}}" for c in cols)
        lines = [f"{self.frames} frames × {self.dims} dims", head]
        for d in range(self.dims):
            values = (
                [self.mean[d], self.std[d], self.min[d]]
                + [self.percentiles[q][d] for q in qs]
                + [self.max[d], self.autocorr[d]]
            )
            lines.append(f"{d:>4} " + " ".join(f"{v:>{width}.{digits}f}" for v in values))
        lines.append("correlation")
        lines.append(f"{'dim':>4} " + " ".join(f"{d:>5d}" for d in range(self.dims)))
        for d in range(self.dims):
            lines.append(f"{d:>4} " + " ".join(f"{v:>5.2f}" for v in self.corr[d]))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    # -- JSON -------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """A JSON-ready dict of Python floats and lists (exact: floats round-trip via repr)."""
        out: dict = {"format": _JSON_FORMAT, "version": 1, "frames": self.frames, "dims": self.dims}
        for name in _VECTORS + _MATRICES:
            out[name] = getattr(self, name).tolist()
        out["percentiles"] = [[q, v.tolist()] for q, v in sorted(self.percentiles.items())]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Stats:
        """Build a Stats from `to_dict` output; refuses missing or malformed fields."""
        if not isinstance(data, dict) or data.get("format") != _JSON_FORMAT:
            raise PatternError("not an unravel stats file (missing \"format\": \"unravel-stats\")")
        try:
            kwargs = {name: data[name] for name in ("frames", "dims") + _VECTORS + _MATRICES}
            pct = {float(q): v for q, v in data.get("percentiles", [])}
        except (KeyError, TypeError, ValueError) as exc:
            raise PatternError(f"stats file is missing or has a malformed field: {exc}") from None
        for name in _VECTORS + _MATRICES:
            if not _numbers(kwargs[name]):
                raise PatternError(f"stats file has a malformed field {name!r}: expected "
                                   f"{'a list' if name in _VECTORS else 'a matrix'} of numbers, "
                                   f"got {_sample(kwargs[name])}")
        try:
            return cls(percentiles=pct, **kwargs)
        except (TypeError, ValueError, OverflowError) as exc:
            raise PatternError(f"stats file has a malformed field: {exc}") from None

    def to_json(self) -> str:
        """JSON text; `Stats.from_json(s.to_json()) == s` exactly."""
        fields = self.to_dict()
        body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items())
        return "{\n" + body + "\n}\n"

    @classmethod
    def from_json(cls, text: str) -> Stats:
        """Parse `to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PatternError(f"stats file is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike) -> Path:
        """Write `to_json()` to `path` atomically; return the path."""
        from unravel_lang.audio import atomic_output

        path = Path(path)
        with atomic_output(path) as tmp:
            Path(tmp).write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Stats:
        """Read a file written by `save`."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PatternError(f"cannot read stats file {path}: {exc.strerror}") from None
        return cls.from_json(text)


def _numbers(value: object) -> bool:
    """True when `value` is a (nested) list of ints and floats, not bools or strings."""
    if isinstance(value, list):
        return all(_numbers(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sample(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _lag1(arrays: list[np.ndarray], mean: np.ndarray) -> np.ndarray:
    num = np.zeros_like(mean)
    den = np.zeros_like(mean)
    for x in arrays:
        c = x - mean
        num += (c[:-1] * c[1:]).sum(axis=0)
        den += (c * c).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.clip(r, -1.0, 1.0)


def corr_of(cov: np.ndarray, std: np.ndarray) -> np.ndarray:
    """The correlation matrix `(dims, dims)` of covariance `cov` with per-dim std `std`: 1 on
    the diagonal, 0 where a dim is constant, clipped to [-1, 1]."""
    denom = np.outer(std, std)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(denom > 0, cov / np.where(denom > 0, denom, 1.0), 0.0)
    corr = np.clip(corr, -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    return corr


def stats(*arrays: np.ndarray) -> Stats:
    """Measure 1..n latent arrays (frames, dims) with the same dims, pooled: see `Stats`.

    Values are computed in float64. Lag-1 autocorrelation per dim is
    sum_t (x_t - mean)(x_{t+1} - mean) / sum_t (x_t - mean)^2, with pairs taken inside each
    array only.
    """
    if len(arrays) == 1 and isinstance(arrays[0], (list, tuple)):
        arrays = tuple(arrays[0])
    if not arrays:
        raise PatternError("stats needs at least one latent array")
    checked = [
        check_latent(a, f"array {i + 1}" if len(arrays) > 1 else "array")
        for i, a in enumerate(arrays)
    ]
    dims = check_same_dims(checked, "arrays given to stats")
    x = np.concatenate(checked, axis=0).astype(np.float64)
    mean = x.mean(axis=0)
    centered = x - mean
    cov = centered.T @ centered / x.shape[0]
    cov = (cov + cov.T) / 2
    std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    # std from the diagonal of cov keeps the two exactly consistent
    corr = corr_of(cov, std)
    pct = np.percentile(x, PERCENTILE_LEVELS, axis=0)
    return Stats(
        frames=x.shape[0],
        dims=dims,
        mean=mean,
        std=std,
        min=x.min(axis=0),
        max=x.max(axis=0),
        autocorr=_lag1([c.astype(np.float64) for c in checked], mean),
        cov=cov,
        corr=corr,
        percentiles={q: pct[i] for i, q in enumerate(PERCENTILE_LEVELS)},
    )


def spread(a: np.ndarray, stats: Stats | None, what: str) -> np.ndarray:
    """Per-dim spread `(dims,)` that alterations scale to: the std of each dim of `a`
    `(frames, dims)`, or `stats.std` when a `Stats` of the same dims is given."""
    if stats is None:
        return a.astype(np.float64).std(axis=0)
    if not isinstance(stats, Stats):
        raise PatternError(f"{what}: stats must be a Stats, got {type(stats).__name__}")
    if stats.dims != a.shape[1]:
        raise PatternError(
            f"{what}: stats has {stats.dims} dims but the array has {a.shape[1]} "
            f"(shape {a.shape})"
        )
    return stats.std

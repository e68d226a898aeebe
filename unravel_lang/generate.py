"""Seeded synthetic latent arrays drawn from the statistics of encodings.

Every generator takes a `Stats`, a frame count `k` and a `seed` (int, numpy Generator or None)
and returns a (k, s.dims) float32 array with finite values. The same int seed gives the same
array. A function marked `@generator` is a generator: it is listed in `GENERATORS`, and from
there the language, the REPL's help and completion, `unravel generate --distribution` and the
package's names take it (docs/architecture.md, "Adding a function").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from unravel_lang.errors import PatternError
from unravel_lang.guards import check_frames, check_int, finite_float32
from unravel_lang.rng import Seed, as_generator
from unravel_lang.stats import Stats

Draw = Callable[..., np.ndarray]

#: The generators by name, as the language spells them, in the order they are defined here
#: (filled by `@generator`).
GENERATORS: dict[str, Draw] = {}


def generator(fn: Draw) -> Draw:
    """Mark `fn` as a generator: add it to `GENERATORS` under its own name; return it unchanged.

    A generator takes `(s: Stats, k: int, seed=None)` first (more parameters may follow, with
    defaults) and returns a `(k, s.dims)` float32 array drawn from `s`.
    """
    GENERATORS[fn.__name__] = fn
    return fn


def _check(s: object, k: object, what: str) -> int:
    if not isinstance(s, Stats):
        raise PatternError(f"{what} needs a Stats (from stats(...)), got {type(s).__name__}")
    k = check_int(k, f"{what}: k (frames)", minimum=1)
    return check_frames(k, what)


def _out(x: np.ndarray, what: str) -> np.ndarray:
    return finite_float32(x, what)


@generator
def normal(s: Stats, k: int, seed: Seed = None) -> np.ndarray:
    """(k, dims): each dim drawn independently from N(s.mean[d], s.std[d]^2) — the VAE's
    Gaussian assumption. Frames are independent."""
    k = _check(s, k, "normal")
    rng = as_generator(seed)
    return _out(s.mean + s.std * rng.standard_normal((k, s.dims)), "normal")


#: What `uniform` draws within: "sigma" (mean ± 3·std, the original's) or "minmax".
UNIFORM_RANGES = ("sigma", "minmax")


@generator
def uniform(s: Stats, k: int, seed: Seed = None, within: str = "sigma") -> np.ndarray:
    """(k, dims): each dim drawn uniformly within [s.mean[d] - 3 s.std[d], s.mean[d] + 3 s.std[d])
    (within="sigma", the original's 3-sigma coverage) or within [s.min[d], s.max[d])
    (within="minmax"). Frames are independent."""
    k = _check(s, k, "uniform")
    if within not in UNIFORM_RANGES:
        raise PatternError(f'uniform: within must be "sigma" or "minmax", got {within!r}')
    lo, hi = (s.mean - 3 * s.std, s.mean + 3 * s.std) if within == "sigma" else (s.min, s.max)
    rng = as_generator(seed)
    u = rng.random((k, s.dims))
    return _out(lo + (hi - lo) * u, "uniform")


def iqr_range(s: Stats) -> tuple[np.ndarray, np.ndarray]:
    """Per-dim (low, high) = (Q1 - 1.5 IQR, Q3 + 1.5 IQR), IQR = Q3 - Q1, from the 25th and
    75th percentiles of `s`: two (dims,) float64 arrays."""
    try:
        q1, q3 = s.percentiles[25.0], s.percentiles[75.0]
    except KeyError:
        raise PatternError("iqr_uniform needs the 25th and 75th percentiles in the stats "
                           "(measure them with stats(...))") from None
    iqr = q3 - q1
    return q1 - 1.5 * iqr, q3 + 1.5 * iqr


@generator
def iqr_uniform(s: Stats, k: int, seed: Seed = None) -> np.ndarray:
    """(k, dims): each dim drawn uniformly within [Q1 - 1.5 IQR, Q3 + 1.5 IQR) of the
    encodings (Tukey's fences: the range without outliers). Frames are independent."""
    k = _check(s, k, "iqr_uniform")
    lo, hi = iqr_range(s)
    rng = as_generator(seed)
    u = rng.random((k, s.dims))
    return _out(lo + (hi - lo) * u, "iqr_uniform")


def _cov_factor(cov: np.ndarray) -> np.ndarray:
    """L with L @ L.T == cov, from the eigen-decomposition with negative eigenvalues clipped
    to 0, so singular or slightly indefinite covariances still work."""
    sym = (cov + cov.T) / 2
    w, v = np.linalg.eigh(sym)
    return v * np.sqrt(np.clip(w, 0.0, None))


@generator
def correlated(s: Stats, k: int, seed: Seed = None) -> np.ndarray:
    """(k, dims): frames drawn from the multivariate normal N(s.mean, s.cov), so dims move
    together as in the encodings. A singular covariance (e.g. a constant or duplicated dim)
    is handled by an eigen-decomposition with eigenvalues clipped at 0. Frames are independent."""
    k = _check(s, k, "correlated")
    rng = as_generator(seed)
    z = rng.standard_normal((k, s.dims))
    return _out(s.mean + z @ _cov_factor(s.cov).T, "correlated")


def _ar1(phi: np.ndarray, innovations: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """y[0] = x0, y[t] = phi * y[t-1] + innovations[t] per dim (phi: (dims,)).

    Computed as a doubling scan: after the pass with shift s, y[t] holds the sum of
    phi^(t-j) * e[j] over the last 2s frames, so at most ceil(log2(k)) vectorized passes
    replace the per-frame recursion. Passes stop once every |phi|^s < 1e-12, where older
    frames no longer change a float32 result."""
    y = innovations.astype(np.float64, copy=True)
    y[0] = x0
    power = phi.astype(np.float64, copy=True)
    shift = 1
    k = y.shape[0]
    with np.errstate(under="ignore"):
        while shift < k and np.abs(power).max() >= 1e-12:
            y[shift:] += power * y[:-shift]
            power = power * power
            shift *= 2
    return y


@generator
def smooth(s: Stats, k: int, seed: Seed = None) -> np.ndarray:
    """(k, dims): per-dim AR(1) trajectories that move as smoothly as the encodings.

    With phi = s.autocorr[d] (lag-1 autocorrelation, within [-1, 1]), mu = s.mean[d] and
    sigma = s.std[d]: x[0] ~ N(mu, sigma^2) and
    x[t] = mu + phi (x[t-1] - mu) + sigma sqrt(1 - phi^2) e[t], e[t] ~ N(0, 1).
    The process is stationary: every frame has mean mu and std sigma, and neighbouring frames
    have correlation phi. Dims are independent."""
    k = _check(s, k, "smooth")
    rng = as_generator(seed)
    phi = np.clip(s.autocorr, -1.0, 1.0)
    z = rng.standard_normal((k, s.dims))
    innovations = z * np.sqrt(np.clip(1.0 - phi * phi, 0.0, None))
    centered = _ar1(phi, innovations, z[0])
    return _out(s.mean + s.std * centered, "smooth")


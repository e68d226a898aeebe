import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.errors import PatternError
from unravel_lang.generate import (
    GENERATORS,
    correlated,
    iqr_range,
    iqr_uniform,
    normal,
    smooth,
    uniform,
)
from unravel_lang.guards import frame_limit
from unravel_lang.stats import Stats, stats

N = 40_000


@pytest.fixture(scope="module")
def target() -> Stats:
    """Stats of a correlated, autocorrelated 4-dim signal with different means and spreads."""
    rng = np.random.default_rng(11)
    z = rng.standard_normal((5000, 4))
    x = np.zeros_like(z)
    for t in range(1, len(z)):
        x[t] = np.array([0.95, 0.5, 0.0, -0.3]) * x[t - 1] + z[t]
    mix = np.array([[1, 0, 0, 0], [0.7, 0.7, 0, 0], [0, 0, 1, 0], [0, 0, -0.5, 1]])
    y = x @ mix.T * np.array([0.5, 2.0, 1.0, 0.1]) + np.array([-1.0, 0.5, 3.0, 0.0])
    return stats(y.astype(np.float32))


@pytest.mark.parametrize("name", ["normal", "correlated", "smooth"])
def test_mean_and_std_match(target, name):
    x = GENERATORS[name](target, N, seed=1)
    assert x.shape == (N, target.dims) and x.dtype == np.float32
    got = stats(x)
    # smooth moves slowly (phi 0.95), so its sample mean wanders more: tolerance in std units
    tol = 0.1 if name == "smooth" else 0.03
    np.testing.assert_allclose(got.mean, target.mean, atol=tol * target.std.max())
    np.testing.assert_allclose(got.std, target.std, rtol=0.06)


def test_normal_is_uncorrelated(target):
    got = stats(normal(target, N, seed=2))
    off = got.corr - np.eye(target.dims)
    assert np.abs(off).max() < 0.03
    assert np.abs(got.autocorr).max() < 0.03


def assert_flat_within(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    assert (x >= lo.astype(np.float32)).all() and (x <= hi.astype(np.float32)).all()
    got = stats(x)
    np.testing.assert_allclose(got.mean, (lo + hi) / 2, atol=0.02 * (hi - lo).max())
    np.testing.assert_allclose(got.std, (hi - lo) / np.sqrt(12), rtol=0.03)


def test_uniform_covers_three_sigma(target):
    x = uniform(target, N, seed=3)
    lo, hi = target.mean - 3 * target.std, target.mean + 3 * target.std
    assert_flat_within(x, lo, hi)


def test_uniform_exact_small():
    s = stats(np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]], dtype=np.float32))
    u = np.random.default_rng(9).random((2, 2))
    expected = s.mean - 3 * s.std + 6 * s.std * u
    np.testing.assert_allclose(uniform(s, 2, seed=9), expected.astype(np.float32), rtol=1e-6)
    expected = s.min + (s.max - s.min) * u
    np.testing.assert_allclose(uniform(s, 2, seed=9, within="minmax"), expected, rtol=1e-6)


def test_uniform_within_minmax(target):
    assert_flat_within(uniform(target, N, seed=3, within="minmax"), target.min, target.max)


def test_iqr_uniform_within_the_fences(target):
    q1, q3 = target.percentiles[25.0], target.percentiles[75.0]
    lo, hi = iqr_range(target)
    np.testing.assert_allclose(lo, q1 - 1.5 * (q3 - q1))
    np.testing.assert_allclose(hi, q3 + 1.5 * (q3 - q1))
    assert_flat_within(iqr_uniform(target, N, seed=6), lo, hi)


def test_iqr_uniform_exact_small():
    x = np.array([[0.0], [1.0], [2.0], [3.0], [100.0]], dtype=np.float32)
    s = stats(x)  # Q1 = 1, Q3 = 3: fences -2 and 6, the outlier 100 is left out
    u = np.random.default_rng(2).random((3, 1))
    np.testing.assert_allclose(iqr_uniform(s, 3, seed=2), -2 + 8 * u, rtol=1e-6)


def test_correlated_matches_correlation(target):
    got = stats(correlated(target, N, seed=4))
    assert np.abs(target.corr).max() > 0.5 - 1e-9  # the target has real correlations
    np.testing.assert_allclose(got.corr, target.corr, atol=0.03)


def test_smooth_matches_autocorrelation(target):
    got = stats(smooth(target, N, seed=5))
    np.testing.assert_allclose(got.autocorr, target.autocorr, atol=0.03)


def test_smooth_follows_the_ar1_recursion():
    s = Stats.prior(3)
    s.autocorr = np.array([0.9, -0.5, 0.0])
    s.mean = np.array([1.0, -2.0, 0.0])
    s.std = np.array([2.0, 0.5, 1.0])
    x = smooth(s, 600, seed=6).astype(np.float64)
    z = np.random.default_rng(6).standard_normal((600, 3))
    c = np.empty_like(z)
    c[0] = z[0]
    for t in range(1, 600):
        c[t] = s.autocorr * c[t - 1] + np.sqrt(1 - s.autocorr**2) * z[t]
    np.testing.assert_allclose(x, s.mean + s.std * c, rtol=1e-5, atol=1e-5)


def test_correlated_with_singular_covariance():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((500, 1))
    data = np.hstack([a, 2 * a, np.ones_like(a)]).astype(np.float32)  # rank 1
    s = stats(data)
    assert np.linalg.matrix_rank(s.cov) == 1
    x = correlated(s, 5000, seed=8)
    assert np.isfinite(x).all()
    np.testing.assert_allclose(x[:, 1], 2 * x[:, 0], atol=1e-4 * np.abs(x).max())
    np.testing.assert_allclose(x[:, 2], 1.0, atol=1e-5)


def test_slightly_indefinite_covariance_still_works():
    s = Stats.prior(2)
    s.cov = np.array([[1.0, 1.0 + 1e-9], [1.0 + 1e-9, 1.0]])
    assert np.linalg.eigvalsh(s.cov).min() < 0
    assert np.isfinite(correlated(s, 100, seed=0)).all()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_seed_reproduces(target, name):
    gen = GENERATORS[name]
    a = gen(target, 64, seed=123)
    np.testing.assert_array_equal(a, gen(target, 64, seed=123))
    assert not np.array_equal(a, gen(target, 64, seed=124))
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(gen(target, 8, seed=g1), gen(target, 8, seed=g2))


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 50), dims=st.integers(1, 6), phi=st.floats(-1, 1),
       name=st.sampled_from(sorted(GENERATORS)), seed=st.integers(0, 2**32))
def test_shape_dtype_finite(k, dims, phi, name, seed):
    s = Stats.prior(dims)
    s.autocorr = np.full(dims, phi)
    before = s.to_json()
    x = GENERATORS[name](s, k, seed=seed)
    assert x.shape == (k, dims) and x.dtype == np.float32 and np.isfinite(x).all()
    assert s.to_json() == before  # the stats are not changed
    np.testing.assert_array_equal(GENERATORS[name](s, k, seed=seed), x)


def test_constant_stats_give_constant_arrays():
    s = stats(np.full((5, 2), 0.25, dtype=np.float32))
    for gen in GENERATORS.values():
        np.testing.assert_array_equal(gen(s, 10, seed=0), np.full((10, 2), 0.25, np.float32))


def test_errors(target):
    with pytest.raises(PatternError, match="needs a Stats"):
        normal(np.zeros((3, 2)), 4)
    with pytest.raises(PatternError, match="k .frames. must be >= 1"):
        uniform(target, 0)
    with frame_limit(100), pytest.raises(PatternError, match="smooth would be 101 frames"):
        smooth(target, 101)
    with pytest.raises(PatternError, match="seed"):
        normal(target, 4, seed="x")
    with pytest.raises(PatternError, match="seed"):
        normal(target, 4, seed=-1)
    with pytest.raises(PatternError, match='within must be "sigma" or "minmax"'):
        uniform(target, 4, within="range")
    bare = Stats(frames=3, dims=1, mean=[0], std=[1], min=[-1], max=[1], autocorr=[0],
                 cov=[[1]], corr=[[1]])
    with pytest.raises(PatternError, match="25th and 75th percentiles"):
        iqr_uniform(bare, 4)

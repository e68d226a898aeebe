import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.errors import PatternError
from unravel_lang.generate import GENERATORS, correlated, normal, smooth, uniform
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


def test_uniform_bounds_and_flatness(target):
    x = uniform(target, N, seed=3)
    assert (x >= target.min.astype(np.float32)).all()
    assert (x <= target.max.astype(np.float32)).all()
    got = stats(x)
    np.testing.assert_allclose(got.mean, (target.min + target.max) / 2,
                               atol=0.02 * (target.max - target.min).max())
    np.testing.assert_allclose(got.std, (target.max - target.min) / np.sqrt(12), rtol=0.03)


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
    x = GENERATORS[name](s, k, seed=seed)
    assert x.shape == (k, dims) and x.dtype == np.float32 and np.isfinite(x).all()


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

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from unravel_lang.errors import PatternError
from unravel_lang.stats import PERCENTILE_LEVELS, Stats, stats


def test_known_values():
    a = np.array([[1, 10], [2, 20], [3, 30], [4, 40]], dtype=np.float32)
    s = stats(a)
    assert s.frames == 4 and s.dims == 2
    np.testing.assert_allclose(s.mean, [2.5, 25])
    np.testing.assert_allclose(s.std, [np.sqrt(1.25), np.sqrt(125)])
    np.testing.assert_array_equal(s.min, [1, 10])
    np.testing.assert_array_equal(s.max, [4, 40])
    np.testing.assert_allclose(s.corr, [[1, 1], [1, 1]])
    np.testing.assert_allclose(s.cov, [[1.25, 12.5], [12.5, 125]])
    # lag-1: sum (x_t - m)(x_t+1 - m) / sum (x_t - m)^2 with x - m = -1.5 -0.5 0.5 1.5
    np.testing.assert_allclose(s.autocorr, [(0.75 - 0.25 + 0.75) / 5] * 2)
    np.testing.assert_allclose(s.percentiles[50.0], [2.5, 25])
    assert set(s.percentiles) == set(PERCENTILE_LEVELS)


def test_pooled_over_arrays_and_autocorr_does_not_cross_joins():
    a = np.array([[0.0], [1.0]])
    b = np.array([[0.0], [1.0]])
    s = stats(a, b)
    assert s.frames == 4
    np.testing.assert_allclose(s.mean, [0.5])
    # pairs (0,1) in a and (0,1) in b only: each -0.25; den 4 * 0.25 = 1
    np.testing.assert_allclose(s.autocorr, [-0.5])
    joined = stats(np.concatenate([a, b]))
    assert joined.autocorr[0] != s.autocorr[0]
    assert stats([a, b]) == s


def test_constant_dim_and_single_frame():
    a = np.ones((10, 3), dtype=np.float32)
    a[:, 0] = np.arange(10)
    s = stats(a)
    assert s.std[1] == 0
    np.testing.assert_array_equal(np.diag(s.corr), [1, 1, 1])
    assert s.corr[0, 1] == 0 and s.autocorr[1] == 0
    one = stats(np.array([[1.0, 2.0]]))
    assert np.isfinite(one.corr).all() and one.std.tolist() == [0, 0]


def test_correlation_of_a_large_sample():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20000, 2))
    x[:, 1] = 0.8 * x[:, 0] + 0.6 * x[:, 1]
    s = stats(x)
    assert s.corr[0, 1] == pytest.approx(0.8, abs=0.02)
    np.testing.assert_allclose(s.corr, s.corr.T)


def test_ar1_autocorrelation_is_measured():
    rng = np.random.default_rng(4)
    x = np.zeros((20000, 1))
    for t in range(1, len(x)):
        x[t] = 0.9 * x[t - 1] + rng.standard_normal()
    assert stats(x).autocorr[0] == pytest.approx(0.9, abs=0.02)


def test_table_is_readable():
    s = stats(np.arange(12, dtype=np.float32).reshape(6, 2))
    text = str(s)
    assert text.splitlines()[0] == "6 frames × 2 dims"
    head = text.splitlines()[1].split()
    assert head[:4] == ["dim", "mean", "std", "min"] and head[-2:] == ["max", "lag1"]
    assert "correlation" in text
    row0 = text.splitlines()[2].split()
    assert row0[0] == "0" and float(row0[1]) == pytest.approx(5.0)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 30), st.integers(1, 5)),
              elements=st.floats(-1e6, 1e6, width=32)))
def test_json_round_trip_is_exact(a):
    s = stats(a)
    back = Stats.from_json(s.to_json())
    assert back == s
    for name in ("mean", "std", "min", "max", "autocorr", "cov", "corr"):
        assert np.array_equal(getattr(back, name), getattr(s, name))
    assert json.loads(s.to_json())["format"] == "unravel-stats"


def test_save_load(tmp_path):
    s = stats(np.random.default_rng(0).normal(size=(50, 4)))
    path = s.save(tmp_path / "enc.stats.json")
    assert Stats.load(path) == s
    assert list(tmp_path.iterdir()) == [path]


def test_equality_sees_differences():
    s = stats(np.arange(8, dtype=np.float32).reshape(4, 2))
    t = Stats.from_json(s.to_json())
    t.mean = t.mean + np.array([0.0, 1e-12])
    assert t != s


def test_prior():
    p = Stats.prior(4)
    assert p.dims == 4 and p.frames == 0
    np.testing.assert_array_equal(p.cov, np.eye(4))
    assert p.percentiles[50.0].tolist() == [0, 0, 0, 0]
    assert Stats.from_json(p.to_json()) == p


def test_errors():
    with pytest.raises(PatternError, match="at least one"):
        stats()
    with pytest.raises(PatternError, match=r"same number of dims.*\(3, 2\), \(3, 4\)"):
        stats(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(PatternError, match="nan at frame 1, dim 0"):
        stats(np.array([[0.0], [np.nan]]))
    with pytest.raises(PatternError, match="not an unravel stats"):
        Stats.from_json("{}")
    with pytest.raises(PatternError, match="not valid JSON"):
        Stats.from_json("{")
    with pytest.raises(PatternError, match="cannot read"):
        Stats.load("/nonexistent/x.json")
    data = json.loads(stats(np.zeros((2, 2))).to_json())
    data["mean"] = [0.0]
    with pytest.raises(PatternError, match=r"mean must have shape \(2,\)"):
        Stats.from_dict(data)
    del data["cov"]
    with pytest.raises(PatternError, match="missing"):
        Stats.from_dict(data)

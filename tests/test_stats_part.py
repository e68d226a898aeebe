"""Mergeable statistics: parts of a corpus pooled in any order equal the statistics of the
whole corpus measured at once."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.errors import PatternError
from unravel_lang.stats import stats
from unravel_lang.stats_part import StatsPart, merge, merge_all

EXACT = ("mean", "std", "min", "max", "autocorr", "cov", "corr")


def assert_same_stats(got, want, rtol=1e-9):
    assert (got.frames, got.dims) == (want.frames, want.dims)
    for name in EXACT:
        a, b = getattr(got, name), getattr(want, name)
        scale = max(float(np.abs(b).max()), 1e-12)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, err_msg=name)


def corpus(seed: int, files: int = 40, dims: int = 8) -> list[np.ndarray]:
    """Arrays of mixed length and distribution (Gaussian, uniform, random walk)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(files):
        n = int(rng.integers(1, 2000))
        kind = i % 3
        if kind == 0:
            a = rng.normal(i * 0.1, 1 + i * 0.05, size=(n, dims))
        elif kind == 1:
            a = rng.uniform(-2, 3, size=(n, dims))
        else:
            a = np.cumsum(rng.normal(size=(n, dims)), axis=0) * 0.1
        out.append(a.astype(np.float32))
    return out


def rank_error(pooled: np.ndarray, got) -> float:
    """Largest distance, in percentage points of rank, of a percentile from its level."""
    worst = 0.0
    for q, values in got.percentiles.items():
        below = (pooled < values).mean(axis=0) * 100
        at_most = (pooled <= values).mean(axis=0) * 100
        off = np.maximum(0.0, np.maximum(below - q, q - at_most))
        worst = max(worst, float(off.max()))
    return worst


def test_a_corpus_pooled_part_by_part_equals_the_whole():
    arrays = corpus(0)
    whole = stats(*arrays)
    pooled = np.concatenate(arrays).astype(np.float64)
    parts = [StatsPart.of(a) for a in arrays]
    tree = merge_all(parts).stats()
    chain = parts[0]
    for p in parts[1:]:
        chain = merge(chain, p)
    shuffled = parts[:]
    random.Random(3).shuffle(shuffled)
    for got in (tree, chain.stats(), merge_all(shuffled).stats()):
        assert_same_stats(got, whole)
        assert rank_error(pooled, got) <= 0.25
        np.testing.assert_array_equal(got.min, whole.min)
        np.testing.assert_array_equal(got.max, whole.max)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    dims=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    constant=st.booleans(),
)
def test_any_split_pools_to_the_stats_of_the_whole(lengths, dims, seed, constant):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(3.0, 2.0, size=(n, dims)).astype(np.float32) for n in lengths]
    if constant:  # a constant dim: std 0, corr 0 off the diagonal, autocorr 0
        for a in arrays:
            a[:, 0] = 1.5
    before = [a.copy() for a in arrays]
    got = merge_all(StatsPart.of(a) for a in arrays).stats()
    assert_same_stats(got, stats(*arrays))
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_part_of_one_array_has_its_exact_percentiles():
    a = corpus(1, files=1)[0]
    np.testing.assert_allclose(StatsPart.of(a).stats().percentiles[25.0],
                               np.percentile(a.astype(np.float64), 25.0, axis=0), rtol=1e-12)


def test_json_round_trip_is_exact():
    part = merge_all(StatsPart.of(a) for a in corpus(2, files=5))
    back = StatsPart.from_dict(json.loads(json.dumps(part.to_dict())))
    assert back.stats() == part.stats()


@pytest.mark.parametrize("field,value", [
    ("format", "other"), ("frames", 0), ("m2", "evil"), ("sketch", [[1.0]]), ("mean", None),
])
def test_malformed_parts_are_refused(field, value):
    data = StatsPart.of(corpus(4, files=1)[0]).to_dict()
    data[field] = value
    with pytest.raises(PatternError):
        StatsPart.from_dict(data)


def test_parts_of_different_dims_do_not_pool():
    with pytest.raises(PatternError, match="4 and 8 dims"):
        merge(StatsPart.of(np.zeros((3, 4), np.float32)), StatsPart.of(np.zeros((3, 8))))

"""The pattern trace: where each value of a pattern's output comes from (pure numpy)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang import patterns
from unravel_lang.errors import UnravelError
from unravel_lang.patterns import PATTERNS
from unravel_lang.trace import pattern_trace, takes_b


@pytest.fixture
def latent():
    rng = np.random.default_rng(0)
    return (np.cumsum(rng.normal(size=(44, 8)), axis=0) * 0.3).astype(np.float32)


def test_fibo_trace_plays_growing_prefixes(latent):
    trace = pattern_trace("fibo", latent)
    expected = np.concatenate([np.arange(n) for n in (1, 2, 3, 5, 8, 13, 21, 34)])
    np.testing.assert_array_equal(trace.frame_row, expected)
    assert not trace.altered.any() and not trace.source.any()
    np.testing.assert_array_equal(trace.block_starts, np.cumsum([0, 1, 2, 3, 5, 8, 13, 21]))


def test_orale_trace_marks_the_altered_copies(latent):
    a = latent[:5]
    trace = pattern_trace("orale", a, ratio=(3, 1), depth=2, amount=0.2, seed=9)
    copies = trace.altered.any(axis=1).reshape(16, 5)
    assert (copies.all(axis=1) | ~copies.any(axis=1)).all()  # whole copies are altered or not
    expected = [False, False, False, True] * 3 + [True] * 4
    assert copies.any(axis=1).tolist() == expected
    np.testing.assert_array_equal(trace.frame_row, np.tile(np.arange(5), 16))
    real = patterns.orale(a, ratio=(3, 1), depth=2, amount=0.2, seed=9)
    np.testing.assert_array_equal(trace.output, real)


def test_blend_trace_shows_the_progress_from_a_to_b(latent):
    a, b = latent[:4, :3], -latent[4:8, :3]
    trace = pattern_trace("blend", a, b, n=2)
    share = trace.source.reshape(-1, 2 * 4 * 3).mean(axis=1)  # per state (n copies)
    assert np.all(np.diff(share) > 0)
    assert share[-1] == 1.0


def test_swap_once_trace_finds_the_swapped_points(latent):
    a = latent[:6, :4]
    b = a + 100
    trace = pattern_trace("swap_once", a, b, n=2, count=5, seed=4)
    assert trace.source.sum() == 2 * 5
    np.testing.assert_array_equal(trace.output > 50, trace.source.astype(bool))


def test_swap_trace_changes_at_most_one_value_per_state(latent):
    a = latent[:6, :4]
    trace = pattern_trace("swap", a, a + 100, seed=4)
    states = trace.source.reshape(6, 6 * 4).astype(int)  # 6 steps, each state 6 frames
    assert (np.abs(np.diff(states, axis=0)).sum(axis=1) <= 1).all()
    assert states[0].sum() == 1
    np.testing.assert_array_equal(trace.output > 50, trace.source.astype(bool))


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(PATTERNS)),
    frames=st.integers(1, 9),
    dims=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_every_unaltered_output_value_is_the_traced_input_value(name, frames, dims, seed):
    """Every pattern, with its defaults: the trace points at the input value each output
    value copies, wherever the pattern did not alter it."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(frames, dims)).astype(np.float32)
    b = rng.normal(size=(frames, dims)).astype(np.float32)
    params = inspect.signature(PATTERNS[name]).parameters
    kwargs = {"seed": seed} if "seed" in params else {}
    trace = pattern_trace(name, a, b if takes_b(name) else None, **kwargs)
    np.testing.assert_array_equal(trace.output, PATTERNS[name](
        *([a, b] if takes_b(name) else [a]), **kwargs))
    dim = np.broadcast_to(np.arange(dims), trace.output.shape)
    picked = np.where(trace.source == 1, b[trace.row, dim], a[trace.row, dim])
    keep = ~trace.altered
    np.testing.assert_array_equal(trace.output[keep], picked[keep])
    if "amount" in params and a.std(axis=0).min() > 0:
        assert trace.altered.any()


def test_a_generator_seed_gives_both_runs_the_same_positions(latent):
    a = latent[:6, :4]
    trace = pattern_trace("swap", a, a + 100, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(trace.output > 50, trace.source.astype(bool))


def test_the_arguments_are_checked(latent):
    with pytest.raises(UnravelError, match="unknown pattern 'zigzag'; plot one of: fibo"):
        pattern_trace("zigzag", latent)
    with pytest.raises(UnravelError, match="blend needs two arrays"):
        pattern_trace("blend", latent)
    with pytest.raises(UnravelError, match="fibo takes one array"):
        pattern_trace("fibo", latent, latent)

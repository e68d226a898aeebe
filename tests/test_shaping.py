import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from unravel_lang.errors import PatternError
from unravel_lang.guards import frame_limit
from unravel_lang.shaping import (
    bias,
    concat,
    fit_tempo,
    interpolate,
    jitter,
    repeat,
    reverse,
    scale,
    select,
    slice_frames,
    stretch,
)
from unravel_lang.stats import Stats


def rows(frames: int, dims: int = 2) -> np.ndarray:
    return (np.arange(frames)[:, None] + np.arange(dims)[None, :] / 10).astype(np.float32)


def latent(max_frames: int = 20, max_dims: int = 4):
    shapes = st.tuples(st.integers(1, max_frames), st.integers(1, max_dims))
    return arrays(np.float32, shapes, elements=st.floats(-100, 100, width=32))


def test_repeat_reverse_slice_concat():
    a = rows(3)
    np.testing.assert_array_equal(repeat(a, 2), np.vstack([a, a]))
    np.testing.assert_array_equal(reverse(a)[:, 0], [2, 1, 0])
    np.testing.assert_array_equal(slice_frames(rows(6), 1, 4)[:, 0], [1, 2, 3])
    np.testing.assert_array_equal(slice_frames(rows(6), -2)[:, 0], [4, 5])
    np.testing.assert_array_equal(concat(a, rows(1))[:, 0], [0, 1, 2, 0])
    np.testing.assert_array_equal(concat([a, a]), repeat(a, 2))


def test_select_and_reorder():
    a = rows(2, 3)
    np.testing.assert_array_equal(select(a, [2, 0]), a[:, [2, 0]])
    np.testing.assert_array_equal(select(a, -1), a[:, [2]])
    np.testing.assert_array_equal(select(a, [1, 1]), a[:, [1, 1]])


def test_scale_and_bias():
    a = rows(2, 3)
    np.testing.assert_allclose(scale(a, 2), 2 * a)
    np.testing.assert_allclose(scale(a, [1, 0, -1]), a * [1, 0, -1])
    np.testing.assert_allclose(bias(a, [1, 2, 3]), a + [1, 2, 3])
    np.testing.assert_allclose(bias(a, -0.5), a - 0.5)


def test_jitter_scaled_to_spread():
    a = (np.random.default_rng(0).normal(size=(5000, 2)) * [1, 10]).astype(np.float32)
    j = jitter(a, 0.1, seed=1)
    np.testing.assert_allclose((j - a).std(axis=0), 0.1 * a.std(axis=0), rtol=0.05)
    j2 = jitter(a, 0.1, seed=1, stats=Stats.prior(2))
    np.testing.assert_allclose((j2 - a).std(axis=0), [0.1, 0.1], rtol=0.05)
    np.testing.assert_array_equal(j, jitter(a, 0.1, seed=1))
    np.testing.assert_array_equal(jitter(a, 0, seed=1), a)


def test_interpolate_linear():
    a, b = rows(3), -rows(3)
    np.testing.assert_allclose(interpolate(a, b, 0), a)
    np.testing.assert_allclose(interpolate(a, b, 1), b)
    np.testing.assert_allclose(interpolate(a, b, 0.25), 0.75 * a + 0.25 * b, rtol=1e-6)
    morph = interpolate(a, b, [0, 0.5, 1])
    np.testing.assert_allclose(morph, [a[0], (a[1] + b[1]) / 2, b[2]])


def test_interpolate_slerp():
    a = np.array([[1, 0], [2, 0], [1, 1]], dtype=np.float32)
    b = np.array([[0, 1], [0, 4], [-1, -1]], dtype=np.float32)
    out = interpolate(a, b, 0.5, mode="slerp")
    np.testing.assert_allclose(out[0], [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)
    # length goes linearly from 2 to 4, direction halfway round: 45 degrees
    np.testing.assert_allclose(out[1], 3 * np.array([np.sqrt(0.5), np.sqrt(0.5)]), rtol=1e-6)
    np.testing.assert_allclose(out[2], [0, 0], atol=1e-7)  # antiparallel: linear
    np.testing.assert_allclose(interpolate(a, b, 0, "slerp"), a, atol=1e-6)
    np.testing.assert_allclose(interpolate(a, b, 1, "slerp"), b, atol=1e-6)


@settings(max_examples=50, deadline=None)
@given(ab=st.tuples(st.integers(1, 10), st.integers(1, 4)).flatmap(
    lambda s: st.tuples(arrays(np.float32, s, elements=st.floats(-10, 10, width=32)),
                        arrays(np.float32, s, elements=st.floats(-10, 10, width=32)))),
       t=st.floats(0, 1))
def test_slerp_length_between_ends(ab, t):
    a, b = ab
    out = interpolate(a, b, t, mode="slerp")
    assert out.shape == a.shape and np.isfinite(out).all()
    n = np.linalg.norm(out, axis=1)
    lo = np.minimum(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    hi = np.maximum(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    assert (n <= hi + 1e-3).all()
    curved = (lo > 1e-3) & (np.abs((a * b).sum(1)) < 0.99 * lo * hi)
    assert (n[curved] >= lo[curved] - 1e-3).all()


def test_stretch():
    a = rows(3, 1)
    np.testing.assert_allclose(stretch(a, 5)[:, 0], [0, 0.5, 1, 1.5, 2])
    np.testing.assert_allclose(stretch(rows(5, 1), 3)[:, 0], [0, 2, 4])
    np.testing.assert_array_equal(stretch(rows(1), 4), np.tile(rows(1), (4, 1)))
    np.testing.assert_array_equal(stretch(rows(4), 1), rows(1))


def test_fit_tempo_modes():
    a = rows(10, 1)
    np.testing.assert_array_equal(fit_tempo(a, 4)[:, 0], range(8))
    np.testing.assert_array_equal(fit_tempo(a, 4, "loop")[:, 0], list(range(10)) + [0, 1])
    assert fit_tempo(a, 4, "stretch").shape == (8, 1)
    assert fit_tempo(a, 3, "stretch").shape == (9, 1)
    assert fit_tempo(rows(2), 11, "stretch").shape == (11, 2)


@settings(max_examples=60, deadline=None)
@given(a=latent(), n=st.integers(1, 4), k=st.integers(1, 12), target=st.integers(1, 40))
def test_length_formulas(a, n, k, target):
    f = a.shape[0]
    assert repeat(a, n).shape[0] == n * f
    assert reverse(a).shape == a.shape
    np.testing.assert_array_equal(reverse(reverse(a)), a)
    assert stretch(a, target).shape == (target, a.shape[1])
    if f >= k:
        assert fit_tempo(a, k).shape[0] == (f // k) * k
    assert fit_tempo(a, k, "loop").shape[0] == -(-f // k) * k
    assert fit_tempo(a, k, "stretch").shape[0] == max(1, round(f / k)) * k
    assert concat(a, a, a).shape[0] == 3 * f


def test_errors():
    with pytest.raises(PatternError, match=r"frames \[5:9\] of an array of 3 frames is empty"):
        slice_frames(rows(3), 5, 9)
    with pytest.raises(PatternError, match="dim 3 does not exist; the array has dims 0..1"):
        select(rows(3), [0, 3])
    with pytest.raises(PatternError, match=r"same number of dims.*\(3, 2\), \(3, 3\)"):
        concat(rows(3), rows(3, 3))
    with pytest.raises(PatternError, match="2 numbers .one per dim."):
        scale(rows(3), [1, 2, 3])
    with pytest.raises(PatternError, match="not finite"):
        scale(rows(3), 1e39)
    with pytest.raises(PatternError, match='mode must be "linear" or "slerp"'):
        interpolate(rows(3), rows(3), mode="cubic")
    with pytest.raises(PatternError, match="one number per frame .3."):
        interpolate(rows(3), rows(3), [0, 1])
    with pytest.raises(PatternError, match="leaves nothing"):
        fit_tempo(rows(3), 4)
    with pytest.raises(PatternError, match="mode must be"):
        fit_tempo(rows(3), 4, "squash")
    with frame_limit(10), pytest.raises(PatternError, match="repeat would be 12 frames"):
        repeat(rows(3), 4)
    with frame_limit(10), pytest.raises(PatternError, match="stretch would be 11 frames"):
        stretch(rows(3), 11)
    with pytest.raises(PatternError, match="n .repetitions. must be >= 1"):
        repeat(rows(3), 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 20), st.integers(1, 20))
def test_take_is_the_last_n_frames(frames, n):
    from unravel_lang.shaping import take

    a = np.arange(frames * 3, dtype=np.float32).reshape(frames, 3)
    if n > frames:
        with pytest.raises(PatternError, match=f"take: asked for the last {n} frames"):
            take(a, n)
        return
    out = take(a, n)
    np.testing.assert_array_equal(out, a[frames - n :])
    out[:] = -1
    assert a.min() >= 0  # a copy: the input is unchanged


@settings(max_examples=50, deadline=None)
@given(a=latent(), start=st.integers(-25, 25), stop=st.none() | st.integers(-25, 25),
       factor=st.floats(-4, 4), seed=st.integers(0, 2**32))
def test_slice_select_scale_bias_jitter_properties(a, start, stop, factor, seed):
    f, d = a.shape
    if len(range(f)[start:stop]):
        np.testing.assert_array_equal(slice_frames(a, start, stop), a[start:stop])
    else:
        with pytest.raises(PatternError, match="is empty"):
            slice_frames(a, start, stop)
    dims = list(range(d))[::-1] + [0]
    np.testing.assert_array_equal(select(a, dims), a[:, dims])
    wide = a.astype(np.float64)
    np.testing.assert_array_equal(scale(a, factor), (wide * factor).astype(np.float32))
    np.testing.assert_array_equal(bias(a, [factor] * d), (wide + factor).astype(np.float32))
    np.testing.assert_array_equal(jitter(a, 0.0, seed=seed), a)
    noisy = jitter(a, 0.5, seed=seed)
    assert noisy.shape == a.shape and noisy.dtype == np.float32
    np.testing.assert_array_equal(jitter(a, 0.5, seed=seed), noisy)

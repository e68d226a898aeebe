import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from unravel_lang.errors import PatternError
from unravel_lang.guards import frame_limit
from unravel_lang.patterns import (
    blend,
    blend_length,
    fibo,
    fibo_length,
    fibo_lengths,
    fibonacci,
    orale,
    orale_length,
    swap,
    swap_length,
    swap_once,
    swap_pair,
    swap_states,
)
from unravel_lang.stats import Stats


def rows(frames: int, dims: int = 2) -> np.ndarray:
    """Row f holds f + d / 10 in dim d, so every value names its place."""
    return (np.arange(frames)[:, None] + np.arange(dims)[None, :] / 10).astype(np.float32)


def latent(max_frames: int = 12, max_dims: int = 4):
    shapes = st.tuples(st.integers(1, max_frames), st.integers(1, max_dims))
    return arrays(np.float32, shapes, elements=st.floats(-100, 100, width=32))


def pair(max_frames: int = 8, max_dims: int = 3):
    return st.tuples(st.integers(1, max_frames), st.integers(1, max_dims)).flatmap(
        lambda shape: st.tuples(
            arrays(np.float32, shape, elements=st.floats(-100, 100, width=32)),
            arrays(np.float32, shape, elements=st.floats(-100, 100, width=32)),
        )
    )


# -- fibo ---------------------------------------------------------------------------------


def test_fibonacci_series_does_not_repeat_the_one():
    assert fibonacci(1, 100) == [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
    assert fibonacci(4, 20) == [5, 8, 13]


def test_fibo_exact_rows():
    out = fibo(rows(8, 1))
    expected = [0, 0, 1, 0, 1, 2, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7]
    np.testing.assert_array_equal(out[:, 0], expected)
    assert out.dtype == np.float32


def test_fibo_keeps_whole_frames():
    out = fibo(rows(4, 3))
    np.testing.assert_array_equal(out, rows(4, 3)[[0, 0, 1, 0, 1, 2]])


def test_fibo_start_stop():
    np.testing.assert_array_equal(fibo(rows(10, 1), start=2, stop=5)[:, 0],
                                  [0, 1, 0, 1, 2, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(fibo(rows(10, 1), start=4)[:, 0], list(range(5)) + list(range(8)))
    assert fibo_lengths(7) == [1, 2, 3, 5]


@settings(max_examples=60, deadline=None)
@given(a=latent(max_frames=40), start=st.integers(1, 5), loops=st.integers(1, 3))
def test_fibo_length_formula(a, start, loops):
    if not fibonacci(start, a.shape[0]):
        with pytest.raises(PatternError, match="no Fibonacci number"):
            fibo(a, start=start)
        return
    lengths = fibo_lengths(a.shape[0], start)
    assert lengths == [f for f in (1, 2, 3, 5, 8, 13, 21, 34) if start <= f <= a.shape[0]]
    before = a.copy()
    out = fibo(a, start=start, n=loops)
    assert out.shape == (loops * sum(lengths), a.shape[1])
    assert out.shape[0] == fibo_length(a.shape[0], start, n=loops)
    pos = 0
    for n in lengths * loops:
        np.testing.assert_array_equal(out[pos:pos + n], a[:n])
        pos += n
    np.testing.assert_array_equal(a, before)


def test_fibo_errors():
    with pytest.raises(PatternError, match="stop=13 needs 13 frames but the array has 10"):
        fibo(rows(10), stop=13)
    with pytest.raises(PatternError, match="no Fibonacci number"):
        fibo(rows(10), start=6, stop=7)
    with pytest.raises(PatternError, match="start must be >= 1"):
        fibo(rows(10), start=0)
    with frame_limit(18), pytest.raises(PatternError, match="fibo would be 19 frames"):
        fibo(rows(8))
    with frame_limit(50), pytest.raises(PatternError, match="fibo would be 57 frames"):
        fibo(rows(8), n=3)
    with pytest.raises(PatternError, match=r"fibo: n \(loops\) must be >= 1, got 0"):
        fibo(rows(8), n=0)


def test_fibo_loop_count_repeats_the_whole_result():
    once = [0, 0, 1, 0, 1, 2, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7]
    out = fibo(rows(11, 1), n=3)  # 11 frames: blocks 1, 2, 3, 5, 8, then all of that 3 times
    np.testing.assert_array_equal(out[:, 0], once * 3)
    assert fibo_length(11, n=3) == 57


# -- orale --------------------------------------------------------------------------------


def test_orale_default_is_three_levels_of_shifted_blocks():
    a = rows(2)
    out = orale(a, seed=5)
    assert out.shape == (64 * 2, 2) and orale_length(2) == 128
    l1 = out[:8]
    np.testing.assert_array_equal(l1[:6], np.tile(a, (3, 1)))
    l2 = out[:32]
    np.testing.assert_array_equal(l2[:24], np.tile(l1, (3, 1)))
    np.testing.assert_array_equal(out[:96], np.tile(l2, (3, 1)))
    # each alteration is one offset per dim, the same on every frame of the altered block
    spread = a.std(axis=0)
    for block, altered in ((a, l1[6:]), (l1, l2[24:]), (l2, out[96:])):
        shift = altered - block
        np.testing.assert_allclose(shift, np.broadcast_to(shift[0], shift.shape), atol=1e-6)
        assert (np.abs(shift[0]) <= spread + 1e-6).all() and (shift[0] != 0).all()


def test_orale_shift_exact_small():
    a = np.array([[0.0, 0.0], [2.0, 4.0]], dtype=np.float32)  # std per dim: 1 and 2
    out = orale(a, (1, 1), depth=1, seed=1)
    u = np.random.default_rng(1).uniform(-1.0, 1.0, 2)  # one draw per dim, in [-1, 1)
    expected = np.concatenate([a, a + (u * [1.0, 2.0]).astype(np.float32)])
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_orale_shift_uses_the_stats_std_and_amount():
    a = np.zeros((3, 2), dtype=np.float32)  # a constant array: its own std is 0
    np.testing.assert_array_equal(orale(a, (3, 1), depth=1, seed=0), np.zeros((12, 2)))
    s = Stats.prior(2)
    s.std[:] = [0.5, 4.0]
    shifts = np.stack([orale(a, (1, 1), depth=1, seed=i, stats=s)[3] for i in range(400)])
    assert (np.abs(shifts) <= [0.5, 4.0]).all()
    np.testing.assert_allclose(np.abs(shifts).max(axis=0), [0.5, 4.0], rtol=0.02)
    half = orale(a, (1, 1), depth=1, seed=3, stats=s, amount=0.5)[3]
    np.testing.assert_allclose(half, 0.5 * orale(a, (1, 1), depth=1, seed=3, stats=s)[3])


def test_orale_loop_count():
    a = rows(2)
    once = orale(a, seed=2)
    np.testing.assert_array_equal(orale(a, seed=2, n=3), np.tile(once, (3, 1)))
    assert orale_length(2, n=3) == 3 * 128


def test_orale_noise_structure_depth_1():
    a = rows(3)
    out = orale(a, (3, 1), depth=1, amount=0.1, seed=0, alter="noise")
    assert out.shape == (12, 2)
    for i in range(3):
        np.testing.assert_array_equal(out[3 * i:3 * i + 3], a)
    altered = out[9:]
    assert not np.array_equal(altered, a)
    # per-value noise: not one offset per dim
    assert np.ptp(altered - a, axis=0).min() > 0
    assert np.abs(altered - a).max() < 0.5 * a.std(axis=0).min()


def test_orale_noise_structure_depth_2():
    a = rows(2)
    out = orale(a, (3, 1), depth=2, seed=1, alter="noise")  # amount 0.1 by default
    assert out.shape == (32, 2)
    b1 = out[:8]
    np.testing.assert_array_equal(b1[:6], np.tile(a, (3, 1)))
    assert not np.array_equal(b1[6:], a)
    for i in range(3):
        np.testing.assert_array_equal(out[8 * i:8 * i + 8], b1)
    assert not np.array_equal(out[24:], b1)
    assert np.abs(out[24:] - b1).max() < 0.5


def test_orale_noise_is_amount_times_spread():
    a = np.random.default_rng(0).normal(size=(2000, 2)).astype(np.float32) * [1, 10]
    out = orale(a, (1, 1), depth=1, amount=0.2, seed=2, alter="noise")
    change = out[2000:] - a
    np.testing.assert_allclose(change.std(axis=0), 0.2 * a.std(axis=0), rtol=0.06)
    s = Stats.prior(2)
    out = orale(a, (1, 1), depth=1, amount=0.2, seed=2, stats=s, alter="noise")
    np.testing.assert_allclose((out[2000:] - a).std(axis=0), [0.2, 0.2], rtol=0.06)


def test_orale_ratio_string_and_q_copies_differ():
    a = rows(4)
    out = orale(a, "2:2", depth=1, seed=3)
    assert out.shape == (16, 2)
    np.testing.assert_array_equal(out[:8], np.tile(a, (2, 1)))
    assert not np.array_equal(out[8:12], out[12:])


@settings(max_examples=40, deadline=None)
@given(a=latent(max_frames=6), p=st.integers(1, 3), q=st.integers(1, 3),
       depth=st.integers(1, 3), seed=st.integers(0, 1000), n=st.integers(1, 2),
       alter=st.sampled_from(["shift", "noise"]))
def test_orale_length_and_seed(a, p, q, depth, seed, n, alter):
    before = a.copy()
    out = orale(a, (p, q), depth, seed=seed, alter=alter, n=n)
    assert out.shape == (n * a.shape[0] * (p + q) ** depth, a.shape[1])
    assert out.shape[0] == orale_length(a.shape[0], (p, q), depth, n)
    np.testing.assert_array_equal(out, orale(a, (p, q), depth, seed=seed, alter=alter, n=n))
    np.testing.assert_array_equal(out[: a.shape[0]], a)
    np.testing.assert_array_equal(a, before)
    assert np.isfinite(out).all()
    if alter == "shift":  # every frame of a block is its plain copy shifted by one vector
        copies = out.reshape(-1, a.shape[0], a.shape[1]) - a
        np.testing.assert_allclose(copies, np.broadcast_to(copies[:, :1], copies.shape),
                                   atol=1e-3 * (1 + np.abs(a).max()))


def test_orale_amount_zero_is_plain_repetition():
    a = rows(3)
    np.testing.assert_array_equal(orale(a, amount=0, seed=0), np.tile(a, (64, 1)))


def test_orale_errors():
    with pytest.raises(PatternError, match="two positive whole numbers"):
        orale(rows(2), ratio=(3, 0))
    with pytest.raises(PatternError, match="depth must be >= 1"):
        orale(rows(2), depth=0)
    with pytest.raises(PatternError, match="amount must be >= 0"):
        orale(rows(2), amount=-1)
    with pytest.raises(PatternError, match='alter must be "shift" or "noise"'):
        orale(rows(2), alter="wobble")
    with pytest.raises(PatternError, match="stats has 3 dims but the array has 2"):
        orale(rows(2), stats=Stats.prior(3))
    with frame_limit(100), pytest.raises(PatternError, match="orale would be 128 frames"):
        orale(rows(2))
    with frame_limit(200), pytest.raises(PatternError, match="orale would be 256 frames"):
        orale(rows(2), n=2)
    with pytest.raises(PatternError, match=r"orale would be about 1\.0e\+60206 frames"):
        orale(rows(1), depth=100_000)


# -- blend --------------------------------------------------------------------------------


def test_blend_exact_small():
    a = np.array([[1, 2], [3, 4]], dtype=np.float32)
    b = np.array([[10, 20], [30, 40]], dtype=np.float32)
    expected = [
        [[1, 2], [3, 4]],  # a itself first
        [[10, 2], [3, 4]],
        [[10, 20], [3, 4]],
        [[10, 20], [30, 4]],
        [[10, 20], [30, 40]],  # = b
    ]
    np.testing.assert_array_equal(blend(a, b), np.reshape(expected, (10, 2)))
    out = blend(a, b, n=2)
    assert out.shape == (2 * 2 * (2 * 2 + 1), 2)
    np.testing.assert_array_equal(out, np.repeat(expected, 2, axis=0).reshape(20, 2))


def test_blend_without_start_and_step():
    a = np.zeros((2, 2), dtype=np.float32)
    b = np.ones((2, 2), dtype=np.float32)
    np.testing.assert_array_equal(blend(a, b, include_start=False),
                                  [[1, 0], [0, 0], [1, 1], [0, 0], [1, 1], [1, 0], [1, 1], [1, 1]])
    out = blend(a, b, step=3)
    np.testing.assert_array_equal(out, [[0, 0], [0, 0], [1, 1], [1, 0], [1, 1], [1, 1]])


@settings(max_examples=60, deadline=None)
@given(ab=pair(), n=st.integers(1, 3), step=st.integers(1, 5), start=st.booleans())
def test_blend_properties(ab, n, step, start):
    a, b = ab
    before = a.copy(), b.copy()
    frames, dims = a.shape
    out = blend(a, b, n=n, step=step, include_start=start)
    length = n * frames * (math.ceil(frames * dims / step) + start)
    assert out.shape == (length, dims) == (blend_length(frames, dims, n, step, start), dims)
    np.testing.assert_array_equal(out[-n * frames:], np.tile(b, (n, 1)))  # ends at b, n times
    first = out[:frames]
    np.testing.assert_array_equal(first, a if start else np.where(
        np.arange(frames * dims).reshape(frames, dims) < step, b, a))
    # every state differs from the previous one in at most `step` values (row-major)
    states = out.reshape(-1, n, frames, dims)
    for s in range(1, states.shape[0]):
        assert (states[s, 0] != states[s - 1, 0]).sum() <= step
    np.testing.assert_array_equal(a, before[0])
    np.testing.assert_array_equal(b, before[1])


def test_blend_default_length():
    assert blend_length(3, 2, n=4) == 4 * 3 * (3 * 2 + 1)
    assert blend(rows(3), rows(3), n=4).shape == (84, 2)


def test_blend_errors():
    with pytest.raises(PatternError, match=r"same shape .* got \(2, 2\) and \(3, 2\)"):
        blend(rows(2), rows(3))
    with pytest.raises(PatternError, match="n .repetitions. must be >= 1, got 0"):
        blend(rows(2), rows(2), n=0)
    with pytest.raises(PatternError, match="step .* must be >= 1"):
        blend(rows(2), rows(2), step=0)


def test_blend_refuses_before_building():
    big = np.zeros((77_500, 8), dtype=np.float32)
    with pytest.raises(PatternError, match="blend would be 48,050,077,500 frames"):
        blend(big, big)


# -- swap ---------------------------------------------------------------------------------


def loop_swap(a, b, n, steps, seed, by="value"):
    """The progressive swap written out step by step: the reference for `swap`."""
    a, b = a.copy(), b.copy()
    units = a.size if by == "value" else a.shape[0]
    picks = np.random.default_rng(seed).integers(0, units, size=steps)
    out = []
    for c in picks:
        if by == "value":
            f, d = divmod(int(c), a.shape[1])
            a[f, d], b[f, d] = b[f, d], a[f, d]
        else:
            a[c], b[c] = b[c].copy(), a[c].copy()
        out.extend([a.copy()] * n)
    return np.concatenate(out)


def test_swap_exact_small():
    a = np.arange(9, dtype=np.float32).reshape(3, 3)
    b = -a - 1
    # seed 1 picks cells 4, 4, 6: frame 1 dim 1 swapped, swapped back, then frame 2 dim 0
    out = swap(a, b, seed=1)
    expected = [
        [[0, 1, 2], [3, -5, 5], [6, 7, 8]],
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
        [[0, 1, 2], [3, 4, 5], [-7, 7, 8]],
    ]
    np.testing.assert_array_equal(out, np.reshape(expected, (9, 3)))
    np.testing.assert_array_equal(swap(a, b, n=2, seed=1),
                                  np.repeat(expected, 2, axis=0).reshape(18, 3))
    first, second = swap_states(a, b, seed=1)
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(second[2], [[-1, -2, -3], [-4, -5, -6], [6, -8, -9]])


def test_swap_frames_and_steps():
    a, b = rows(4), -rows(4) - 1
    out = swap(a, b, n=2, steps=5, seed=7, by="frame")
    assert out.shape == (2 * 5 * 4, 2) and swap_length(4, n=2, steps=5) == 40
    np.testing.assert_array_equal(out, loop_swap(a, b, 2, 5, 7, by="frame"))
    states = out.reshape(5, 2, 4, 2)[:, 0]
    changed = (np.diff(states, axis=0) != 0).any(axis=2).sum(axis=1)
    assert (changed <= 1).all()


@settings(max_examples=60, deadline=None)
@given(ab=pair(), n=st.integers(1, 3), seed=st.integers(0, 2**32),
       by=st.sampled_from(["value", "frame"]))
def test_swap_properties(ab, n, seed, by):
    a, b = ab
    before = a.copy(), b.copy()
    frames, dims = a.shape
    out = swap(a, b, n=n, seed=seed, by=by)
    assert out.shape == (n * frames * frames, dims) == (swap_length(frames, n), dims)
    np.testing.assert_array_equal(out, loop_swap(a, b, n, frames, seed, by))
    np.testing.assert_array_equal(swap(a, b, n=n, seed=seed, by=by), out)  # seed reproduces
    states = out.reshape(frames, n, frames, dims)
    np.testing.assert_array_equal(states, np.broadcast_to(states[:, :1], states.shape))
    if by == "value":  # each state differs from the previous in at most one value
        previous = np.concatenate([a[None], states[:, 0]])
        assert ((np.diff(previous, axis=0) != 0).reshape(frames, -1).sum(axis=1) <= 1).all()
    first, second = swap_states(a, b, seed=seed, by=by)
    np.testing.assert_array_equal(first, states[:, 0])
    whole = Counter(np.concatenate([a.ravel(), b.ravel()]).tolist())
    for x, y in zip(first, second, strict=True):  # the two working arrays keep all values
        assert Counter(np.concatenate([x.ravel(), y.ravel()]).tolist()) == whole
        assert ((x == a) | (x == b)).all() and ((y == b) | (y == a)).all()
    np.testing.assert_array_equal(a, before[0])
    np.testing.assert_array_equal(b, before[1])


def test_swap_errors():
    with pytest.raises(PatternError, match=r"\(3, 2\) and \(3, 3\)"):
        swap(rows(3), rows(3, 3))
    with pytest.raises(PatternError, match='by must be "value" or "frame"'):
        swap(rows(3), rows(3), by="dim")
    with pytest.raises(PatternError, match="n .repetitions. must be >= 1"):
        swap(rows(3), rows(3), n=0)
    with pytest.raises(PatternError, match="steps must be >= 1"):
        swap(rows(3), rows(3), steps=0)
    with frame_limit(30), pytest.raises(PatternError, match="swap would be 36 frames"):
        swap(rows(3), rows(3), n=4)


def test_swap_once_exact():
    a = rows(3)
    b = -rows(3) - 1
    a2, b2 = swap_pair(a, b, count=2, seed=0)
    changed = a2 != a
    assert changed.sum() == 2
    np.testing.assert_array_equal(a2[changed], b[changed])
    np.testing.assert_array_equal(b2[changed], a[changed])
    np.testing.assert_array_equal(b2[~changed], b[~changed])
    out = swap_once(a, b, n=3, count=2, seed=0)
    np.testing.assert_array_equal(out, np.tile(a2, (3, 1)))


def test_swap_once_frames():
    a, b = rows(5), -rows(5) - 1
    a2, b2 = swap_pair(a, b, count=2, seed=1, by="frame")
    changed = (a2 != a).any(axis=1)
    assert changed.sum() == 2 and (a2 != a)[changed].all()
    np.testing.assert_array_equal(b2[changed], a[changed])


@settings(max_examples=40, deadline=None)
@given(ab=pair(), data=st.data(), n=st.integers(1, 3), seed=st.integers(0, 2**32),
       by=st.sampled_from(["value", "frame"]))
def test_swap_once_properties(ab, data, n, seed, by):
    a, b = ab
    units = a.size if by == "value" else a.shape[0]
    count = data.draw(st.integers(1, units))
    a2, b2 = swap_pair(a, b, count=count, seed=seed, by=by)
    assert Counter(np.concatenate([a2.ravel(), b2.ravel()]).tolist()) == Counter(
        np.concatenate([a.ravel(), b.ravel()]).tolist())
    # values only move between a and b at the same place
    assert ((a2 == a) | (a2 == b)).all() and ((b2 == b) | (b2 == a)).all()
    out = swap_once(a, b, n=n, count=count, seed=seed, by=by)
    assert out.shape == (n * a.shape[0], a.shape[1])
    np.testing.assert_array_equal(out, np.tile(a2, (n, 1)))


def test_swap_once_errors():
    with pytest.raises(PatternError, match="count=7 is more than the 6 values"):
        swap_once(rows(3), rows(3), count=7)
    with pytest.raises(PatternError, match="count=4 is more than the 3 frames"):
        swap_once(rows(3), rows(3), count=4, by="frame")
    with pytest.raises(PatternError, match="n .repetitions. must be >= 1"):
        swap_once(rows(3), rows(3), n=0)


@pytest.mark.parametrize("pattern", [fibo, orale])
def test_nan_input_is_refused(pattern):
    a = rows(4)
    a[2, 1] = np.inf
    with pytest.raises(PatternError, match="inf at frame 2, dim 1"):
        pattern(a)

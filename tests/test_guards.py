import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from watchdog import watchdog

from unravel_lang.errors import LatentError, PatternError, UnravelError
from unravel_lang.guards import (
    DEFAULT_FRAME_LIMIT,
    check_finite_output,
    check_frames,
    check_int,
    check_latent,
    check_per_dim,
    check_ratio,
    check_same_shape,
    frame_limit,
    get_frame_limit,
    set_frame_limit,
)


def test_default_limit_is_about_an_hour():
    assert get_frame_limit() == DEFAULT_FRAME_LIMIT
    hours = DEFAULT_FRAME_LIMIT * 2048 / 44100 / 3600
    assert 0.9 < hours < 1.2


def test_set_and_restore_limit():
    previous = set_frame_limit(100)
    try:
        assert get_frame_limit() == 100
        assert check_frames(100) == 100
        with pytest.raises(PatternError, match="would be 101 frames"):
            check_frames(101, "fibo")
    finally:
        set_frame_limit(previous)
    assert get_frame_limit() == previous


def test_frame_limit_context_restores_on_error():
    before = get_frame_limit()
    with pytest.raises(RuntimeError), frame_limit(5):
        assert get_frame_limit() == 5
        raise RuntimeError
    assert get_frame_limit() == before


def test_refusal_names_size_and_limit():
    with frame_limit(1000), pytest.raises(PatternError) as info:
        check_frames(123_456, "blend")
    msg = str(info.value)
    assert "blend would be 123,456 frames" in msg
    assert "frame limit of 1,000" in msg
    assert isinstance(info.value, UnravelError)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "7", None, True])
def test_bad_frame_limit(bad):
    with pytest.raises(PatternError):
        set_frame_limit(bad)


def test_check_latent_converts_and_validates():
    out = check_latent([[1, 2], [3, 4]])
    assert out.dtype == np.float32 and out.shape == (2, 2)
    with pytest.raises(PatternError, match=r"shape \(frames, dims\), got shape \(3,\)"):
        check_latent(np.zeros(3))
    with pytest.raises(PatternError, match="at least one frame"):
        check_latent(np.zeros((0, 4)))
    with pytest.raises(PatternError, match="numbers"):
        check_latent(np.array([["a"]]))


def test_check_latent_names_the_bad_value():
    a = np.zeros((5, 3), dtype=np.float32)
    a[3, 2] = np.nan
    with pytest.raises(PatternError, match="nan at frame 3, dim 2"):
        check_latent(a, "a")
    a[3, 2] = 0
    a[1, 0] = -np.inf
    with pytest.raises(PatternError, match="-inf at frame 1, dim 0"):
        check_latent(a, "a")


def test_check_latent_refuses_what_is_not_real_numbers():
    for bad in (np.array([[True]]), np.zeros((2, 2), complex), np.array([[None]])):
        with pytest.raises(PatternError, match=f"x must hold real numbers, got dtype {bad.dtype}"):
            check_latent(bad, "x")
    with pytest.raises(PatternError, match="x must be a latent array"):
        check_latent([[1, 2], [3]], "x")


def test_check_latent_dims_and_who_takes_them():
    assert check_latent(np.ones((2, 3)), dims=3).shape == (2, 3)
    with pytest.raises(PatternError, match=r"x has 3 dims but model m\.ts takes 8 "
                                           r"\(shape \(2, 3\) is \(frames, dims\)\)"):
        check_latent(np.ones((2, 3)), "x", dims=8, dims_of="model m.ts")


def test_check_latent_empty_and_vectors():
    assert check_latent(np.zeros((0, 4)), allow_empty=True).shape == (0, 4)
    assert check_latent(np.zeros((3, 0)), allow_empty=True).shape == (3, 0)
    with pytest.raises(PatternError, match="at least one frame and one dim"):
        check_latent(np.zeros((3, 0)))
    assert check_latent(np.arange(3), vector_as_column=True).shape == (3, 1)
    with pytest.raises(PatternError, match=r"got shape \(3,\)"):
        check_latent(np.arange(3))


def test_check_latent_finite_option_and_first_frame():
    a = np.zeros((4, 2))
    a[2, 1], a[3, 0] = np.inf, np.nan
    with pytest.raises(PatternError, match=r"inf at frame 12, dim 1 \(2 such values\)"):
        check_latent(a, first_frame=10)
    assert check_latent(a, finite=False, dtype=None) is a  # only the shape and dtype checked


def test_check_latent_dtype_options():
    f64, i16 = np.ones((2, 2)), np.ones((2, 2), np.int16)
    fortran = np.asfortranarray(np.ones((3, 2), np.float32))
    assert check_latent(i16).dtype == np.float32
    assert check_latent(fortran).flags.c_contiguous
    assert check_latent(f64, keep_float64=True) is f64
    assert check_latent(i16, keep_float64=True).dtype == np.float32
    assert check_latent(i16, dtype=np.float64).dtype == np.float64
    assert check_latent(i16, dtype=None) is i16
    assert check_latent(np.array([[1e300]]), dtype=np.float64)[0, 0] == 1e300


def test_check_latent_raises_the_error_asked_for():
    with pytest.raises(LatentError, match=r"f\.npy must have shape"):
        check_latent(np.zeros(2), "f.npy", error=LatentError)


def test_float32_overflow_is_refused():
    with pytest.raises(PatternError, match="too large for float32 .1e.300 at frame 0, dim 0"):
        check_latent(np.array([[1e300]]))
    with pytest.raises(PatternError, match="at frame 12, dim 1"):  # counted as NaN/inf are
        check_latent(np.array([[0.0, 0.0], [0.0, 1e300]]), "chunk", first_frame=11)
    with pytest.raises(PatternError, match="inf at frame 0, dim 1"):
        check_finite_output(np.array([[0, np.inf]], dtype=np.float32), "scale")


def test_same_shape_names_both():
    with pytest.raises(PatternError, match=r"\(4, 8\) and \(5, 8\)"):
        check_same_shape(np.zeros((4, 8)), np.zeros((5, 8)))


@pytest.mark.parametrize("good, expected", [((3, 1), (3, 1)), ([2, 5], (2, 5)), ("3:1", (3, 1)),
                                            (" 4 : 2 ", (4, 2))])
def test_ratio_good(good, expected):
    assert check_ratio(good) == expected


@pytest.mark.parametrize("bad", [(3,), (3, 0), (-1, 1), (1.5, 1), "3:", "a:b", 3, (True, 1),
                                 (1, 2, 3)])
def test_ratio_bad(bad):
    with pytest.raises(PatternError, match="two positive whole numbers"):
        check_ratio(bad)


def test_check_int():
    assert check_int(3.0, "n") == 3
    with pytest.raises(PatternError, match="n must be >= 1, got 0"):
        check_int(0, "n", minimum=1)
    with pytest.raises(PatternError, match="whole number"):
        check_int(True, "n")


def test_check_per_dim():
    assert check_per_dim(2, 3, "factor") == 2.0
    assert check_per_dim([1, 2, 3], 3, "factor").tolist() == [1, 2, 3]
    with pytest.raises(PatternError, match="3 numbers"):
        check_per_dim([1, 2], 3, "factor")
    with pytest.raises(PatternError, match="finite"):
        check_per_dim([1, np.nan, 3], 3, "factor")
    with pytest.raises(PatternError):
        check_per_dim("x", 3, "factor")


# ---- lengths decided before they are computed ----------------------------------------------


def test_check_product_and_power_decide_huge_lengths_in_log_space():
    from unravel_lang.guards import check_power, check_product, check_sum

    with watchdog(10, "huge length checks"):
        with pytest.raises(PatternError, match=r"orale would be about 2\.4e\+47712126 frames"):
            check_power(3, 100_000_000, 8, "orale")
        with pytest.raises(PatternError, match=r"about 1\.0e\+4000 frames"):
            check_product((10**3999, 10), "repeat")
        with pytest.raises(PatternError, match="would be 80,001 frames"):
            check_sum(iter([80_000, 1, 10**9]), "concat")
    assert check_power(4, 3, 5) == 320
    assert check_power(1, 10**12, 7) == 7
    assert check_product((0, 10**400)) == 0
    assert check_sum([1, 2, 3]) == 6


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2_000), min_size=1, max_size=4),
       st.integers(min_value=1, max_value=10**6))
def test_check_product_refuses_exactly_over_the_limit(factors, limit):
    from unravel_lang.guards import check_product

    total = math.prod(factors)
    with frame_limit(limit):
        if total <= limit:
            assert check_product(factors) == total
        else:
            with pytest.raises(PatternError, match="more than the frame limit"):
                check_product(factors)


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=9), st.integers(min_value=0, max_value=40),
       st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=10**6))
def test_check_power_refuses_exactly_over_the_limit(base, exponent, times, limit):
    from unravel_lang.guards import check_power

    total = times * base**exponent
    with frame_limit(limit):
        if total <= limit:
            assert check_power(base, exponent, times) == total
        else:
            with pytest.raises(PatternError, match="more than the frame limit"):
                check_power(base, exponent, times)


def test_patterns_refuse_huge_counts_before_building():
    from unravel_lang.patterns import blend, orale, orale_length, swap
    from unravel_lang.shaping import repeat

    a = np.ones((8, 4), dtype=np.float32)
    with watchdog(10, "huge pattern counts"):
        for make in (lambda: orale(a, (2, 1), depth=100_000_000),
                     lambda: orale_length(8, "2:1", 10**12),
                     lambda: blend(a, a, n=2**62),
                     lambda: swap(a, a, n=2**62),
                     lambda: repeat(a, 2**62)):
            with pytest.raises(PatternError, match="more than the frame limit"):
                make()


def test_gain_is_bounded():
    from unravel_lang.guards import MAX_GAIN, check_gain

    assert check_gain(-MAX_GAIN) == -MAX_GAIN
    for bad in (1e308, MAX_GAIN * 1.01, math.inf, math.nan):
        with pytest.raises(PatternError):
            check_gain(bad)

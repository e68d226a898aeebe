import numpy as np
import pytest

from unravel_lang.errors import PatternError, UnravelError
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


def test_float32_overflow_is_refused():
    with pytest.raises(PatternError, match="too large for float32 .1e.300 at frame 0, dim 0"):
        check_latent(np.array([[1e300]]))
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

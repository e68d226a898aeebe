"""Argument checks and the output frame limit shared by generators, patterns and shaping tools.

Every check raises `unravel_lang.errors.PatternError` with a message saying what was wrong and
what is allowed. Output sizes are checked with `check_frames` *before* an array is built.
`check_latent` is the one check of a latent array in the package: the model, latent files,
the engine and the terminal view call it with their options and error type.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from unravel_lang.errors import PatternError, UnravelError

#: Default output limit in latent frames: about one hour at 44100 Hz / 2048 (21.53 frames/s).
DEFAULT_FRAME_LIMIT = 80_000

_frame_limit = DEFAULT_FRAME_LIMIT


def get_frame_limit() -> int:
    """Return the current output limit in frames."""
    return _frame_limit


def set_frame_limit(frames: int) -> int:
    """Set the output limit in frames (an int >= 1); return the previous limit."""
    global _frame_limit
    frames = check_int(frames, "frame limit", minimum=1)
    previous = _frame_limit
    _frame_limit = frames
    return previous


@contextlib.contextmanager
def frame_limit(frames: int) -> Iterator[int]:
    """Context manager: use `frames` as the output limit inside the block, then restore it."""
    previous = set_frame_limit(frames)
    try:
        yield frames
    finally:
        set_frame_limit(previous)


def _duration(frames: int) -> str:
    seconds = frames * 2048 / 44100
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _too_long(size: str, what: str) -> PatternError:
    limit = _frame_limit
    return PatternError(
        f"{what} would be {size}, more than the frame limit of {limit:,} frames "
        f"(about {_duration(limit)}); use fewer repetitions or a shorter input, or raise the "
        "limit with set_frame_limit"
    )


def _size_text(frames: int) -> str:
    return f"{frames:,} frames (about {_duration(frames)} at 44100 Hz / 2048)"


def _log_size_text(log10_frames: float) -> str:
    """"about 1.2e+60206 frames" for a length known only by its base-10 logarithm."""
    exponent = math.floor(log10_frames)
    mantissa = round(10 ** (log10_frames - exponent), 1)
    if mantissa >= 10.0:  # 9.96 rounds up to the next power of ten
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"about {mantissa:.1f}e+{exponent} frames"


def check_frames(frames: int, what: str = "output") -> int:
    """Refuse an output of `frames` frames when it exceeds the frame limit; return `frames`.

    Call it with the would-be length before building anything. A length that comes from a
    product or a power should be checked with `check_product` or `check_power`, which never
    compute a huge number.
    """
    if frames > _frame_limit:
        if frames > 10**15:
            raise _too_long(_log_size_text(_log10(frames)), what)
        raise _too_long(_size_text(frames), what)
    return frames


def _log10(x: int | float) -> float:
    """log10 of a positive int of any size (no float overflow)."""
    return math.log10(x)


def _checked(log10_total: float, exact: Callable[[], int], what: str) -> int:
    """`check_frames(exact())`, unless `log10_total` already says the length is over the
    limit and too large to compute cheaply."""
    if log10_total > _log10(_frame_limit) + 1e-9 and log10_total >= 15:
        raise _too_long(_log_size_text(log10_total), what)
    return check_frames(exact(), what)


def check_product(factors: Sequence[int], what: str = "output") -> int:
    """The product of whole, non-negative `factors`, as a length in frames; refused (like
    `check_frames`) when it exceeds the frame limit, decided in log space before the product
    is computed, so a huge count costs nothing."""
    factors = [int(f) for f in factors]
    if any(f == 0 for f in factors):
        return 0
    return _checked(sum(_log10(f) for f in factors), lambda: math.prod(factors), what)


def check_power(base: int, exponent: int, times: int = 1, what: str = "output") -> int:
    """`times * base ** exponent` frames (whole numbers >= 0), refused like `check_product`
    before the power is computed: `orale`'s depth of 10**8 costs nothing."""
    base, exponent, times = int(base), int(exponent), int(times)
    if times == 0 or base == 0:
        return 0 if times == 0 or exponent > 0 else check_frames(times, what)
    log10_total = _log10(times) + exponent * _log10(base)
    return _checked(log10_total, lambda: times * base**exponent, what)


def check_sum(terms: Iterable[int], what: str = "output") -> int:
    """The sum of non-negative lengths `terms`, refused as soon as the running sum exceeds the
    frame limit (so a long or endless series stops early)."""
    total = 0
    for term in terms:
        total += term
        if total > _frame_limit:
            return check_frames(total, what)
    return total


def check_int(value: object, name: str, minimum: int | None = None) -> int:
    """Return `value` as an int; refuse non-integers (bool included) and values below `minimum`."""
    if isinstance(value, (bool, np.bool_)):
        raise PatternError(f"{name} must be a whole number, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise PatternError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise PatternError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_float(value: object, name: str, minimum: float | None = None) -> float:
    """Return `value` as a finite float; refuse anything else and values below `minimum`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise PatternError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise PatternError(f"{name} must be a finite number, got {value}")
    if minimum is not None and value < minimum:
        raise PatternError(f"{name} must be >= {minimum}, got {value}")
    return value


MAX_GAIN = 1000.0
"""The largest gain a voice may be mixed at (+60 dB): louder would only clip, or overflow."""


def check_gain(value: object, name: str = "gain") -> float:
    """`value` as a finite float within ±`MAX_GAIN`; refuses anything else."""
    g = check_float(value, name)
    if abs(g) > MAX_GAIN:
        raise PatternError(f"{name} must lie within ±{MAX_GAIN:g} (+60 dB), got {g:g}")
    return g


def _first_bad(a: np.ndarray) -> str:
    bad = np.argwhere(~np.isfinite(a))[0]
    value = a[tuple(bad)]
    if a.ndim == 2:
        return f"{value} at frame {bad[0]}, dim {bad[1]}"
    return f"{value} at index {bad[0]}"


def check_latent(
    a: object,
    name: str = "a",
    *,
    dims: int | None = None,
    dims_of: str = "the model",
    allow_empty: bool = False,
    vector_as_column: bool = False,
    finite: bool = True,
    first_frame: int = 0,
    dtype: type | None = np.float32,
    keep_float64: bool = False,
    error: type[UnravelError] = PatternError,
) -> np.ndarray:
    """The one check of a latent array `(frames, dims)`; every message names `name`.

    Refuses, raising `error`: what is not an array of real numbers (ints and floats; not bool,
    complex or objects), a shape other than 2-D, no frame or no dim (unless `allow_empty`), a
    dims count other than `dims` (when given; `dims_of` names who takes it), and, when
    `finite`, NaN/inf (naming the first bad frame, counted from `first_frame`, and dim).
    `vector_as_column`: a 1-D array is one dim.

    Returns the array as C-contiguous `dtype` (a float64 value beyond float32's range is
    refused); `keep_float64`: a float64 array stays float64; `dtype=None`: as given.
    """
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise error(f"{name} must be a latent array (frames, dims): {exc}") from None
    if arr.dtype.kind not in "fiu":
        raise error(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if vector_as_column and arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise error(f"{name} must have shape (frames, dims), got shape {arr.shape}")
    if not allow_empty and (arr.shape[0] < 1 or arr.shape[1] < 1):
        raise error(f"{name} must have at least one frame and one dim, got shape {arr.shape}")
    if dims is not None and arr.shape[1] != dims:
        raise error(f"{name} has {arr.shape[1]} dims but {dims_of} takes {dims} "
                    f"(shape {arr.shape} is (frames, dims))")
    if finite and arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = ~np.isfinite(arr)
        frame, dim = (int(i) for i in np.argwhere(bad)[0])
        count = int(np.count_nonzero(bad))
        more = f" ({count} such values)" if count > 1 else ""
        raise error(f"{name} holds a value that is not finite (NaN or infinite): "
                    f"{arr[frame, dim]} at frame {first_frame + frame}, dim {dim}{more}")
    if dtype is None or (keep_float64 and arr.dtype == np.float64):
        return arr
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(arr, dtype=dtype)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > out.dtype.itemsize \
            and not np.isfinite(out).all():
        bad = np.argwhere(~np.isfinite(out))[0]
        raise error(
            f"{name} holds a value too large for float32 ({arr[tuple(bad)]:g} at frame "
            f"{first_frame + int(bad[0])}, "
            f"dim {bad[1]}); latent values must lie within ±3.4e38"
        )
    return out


def check_same_shape(a: np.ndarray, b: np.ndarray, names: str = "a and b") -> None:
    """Refuse two arrays of different shapes, naming both shapes."""
    if a.shape != b.shape:
        raise PatternError(
            f"{names} must have the same shape (frames, dims), got {a.shape} and {b.shape}"
        )


def check_same_dims(arrays: Sequence[np.ndarray], what: str = "arrays") -> int:
    """Refuse arrays whose dims differ; return the common dims."""
    dims = {x.shape[1] for x in arrays}
    if len(dims) > 1:
        shapes = ", ".join(str(x.shape) for x in arrays)
        raise PatternError(f"{what} must all have the same number of dims, got shapes {shapes}")
    return arrays[0].shape[1]


def check_ratio(ratio: object, name: str = "ratio") -> tuple[int, int]:
    """Return `ratio` as two positive ints; accepts a pair like (3, 1) or a string like "3:1"."""
    parts: object = ratio
    if isinstance(ratio, str):
        parts = ratio.split(":")
    bad = PatternError(
        f"{name} must be two positive whole numbers like (3, 1) or \"3:1\", got {ratio!r}"
    )
    if isinstance(parts, (str, bytes)) or not isinstance(parts, Sequence) or len(parts) != 2:
        raise bad
    out = []
    for p in parts:
        if isinstance(p, str):
            p = p.strip()
            if not p.isdigit():
                raise bad
            p = int(p)
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Integral) or p < 1:
            raise bad
        out.append(int(p))
    return out[0], out[1]


def check_per_dim(value: object, dims: int, name: str) -> np.ndarray | float:
    """Return a scalar as a float or a per-dim sequence as a (dims,) float64 array; finite only."""
    if isinstance(value, (str, bytes)):
        raise PatternError(f"{name} must be a number or one number per dim, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must be a number or one number per dim, got {value!r}"
        raise PatternError(msg) from None
    if arr.ndim == 0:
        return check_float(float(arr), name)
    if arr.shape != (dims,):
        raise PatternError(
            f"{name} must be a number or {dims} numbers (one per dim), got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise PatternError(f"{name} holds a value that is not finite: {_first_bad(arr)}")
    return arr


def check_finite_output(out: np.ndarray, what: str) -> np.ndarray:
    """Refuse an output holding NaN or inf (e.g. float32 overflow); return `out`."""
    if not np.isfinite(out).all():
        raise PatternError(
            f"{what} would produce a value that is not finite ({_first_bad(out)}); "
            "results must fit float32 (magnitude up to 3.4e38)"
        )
    return out


def finite_float32(out: np.ndarray, what: str) -> np.ndarray:
    """`out` cast to float32; refuses NaN/inf in the result (e.g. float32 overflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        cast = np.asarray(out).astype(np.float32, copy=False)
    return check_finite_output(cast, what)

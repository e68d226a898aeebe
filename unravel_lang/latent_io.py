"""Latent arrays on disk: `.npy` files and latent audio files (`*.latent.wav`).

A latent array is `(frames, dims)` float. A latent audio file is a WAV with one channel per
latent dimension, one sample per latent frame, at the latent rate rounded to an integer (WAV
needs one); the exact rate is kept in the file's comment (`unravel latent_rate=<float>`), so
reading gives back the same array and rate. Samples are float, so values beyond -1..+1 survive.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.lib import format as npformat

from unravel_lang.audio import atomic_output, existing_file, open_wav_writer
from unravel_lang.errors import LatentError
from unravel_lang.guards import check_latent
from unravel_lang.paths import describe_os_error

LATENT_SUFFIX = ".latent.wav"
"""File name ending of a latent audio file."""

MAX_LATENT_WAV_RATE = 1000
"""A plain `.wav` whose sample rate is at most this is read as latent (audio never is that low)."""

_RATE_TAG = "unravel latent_rate="
_RATE_RE = re.compile(r"unravel latent_rate=([0-9.eE+-]+)")


def validate_latent(latent: np.ndarray, where: str = "the latent array") -> np.ndarray:
    """`guards.check_latent` for latent files: a finite real `(frames, dims)` array with
    frames, dims >= 1, as float32 unless it already is float64; `LatentError` naming `where`
    (a file) and, for NaN/inf, the first frame and dim holding one."""
    return check_latent(latent, where, keep_float64=True, error=LatentError)


def _existing(path: str | os.PathLike) -> Path:
    return existing_file(path, LatentError, "a latent file")


@dataclass(frozen=True)
class NpyHeader:
    """What a `.npy` file's header says: shape, dtype, order and where the data starts."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    offset: int  # bytes before the data

    @property
    def nbytes(self) -> int:
        """Bytes of data the header promises."""
        return math.prod(self.shape) * self.dtype.itemsize


def read_npy_header(path: str | os.PathLike) -> NpyHeader:
    """Read and check the header of a `.npy` latent file without reading its data: a 2-D
    array of real numbers (no pickled objects) that the file is long enough to hold.
    `LatentError` otherwise (a 193-byte file claiming shape (10**11, 8) is refused here)."""
    p = _existing(path)
    try:
        with open(p, "rb") as fh:
            version = npformat.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = npformat.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = npformat.read_array_header_2_0(fh)
            else:
                raise LatentError(f"{p}: .npy format version {version} is not supported "
                                  "(save it with numpy's default format)")
            offset = fh.tell()
    except (ValueError, EOFError) as err:
        raise LatentError(f"{p}: not a valid .npy file ({err})") from None
    except OSError as err:
        raise LatentError(describe_os_error(p, err)) from None
    header = NpyHeader(tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran), offset)
    if header.dtype.hasobject:
        raise LatentError(f"{p}: holds pickled objects, which are never loaded")
    _check_header(header.shape, header.dtype, p)
    size = os.stat(p).st_size - offset
    if size < header.nbytes:
        raise LatentError(f"{p}: the header says shape {header.shape} ({_bytes(header.nbytes)}) "
                          f"but the file holds {_bytes(max(size, 0))} of data")
    return header


def _check_header(shape: tuple[int, ...], dtype: np.dtype, path: Path) -> None:
    """`guards.check_latent` of what a file's header promises (shape, dtype), without its data:
    checked as an array of that shape and dtype that takes no memory."""
    if dtype.subdtype is not None:  # numpy would spread it into dims of its own
        raise LatentError(f"{path} must hold real numbers, got dtype {dtype}")
    check_latent(np.broadcast_to(np.zeros((), dtype), shape), str(path), finite=False,
                 dtype=None, error=LatentError)


def _bytes(n: int) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


class LatentReader:
    """A latent file opened for reading in blocks: `.frames`, `.dims`, `.rate` (None for
    `.npy`) from its header; `blocks(n)` yields checked `(<= n, dims)` float32 arrays, so a
    long file is never held whole in memory."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        name = self.path.name.lower()
        if name.endswith(".npy"):
            self.header: NpyHeader | None = read_npy_header(self.path)
            self.frames, self.dims = self.header.shape
            self.rate: float | None = None
        elif name.endswith(".wav"):
            _load_kind(self.path)
            self.header = None
            try:
                with sf.SoundFile(str(self.path)) as f:
                    self.frames, self.dims = int(f.frames), int(f.channels)
                    self.rate = _stored_rate(f.comment, int(f.samplerate)) or float(f.samplerate)
            except (sf.LibsndfileError, RuntimeError, OSError) as err:
                reason = str(err).strip().split("': ", 1)[-1]
                raise LatentError(f"{self.path}: cannot read latent audio file ({reason})"
                                  ) from None
            _check_header((self.frames, self.dims), np.dtype(np.float32), self.path)
        else:
            raise LatentError(f"{self.path}: unknown latent file type; use .npy or "
                              f"{LATENT_SUFFIX}")

    def blocks(self, n: int) -> Iterator[np.ndarray]:
        """Consecutive `(<= n, dims)` float32 blocks; `LatentError` at the first NaN/inf
        (naming its frame and dim)."""
        if self.header is not None:
            h = self.header
            data = np.memmap(self.path, dtype=h.dtype, mode="r", shape=h.shape,
                             order="F" if h.fortran_order else "C", offset=h.offset)
            for start in range(0, self.frames, n):
                yield self._checked(np.array(data[start : start + n], dtype=np.float32), start)
            return
        with sf.SoundFile(str(self.path)) as f:
            start = 0
            while start < self.frames:
                block = f.read(n, dtype="float32", always_2d=True)
                if len(block) == 0:
                    return
                yield self._checked(block, start)
                start += len(block)

    def _checked(self, block: np.ndarray, start: int) -> np.ndarray:
        return check_latent(block, str(self.path), first_frame=start, error=LatentError)


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """Load a `(frames, dims)` latent array from `.npy` (never unpickles); float32 or float64.
    The header is checked first (`read_npy_header`): nothing is allocated for a file whose
    header promises more than it holds."""
    p = _existing(path)
    read_npy_header(p)
    try:
        a = np.load(p, allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise LatentError(f"{p}: holds pickled objects, which are never loaded") from None
        raise LatentError(f"{p}: not a valid .npy file ({err})") from None
    except (OSError, EOFError) as err:
        raise LatentError(f"{p}: cannot read .npy ({err})") from None
    if not isinstance(a, np.ndarray):
        raise LatentError(f"{p}: holds an archive of arrays, not one latent array")
    return validate_latent(a, str(p))


def save_npy(path: str | os.PathLike, latent: np.ndarray) -> Path:
    """Save a `(frames, dims)` latent array as `.npy` atomically (float32, or float64 if given)."""
    p = Path(path)
    a = validate_latent(latent, str(p))
    try:
        with atomic_output(p) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, a, allow_pickle=False)
    except OSError as err:
        raise LatentError(f"{p}: cannot write ({err})") from None
    return p


def wav_rate(latent_rate: float) -> int:
    """The integer WAV sample rate that stores a latent rate: `round(latent_rate)`, at least 1."""
    rate = float(latent_rate)
    if not np.isfinite(rate) or rate <= 0:
        raise LatentError(f"latent rate must be a positive number, got {latent_rate}")
    return max(1, int(round(rate)))


def write_latent_wav(
    path: str | os.PathLike, latent: np.ndarray, latent_rate: float, double: bool = False
) -> Path:
    """Write a latent audio file: one channel per dim, one sample per frame, atomically.

    The WAV rate is `round(latent_rate)`; the exact rate goes into the comment. Samples are
    32-bit float (Pure Data reads these), or 64-bit float with `double=True`.
    """
    p = Path(path)
    a = validate_latent(latent, str(p))
    rate = wav_rate(latent_rate)
    try:
        with atomic_output(p) as tmp:
            with open_wav_writer(tmp, rate, a.shape[1], double=double) as f:
                f.comment = f"{_RATE_TAG}{float(latent_rate)!r}"
                f.write(np.ascontiguousarray(a, dtype=np.float64 if double else np.float32))
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise LatentError(f"{p}: cannot write ({err})") from None
    return p


def _stored_rate(comment: str, wav_sr: int) -> float | None:
    m = _RATE_RE.search(comment or "")
    if not m:
        return None
    try:
        rate = float(m.group(1))
    except ValueError:
        return None
    if not np.isfinite(rate) or rate <= 0 or wav_rate(rate) != wav_sr:
        return None  # the file was re-written at another rate: trust its header
    return rate


def read_latent_wav(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """Read a latent audio file: `(frames, dims)` and the latent rate.

    The array is float32, or float64 for a 64-bit file. The rate is the exact one stored in the
    comment when present (files written here), else the WAV's integer rate.
    """
    p = _existing(path)
    try:
        with sf.SoundFile(str(p)) as f:
            comment = f.comment
            sr = int(f.samplerate)
            dtype = "float64" if f.subtype == "DOUBLE" else "float32"
            data = f.read(dtype=dtype, always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        reason = str(err).strip().split("': ", 1)[-1]
        raise LatentError(f"{p}: cannot read latent audio file ({reason})") from None
    rate = _stored_rate(comment, sr)
    return validate_latent(data, str(p)), (float(sr) if rate is None else rate)


def is_latent_wav(path: str | os.PathLike) -> bool:
    """True when `path` is a WAV holding a latent array, judged by content, not name.

    Files written by `write_latent_wav` carry the rate tag; other WAVs count as latent when
    their sample rate is at most `MAX_LATENT_WAV_RATE` Hz (audio never is; latent rates are
    tens of Hz).
    """
    p = _existing(path)
    try:
        with sf.SoundFile(str(p)) as f:
            return _RATE_TAG in (f.comment or "") or f.samplerate <= MAX_LATENT_WAV_RATE
    except (sf.LibsndfileError, RuntimeError, OSError):
        return False


def load_latent(path: str | os.PathLike) -> np.ndarray:
    """Load a latent array from `.npy`, a `*.latent.wav`, or a `.wav` that `is_latent_wav`.

    Returns `(frames, dims)` float32.
    """
    p = Path(path)
    return _load(p)[0].astype(np.float32, copy=False)


def load_latent_with_rate(path: str | os.PathLike) -> tuple[np.ndarray, float | None]:
    """Like `load_latent`, also returning the stored latent rate (None for `.npy`)."""
    lat, rate = _load(Path(path))
    return lat.astype(np.float32, copy=False), rate


def _load(p: Path) -> tuple[np.ndarray, float | None]:
    _existing(p)
    name = p.name.lower()
    if name.endswith(".npy"):
        return load_npy(p), None
    if name.endswith(LATENT_SUFFIX):
        return read_latent_wav(p)
    if name.endswith(".wav"):
        _load_kind(p)
        return read_latent_wav(p)
    raise LatentError(f"{p}: unknown latent file type; use .npy or {LATENT_SUFFIX}")


def _load_kind(p: Path) -> None:
    """Refuse a `.wav` that holds audio rather than a latent array (see `is_latent_wav`)."""
    _existing(p)
    if p.name.lower().endswith(LATENT_SUFFIX) or is_latent_wav(p):
        return
    try:
        info = sf.info(str(p))
        plural = "s" if info.channels != 1 else ""
        what = f"{info.samplerate} Hz, {info.channels} channel{plural}"
    except (sf.LibsndfileError, RuntimeError, OSError):
        raise LatentError(f"{p}: cannot read latent audio file") from None
    raise LatentError(f"{p}: looks like audio ({what}), not a latent file; encode it first")


def save_latent(
    path: str | os.PathLike, latent: np.ndarray, latent_rate: float, double: bool = False
) -> Path:
    """Save a latent array by extension: `.npy`, or `*.latent.wav` (see `write_latent_wav`)."""
    p = Path(path)
    name = p.name.lower()
    if name.endswith(".npy"):
        return save_npy(p, latent)
    if name.endswith(LATENT_SUFFIX):
        return write_latent_wav(p, latent, latent_rate, double=double)
    if name.endswith(".wav"):
        raise LatentError(
            f"{p}: a plain .wav is decoded audio; name latent audio files *{LATENT_SUFFIX}"
        )
    raise LatentError(f"{p}: unknown latent file type; use .npy or {LATENT_SUFFIX}")


__all__ = [
    "LATENT_SUFFIX",
    "LatentReader",
    "NpyHeader",
    "read_npy_header",
    "is_latent_wav",
    "load_latent",
    "load_latent_with_rate",
    "load_npy",
    "read_latent_wav",
    "save_latent",
    "save_npy",
    "validate_latent",
    "write_latent_wav",
]

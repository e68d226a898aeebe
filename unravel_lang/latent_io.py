"""Latent arrays on disk: `.npy` files and latent audio files (`*.latent.wav`).

A latent array is `(frames, dims)` float. A latent audio file is a WAV with one channel per
latent dimension, one sample per latent frame, at the latent rate rounded to an integer (WAV
needs one); the exact rate is kept in the file's comment (`unravel latent_rate=<float>`), so
reading gives back the same array and rate. Samples are float, so values beyond -1..+1 survive.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import soundfile as sf

from unravel_lang.audio import atomic_output, existing_file, open_wav_writer
from unravel_lang.errors import LatentError

LATENT_SUFFIX = ".latent.wav"
"""File name ending of a latent audio file."""

MAX_LATENT_WAV_RATE = 1000
"""A plain `.wav` whose sample rate is at most this is read as latent (audio never is that low)."""

_RATE_TAG = "unravel latent_rate="
_RATE_RE = re.compile(r"unravel latent_rate=([0-9.eE+-]+)")


def validate_latent(latent: np.ndarray, where: str = "latent") -> np.ndarray:
    """Check `latent` is a finite real `(frames, dims)` array with frames, dims >= 1.

    Returns it as a float array (float32 unless it already is float64). Raises `LatentError`
    naming `where` and, for NaN/inf, the first frame and dim holding one.
    """
    a = np.asarray(latent)
    if a.dtype.kind not in "fiu":
        raise LatentError(f"{where}: expected a real number array, got dtype {a.dtype}")
    if a.ndim != 2:
        raise LatentError(f"{where}: expected shape (frames, dims), got {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise LatentError(f"{where}: empty latent array of shape {a.shape}")
    if a.dtype != np.float64:
        a = a.astype(np.float32, copy=False)
    bad = ~np.isfinite(a)
    if bad.any():
        frame, dim = (int(i) for i in np.argwhere(bad)[0])
        raise LatentError(f"{where}: {a[frame, dim]} at frame {frame}, dim {dim}")
    return a


def _existing(path: str | os.PathLike) -> Path:
    return existing_file(path, LatentError, "a latent file")


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """Load a `(frames, dims)` latent array from `.npy` (never unpickles); float32 or float64."""
    p = _existing(path)
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
    name = p.name.lower()
    if name.endswith(".npy"):
        return load_npy(p), None
    if name.endswith(LATENT_SUFFIX):
        return read_latent_wav(p)
    if name.endswith(".wav"):
        _existing(p)
        if not is_latent_wav(p):
            try:
                info = sf.info(str(p))
                plural = "s" if info.channels != 1 else ""
                what = f"{info.samplerate} Hz, {info.channels} channel{plural}"
            except (sf.LibsndfileError, RuntimeError, OSError):
                raise LatentError(f"{p}: cannot read latent audio file") from None
            raise LatentError(
                f"{p}: looks like audio ({what}), not a latent file; encode it first"
            )
        return read_latent_wav(p)
    raise LatentError(f"{p}: unknown latent file type; use .npy or {LATENT_SUFFIX}")


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

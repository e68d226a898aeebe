"""What the view page draws, computed from the engine's output: latent rows for JSON, the level
meter and the spectrum strip. Pure functions over numpy arrays."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

FLOOR_DB = -90.0
"""The lowest level the meter and the spectrum show (dB relative to full scale)."""

BANDS = 48
"""Bands of the spectrum strip, log-spaced from `LOW_HZ` to half the sample rate."""

LOW_HZ = 30.0


def latent_rows(latent: np.ndarray, decimals: int = 3) -> list[list[float | None]]:
    """`latent` `(frames, dims)` as nested lists rounded to `decimals`, NaN as None (JSON null)."""
    rounded = np.round(np.asarray(latent, dtype=np.float64), decimals)
    rows = rounded.tolist()
    if np.isnan(rounded).any():
        rows = [[None if v != v else v for v in row] for row in rows]
    return rows


def level_db(mono: np.ndarray) -> tuple[float, float]:
    """`(rms, peak)` of samples `(n,)` in dB relative to full scale, floored at `FLOOR_DB`."""
    if mono.size == 0:
        return FLOOR_DB, FLOOR_DB
    x = np.asarray(mono, dtype=np.float64)
    rms = float(np.sqrt(np.mean(x * x)))
    peak = float(np.max(np.abs(x)))
    return _db(rms), _db(peak)


def _db(amplitude: float) -> float:
    if amplitude <= 0.0:
        return FLOOR_DB
    return max(FLOOR_DB, 20.0 * float(np.log10(amplitude)))


@lru_cache(maxsize=8)
def _band_edges(n: int, sr: int, bands: int) -> np.ndarray:
    """rfft bin index where each of `bands` log-spaced bands begins, plus the end: `(bands+1,)`."""
    hz = np.geomspace(LOW_HZ, sr / 2.0, bands + 1)
    edges = np.round(hz * n / sr).astype(np.int64)
    edges = np.clip(edges, 1, n // 2 + 1)
    for i in range(1, len(edges)):  # every band holds one bin at least
        edges[i] = max(edges[i], edges[i - 1] + 1)
    return np.minimum(edges, n // 2 + 1)


@lru_cache(maxsize=8)
def _window(n: int) -> np.ndarray:
    return np.hanning(n)


def spectrum_db(mono: np.ndarray, sr: int, bands: int = BANDS) -> np.ndarray:
    """The spectrum of samples `(n,)` at `sr` Hz in `bands` log-spaced bands from `LOW_HZ` to
    sr/2: float `(bands,)`, the strongest bin of each band in dB relative to a full-scale sine,
    floored at `FLOOR_DB` (a band above the last bin repeats it)."""
    n = int(mono.size)
    if n < 4:
        return np.full(bands, FLOOR_DB)
    window = _window(n)
    mag = np.abs(np.fft.rfft(np.asarray(mono, dtype=np.float64) * window)) / (window.sum() / 2)
    edges = _band_edges(n, int(sr), bands)
    out = np.empty(bands)
    for i in range(bands):
        lo, hi = edges[i], edges[i + 1]
        out[i] = mag[min(lo, len(mag) - 1) : max(hi, lo + 1)].max()
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(out)
    return np.maximum(np.nan_to_num(db, nan=FLOOR_DB, neginf=FLOOR_DB), FLOOR_DB)


def meter_frames(audio: np.ndarray, ratio: int, sr: int) -> list[tuple[float, float, list[int]]]:
    """Per latent frame of mixed audio `(channels, n)` (n a multiple of `ratio`, else the tail
    is a shorter frame): `(rms_db, peak_db, spectrum)` with the spectrum as ints (dB)."""
    mono = np.asarray(audio, dtype=np.float32).mean(axis=0)
    out = []
    for a in range(0, mono.size, ratio):
        chunk = mono[a : a + ratio]
        rms, peak = level_db(chunk)
        spec = np.round(spectrum_db(chunk, sr)).astype(int).tolist()
        out.append((round(rms, 1), round(peak, 1), spec))
    return out

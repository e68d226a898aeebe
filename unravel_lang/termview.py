"""A compact unicode view of a latent array for the terminal: one sparkline row per dimension.

Each dimension is scaled to its own range (the lowest value is ``▁``, the highest ``█``) and the
value range is printed after the row. A ruler row above the sparklines marks bars (``|`` followed
by the bar number) and beats (``·``) of the tempo grid when a beat length ``k`` is given. Arrays
longer than the available columns are downsampled by averaging consecutive frames into one
column; the header says how many frames each column holds.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from unravel_lang.errors import LatentError, UnravelError
from unravel_lang.guards import check_latent
from unravel_lang.tempo import DEFAULT_BEATS

BLOCKS = "▁▂▃▄▅▆▇█"
MIN_WIDTH = 30


def as_latent(latent: object) -> np.ndarray:
    """`latent` as a finite float64 `(frames, dims)` array (a 1-D array is one dim; empty
    allowed), or a `LatentError` naming the fault (`guards.check_latent`)."""
    return check_latent(latent, "the latent array", allow_empty=True, vector_as_column=True,
                        dtype=np.float64, error=LatentError)


def _fmt(value: float) -> str:
    """A value in at most 6 characters."""
    text = f"{value:.2f}"
    return text if len(text) <= 6 else f"{value:.0e}"


def column_means(latent: np.ndarray, per_column: int) -> np.ndarray:
    """Average each run of `per_column` consecutive frames: `(frames, dims)` -> `(cols, dims)`.

    The last column averages the frames that remain (it may hold fewer than `per_column`).
    NaN values are left out of the average; a column of NaN only stays NaN.
    """
    frames = latent.shape[0]
    cols = math.ceil(frames / per_column)
    starts = np.arange(cols) * per_column
    present = np.isfinite(latent)
    sums = np.add.reduceat(np.where(present, latent, 0.0), starts, axis=0)
    counts = np.add.reduceat(present.astype(np.int64), starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def sparkline(values: np.ndarray) -> str:
    """One block character per value, scaled so the lowest value is ``▁`` and the highest ``█``.

    A constant row is drawn at mid height (``▄``); NaN values are drawn as blanks.
    """
    present = np.isfinite(values)
    if not present.any():
        return " " * len(values)
    lo, hi = float(np.min(values[present])), float(np.max(values[present]))
    if hi - lo <= 1e-12 * max(1.0, abs(hi), abs(lo)):
        levels = np.full(len(values), 3)
    else:
        scaled = (np.where(present, values, lo) - lo) / (hi - lo) * (len(BLOCKS) - 1)
        levels = np.rint(scaled).astype(int)
    return "".join(BLOCKS[i] if ok else " " for i, ok in zip(levels, present, strict=True))


def ruler(frames: int, per_column: int, k: int, beats_per_bar: int, bar_step: int = 1) -> str:
    """The grid row: ``|`` and the bar number at the column where a bar starts, ``·`` at beats.

    Beats are marked only when a beat spans at least one column; with `bar_step` > 1 only
    every `bar_step`-th bar is marked. Bar numbers are written only where they cover nothing.
    """
    cols = math.ceil(frames / per_column)
    row = [" "] * cols
    bar = k * beats_per_bar
    if k >= per_column:
        for f in range(0, frames, k):
            row[f // per_column] = "·"
    bar_starts = [(f // per_column, i + 1) for i, f in enumerate(range(0, frames, bar))]
    bar_starts = bar_starts[::bar_step]
    for c, _ in bar_starts:
        row[c] = "|"
    for c, number in bar_starts:
        label = str(number)
        span = range(c + 1, c + 1 + len(label))
        if span.stop <= cols and all(row[j] == " " for j in span):
            for j, ch in zip(span, label, strict=True):
                row[j] = ch
    return "".join(row)


def _check_view(k: int | None, beats_per_bar: int, width: int) -> None:
    if width < MIN_WIDTH:
        raise UnravelError(f"the terminal view needs a width of at least {MIN_WIDTH} columns")
    if k is not None and (isinstance(k, bool) or int(k) != k or k < 1):
        raise UnravelError(f"k (frames per beat) must be a positive integer; got {k}")
    if isinstance(beats_per_bar, bool) or int(beats_per_bar) != beats_per_bar or beats_per_bar < 1:
        raise UnravelError(f"beats per bar must be a positive integer; got {beats_per_bar}")


def _view(
    rows: list[tuple[str, np.ndarray]],
    frames: int,
    title: str,
    k: int | None,
    beats_per_bar: int,
    width: int,
) -> str:
    """Header, ruler and one sparkline per `(label, values)` row; `values` is `(frames,)` with
    NaN where the row is silent (drawn as blanks)."""
    label_w = max(len(label) for label, _ in rows) + 1
    ranges = []
    for _, values in rows:
        lo, hi = np.nanmin(values), np.nanmax(values)
        ranges.append(f" {_fmt(lo)}..{_fmt(hi)}")
    avail = width - label_w - max(len(r) for r in ranges)
    per_column = max(1, math.ceil(frames / avail))

    parts = [title]
    if per_column > 1:
        parts.append(f"{per_column} frames per column")
    grid = None
    if k is not None:
        k = int(k)
        bar = k * int(beats_per_bar)
        bar_step = 1
        while bar * bar_step < 3 * per_column:
            bar_step *= 2
        parts.append(f"beat = {k} frames, bar = {beats_per_bar} beats")
        if bar_step > 1:
            parts.append(f"ruler marks every {bar_step} bars")
        elif k < per_column:
            parts.append("ruler marks bars")
        grid = " " * label_w + ruler(frames, per_column, k, int(beats_per_bar), bar_step)
    lines = textwrap.wrap(", ".join(parts), width=width, break_on_hyphens=False)
    if grid is not None:
        lines.append(grid)
    for (label, values), value_range in zip(rows, ranges, strict=True):
        cols = column_means(values[:, None], per_column)[:, 0]
        lines.append(label.ljust(label_w) + sparkline(cols) + value_range)
    return "\n".join(line.rstrip() for line in lines)


def latent_view(
    latent: object, k: int | None = None, beats_per_bar: int = DEFAULT_BEATS, width: int = 100
) -> str:
    """Render a `(frames, dims)` latent array as text lines no wider than `width` columns.

    Line 1 is a header (shape, frames per column, the grid); with `k` (frames per beat) a
    ruler row follows; then one row per dimension: its label, its sparkline and its value
    range. `k` must be a positive integer, `beats_per_bar` too, `width` at least 30.
    A `Plan` (anything with `voices`) is drawn by `plan_view`.
    """
    if hasattr(latent, "voices"):
        return plan_view(latent, k, beats_per_bar, width)
    arr = as_latent(latent)
    _check_view(k, beats_per_bar, width)
    frames, dims = arr.shape
    if frames == 0 or dims == 0:
        return f"empty latent array: {frames} frames × {dims} dims"[:width]
    rows = [(f"d{d}", arr[:, d]) for d in range(dims)]
    return _view(rows, frames, f"{frames} frames × {dims} dims", k, beats_per_bar, width)


def plan_view(plan: object, k: int | None = None, beats_per_bar: int = DEFAULT_BEATS,
              width: int = 100) -> str:
    """Render a `Plan` as text: its voices on one timeline, one sparkline row per voice and dim.

    Rows are labelled ``v1 d0``, ``v1 d1``, …, ``v2 d0``; a voice's row is blank before it
    starts and after it ends. Columns, ruler and scaling as in `latent_view`.
    """
    _check_view(k, beats_per_bar, width)
    voices = list(plan.voices)
    if not voices:
        return "empty plan: no voices"
    arrays = [as_latent(v.latent) for v in voices]
    frames = max(int(v.start) + a.shape[0] for v, a in zip(voices, arrays, strict=True))
    rows = []
    for i, (voice, arr) in enumerate(zip(voices, arrays, strict=True)):
        start = int(voice.start)
        for d in range(arr.shape[1]):
            values = np.full(frames, np.nan)
            values[start : start + arr.shape[0]] = arr[:, d]
            label = f"v{i + 1} d{d}" if d == 0 else f"{'':{len(str(i + 1)) + 1}} d{d}"
            if arr.shape[0]:
                rows.append((label, values))
    if not rows:
        return f"empty plan: {len(voices)} voices of 0 frames"
    title = f"{len(voices)} voice{'s' if len(voices) != 1 else ''}, {frames} frames"
    return _view(rows, frames, title, k, beats_per_bar, width)

"""Text about values for `show` and `unravel check`: shape, seconds, bars, per-dim summary."""

from __future__ import annotations

from typing import Any

import numpy as np

from unravel_lang.lang.context import Grid
from unravel_lang.plan import Plan
from unravel_lang.termview import latent_view


def timing(grid: Grid, frames: float) -> str:
    """`0.88 s · 0.4318 bars at k=11`: how long `frames` latent frames last on `grid`."""
    seconds = frames / grid.latent_rate
    bars = frames / (grid.k * grid.beats_per_bar)
    return f"{seconds:.2f} s · {bars:.4g} bars at k={grid.k}"


def summary(grid: Grid, value: Any) -> str:
    """One line: `(19, 8) latent array · 0.88 s · 0.4318 bars at k=11`."""
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return f"{value.shape} latent array · {timing(grid, value.shape[0])}"
    if isinstance(value, Plan):
        n = len(value.voices)
        return f"plan of {n} voice{'s' * (n != 1)} · {value.frames} frames · " + timing(
            grid, value.frames)
    if type(value).__name__ == "Stats":
        return f"stats of {value.frames} frames × {value.dims} dims"
    if isinstance(value, tuple) and len(value) == 2:
        return f"ratio {value[0]}:{value[1]}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _dims_table(a: np.ndarray) -> list[str]:
    lines = ["  dim    mean     std     min     max"]
    x = a.astype(np.float64)
    if a.shape[0] == 0:
        return lines
    for d, (m, s, lo, hi) in enumerate(zip(x.mean(0), x.std(0), x.min(0), x.max(0), strict=False)):
        lines.append(f"  {d:3d} {m:7.3f} {s:7.3f} {lo:7.3f} {hi:7.3f}")
    return lines


def describe(grid: Grid, value: Any) -> str:
    """Several lines: the summary, then per-dim statistics (arrays), voices (plans) or the
    table (stats); arrays also get the terminal view of `unravel_lang.termview`."""
    lines = [summary(grid, value)]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        lines += _dims_table(value)
        if value.shape[0]:
            lines.append(latent_view(value, k=grid.k, beats_per_bar=grid.beats_per_bar))
    elif isinstance(value, Plan):
        for i, v in enumerate(value.voices):
            lines.append(f"  voice {i}: frames {v.start}..{v.end} {v.latent.shape}"
                         f" gain {v.gain:g}")
    elif type(value).__name__ == "Stats":
        lines.append(str(value))
    return "\n".join(lines)

"""Distributions: values per latent dimension (violins or boxes) and correlation matrices, of
encodings, of generated arrays, and of both side by side."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from unravel_lang.errors import LatentError, UnravelError
from unravel_lang.plot.axes import dim_ticks, latent_array
from unravel_lang.plot.picture import COLORS, PathLike, Picture, figure, finish

#: Violins and histograms use at most this many frames per array (taken at an even stride).
MAX_DIST_FRAMES = 20_000


@dataclass
class _Source:
    """One distribution to draw: the data when known, else the summary from a `Stats`."""

    label: str
    data: np.ndarray | None
    mean: np.ndarray
    std: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    quartiles: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    corr: np.ndarray

    @property
    def dims(self) -> int:
        return self.mean.shape[0]


def is_stats(value: object) -> bool:
    """True for a `Stats`-like summary (mean, std, corr), not an array."""
    return all(hasattr(value, name) for name in ("mean", "std", "corr")) and not isinstance(
        value, np.ndarray
    )


def _corr(data: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns of `data`; 0 where a column is constant."""
    dims = data.shape[1]
    if data.shape[0] < 2:
        return np.eye(dims)
    centred = data - data.mean(axis=0)
    std = centred.std(axis=0)
    safe = np.where(std > 0, std, 1.0)
    corr = (centred / safe).T @ (centred / safe) / data.shape[0]
    corr[std == 0, :] = 0.0
    corr[:, std == 0] = 0.0
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)


def _quartiles_of(stats: object) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The 25th, 50th and 75th percentiles from `stats.percentiles`, when it holds them.

    `percentiles` may map a percentile (number or string) to a `(dims,)` array.
    """
    pct = getattr(stats, "percentiles", None)
    if not isinstance(pct, Mapping):
        return None
    found = {}
    for key, values in pct.items():
        try:
            found[float(str(key).rstrip("%").lstrip("p"))] = np.asarray(values, dtype=np.float64)
        except ValueError:
            continue
    if all(q in found for q in (25.0, 50.0, 75.0)):
        return found[25.0], found[50.0], found[75.0]
    return None


def _source(value: object, label: str) -> _Source:
    """A `_Source` from a `Stats`, a `(frames, dims)` array or a sequence of such arrays."""
    if is_stats(value):
        mean = np.atleast_1d(np.asarray(value.mean, dtype=np.float64))
        std = np.atleast_1d(np.asarray(value.std, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(getattr(value, "min", mean - std), dtype=np.float64))
        hi = np.atleast_1d(np.asarray(getattr(value, "max", mean + std), dtype=np.float64))
        corr = np.atleast_2d(np.asarray(value.corr, dtype=np.float64))
        return _Source(label, None, mean, std, lo, hi, _quartiles_of(value), corr)
    if isinstance(value, (list, tuple)):
        if not value:
            raise LatentError(f"{label}: no arrays to plot")
        parts = [latent_array(v) for v in value]
        dims = {p.shape[1] for p in parts}
        if len(dims) > 1:
            raise LatentError(f"{label}: the arrays have different numbers of dims: {sorted(dims)}")
        data = np.concatenate(parts, axis=0)
    else:
        data = latent_array(value)
    quartiles = tuple(np.percentile(data, [25, 50, 75], axis=0))
    return _Source(label, data, data.mean(axis=0), data.std(axis=0), data.min(axis=0),
                   data.max(axis=0), quartiles, _corr(data))


def _draw_distributions(ax: Any, sources: Sequence[_Source]) -> None:
    """Per-dimension violins (data) or boxes (Stats only), one group per dim, one colour each."""
    dims = sources[0].dims
    n = len(sources)
    width = 0.8 / n
    for i, src in enumerate(sources):
        color = COLORS[i % len(COLORS)]
        pos = np.arange(dims) - 0.4 + width * (i + 0.5)
        if src.data is not None:
            stride = max(1, math.ceil(src.data.shape[0] / MAX_DIST_FRAMES))
            sample = src.data[::stride]
            varied = [d for d in range(dims) if np.ptp(sample[:, d]) > 0]
            if varied:
                parts = ax.violinplot([sample[:, d] for d in varied], positions=pos[varied],
                                      widths=width * 0.95, showextrema=False)
                for body in parts["bodies"]:
                    body.set_facecolor(color)
                    body.set_edgecolor(color)
                    body.set_alpha(0.55)
            ax.vlines(pos, src.lo, src.hi, color=color, lw=0.8, alpha=0.8)
        else:
            ax.vlines(pos, src.lo, src.hi, color=color, lw=0.8)
            low, high = (src.quartiles[0], src.quartiles[2]) if src.quartiles else (
                src.mean - src.std, src.mean + src.std)
            ax.bar(pos, high - low, bottom=low, width=width * 0.7, color=color, alpha=0.55)
        ax.scatter(pos, src.mean, s=14, color="white", edgecolors=color, zorder=3, lw=1.2)
        ax.plot([], [], color=color, lw=6, alpha=0.55, label=src.label)
    ax.set_xlim(-0.5, dims - 0.5)
    dim_ticks(ax, dims, axis="x")
    for d in range(1, dims):
        ax.axvline(d - 0.5, color="#dddddd", lw=0.6, zorder=0)
    ax.axhline(0, color="#999999", lw=0.6, zorder=0)
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("value")


def _draw_corr(ax: Any, corr: np.ndarray, title: str, numbers: bool = True) -> Any:
    dims = corr.shape[0]
    image = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    dim_ticks(ax, dims, axis="x")
    dim_ticks(ax, dims, axis="y")
    if numbers and dims <= 8:
        for i in range(dims):
            for j in range(dims):
                ax.text(j, i, f"{corr[i, j]:.2f}", ha="center", va="center", fontsize=7.5,
                        color="white" if abs(corr[i, j]) > 0.6 else "black")
    ax.set_title(title, fontsize=10)
    return image


def _distribution_note(src: _Source) -> str:
    if src.data is not None:
        return f"{src.label}: {src.data.shape[0]} frames × {src.dims} dims"
    return f"{src.label}: {src.dims} dims (summary statistics)"


def plot_stats(stats: object, path: PathLike = None, title: str | None = None) -> Picture:
    """Draw the value distribution per latent dimension and the correlation matrix.

    `stats` is a `(frames, dims)` array, a list of such arrays (pooled, as a set of encodings),
    or a `Stats`. With data each dimension gets a violin (its value density), a line from
    min to max and its mean (white dot); a `Stats` holds no data, so each dimension gets a box
    from the 25th to the 75th percentile (mean ± std when it has no percentiles), the min-max
    line and the mean. Writes a PNG to `path` when given.
    """
    src = _source(stats, "values")
    width_ratios = [max(2.0, 0.25 * src.dims + 1.2), 1.6]
    with figure(3.8) as fig:
        dist_ax, corr_ax = fig.subplots(1, 2, width_ratios=width_ratios)
        _draw_distributions(dist_ax, [src])
        dist_ax.set_title("distribution per dimension")
        dist_ax.legend().remove()
        image = _draw_corr(corr_ax, src.corr, "correlation between dimensions")
        fig.colorbar(image, ax=corr_ax, shrink=0.8, label="correlation")
        fig.suptitle(title or _distribution_note(src), fontweight="bold")
        return finish(fig, path)


def _outside(src: _Source, ref: _Source) -> float | None:
    """Percentage of the values of `src` outside the per-dimension min..max of `ref`."""
    if src.data is None:
        return None
    out = (src.data < ref.lo) | (src.data > ref.hi)
    return 100.0 * float(out.mean())


def plot_compare(
    encoded: object, generated: object, path: PathLike = None, title: str | None = None
) -> Picture:
    """Draw encoded and generated distributions side by side, per dimension, with correlations.

    `encoded` is an array, a list of arrays (pooled) or a `Stats`; `generated` is an array, a
    `Stats`, or a mapping of label to either (e.g. ``{"normal": ..., "uniform": ...}``). The top
    panel puts each dimension's violins next to each other, the encodings first in grey; the
    legend says what share of each generated array's values lies outside the encoded min..max.
    Below, one correlation matrix per source. All must have the same number of dims.
    """
    ref = _source(encoded, "encoded")
    items = generated.items() if isinstance(generated, Mapping) else [("generated", generated)]
    sources = [ref] + [_source(value, str(label)) for label, value in items]
    if len(sources) < 2:
        raise UnravelError("plot_compare needs at least one generated array")
    for src in sources[1:]:
        if src.dims != ref.dims:
            raise LatentError(
                f"{src.label} has {src.dims} dims but the encodings have {ref.dims}; "
                "compare arrays of the same model"
            )
        share = _outside(src, ref)
        if share is not None:
            src.label += f" ({share:.1f} % outside the encoded range)"
    n = len(sources)
    with figure(3.4 + 10.0 / max(n, 3) + 0.6) as fig:
        grid = fig.add_gridspec(2, n, height_ratios=[3.2, 10.0 / max(n, 3)])
        dist_ax = fig.add_subplot(grid[0, :])
        _draw_distributions(dist_ax, sources)
        dist_ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=min(n, 2),
                       frameon=False, borderaxespad=0.2)
        corr_axes = [fig.add_subplot(grid[1, i]) for i in range(n)]
        for ax, src in zip(corr_axes, sources, strict=True):
            name = src.label.split(" (")[0]
            image = _draw_corr(ax, src.corr, f"correlation: {name}", numbers=False)
        fig.colorbar(image, ax=corr_axes[-1], shrink=0.9, label="correlation")
        fig.suptitle(title or "generated vs encoded: distribution per dimension",
                     fontweight="bold")
        return finish(fig, path)


def plot_generated(
    encoded: object,
    generated: np.ndarray,
    path: PathLike = None,
    k: int | None = None,
    latent_rate: float | None = None,
    title: str | None = None,
) -> Picture:
    """Draw a generated array against the encodings it was drawn from: top, the distribution
    per dimension (encoded in grey, generated in colour); bottom, the generated `(frames, dims)`
    array as time series, one line per dimension, with beat lines every `k` frames.

    `encoded` is an array, a list of arrays (pooled) or a `Stats`. Writes a PNG to `path` when
    given. This is the picture `unravel generate --plot` writes.
    """
    ref = _source(encoded, "encoded")
    gen = _source(generated, "generated")
    if gen.dims != ref.dims:
        raise LatentError(f"generated has {gen.dims} dims but the encodings have {ref.dims}")
    share = _outside(gen, ref)
    if share is not None:
        gen.label += f" ({share:.1f} % outside the encoded range)"
    arr = latent_array(generated)
    frames, dims = arr.shape
    with figure(3.4 + 2.6) as fig:
        dist_ax, series_ax = fig.subplots(2, 1, height_ratios=[3.2, 2.6])
        _draw_distributions(dist_ax, [ref, gen])
        dist_ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False,
                       borderaxespad=0.2)
        x = np.arange(frames)
        for d in range(dims):
            series_ax.plot(x, arr[:, d], color=COLORS[d % len(COLORS)], lw=0.9,
                           label=f"d{d}" if dims <= 8 else None)
        if k is not None and k < frames <= 48 * k:
            for f in range(k, frames, k):
                series_ax.axvline(f, color="black", lw=0.5, alpha=0.3)
        if dims <= 8:
            series_ax.legend(loc="upper right", ncols=min(dims, 8), fontsize=8, frameon=False)
        series_ax.set_xlim(0, max(frames - 1, 1))
        series_ax.set_xlabel("frame" + (f" (beat = {k} frames"
                                        + (f", {60 * latent_rate / k:.2f} BPM" if latent_rate
                                           else "") + ")" if k else ""))
        series_ax.set_ylabel("value")
        series_ax.set_title("generated array: time series per dimension", fontsize=10)
        fig.suptitle(title or f"generated: {frames} frames × {dims} dims", fontweight="bold")
        return finish(fig, path)


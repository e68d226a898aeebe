"""PNG pictures of latent arrays, their distributions and patterns (matplotlib, optional).

matplotlib is an optional extra (``pip install 'unravel-lang[plot]'``); it is imported only when
a picture is drawn. Figures are drawn on matplotlib's Agg canvas without pyplot, so plotting
never opens a window and never changes the global matplotlib state.

Every function returns a `Picture`: the PNG bytes, and the path they were written to when a
path was given (written atomically: a failed plot leaves no file behind). A `Picture` shows
itself inline in Jupyter.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unravel_lang.errors import LatentError, UnravelError
from unravel_lang.termview import as_latent

MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install 'unravel-lang[plot]'"
DPI = 110
WIDTH_IN = 10.0
#: Series colours: encoded data first, then generated arrays.
COLORS = ("#4d4d4d", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
#: Violins and histograms use at most this many frames per array (taken at an even stride).
MAX_DIST_FRAMES = 20_000
STYLE = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


PathLike = str | os.PathLike | None


class Picture:
    """A rendered PNG image: `png` bytes, `path` it was written to (or None), `width`/`height`.

    In Jupyter a `Picture` displays inline (`_repr_png_`); `os.fspath(picture)` is its path.
    """

    def __init__(self, png: bytes, path: Path | None) -> None:
        self.png = png
        self.path = path
        self.width, self.height = struct.unpack(">II", png[16:24])

    def _repr_png_(self) -> bytes:
        return self.png

    def __fspath__(self) -> str:
        if self.path is None:
            raise TypeError("this picture was not written to a file")
        return os.fspath(self.path)

    def __repr__(self) -> str:
        where = f" {self.path}" if self.path is not None else ""
        return f"<Picture {self.width}×{self.height} px{where}>"

    def save(self, path: str | os.PathLike) -> Path:
        """Write the PNG bytes to `path` (atomically); return the path."""
        target = _png_path(path)
        _write(target, self.png)
        self.path = target
        return target


def _matplotlib() -> tuple[Any, Any, Any]:
    """`(matplotlib, Figure, FigureCanvasAgg)`, or an `UnravelError` saying how to install it."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UnravelError(MISSING_MATPLOTLIB) from None
    return matplotlib, Figure, FigureCanvasAgg


@contextlib.contextmanager
def _figure(height_in: float, width_in: float = WIDTH_IN) -> Iterator[Any]:
    """A constrained-layout Figure on an Agg canvas, drawn under the package style."""
    matplotlib, figure_cls, canvas_cls = _matplotlib()
    with matplotlib.rc_context(STYLE):
        fig = figure_cls(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
        canvas_cls(fig)
        yield fig


def _png_path(path: str | os.PathLike) -> Path:
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise UnravelError(f"{target}: pictures are written as PNG; name the file *.png")
    if target.is_dir():
        raise UnravelError(f"{target}: is a folder, not a file name")
    return target


def _write(target: Path, png: bytes) -> None:
    from unravel_lang.audio import atomic_output

    try:
        with atomic_output(target) as tmp:
            tmp.write_bytes(png)
    except OSError as err:
        raise UnravelError(f"{target}: cannot write the picture ({err.strerror or err})") from None


def _finish(fig: Any, path: PathLike) -> Picture:
    """Render `fig` to PNG bytes; write them to `path` (a *.png name) when it is given."""
    target = _png_path(path) if path is not None else None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    png = buf.getvalue()
    if target is not None:
        _write(target, png)
    return Picture(png, target)


# ---------------------------------------------------------------------------------------------
# latent arrays


def _check_grid(k: int | None, beats_per_bar: int) -> tuple[int | None, int]:
    if k is not None:
        if isinstance(k, bool) or int(k) != k or k < 1:
            raise UnravelError(f"k (frames per beat) must be a positive integer; got {k!r}")
        k = int(k)
    if isinstance(beats_per_bar, bool) or int(beats_per_bar) != beats_per_bar or beats_per_bar < 1:
        raise UnravelError(f"beats per bar must be a positive integer; got {beats_per_bar!r}")
    return k, int(beats_per_bar)


def _plot_latent_array(latent: object) -> np.ndarray:
    arr = as_latent(latent)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise LatentError(f"nothing to plot: the latent array has shape {arr.shape}")
    return arr


def _dim_ticks(ax: Any, dims: int, axis: str = "y") -> None:
    step = max(1, math.ceil(dims / 16))
    ticks = list(range(0, dims, step))
    labels = [f"d{d}" for d in ticks]
    if axis == "y":
        ax.set_yticks(ticks, labels)
    else:
        ax.set_xticks(ticks, labels)


def _heatmap(ax: Any, arr: np.ndarray, start: int = 0, vmax: float | None = None) -> Any:
    """Draw `arr` `(frames, dims)` as an image: frames along x from `start`, d0 at the top."""
    frames, dims = arr.shape
    if vmax is None:
        vmax = float(np.max(np.abs(arr))) or 1.0
    ax.xaxis.get_major_locator().set_params(integer=True)
    return ax.imshow(
        arr.T,
        aspect="auto",
        interpolation="nearest",
        cmap="RdBu_r",
        vmin=-vmax,
        vmax=vmax,
        extent=(start, start + frames, dims - 0.5, -0.5),
    )


#: Pixels of the heatmap's width (about): spaces the grid lines so they never hide the data.
_GRID_PX = 900.0


def _bar_step(frames: int, k: int, beats_per_bar: int) -> int:
    """Draw every `n`-th bar line (n a power of 2) so bar lines are at least 20 px apart."""
    px_per_bar = k * beats_per_bar * _GRID_PX / frames
    step = 1
    while px_per_bar * step < 20:
        step *= 2
    return step


def _grid(axes: Sequence[Any], frames: int, k: int, beats_per_bar: int) -> None:
    """Beat lines (thin) and bar lines (thick) over every axes in `axes`, frames along x.

    Beats are drawn only when at least 6 px apart; bars, every `_bar_step` bars.
    """
    bar = k * beats_per_bar
    step = _bar_step(frames, k, beats_per_bar)
    beats = k * _GRID_PX / frames >= 6
    bar_lw = 1.3 if bar * step * _GRID_PX / frames >= 24 else 0.8
    for ax in axes:
        if beats:
            for f in range(k, frames, k):
                if f % bar:
                    ax.axvline(f, color="black", lw=0.5, alpha=0.35)
        for f in range(0, frames + 1, bar * step):
            ax.axvline(f, color="black", lw=bar_lw, alpha=0.85)


def _bar_numbers(ax: Any, frames: int, k: int, beats_per_bar: int) -> None:
    """Bar numbers along the top edge of `ax`, at most about 24 of them, on drawn bar lines."""
    bar = k * beats_per_bar
    step = _bar_step(frames, k, beats_per_bar)
    count = math.ceil(frames / bar)
    while count / step > 24:
        step *= 2
    starts = list(range(0, frames, bar * step))
    top = ax.secondary_xaxis("top")
    top.set_xticks(starts, [str(1 + i * step) for i in range(len(starts))])
    top.set_xlabel("bar")
    top.tick_params(labelsize=9, length=2)


def _grid_note(k: int | None, beats_per_bar: int, latent_rate: float | None,
               frames: int = 0) -> str:
    if k is None:
        return ""
    note = f" · beat = {k} frames"
    if latent_rate:
        note += f" ({60 * latent_rate / k:.2f} BPM)"
    note += f", {beats_per_bar} beats per bar"
    step = _bar_step(frames, k, beats_per_bar) if frames else 1
    if step > 1:
        note += f", a line every {step} bars"
    return note


def _envelope(signal: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min and max of `signal` in `bins` even runs: `(first sample of each run, min, max)`."""
    bins = max(1, min(bins, signal.shape[0]))
    edges = np.linspace(0, signal.shape[0], bins + 1).astype(int)[:-1]
    return edges, np.minimum.reduceat(signal, edges), np.maximum.reduceat(signal, edges)


def _spectrogram(mono: np.ndarray, n_fft: int = 1024) -> np.ndarray:
    """Magnitude in dB (0 = loudest) of Hann-windowed frames: `(n_fft // 2 + 1, columns)`."""
    if mono.shape[0] < n_fft:
        mono = np.pad(mono, (0, n_fft - mono.shape[0]))
    hop = max(n_fft // 4, mono.shape[0] // 3000)
    count = 1 + (mono.shape[0] - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(count)[:, None]
    spec = np.abs(np.fft.rfft(mono[idx] * np.hanning(n_fft), axis=1)).T
    db = 20 * np.log10(spec + 1e-9)
    return np.clip(db - db.max(), -80.0, 0.0)


def _rate_note(latent_rate: float | None) -> str:
    if not latent_rate:
        return "latent frames"
    return f"latent frames (1 frame = {1000 / latent_rate:.1f} ms)"


def _finish_timeline(fig, axes, path, audio, model, frames: int, k: int | None,
                     beats_per_bar: int, latent_rate: float | None, title: str | None,
                     heading: str) -> Picture:
    """Shared ending of the timeline pictures: the decoded audio in the last two axes (when
    there is audio), the time axis, the beat and bar grid, then `title`, or `heading` with a
    note on the grid; then write."""
    if audio is not None:
        _draw_audio(axes[-2], axes[-1], audio, model)
    axes[0].set_xlim(0, frames)
    axes[-1].set_xlabel(_rate_note(latent_rate))
    if k is not None:
        _grid(axes, frames, k, beats_per_bar)
        _bar_numbers(axes[0], frames, k, beats_per_bar)
    fig.suptitle(title or heading + _grid_note(k, beats_per_bar, latent_rate, frames),
                 fontweight="bold")
    return _finish(fig, path)


def plot_latent(
    latent: np.ndarray,
    path: PathLike = None,
    k: int | None = None,
    beats_per_bar: int = 4,
    model: Any = None,
    seed: int = 0,
    latent_rate: float | None = None,
    title: str | None = None,
) -> Picture:
    """Draw a `(frames, dims)` latent array as a heatmap (frames along x, d0 at the top).

    With `k` (frames per beat) beat lines and bar lines (`beats_per_bar` beats) are drawn over it
    and the bars are numbered along the top. With a `model` (a `RaveModel`) the array is decoded
    with `model.decode(latent, seed=seed)` and its waveform and spectrogram are drawn under the
    heatmap on the same time axis; the model's latent rate then gives the BPM. `latent_rate`
    (frames per second) gives it without a model. Writes a PNG to `path` when given.
    """
    arr = _plot_latent_array(latent)
    k, beats_per_bar = _check_grid(k, beats_per_bar)
    frames, dims = arr.shape
    audio = None
    if model is not None:
        if getattr(model, "dims", dims) != dims:
            raise LatentError(
                f"the array has {dims} dims but the model decodes {model.dims}; "
                "plot it with the model it was made for"
            )
        latent_rate = float(model.sr) / float(model.ratio)
        audio = np.asarray(model.decode(arr.astype(np.float32), seed=seed), dtype=np.float64)
    heights = [max(1.4, 0.2 * dims + 0.6)]
    if audio is not None:
        heights += [1.1, 1.6]
    with _figure(sum(heights) + 1.0) as fig:
        axes = fig.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)
        axes = list(axes[:, 0])
        image = _heatmap(axes[0], arr)
        _dim_ticks(axes[0], dims)
        axes[0].set_ylabel("latent dimension")
        fig.colorbar(image, ax=axes, location="right", shrink=min(1.0, heights[0] / sum(heights)),
                     anchor=(0.0, 1.0), label="latent value", pad=0.01, aspect=12)
        return _finish_timeline(fig, axes, path, audio, model, frames, k, beats_per_bar,
                                latent_rate, title, f"latent array: {frames} frames × {dims} dims")


def _draw_audio(wave_ax: Any, spec_ax: Any, audio: np.ndarray, model: Any) -> None:
    """Waveform envelope and spectrogram of decoded `audio` `(channels, samples)`, x in frames."""
    ratio, sr = float(model.ratio), float(model.sr)
    if audio.ndim == 1:
        audio = audio[None, :]
    for ch, signal in enumerate(audio):
        starts, lo, hi = _envelope(signal, 4000)
        wave_ax.fill_between(starts / ratio, lo, hi, color=COLORS[1 + ch % 6], alpha=0.7, lw=0,
                             step="post", label=f"channel {ch + 1}")
    peak = float(np.max(np.abs(audio))) or 1.0
    wave_ax.set_ylim(-peak * 1.05, peak * 1.05)
    wave_ax.set_ylabel("decoded\naudio")
    if audio.shape[0] > 1:
        wave_ax.legend(loc="upper right", ncols=audio.shape[0])
    db = _spectrogram(audio.mean(axis=0))
    spec_ax.imshow(db, aspect="auto", origin="lower", cmap="magma", interpolation="nearest",
                   extent=(0, audio.shape[1] / ratio, 0, sr / 2000))
    spec_ax.set_ylabel("kHz")


# ---------------------------------------------------------------------------------------------
# distributions


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


def _is_stats(value: object) -> bool:
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
    if _is_stats(value):
        mean = np.atleast_1d(np.asarray(value.mean, dtype=np.float64))
        std = np.atleast_1d(np.asarray(value.std, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(getattr(value, "min", mean - std), dtype=np.float64))
        hi = np.atleast_1d(np.asarray(getattr(value, "max", mean + std), dtype=np.float64))
        corr = np.atleast_2d(np.asarray(value.corr, dtype=np.float64))
        return _Source(label, None, mean, std, lo, hi, _quartiles_of(value), corr)
    if isinstance(value, (list, tuple)):
        if not value:
            raise LatentError(f"{label}: no arrays to plot")
        parts = [_plot_latent_array(v) for v in value]
        dims = {p.shape[1] for p in parts}
        if len(dims) > 1:
            raise LatentError(f"{label}: the arrays have different numbers of dims: {sorted(dims)}")
        data = np.concatenate(parts, axis=0)
    else:
        data = _plot_latent_array(value)
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
    _dim_ticks(ax, dims, axis="x")
    for d in range(1, dims):
        ax.axvline(d - 0.5, color="#dddddd", lw=0.6, zorder=0)
    ax.axhline(0, color="#999999", lw=0.6, zorder=0)
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("value")


def _draw_corr(ax: Any, corr: np.ndarray, title: str, numbers: bool = True) -> Any:
    dims = corr.shape[0]
    image = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    _dim_ticks(ax, dims, axis="x")
    _dim_ticks(ax, dims, axis="y")
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
    with _figure(3.8) as fig:
        dist_ax, corr_ax = fig.subplots(1, 2, width_ratios=width_ratios)
        _draw_distributions(dist_ax, [src])
        dist_ax.set_title("distribution per dimension")
        dist_ax.legend().remove()
        image = _draw_corr(corr_ax, src.corr, "correlation between dimensions")
        fig.colorbar(image, ax=corr_ax, shrink=0.8, label="correlation")
        fig.suptitle(title or _distribution_note(src), fontweight="bold")
        return _finish(fig, path)


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
    with _figure(3.4 + 10.0 / max(n, 3) + 0.6) as fig:
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
        return _finish(fig, path)


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
    arr = _plot_latent_array(generated)
    frames, dims = arr.shape
    with _figure(3.4 + 2.6) as fig:
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
        return _finish(fig, path)


def plot_plan(
    plan: Any,
    path: PathLike = None,
    k: int | None = None,
    beats_per_bar: int = 4,
    model: Any = None,
    seed: int = 0,
    latent_rate: float | None = None,
    title: str | None = None,
) -> Picture:
    """Draw a `Plan`: one heatmap per voice on a shared timeline of latent frames.

    Voices are drawn where they start and end (`a >> b` reads left to right, `a | b` top to
    bottom), on one colour scale, with the tempo grid of `k` over all of them. With a `model`
    the plan is rendered (`unravel_lang.render.render(plan, model, seed)`) and its waveform and
    spectrogram are drawn underneath. Writes a PNG to `path` when given.
    """
    k, beats_per_bar = _check_grid(k, beats_per_bar)
    voices = list(plan.voices)
    if not voices:
        raise LatentError("nothing to plot: the plan has no voices")
    arrays = [_plot_latent_array(v.latent) for v in voices]
    frames = int(plan.frames)
    vmax = max(float(np.max(np.abs(a))) for a in arrays) or 1.0
    audio = None
    if model is not None:
        from unravel_lang.render import render

        latent_rate = float(model.sr) / float(model.ratio)
        audio = np.asarray(render(plan, model, seed=seed), dtype=np.float64)
    heights = [max(0.9, 0.14 * a.shape[1] + 0.45) for a in arrays]
    if audio is not None:
        heights += [1.1, 1.6]
    with _figure(sum(heights) + 1.0) as fig:
        axes = list(fig.subplots(len(heights), 1, sharex=True, height_ratios=heights,
                                 squeeze=False)[:, 0])
        for i, (ax, voice, arr) in enumerate(zip(axes, voices, arrays, strict=False)):
            image = _heatmap(ax, arr, start=int(voice.start), vmax=vmax)
            ax.set_facecolor("#f2f2f2")
            _dim_ticks(ax, arr.shape[1])
            gain = f", gain {voice.gain:g}" if voice.gain != 1 else ""
            ax.set_ylabel(f"voice {i + 1}{gain}", rotation=0, ha="right", va="center")
        fig.colorbar(image, ax=axes[: len(arrays)], label="latent value", pad=0.01, aspect=15)
        return _finish_timeline(fig, axes, path, audio, model, frames, k, beats_per_bar,
                                latent_rate, title, f"plan: {len(voices)} voices, {frames} frames")


# ---------------------------------------------------------------------------------------------
# patterns

PATTERNS = ("fibo", "orale", "blend", "swap", "swap_once")
_TWO_INPUTS = ("blend", "swap", "swap_once")
_SEEDED = ("orale", "swap", "swap_once")


@dataclass
class PatternTrace:
    """Where every value of a pattern's output comes from.

    output: the pattern's output `(frames, dims)`; source: 0 where a value comes from `a`,
    1 where from `b`; row: the frame of that input it comes from; altered: True where the value
    was changed on the way (orale's altered copies). All arrays have the output's shape.
    """

    name: str
    output: np.ndarray
    source: np.ndarray
    row: np.ndarray
    altered: np.ndarray

    @property
    def frame_row(self) -> np.ndarray:
        """The input row each output frame plays (dim 0's row): `(frames,)`."""
        return self.row[:, 0]

    @property
    def block_starts(self) -> np.ndarray:
        """Output frames where a new block starts: the played row does not follow the last one."""
        rows = self.frame_row
        starts = np.flatnonzero(np.diff(rows) != 1) + 1
        return np.concatenate([[0], starts]).astype(int)


def _pattern_fn(name: str) -> Any:
    from unravel_lang import patterns

    if name not in PATTERNS:
        raise UnravelError(f"unknown pattern {name!r}; plot one of: {', '.join(PATTERNS)}")
    return getattr(patterns, name)


def pattern_trace(name: str, a: np.ndarray, b: np.ndarray | None = None, **kwargs: Any
                  ) -> PatternTrace:
    """Run pattern `name` on `a` (and `b`) with `kwargs`, and trace where each value comes from.

    The pattern also runs on tracer arrays whose values are their own positions (positive in
    `a`, negative in `b`), which tells the source row of every output value. For orale the
    tracer runs with amount=0 and a value counts as altered where the real output differs from
    the unaltered one. A seeded pattern (orale, swap) without a `seed` uses seed 0; a numpy
    Generator seed is turned into one integer draw, so both runs pick the same positions.
    """
    fn = _pattern_fn(name)
    if name in _TWO_INPUTS and b is None:
        raise UnravelError(f"plotting {name} needs two arrays, a and b")
    if name not in _TWO_INPUTS and b is not None:
        raise UnravelError(f"{name} takes one array; got a second one (b)")
    if name in _SEEDED:
        seed = kwargs.get("seed")
        if seed is None:
            seed = 0
        elif isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**62))
        kwargs = {**kwargs, "seed": seed}
    a = np.asarray(a)
    inputs = [a] if b is None else [a, np.asarray(b)]
    output = np.asarray(fn(*inputs, **kwargs))
    shape = _plot_latent_array(a).shape
    codes = 1.0 + np.arange(shape[0] * shape[1], dtype=np.float64).reshape(shape)
    if codes.size >= 2**24:
        raise UnravelError("the input is too large to trace (more than 16 million values)")
    tracers = [codes] if b is None else [codes, -codes]
    exact = {**kwargs, "amount": 0.0} if name == "orale" else kwargs
    traced = np.asarray(fn(*tracers, **exact), dtype=np.float64)
    index = np.abs(traced).astype(np.int64) - 1
    row = index // shape[1]
    source = (traced < 0).astype(np.int8)
    if name == "orale":
        altered = output != np.asarray(fn(a, **exact))
    else:
        altered = np.zeros(output.shape, dtype=bool)
    return PatternTrace(name, output, source, row, altered)


def _describe(name: str, kwargs: Mapping[str, Any], a: np.ndarray, trace: PatternTrace) -> str:
    frames = trace.output.shape[0]
    if name == "fibo":
        lengths = np.diff(np.concatenate([trace.block_starts, [frames]]))
        return f"fibo: blocks play rows 0..L-1 of a, L = {', '.join(map(str, lengths))}"
    if name == "orale":
        ratio = kwargs.get("ratio", (3, 1))
        ratio = ratio if isinstance(ratio, str) else f"{ratio[0]}:{ratio[1]}"
        alter = kwargs.get("alter", "shift")
        amount = kwargs.get("amount")
        if amount is None:
            amount = 1.0 if alter == "shift" else 0.1
        return (f"orale {ratio}, depth {kwargs.get('depth', 3)}: plain copies of a (blue), "
                f"altered copies (red, {alter} of amount {amount:g})")
    share = 100.0 * float(trace.source.mean())
    if name == "blend":
        start = "a itself, then its" if kwargs.get("include_start", True) else "values of a"
        return (f"blend: {start} values replaced by b one step at a time, each state "
                f"{kwargs.get('n', 1)}× ({share:.0f} % of the output from b)")
    if name == "swap":
        steps = kwargs.get("steps") or a.shape[0]
        return (f"swap: {steps} steps, one randomly picked cell of a and b exchanged per step, "
                f"each state {kwargs.get('n', 1)}×")
    count = int(trace.source[: a.shape[0]].sum())
    return (f"swap_once: {count} value{'s' if count != 1 else ''} of a swapped with b, "
            f"repeated {kwargs.get('n', 1)}×")


_HOW_TO_READ = {
    "fibo": "Each block replays the first L rows of a;\nL runs along the Fibonacci numbers "
            "1, 2, 3, 5, 8, …\nso the line below climbs one row further in each block.",
    "orale": "p plain copies, then q altered copies (shifted per dim within ±std),\n"
             "and that block again p:q, nested depth times.\nThick lines: the nested blocks.",
}


def _block_widths(name: str, kwargs: Mapping[str, Any], frames: int, starts: np.ndarray
                  ) -> list[float]:
    """Line widths for block boundaries: thicker where orale's nested blocks begin."""
    if name != "orale":
        return [0.7] * len(starts)
    from unravel_lang.guards import check_ratio

    size = sum(check_ratio(kwargs.get("ratio", (3, 1))))
    widths = []
    for f in starts:
        level = 0
        while f % (frames * size ** (level + 1)) == 0 and level < 4:
            level += 1
        widths.append(0.7 + 0.9 * level)
    return widths


def plot_pattern(
    name: str,
    path: PathLike = None,
    a: np.ndarray | None = None,
    b: np.ndarray | None = None,
    title: str | None = None,
    **kwargs: Any,
) -> Picture:
    """Draw a pattern's structure: its inputs, its output and where each output value comes from.

    `name` is one of fibo, orale, blend, swap, swap_once; `a` (and `b` for the two-array
    patterns) are latent
    arrays; `kwargs` go to the pattern (e.g. ``ratio="3:1", depth=2`` for orale, ``n=2`` for
    blend). Top: the inputs; middle: the output heatmap with its blocks; bottom: for fibo and
    orale the row of `a` each output frame plays (red where orale altered it); for blend and
    the swaps which values come from `b` (dark) and which from `a` (light). See `pattern_trace`.
    Writes a PNG to `path` when given.
    """
    if a is None:
        raise UnravelError(f"plotting {name} needs an array a")
    trace = pattern_trace(name, a, b, **kwargs)
    inputs = [("a", _plot_latent_array(a))] + ([("b", _plot_latent_array(b))] if b is not None
                                                else [])
    out = trace.output.astype(np.float64)
    frames, dims = out.shape
    vmax = max([float(np.max(np.abs(x))) for _, x in inputs] + [float(np.max(np.abs(out)))])
    vmax = vmax or 1.0
    row_h = max(1.0, 0.12 * dims + 0.5)
    with _figure(row_h * 2 + 2.0 + 1.2) as fig:
        grid = fig.add_gridspec(3, 2, height_ratios=[row_h, row_h, 2.0])
        for i, (label, arr) in enumerate(inputs):
            ax = fig.add_subplot(grid[0, i] if len(inputs) == 2 else grid[0, :1])
            image = _heatmap(ax, arr, vmax=vmax)
            _dim_ticks(ax, arr.shape[1])
            ax.set_title(f"input {label}: {arr.shape[0]} frames × {arr.shape[1]} dims",
                         fontsize=10)
            ax.set_xlabel("frame")
        out_ax = fig.add_subplot(grid[1, :])
        image = _heatmap(out_ax, out, vmax=vmax)
        _dim_ticks(out_ax, dims)
        out_ax.set_title(f"output: {frames} frames", fontsize=10)
        fig.colorbar(image, ax=out_ax, pad=0.01, aspect=10, label="value")
        struct_ax = fig.add_subplot(grid[2, :], sharex=out_ax)
        starts = trace.block_starts
        if name in _TWO_INPUTS:
            struct = struct_ax.imshow(trace.source.T, aspect="auto", interpolation="nearest",
                                      cmap="Greys", vmin=-0.35, vmax=1.1,
                                      extent=(0, frames, dims - 0.5, -0.5))
            _dim_ticks(struct_ax, dims)
            struct_ax.set_ylabel("from a (light)\nfrom b (dark)")
            struct_ax.set_title("which values come from b", fontsize=10)
            del struct
        else:
            rows = trace.frame_row
            altered = trace.altered.any(axis=1)
            x = np.arange(frames)
            for mask, color, label in ((~altered, COLORS[1], "plain"),
                                       (altered, COLORS[2], "altered")):
                if mask.any():
                    struct_ax.hlines(rows[mask], x[mask] + 0.08, x[mask] + 0.92, color=color,
                                     lw=3.5, label=label)
            if altered.any():
                struct_ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2,
                                 fontsize=9, frameon=False, borderaxespad=0.1)
            struct_ax.set_ylabel("row of a")
            struct_ax.set_ylim(-0.8, inputs[0][1].shape[0] - 0.2)
            struct_ax.yaxis.get_major_locator().set_params(integer=True)
            struct_ax.set_title("which row of a each output frame plays", fontsize=10)
        if len(starts) <= 150:
            widths = _block_widths(name, kwargs, inputs[0][1].shape[0], starts)
            for ax in (out_ax, struct_ax):
                for f, lw in zip(starts[1:], widths[1:], strict=True):
                    ax.axvline(f, color="black", lw=lw, alpha=0.7)
        if len(inputs) == 1:
            note_ax = fig.add_subplot(grid[0, 1])
            note_ax.axis("off")
            note_ax.text(0.02, 0.5, _HOW_TO_READ[name], va="center", ha="left", fontsize=9.5,
                         transform=note_ax.transAxes, wrap=True)
        struct_ax.set_xlim(0, frames)
        struct_ax.set_xlabel("output frame")
        fig.suptitle(title or _describe(name, kwargs, inputs[0][1], trace), fontweight="bold")
        return _finish(fig, path)


# ---------------------------------------------------------------------------------------------
# dispatch


def plot_auto(value: object, path: PathLike = None, **kw: Any) -> Picture:
    """Draw `value` with the picture that fits it; write a PNG to `path` when given.

    A `Plan` of one voice or a latent array -> `plot_latent` (keywords `k`, `beats_per_bar`,
    `model`, `seed`, `latent_rate`, `title`); a Plan of several voices -> `plot_plan` (same
    keywords); a `Stats` or a list of arrays -> `plot_stats` (only `title` applies). Other
    keywords are ignored, so a caller can pass its whole context.
    """
    from unravel_lang.plan import Plan

    allowed = ("k", "beats_per_bar", "model", "seed", "latent_rate", "title")
    grid_kw = {key: kw[key] for key in allowed if key in kw}
    if isinstance(value, Plan):
        voices = value.voices
        if len(voices) == 1 and voices[0].start == 0:
            value = voices[0].latent
        else:
            return plot_plan(value, path, **grid_kw)
    if _is_stats(value) or isinstance(value, (list, tuple)):
        return plot_stats(value, path, title=kw.get("title"))
    if not isinstance(value, np.ndarray):
        raise UnravelError(
            f"plot draws latent arrays, plans and stats; got {type(value).__name__}"
        )
    return plot_latent(value, path, **grid_kw)

"""Timelines: a latent array or a Plan as heatmaps over latent frames, with the tempo grid
(beat and bar lines, bar numbers) and, with a model, the decoded waveform and spectrogram."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from unravel_lang.errors import LatentError, UnravelError
from unravel_lang.plot.axes import dim_ticks, heatmap, latent_array
from unravel_lang.plot.picture import COLORS, PathLike, Picture, figure, finish
from unravel_lang.render import render
from unravel_lang.tempo import DEFAULT_BEATS


def check_grid(k: int | None, beats_per_bar: int) -> tuple[int | None, int]:
    """`(k, beats_per_bar)` as whole numbers >= 1 (k may be None), else an `UnravelError`."""
    if k is not None:
        if isinstance(k, bool) or int(k) != k or k < 1:
            raise UnravelError(f"k (frames per beat) must be a positive integer; got {k!r}")
        k = int(k)
    if isinstance(beats_per_bar, bool) or int(beats_per_bar) != beats_per_bar or beats_per_bar < 1:
        raise UnravelError(f"beats per bar must be a positive integer; got {beats_per_bar!r}")
    return k, int(beats_per_bar)




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
    return finish(fig, path)


def plot_latent(
    latent: np.ndarray,
    path: PathLike = None,
    k: int | None = None,
    beats_per_bar: int = DEFAULT_BEATS,
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
    arr = latent_array(latent)
    k, beats_per_bar = check_grid(k, beats_per_bar)
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
    with figure(sum(heights) + 1.0) as fig:
        axes = fig.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)
        axes = list(axes[:, 0])
        image = heatmap(axes[0], arr)
        dim_ticks(axes[0], dims)
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



def plot_plan(
    plan: Any,
    path: PathLike = None,
    k: int | None = None,
    beats_per_bar: int = DEFAULT_BEATS,
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
    k, beats_per_bar = check_grid(k, beats_per_bar)
    voices = list(plan.voices)
    if not voices:
        raise LatentError("nothing to plot: the plan has no voices")
    arrays = [latent_array(v.latent) for v in voices]
    frames = int(plan.frames)
    vmax = max(float(np.max(np.abs(a))) for a in arrays) or 1.0
    audio = None
    if model is not None:

        latent_rate = float(model.sr) / float(model.ratio)
        audio = np.asarray(render(plan, model, seed=seed), dtype=np.float64)
    heights = [max(0.9, 0.14 * a.shape[1] + 0.45) for a in arrays]
    if audio is not None:
        heights += [1.1, 1.6]
    with figure(sum(heights) + 1.0) as fig:
        axes = list(fig.subplots(len(heights), 1, sharex=True, height_ratios=heights,
                                 squeeze=False)[:, 0])
        for i, (ax, voice, arr) in enumerate(zip(axes, voices, arrays, strict=False)):
            image = heatmap(ax, arr, start=int(voice.start), vmax=vmax)
            ax.set_facecolor("#f2f2f2")
            dim_ticks(ax, arr.shape[1])
            gain = f", gain {voice.gain:g}" if voice.gain != 1 else ""
            ax.set_ylabel(f"voice {i + 1}{gain}", rotation=0, ha="right", va="center")
        fig.colorbar(image, ax=axes[: len(arrays)], label="latent value", pad=0.01, aspect=15)
        return _finish_timeline(fig, axes, path, audio, model, frames, k, beats_per_bar,
                                latent_rate, title, f"plan: {len(voices)} voices, {frames} frames")


"""A pattern's structure: its inputs, its output and where each output value comes from (the
pattern trace, `unravel_lang.trace`)."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np

from unravel_lang.errors import UnravelError
from unravel_lang.guards import check_ratio
from unravel_lang.plot.axes import dim_ticks, heatmap, latent_array
from unravel_lang.plot.picture import COLORS, PathLike, Picture, figure, finish
from unravel_lang.trace import PatternTrace, pattern_function, pattern_trace


def _fibo_title(kwargs: Mapping[str, Any], a: np.ndarray, trace: PatternTrace) -> str:
    lengths = np.diff(np.concatenate([trace.block_starts, [trace.output.shape[0]]]))
    return f"fibo: blocks play rows 0..L-1 of a, L = {', '.join(map(str, lengths))}"


def _orale_title(kwargs: Mapping[str, Any], a: np.ndarray, trace: PatternTrace) -> str:
    ratio = kwargs.get("ratio", (3, 1))
    ratio = ratio if isinstance(ratio, str) else f"{ratio[0]}:{ratio[1]}"
    alter = kwargs.get("alter", "shift")
    amount = kwargs.get("amount")
    if amount is None:
        amount = 1.0 if alter == "shift" else 0.1
    return (f"orale {ratio}, depth {kwargs.get('depth', 3)}: plain copies of a (blue), "
            f"altered copies (red, {alter} of amount {amount:g})")


def _blend_title(kwargs: Mapping[str, Any], a: np.ndarray, trace: PatternTrace) -> str:
    share = 100.0 * float(trace.source.mean())
    start = "a itself, then its" if kwargs.get("include_start", True) else "values of a"
    return (f"blend: {start} values replaced by b one step at a time, each state "
            f"{kwargs.get('n', 1)}× ({share:.0f} % of the output from b)")


def _swap_title(kwargs: Mapping[str, Any], a: np.ndarray, trace: PatternTrace) -> str:
    steps = kwargs.get("steps") or a.shape[0]
    return (f"swap: {steps} steps, one randomly picked cell of a and b exchanged per step, "
            f"each state {kwargs.get('n', 1)}×")


def _swap_once_title(kwargs: Mapping[str, Any], a: np.ndarray, trace: PatternTrace) -> str:
    count = int(trace.source[: a.shape[0]].sum())
    return (f"swap_once: {count} value{'s' if count != 1 else ''} of a swapped with b, "
            f"repeated {kwargs.get('n', 1)}×")


#: Titles that say what a pattern did with these arguments; other patterns get `_title`'s.
_TITLES = {"fibo": _fibo_title, "orale": _orale_title, "blend": _blend_title,
           "swap": _swap_title, "swap_once": _swap_once_title}

#: Notes beside a one-array pattern's input; other patterns show their docstring's summary.
_HOW_TO_READ = {
    "fibo": "Each block replays the first L rows of a;\nL runs along the Fibonacci numbers "
            "1, 2, 3, 5, 8, …\nso the line below climbs one row further in each block.",
    "orale": "p plain copies, then q altered copies (shifted per dim within ±std),\n"
             "and that block again p:q, nested depth times.\nThick lines: the nested blocks.",
}


def _title(name: str, kwargs: Mapping[str, Any], a: np.ndarray, trace: PatternTrace) -> str:
    """The picture's title: the pattern's own (`_TITLES`), else its blocks and share of b."""
    if name in _TITLES:
        return _TITLES[name](kwargs, a, trace)
    frames, blocks = trace.output.shape[0], len(trace.block_starts)
    text = (f"{name}: {frames} frames from the {a.shape[0]} of a, "
            f"{blocks} block{'s' if blocks != 1 else ''}")
    if trace.source.any():
        text += f" ({100.0 * float(trace.source.mean()):.0f} % of the output from b)"
    return text


def _how_to_read(name: str) -> str:
    """The note beside a one-array pattern's input: `_HOW_TO_READ`, else the docstring's
    first paragraph."""
    if name in _HOW_TO_READ:
        return _HOW_TO_READ[name]
    doc = inspect.getdoc(pattern_function(name)) or name
    return textwrap.fill(" ".join(doc.split("\n\n")[0].split()), 60)


def _block_widths(name: str, kwargs: Mapping[str, Any], frames: int, starts: np.ndarray
                  ) -> list[float]:
    """Line widths for block boundaries: thicker where orale's nested blocks begin."""
    if name != "orale":
        return [0.7] * len(starts)

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

    `name` is a pattern of `unravel_lang.patterns.PATTERNS` (fibo, orale, blend, swap,
    swap_once, …); `a` (and `b` for the two-array patterns) are latent arrays; `kwargs` go to
    the pattern (e.g. ``ratio="3:1", depth=2`` for orale, ``n=2`` for blend). Top: the inputs;
    middle: the output heatmap with its blocks; bottom: for a one-array pattern (fibo, orale)
    the row of `a` each output frame plays (red where orale altered it); for a two-array one
    (blend, the swaps) which values come from `b` (dark) and which from `a` (light). See
    `unravel_lang.trace.pattern_trace`. Writes a PNG to `path` when given.
    """
    if a is None:
        raise UnravelError(f"plotting {name} needs an array a")
    trace = pattern_trace(name, a, b, **kwargs)
    inputs = [("a", latent_array(a))] + ([("b", latent_array(b))] if b is not None
                                                else [])
    out = trace.output.astype(np.float64)
    frames, dims = out.shape
    vmax = max([float(np.max(np.abs(x))) for _, x in inputs] + [float(np.max(np.abs(out)))])
    vmax = vmax or 1.0
    row_h = max(1.0, 0.12 * dims + 0.5)
    with figure(row_h * 2 + 2.0 + 1.2) as fig:
        grid = fig.add_gridspec(3, 2, height_ratios=[row_h, row_h, 2.0])
        for i, (label, arr) in enumerate(inputs):
            ax = fig.add_subplot(grid[0, i] if len(inputs) == 2 else grid[0, :1])
            image = heatmap(ax, arr, vmax=vmax)
            dim_ticks(ax, arr.shape[1])
            ax.set_title(f"input {label}: {arr.shape[0]} frames × {arr.shape[1]} dims",
                         fontsize=10)
            ax.set_xlabel("frame")
        out_ax = fig.add_subplot(grid[1, :])
        image = heatmap(out_ax, out, vmax=vmax)
        dim_ticks(out_ax, dims)
        out_ax.set_title(f"output: {frames} frames", fontsize=10)
        fig.colorbar(image, ax=out_ax, pad=0.01, aspect=10, label="value")
        struct_ax = fig.add_subplot(grid[2, :], sharex=out_ax)
        starts = trace.block_starts
        if len(inputs) == 2:
            struct = struct_ax.imshow(trace.source.T, aspect="auto", interpolation="nearest",
                                      cmap="Greys", vmin=-0.35, vmax=1.1,
                                      extent=(0, frames, dims - 0.5, -0.5))
            dim_ticks(struct_ax, dims)
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
            note_ax.text(0.02, 0.5, _how_to_read(name), va="center", ha="left", fontsize=9.5,
                         transform=note_ax.transAxes, wrap=True)
        struct_ax.set_xlim(0, frames)
        struct_ax.set_xlabel("output frame")
        fig.suptitle(title or _title(name, kwargs, inputs[0][1], trace), fontweight="bold")
        return finish(fig, path)


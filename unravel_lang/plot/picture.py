"""Picture files: matplotlib loaded on demand, the house style, PNG bytes written atomically.

Figures are drawn on matplotlib's Agg canvas without pyplot, so plotting never opens a window
and never changes the global matplotlib state. Every plot function returns a `Picture`: the
PNG bytes, and the path they were written to when a path was given (written atomically: a
failed plot leaves no file behind). A `Picture` shows itself inline in Jupyter.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from unravel_lang.errors import UnravelError

MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install 'unravel-lang[plot]'"
DPI = 110
WIDTH_IN = 10.0
#: Series colours: encoded data first, then generated arrays.
COLORS = ("#4d4d4d", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
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
        target = png_path(path)
        write(target, self.png)
        self.path = target
        return target


def load_matplotlib() -> tuple[Any, Any, Any]:
    """`(matplotlib, Figure, FigureCanvasAgg)`, or an `UnravelError` saying how to install it."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UnravelError(MISSING_MATPLOTLIB) from None
    return matplotlib, Figure, FigureCanvasAgg


@contextlib.contextmanager
def figure(height_in: float, width_in: float = WIDTH_IN) -> Iterator[Any]:
    """A constrained-layout Figure on an Agg canvas, drawn under the package style."""
    matplotlib, figure_cls, canvas_cls = load_matplotlib()
    with matplotlib.rc_context(STYLE):
        fig = figure_cls(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
        canvas_cls(fig)
        yield fig


def png_path(path: str | os.PathLike) -> Path:
    """`path` as a Path, refused (`UnravelError`) unless it names a *.png file."""
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise UnravelError(f"{target}: pictures are written as PNG; name the file *.png")
    if target.is_dir():
        raise UnravelError(f"{target}: is a folder, not a file name")
    return target


def write(target: Path, png: bytes) -> None:
    """Write `png` to `target` atomically; an `UnravelError` naming the file when it fails."""
    from unravel_lang.audio import atomic_output

    try:
        with atomic_output(target) as tmp:
            tmp.write_bytes(png)
    except OSError as err:
        raise UnravelError(f"{target}: cannot write the picture ({err.strerror or err})") from None


def finish(fig: Any, path: PathLike) -> Picture:
    """Render `fig` to PNG bytes; write them to `path` (a *.png name) when it is given."""
    target = png_path(path) if path is not None else None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    png = buf.getvalue()
    if target is not None:
        write(target, png)
    return Picture(png, target)


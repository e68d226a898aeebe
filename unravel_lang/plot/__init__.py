"""PNG pictures of latent arrays, their distributions and patterns (matplotlib, optional).

matplotlib is an optional extra (``pip install 'unravel-lang[plot]'``); it is imported only when
a picture is drawn, never by importing this package. One module per job: `picture` (the
`Picture`, figures and writing PNG files), `axes` (a latent array on axes), `timeline`
(`plot_latent`, `plot_plan`), `distribution` (`plot_stats`, `plot_compare`, `plot_generated`),
`pattern` (`plot_pattern`) and `auto` (`plot_auto`). Every plot function returns a `Picture`.
The pattern trace that `plot_pattern` draws is `unravel_lang.trace` (pure numpy).
"""

from unravel_lang.patterns import PATTERNS
from unravel_lang.plot.auto import plot_auto
from unravel_lang.plot.distribution import (
    MAX_DIST_FRAMES,
    plot_compare,
    plot_generated,
    plot_stats,
)
from unravel_lang.plot.pattern import plot_pattern
from unravel_lang.plot.picture import (
    COLORS,
    DPI,
    MISSING_MATPLOTLIB,
    STYLE,
    WIDTH_IN,
    PathLike,
    Picture,
    load_matplotlib,
)
from unravel_lang.plot.timeline import plot_latent, plot_plan
from unravel_lang.trace import PatternTrace, pattern_trace

__all__ = [
    "COLORS",
    "DPI",
    "MAX_DIST_FRAMES",
    "MISSING_MATPLOTLIB",
    "PATTERNS",
    "PathLike",
    "PatternTrace",
    "Picture",
    "STYLE",
    "WIDTH_IN",
    "load_matplotlib",
    "pattern_trace",
    "plot_auto",
    "plot_compare",
    "plot_generated",
    "plot_latent",
    "plot_pattern",
    "plot_plan",
    "plot_stats",
]

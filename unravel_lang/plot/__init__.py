"""PNG pictures of latent arrays, their distributions and patterns (matplotlib, optional).

matplotlib is an optional extra (``pip install 'unravel-lang[plot]'``); it is imported only when
a picture is drawn, never by importing this package. One module per job: `picture` (the
`Picture`, figures and writing PNG files), `axes` (a latent array on axes), `timeline`
(`plot_latent`, `plot_plan`), `distribution` (`plot_stats`, `plot_compare`, `plot_generated`),
`pattern` (`plot_pattern`) and `auto` (`plot_auto`). Every plot function returns a `Picture`.
"""

from unravel_lang.plot.auto import plot_auto
from unravel_lang.plot.distribution import plot_compare, plot_generated, plot_stats
from unravel_lang.plot.pattern import plot_pattern
from unravel_lang.plot.picture import MISSING_MATPLOTLIB, Picture, load_matplotlib
from unravel_lang.plot.timeline import plot_latent, plot_plan
from unravel_lang.trace import PatternTrace, pattern_trace

__all__ = [
    "MISSING_MATPLOTLIB",
    "PatternTrace",
    "Picture",
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

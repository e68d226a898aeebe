"""`plot_auto`: the picture that fits a value (array, Plan, Stats); the language's `plot`."""

from __future__ import annotations

from typing import Any

import numpy as np

from unravel_lang.errors import UnravelError
from unravel_lang.plan import Plan
from unravel_lang.plot.distribution import is_stats, plot_stats
from unravel_lang.plot.picture import PathLike, Picture
from unravel_lang.plot.timeline import plot_latent, plot_plan


def plot_auto(value: object, path: PathLike = None, **kw: Any) -> Picture:
    """Draw `value` with the picture that fits it; write a PNG to `path` when given.

    A `Plan` of one voice or a latent array -> `plot_latent` (keywords `k`, `beats_per_bar`,
    `model`, `seed`, `latent_rate`, `title`); a Plan of several voices -> `plot_plan` (same
    keywords); a `Stats` or a list of arrays -> `plot_stats` (only `title` applies). Other
    keywords are ignored, so a caller can pass its whole context.
    """

    allowed = ("k", "beats_per_bar", "model", "seed", "latent_rate", "title")
    grid_kw = {key: kw[key] for key in allowed if key in kw}
    if isinstance(value, Plan):
        voices = value.voices
        if len(voices) == 1 and voices[0].start == 0:
            value = voices[0].latent
        else:
            return plot_plan(value, path, **grid_kw)
    if is_stats(value) or isinstance(value, (list, tuple)):
        return plot_stats(value, path, title=kw.get("title"))
    if not isinstance(value, np.ndarray):
        raise UnravelError(
            f"plot draws latent arrays, plans and stats; got {type(value).__name__}"
        )
    return plot_latent(value, path, **grid_kw)

"""Drawing a latent array on matplotlib axes: the checked array, its heatmap, the dim ticks."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from unravel_lang.errors import LatentError
from unravel_lang.termview import as_latent


def latent_array(latent: object) -> np.ndarray:
    """`latent` as a finite float64 `(frames, dims)` array with at least one value to draw."""
    arr = as_latent(latent)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise LatentError(f"nothing to plot: the latent array has shape {arr.shape}")
    return arr


def dim_ticks(ax: Any, dims: int, axis: str = "y") -> None:
    """Label at most 16 of `dims` dimensions (d0, d1, …) along the `axis` ("x" or "y")."""
    step = max(1, math.ceil(dims / 16))
    ticks = list(range(0, dims, step))
    labels = [f"d{d}" for d in ticks]
    if axis == "y":
        ax.set_yticks(ticks, labels)
    else:
        ax.set_xticks(ticks, labels)


def heatmap(ax: Any, arr: np.ndarray, start: int = 0, vmax: float | None = None) -> Any:
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


"""What the language core asks of the state it runs in: the tempo grid (`Grid`), what evaluating
an expression needs (`Context`) and what running a statement needs (`Runtime`).

`lang.session.Session` provides both protocols. The evaluator, the statements and `describe`
take these instead of the session, so none of them imports it: the session imports them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from unravel_lang.guards import check_float, check_frames
from unravel_lang.lang import ast
from unravel_lang.performer import Performer
from unravel_lang.tempo import frames_for


@dataclass(frozen=True)
class Grid:
    """The tempo grid at one moment: `k` latent frames per beat, `beats_per_bar` beats per bar,
    and `rate`, the model's latent frames per second: a number, or a function asked only when
    seconds are wanted (finding them may load the model)."""

    k: int
    beats_per_bar: int
    rate: float | Callable[[], float]

    @property
    def latent_rate(self) -> float:
        """Latent frames per second."""
        return float(self.rate()) if callable(self.rate) else float(self.rate)

    @property
    def bpm(self) -> float:
        """The tempo in BPM: 60 * latent_rate / k."""
        return 60.0 * self.latent_rate / self.k

    def frames(self, amount: float, unit: str) -> int:
        """Latent frames in `amount` `unit`s ("bars", "beats", "frames", "s"; `words.UNITS`);
        a length in bars or beats must be a whole number of frames (`tempo.frames_for`), one
        in seconds is rounded; a length beyond the frame limit is refused (`PatternError`)."""
        what = f"the length {amount:g}{unit}"
        amount = check_float(amount, what)
        if unit == "frames":
            return check_frames(int(amount), what)
        if unit == "s":
            return check_frames(int(round(min(amount * self.latent_rate, 1e18))), what)
        if unit == "bars":
            return check_frames(
                frames_for(self.k, bars=amount, beats_per_bar=self.beats_per_bar), what)
        return check_frames(frames_for(self.k, beats=amount, beats_per_bar=self.beats_per_bar),
                            what)


class Context(Protocol):
    """What evaluating expressions needs: the bindings, the grid, seeds and the live input.
    The functions of the language that take the session (`Function.session`) get this object
    too (they read `model`, `resolve` and the grid)."""

    env: dict[str, Any]

    @property
    def grid(self) -> Grid:
        """The tempo grid now (a `k` or `beats` statement changes it)."""

    def next_seed(self) -> int:
        """The seed of the next seeded call."""

    def input_bars(self) -> np.ndarray:
        """`input`: the whole bars the live input holds `(frames, dims)`."""


class Runtime(Context, Protocol):
    """What running statements needs besides `Context`: the performer they play to, the model,
    tracks, paths, output and the settings statements change."""

    performer: Performer
    output: Callable[[str], None]
    tracks: list[str]
    definitions: dict[str, tuple[ast.Program, ast.Track]]
    written: list[Path]
    dry_run: bool
    run_seed: int
    k: int
    beats_per_bar: int

    @property
    def model(self) -> Any:
        """The model (loaded on first use)."""

    @property
    def latent_rate(self) -> float: ...

    @property
    def bpm(self) -> float: ...

    def resolve(self, path: str | os.PathLike) -> Path: ...

    def output_path(self, path: str | os.PathLike) -> Path: ...

    def set_model(self, model: Any, device: str | None = None) -> None: ...

    def set_k(self, k: int) -> None: ...

    def set_beats_per_bar(self, beats: int) -> None: ...

    def set_quantum(self, quantum: str) -> None: ...

    def set_seed(self, seed: int) -> None: ...

    def set_osc(self, target: str | None) -> None: ...

    def set_osc_lead(self, ms: float) -> None: ...

    def set_decode(self, track: str, mode: str) -> None: ...

    def live_input_host(self) -> Any: ...

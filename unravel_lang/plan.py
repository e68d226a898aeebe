"""What a composition compiles to: voices placed on a timeline of latent frames.

A `Plan` is the hand-off between the language and the renderers (offline and live).
`a | b` layers two plans (both start at frame 0 and sound together); `a >> b` sequences
them (`b` starts on the frame where `a` ends). Each voice is decoded by its own model
stream and the audio of all voices is summed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Voice:
    """A latent array `(frames, dims)` that starts at latent frame `start`, mixed at `gain`."""

    latent: np.ndarray
    start: int = 0
    gain: float = 1.0

    @property
    def end(self) -> int:
        """First latent frame after this voice."""
        return self.start + int(self.latent.shape[0])


@dataclass(frozen=True)
class Plan:
    """Voices on one timeline; `frames` is the total length in latent frames."""

    voices: tuple[Voice, ...]

    @cached_property
    def frames(self) -> int:
        """The end of the last voice (computed once: `a >> b >> …` asks it at every step)."""
        return max((v.end for v in self.voices), default=0)

    @staticmethod
    def of(latent: np.ndarray, gain: float = 1.0) -> Plan:
        """A plan of one voice playing `latent` `(frames, dims)` from frame 0."""
        return Plan((Voice(np.asarray(latent), 0, gain),))

    def layer(self, other: Plan) -> Plan:
        """`self | other`: both start at frame 0 and sound together."""
        return _known(Plan(self.voices + other.voices), max(self.frames, other.frames))

    def then(self, other: Plan) -> Plan:
        """`self >> other`: every voice of `other` is shifted to start where `self` ends."""
        shift = self.frames
        moved = tuple(Voice(v.latent, v.start + shift, v.gain) for v in other.voices)
        return _known(Plan(self.voices + moved), shift + other.frames)


def as_plan(value: object) -> Plan | None:
    """`value` as a plan: a `Plan` as it is; a 2-D numpy array `(frames, dims)` as a plan of
    one voice playing it from frame 0 at gain 1 (as float32, not copied when it already is);
    None for anything else (the caller says what it needed)."""
    if isinstance(value, Plan):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return Plan.of(value.astype(np.float32, copy=False))
    return None


def _known(plan: Plan, frames: int) -> Plan:
    """`plan` with its `frames` already known (so a chain of n `>>` costs O(n), not O(n²))."""
    plan.__dict__["frames"] = frames
    return plan

"""Offline reference of what the live engine plays: tracks as continuous decoder streams.

A track's voice slot j is one decoder stream seeded `slot_seed(seed, name, j)` that decodes,
in time order, voice j of every iteration of the track's loop (chunks of `CHUNK_FRAMES`
counted from each segment's start, as `render.render` does for a voice). Iteration n of a
track is `(start_n, plan_n)`. A stopped track fades out over `fade_ramp` from the stop
sample on. These functions decode everything at once, in a single thread, so a live
session rendered by the engine can be checked against them sample for sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from unravel_lang.engine.decoding import CHUNK_FRAMES
from unravel_lang.engine.track import Segment
from unravel_lang.plan import Plan
from unravel_lang.seeds import voice_seed


def track_seed(seed: int, name: str) -> int:
    """The seed of track `name` in an engine seeded with `seed`: `seed` itself, whatever the
    name (one rule for every track, play and export: voice j is decoded with
    `voice_seed(seed, j)`).

    Slot j of the track decodes with `voice_seed(track_seed(seed, name), j)`, so a track
    playing `plan` once sounds like `render(plan, model, seed)`, like `play` of it and like
    `export` of it.
    """
    return int(seed)


def slot_seed(seed: int, name: str, slot: int) -> int:
    """The decoder seed of voice slot `slot` of track `name`."""
    return voice_seed(track_seed(seed, name), slot)


def lanes(iterations: Sequence[tuple[int, Plan]]) -> list[list[Segment]]:
    """Per voice slot, the segments that iterations `(start_frame, plan)` place in it, in order."""
    slots: list[list[Segment]] = []
    for start, plan in iterations:
        for j, voice in enumerate(plan.voices):
            while len(slots) <= j:
                slots.append([])
            if voice.latent.shape[0] > 0:
                slots[j].append(Segment(start + voice.start, np.asarray(voice.latent), voice.gain))
    return slots


def render_lane(segments: Sequence[Segment], model, seed: int, samples: int,
                chunk_frames: int = CHUNK_FRAMES) -> np.ndarray:
    """Decode `segments` through one stream `model.stream(seed)`; float32 `(channels, samples)`."""
    out = np.zeros((model.out_channels, samples), dtype=np.float32)
    stream = model.stream(seed=seed)
    for seg in segments:
        pos = seg.start * model.ratio
        for first in range(0, seg.latent.shape[0], chunk_frames):
            if pos >= samples:
                break
            audio = seg.gain * stream.decode(seg.latent[first : first + chunk_frames])
            end = min(samples, pos + audio.shape[1])
            out[:, pos:end] += audio[:, : end - pos]
            pos += audio.shape[1]
    return out


def fade_out(audio: np.ndarray, at: int, ramp: np.ndarray) -> np.ndarray:
    """Scale `audio` `(channels, samples)` in place by `ramp` from sample `at` on, zero after it."""
    end = min(audio.shape[1], at + len(ramp))
    if end > at:
        audio[:, at:end] *= ramp[: end - at]
    audio[:, max(at, end) :] = 0.0
    return audio


def render_track(model, seed: int, name: str, iterations: Sequence[tuple[int, Plan]],
                 samples: int, stop_at: int | None = None, ramp: np.ndarray | None = None,
                 chunk_frames: int = CHUNK_FRAMES) -> np.ndarray:
    """Audio `(channels, samples)` of track `name` playing `iterations`, stopped at sample
    `stop_at` with fade `ramp` (both or neither). Slots are summed in order."""
    out = np.zeros((model.out_channels, samples), dtype=np.float32)
    for j, segments in enumerate(lanes(iterations)):
        out += render_lane(segments, model, slot_seed(seed, name, j), samples, chunk_frames)
    if stop_at is not None:
        fade_out(out, stop_at, ramp)
    return out


def loop_iterations(plans: Sequence[tuple[int, Plan]], start: int, until: int,
                    k: int) -> list[tuple[int, Plan]]:
    """Iterations of a track looping on a grid of `k` frames from `start` until frame `until`.

    `plans` lists `(frame, plan)`: the plan set at that frame (the first at `start`); an
    iteration begins with the newest plan set at or before its start, and the next one on
    the first beat at or after its end (the grid's origin is `start`).
    """
    result: list[tuple[int, Plan]] = []
    at = start
    while at < until:
        plan = [p for frame, p in plans if frame <= at][-1]
        result.append((at, plan))
        end = at + plan.frames
        at = start + -(-(end - start) // k) * k
    return result

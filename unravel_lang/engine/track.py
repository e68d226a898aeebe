"""Tracks: named voices that loop a `Plan` on the tempo grid, one decoder stream per voice slot."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from unravel_lang.engine.clock import Clock
from unravel_lang.errors import ModelError
from unravel_lang.plan import Plan


@dataclass(frozen=True)
class Segment:
    """A latent array `(frames, dims)` that a slot decodes from latent frame `start`, at `gain`."""

    start: int
    latent: np.ndarray
    gain: float = 1.0
    end: int = field(init=False)  # start + frames

    def __post_init__(self) -> None:
        object.__setattr__(self, "end", self.start + int(self.latent.shape[0]))


class Slot:
    """One continuous decoder stream and the segments queued for it, in time order.

    A segment is decoded in chunks of `chunk_frames` latent frames counted from its own
    start (the last chunk may be shorter), exactly as `render.render` decodes a voice.
    """

    def __init__(self, stream, ratio: int, chunk_frames: int) -> None:
        self.stream = stream
        self.ratio = ratio
        self.chunk_frames = chunk_frames
        self.segments: deque[Segment] = deque()
        self._audio: np.ndarray | None = None

    def add(self, segment: Segment) -> None:
        if segment.latent.shape[0] > 0:
            self.segments.append(segment)

    def render(self, first: int, stop: int, out: np.ndarray,
               tap: np.ndarray | None = None, decode: bool = True) -> None:
        """Add this slot's audio for latent frames `[first, stop)` to `out`
        `(channels, (stop - first) * ratio)`; with `tap` `(stop - first, dims)`, also copy the
        latent frames it sounds into its rows. With `decode=False` (a track decoded elsewhere)
        the model is not run and nothing is added to `out`; the tap is filled the same."""
        ratio, size, segments = self.ratio, self.chunk_frames, self.segments
        frame = first
        while frame < stop:
            while segments and segments[0].end <= frame:
                segments.popleft()
            if not segments or segments[0].start >= stop:
                return
            seg = segments[0]
            if seg.start > frame:
                frame = seg.start
                continue
            offset = frame - seg.start
            within = offset % size
            if not decode:
                self._audio = None
            elif within == 0 or self._audio is None:
                self._decode(seg, offset - within)
            until = min(stop, seg.start + offset - within + size, seg.end)
            if self._audio is not None:
                a, b = (frame - first) * ratio, (until - first) * ratio
                out[:, a:b] += self._audio[:, within * ratio : (within + until - frame) * ratio]
            if tap is not None:
                tap[frame - first : until - first] = seg.latent[offset : offset + until - frame]
            frame = until

    def _decode(self, seg: Segment, offset: int) -> None:
        """Decode the chunk of `seg` that begins `offset` frames into it."""
        chunk = seg.latent[offset : offset + self.chunk_frames]
        audio = self.stream.decode(chunk)
        if audio.ndim != 2 or audio.shape[1] != chunk.shape[0] * self.ratio:
            raise ModelError(
                f"the model decoded {chunk.shape[0]} frames to audio of shape "
                f"{tuple(audio.shape)}, expected (channels, {chunk.shape[0] * self.ratio})"
            )
        self._audio = seg.gain * audio


class Track:
    """A named voice playing `plan` from latent frame `start`, looped or once.

    Iteration n begins at a frame `s_n` and places voice j of its plan at `s_n + voice.start`
    in slot j; the next iteration begins on the first beat at or after `s_n + plan.frames`
    (the loop is padded with silence up to the grid). A replacement plan takes over at the
    next iteration. Slot j keeps one decoder stream, seeded `seeds(j)`, across all iterations
    and replacements, so loops and swaps continue one signal.
    """

    def __init__(self, name: str, plan: Plan, start: int, loop: bool, model, seeds,
                 chunk_frames: int) -> None:
        self.name = name
        self.plan = plan
        self.pending: Plan | None = None
        self.loop = loop
        self.model = model
        self.seeds = seeds
        self.chunk_frames = chunk_frames
        self.next_start: int | None = int(start)
        self.content_end = int(start)
        self.iteration_start: int | None = None
        self.loops = 0
        self.slots: list[Slot] = []
        self.stem: int | None = None
        self.stopping = False
        self.decoding = True  # False: its frames are only watched (decoded elsewhere)

    def replace(self, plan: Plan) -> None:
        """Play `plan` from the next iteration on."""
        self.pending = plan

    def finished(self, frame: int) -> bool:
        """True for a one-shot whose content has ended by `frame`."""
        return not self.loop and self.next_start is None and frame >= self.content_end

    def step(self, first: int, stop: int, clock: Clock, out: np.ndarray,
             taps: dict[int, np.ndarray] | None = None) -> None:
        """Add the track's audio for latent frames `[first, stop)` to `out`
        `(channels, (stop - first) * ratio)`, beginning iterations where they fall.

        With `taps` (a dict), also fill `taps[j]` `(stop - first, dims)` float32 with the latent
        frames voice slot j sounds (NaN where it is silent)."""
        ratio = self.model.ratio
        frame = first
        while frame < stop:
            if self.next_start is None and frame >= self.content_end and self.loop:
                self.next_start = clock.beat_ceil(self.content_end)
            if self.next_start == frame:
                self._begin(frame)
            until = stop
            if self.next_start is not None and self.next_start > frame:
                until = min(until, self.next_start)
            elif self.loop and frame < self.content_end:
                until = min(until, self.content_end)
            part = out[:, (frame - first) * ratio : (until - first) * ratio]
            for j, slot in enumerate(self.slots):
                tap = None
                if taps is not None:
                    if j not in taps:
                        taps[j] = np.full((stop - first, self.model.dims), np.nan, np.float32)
                    tap = taps[j][frame - first : until - first]
                slot.render(frame, until, part, tap, self.decoding)
            frame = until

    def _begin(self, frame: int) -> None:
        if self.pending is not None:
            self.plan, self.pending = self.pending, None
        self.iteration_start = frame
        self.loops += 1
        self.content_end = frame + self.plan.frames
        self.next_start = None
        for j, voice in enumerate(self.plan.voices):
            while len(self.slots) <= j:
                stream = self.model.stream(seed=self.seeds(len(self.slots)))
                self.slots.append(Slot(stream, self.model.ratio, self.chunk_frames))
            self.slots[j].add(Segment(frame + voice.start, np.asarray(voice.latent), voice.gain))

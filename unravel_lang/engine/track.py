"""Tracks: named voices that loop a `Plan` on the tempo grid, one decoder stream per voice slot."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from unravel_lang.engine.clock import Clock
from unravel_lang.engine.decoding import Chunk, VoiceDecoder
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

    A segment is decoded in chunks of `decoder.chunk_frames` latent frames. When the decoder
    is `aligned` (a model that batches), chunks are cut on the engine's grid of that many
    frames and at segment ends, so all voices ask at the same frames and share model calls;
    otherwise chunks are counted from each segment's own start (the last may be shorter),
    exactly as `render.render` decodes a voice. Audio is added when the decoder flushes.
    """

    def __init__(self, stream, ratio: int, decoder: VoiceDecoder, owner=None) -> None:
        self.stream = stream
        self.ratio = ratio
        self.decoder = decoder
        self.owner = owner
        self.segments: deque[Segment] = deque()
        self._chunk: Chunk | None = None
        self._seg: Segment | None = None

    def add(self, segment: Segment) -> None:
        if segment.latent.shape[0] > 0:
            self.segments.append(segment)

    def render(self, first: int, stop: int, out: np.ndarray,
               tap: np.ndarray | None = None, decode: bool = True) -> None:
        """Add this slot's audio for latent frames `[first, stop)` to `out`
        `(channels, (stop - first) * ratio)` (on the decoder's next flush); with `tap`
        `(stop - first, dims)`, also copy the latent frames it sounds into its rows. With
        `decode=False` (a track decoded elsewhere) the model is not run and nothing is added
        to `out`; the tap is filled the same."""
        ratio, segments = self.ratio, self.segments
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
            chunk = self._chunk
            if not decode:
                self._chunk = None
                size = self.decoder.chunk_frames
                until = min(stop, seg.end, frame + size - (frame - seg.start) % size)
            else:
                if chunk is None or self._seg is not seg or not chunk.first <= frame < chunk.end:
                    chunk = self._ask(seg, frame)
                until = min(stop, chunk.end)
                a, b = (frame - first) * ratio, (until - first) * ratio
                self.decoder.add(chunk, (frame - chunk.first) * ratio, out[:, a:b])
            if tap is not None:
                offset = frame - seg.start
                tap[frame - first : until - first] = seg.latent[offset : offset + until - frame]
            frame = until

    def _ask(self, seg: Segment, frame: int) -> Chunk:
        """Ask the decoder for the chunk of `seg` that holds `frame`: from `frame` to the
        grid's next line (aligned), or the segment's chunk of `chunk_frames` around it."""
        size = self.decoder.chunk_frames
        if self.decoder.aligned:
            start, end = frame, min(seg.end, self.decoder.next_line(frame))
        else:
            start = seg.start + (frame - seg.start) // size * size
            end = min(seg.end, start + size)
        offset = start - seg.start
        self._seg = seg
        self._chunk = self.decoder.request(self.stream, seg.latent[offset : offset + end - start],
                                           seg.gain, start, self.owner)
        return self._chunk


class Track:
    """A named voice playing `plan` from latent frame `start`, looped or once.

    Iteration n begins at a frame `s_n` and places voice j of its plan at `s_n + voice.start`
    in slot j; the next iteration begins on the first beat at or after `s_n + plan.frames`
    (the loop is padded with silence up to the grid). A replacement plan takes over at the
    next iteration. Slot j keeps one decoder stream, seeded `seeds(j)`, across all iterations
    and replacements, so loops and swaps continue one signal.
    """

    def __init__(self, name: str, plan: Plan, start: int, loop: bool, model, seeds,
                 decoder: VoiceDecoder) -> None:
        self.name = name
        self.plan = plan
        self.pending: Plan | None = None
        self.loop = loop
        self.model = model
        self.seeds = seeds
        self.decoder = decoder
        self.decoding = True  # False: its frames are only watched (decoded elsewhere)
        self.next_start: int | None = int(start)
        self.content_end = int(start)
        self.iteration_start: int | None = None
        self.loops = 0
        self.slots: list[Slot] = []
        self.stem: int | None = None
        self.stopping = False

    def replace(self, plan: Plan) -> None:
        """Play `plan` from the next iteration on."""
        self.pending = plan

    def finished(self, frame: int) -> bool:
        """True for a one-shot whose content has ended by `frame`."""
        return not self.loop and self.next_start is None and frame >= self.content_end

    def step(self, first: int, stop: int, clock: Clock, out: np.ndarray,
             taps: dict[int, np.ndarray] | None = None, base: int | None = None) -> None:
        """Add the track's audio for latent frames `[first, stop)` to `out`
        `(channels, n * ratio)`, whose column 0 is frame `base` (default `first`), beginning
        iterations where they fall. The audio lands when the decoder flushes.

        With `taps` (a dict), also fill `taps[j]` `(n, dims)` float32 with the latent
        frames voice slot j sounds (NaN where it is silent), row 0 = frame `base`."""
        ratio = self.model.ratio
        base = first if base is None else base
        rows = out.shape[1] // ratio
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
            part = out[:, (frame - base) * ratio : (until - base) * ratio]
            for j, slot in enumerate(self.slots):
                tap = None
                if taps is not None:
                    if j not in taps:
                        taps[j] = np.full((rows, self.model.dims), np.nan, np.float32)
                    tap = taps[j][frame - base : until - base]
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
                self.slots.append(Slot(stream, self.model.ratio, self.decoder, self))
            self.slots[j].add(Segment(frame + voice.start, np.asarray(voice.latent), voice.gain))

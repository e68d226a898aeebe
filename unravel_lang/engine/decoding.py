"""The engine's decoding: the chunks all voices ask for at one frame, decoded together.

Voice slots ask for chunks while the worker steps its tracks; nothing is decoded then.
`VoiceDecoder.flush()` decodes every chunk asked for, and only then adds the audio where the
slots said it goes. A model that batches (`RaveModel.batch_support`) decodes the chunks of
equal length in one model call; any other model decodes them one voice at a time, as
before. A voice's audio does not depend on which other voices sound beside it: each keeps
its own stream (caches and noise), and a batched voice equals the voice decoded alone up
to float rounding (`BatchSupport.diff`, at most `model.BATCH_TOLERANCE`).
"""

from __future__ import annotations

import os
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from unravel_lang.errors import ModelError, UnravelError

CHUNK_FRAMES = 4
"""Latent frames decoded per call, by default: the engine (one voice at a time) and
`render.render` use the same chunks, so both render alike."""

CHUNK_ENV = "UNRAVEL_CHUNK_FRAMES"
"""Environment variable: latent frames per chunk for a model that batches (else measured)."""

BIG_CHUNK_FRAMES = 16
"""Chunk of a model that batches and costs more than `CHEAP` of real time per voice."""

CHEAP = 0.05
"""A model whose 4-frame chunk decodes in under this fraction of its duration keeps
chunks of `CHUNK_FRAMES` (first sound stays one small chunk away)."""

_chosen: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def chunk_frames_for(model: Any) -> int:
    """Latent frames per chunk for `model` in the engine: `CHUNK_FRAMES` (4) for a model that
    decodes one voice at a time (its sound depends on the chunks); for a model that batches
    (chunks change its sound only by float rounding), `$UNRAVEL_CHUNK_FRAMES` if set, else 4
    when one 4-frame chunk decodes in under `CHEAP` of its duration, else
    `BIG_CHUNK_FRAMES` (fewer, larger calls: a genuine RAVE export costs ~4x less per frame
    in 16-frame chunks). Measured once per loaded model."""
    support = getattr(model, "batch_support", None)
    if support is None or not support().rows:
        return CHUNK_FRAMES
    wanted = os.environ.get(CHUNK_ENV, "").strip()
    if wanted:
        try:
            frames = int(wanted)
        except ValueError:
            raise UnravelError(f"{CHUNK_ENV} must be a whole number, got {wanted!r}") from None
        if not 1 <= frames <= 256:
            raise UnravelError(f"{CHUNK_ENV} must be between 1 and 256, got {frames}")
        return frames
    if model not in _chosen:
        z = np.zeros((CHUNK_FRAMES, model.dims), dtype=np.float32)
        stream = model.stream(seed=0)
        stream.decode(z)  # the first call pays for setting things up
        took = []
        for _ in range(2):
            t0 = time.perf_counter()
            stream.decode(z)
            took.append(time.perf_counter() - t0)
        cost = min(took) / (CHUNK_FRAMES * model.ratio / model.sr)
        _chosen[model] = CHUNK_FRAMES if cost < CHEAP else BIG_CHUNK_FRAMES
    return _chosen[model]


@dataclass(eq=False)
class Chunk:
    """Latent frames `[first, first + frames)` of one voice: `latent` `(frames, dims)` to
    decode through `stream`, scaled by `gain`; `audio` `(channels, frames * ratio)` once
    decoded (None before, or when decoding failed)."""

    stream: Any
    latent: np.ndarray
    gain: float
    first: int
    owner: Any
    audio: np.ndarray | None = None
    adds: list[tuple[int, np.ndarray]] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.first + int(self.latent.shape[0])


class VoiceDecoder:
    """Collects the chunks voices ask for, decodes them together on `flush`.

    `batch=None` batches when the model can, `False` never. `aligned` tells slots to cut
    chunks on common lines (`next_line`, so voices ask at the same frames and share calls);
    otherwise chunks are counted from each segment's start, as before. `note` says once why
    a model that could have batched does not.
    """

    def __init__(self, model: Any, batch: bool | None = None,
                 chunk_frames: int | None = None) -> None:
        self.model = model
        support = getattr(model, "batch_support", None)
        rows = support().rows if support is not None and batch is not False else 0
        self.batched = rows > 0
        self.note: str | None = None
        if support is not None and not self.batched and batch is not False:
            self.note = (f"{model.name} decodes its voices one at a time: "
                         f"{support().reason}")
        self.chunk_frames = int(chunk_frames) if chunk_frames else (
            chunk_frames_for(model) if self.batched else CHUNK_FRAMES)
        self.aligned = self.batched
        self.clock: Any = None  # the engine's tempo grid, for `next_line`
        self.pending: list[Chunk] = []
        self.calls = 0
        self.decoded = 0  # voice-chunks decoded

    def next_line(self, frame: int) -> int:
        """The first chunk line after `frame`: lines lie on the tempo grid, so that loops a
        whole number of beats long begin and end on them (no short chunks at a loop's
        boundary). With `k` frames a beat and chunks of `c` frames: every `m` beats, `m` the
        largest power of two with `m * k <= c`; when a beat is longer than `c`, every `c`
        frames from each beat; a booked tempo change's bar line is a line too. Without a
        clock: every `c` frames from frame 0."""
        size = self.chunk_frames
        clock = self.clock
        if clock is None:
            return (frame // size + 1) * size
        origin, k, _ = clock._grid(frame)
        if frame < origin:
            return min(origin, frame + size)
        if k >= size:
            beat = origin + (frame - origin) // k * k
            line = min(beat + ((frame - beat) // size + 1) * size, beat + k)
        else:
            step = k
            while 2 * step <= size:
                step *= 2
            line = origin + ((frame - origin) // step + 1) * step
        if clock.pending is not None and frame < clock.pending[0]:
            line = min(line, clock.pending[0])
        return line

    def request(self, stream: Any, latent: np.ndarray, gain: float, first: int,
                owner: Any) -> Chunk:
        """Ask for `latent` decoded through `stream` (decoded on `flush`)."""
        chunk = Chunk(stream, latent, float(gain), int(first), owner)
        self.pending.append(chunk)
        return chunk

    def add(self, chunk: Chunk, offset: int, out: np.ndarray) -> None:
        """Add `chunk.audio[:, offset : offset + out.shape[1]]` to `out` (now, or on `flush`)."""
        if chunk.audio is not None:
            out += chunk.audio[:, offset : offset + out.shape[1]]
        else:
            chunk.adds.append((offset, out))

    def discard(self, owner: Any) -> None:
        """Forget the chunks `owner` asked for and has not had decoded."""
        self.pending = [c for c in self.pending if c.owner is not owner]

    def flush(self) -> list[tuple[Any, Exception]]:
        """Decode every chunk asked for and make the adds; return `(owner, error)` for the
        owners whose chunk failed (their other chunks are dropped too)."""
        failed: dict[Any, Exception] = {}
        per_stream: dict[int, list[Chunk]] = defaultdict(list)
        for chunk in self.pending:
            per_stream[id(chunk.stream)].append(chunk)
        self.pending = []
        queues = list(per_stream.values())
        while queues:  # round r: the r-th chunk of every stream, in time order per stream
            round_ = [q.pop(0) for q in queues]
            queues = [q for q in queues if q]
            round_ = [c for c in round_ if c.owner not in failed]
            for group in self._groups(round_):
                self._decode(group, failed)
            for chunk in round_:
                if chunk.audio is not None:
                    for offset, out in chunk.adds:
                        out += chunk.audio[:, offset : offset + out.shape[1]]
                chunk.adds.clear()
        return list(failed.items())

    def _groups(self, chunks: list[Chunk]) -> list[list[Chunk]]:
        if not self.batched:
            return [[c] for c in chunks]
        by_frames: dict[int, list[Chunk]] = defaultdict(list)
        for chunk in chunks:
            by_frames[chunk.latent.shape[0]].append(chunk)
        return list(by_frames.values())

    def _decode(self, group: list[Chunk], failed: dict[Any, Exception]) -> None:
        ratio = self.model.ratio
        if len(group) > 1:
            try:
                audios = self.model.decode_batch([c.stream for c in group],
                                                 [c.latent for c in group])
            except (UnravelError, RuntimeError, ValueError):
                audios = None  # find the voice that fails, one at a time
            if audios is not None:
                self.calls += 1
                for chunk, audio in zip(group, audios, strict=True):
                    self._keep(chunk, audio, ratio, failed)
                return
        for chunk in group:
            try:
                audio = chunk.stream.decode(chunk.latent)
            except (UnravelError, RuntimeError, ValueError) as exc:
                failed[chunk.owner] = exc
                continue
            self.calls += 1
            self._keep(chunk, audio, ratio, failed)

    def _keep(self, chunk: Chunk, audio: np.ndarray, ratio: int,
              failed: dict[Any, Exception]) -> None:
        frames = chunk.latent.shape[0]
        if audio.ndim != 2 or audio.shape[1] != frames * ratio:
            failed[chunk.owner] = ModelError(
                f"the model decoded {frames} frames to audio of shape "
                f"{tuple(audio.shape)}, expected (channels, {frames * ratio})")
            return
        self.decoded += 1
        chunk.audio = audio if chunk.gain == 1.0 else chunk.gain * audio

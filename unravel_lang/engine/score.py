"""A score performed by the live engine, faster than real time, into audio (`unravel run -o`).

A score has a time cursor in latent frames, from 0. Before each command `ScoreRender` pulls
the engine (`realtime=False`, read by a `FileSink`) up to the cursor, so the command lands
on that exact frame; then the engine's own rules place it:

- `play X` starts on the next beat (at once when nothing sounds); the cursor moves to where
  X ends, so plays follow one another.
- `wait N` moves the cursor on by N frames; tracks keep looping meanwhile.
- `track NAME = X` starts looping X on the next beat (at once when nothing sounds); a
  running track takes X at its next loop boundary. Loops are padded to the beat.
- `stop NAME` / `hush` fade out (5 ms) from the cursor.
- `set_tempo(k)` and `set_beats_per_bar(n)` change the grid at the next bar line.
- `set_quantum("bar")` makes later tracks and plays start on the next bar line instead of
  the next beat (`set_quantum("beat")` goes back).
- At the end (`finish`), tracks finish the pass they are in (or the one about to begin)
  and one-shots play to their end. The piece lasts to the end of the last sound, or to
  the cursor when a final `wait` goes further.

So a score rendered to a file sounds like the same statements played live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from unravel_lang.engine.engine import Engine
from unravel_lang.engine.filesink import FileSink
from unravel_lang.errors import UnravelError
from unravel_lang.guards import check_frames
from unravel_lang.performer import Performer, perform
from unravel_lang.plan import Plan
from unravel_lang.tempo import DEFAULT_BEATS, DEFAULT_K, check_quantum

AHEAD_FRAMES = 64
"""Latent frames the worker may decode ahead of the sink: fewer hand-overs between threads."""

SILENT_PULL_FRAMES = 1024
"""Most latent frames pulled at once when nothing is decoded (and nothing kept)."""


class SilentModel:
    """A model's shape (sr, ratio, dims, channels) whose streams decode to silence: for the
    engine's timing without decoding (`ScoreRender(..., decode=False)`)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.sr, self.ratio = int(model.sr), int(model.ratio)
        self.dims, self.out_channels = int(model.dims), int(model.out_channels)

    def stream(self, seed: int | None = None) -> SilentStream:
        return SilentStream(self.out_channels, self.ratio)


class SilentStream:
    """Decodes `(frames, dims)` to zeros `(channels, frames * ratio)`."""

    def __init__(self, channels: int, ratio: int) -> None:
        self.channels, self.ratio = channels, ratio

    def decode(self, chunk: np.ndarray) -> np.ndarray:
        return np.zeros((self.channels, chunk.shape[0] * self.ratio), dtype=np.float32)


class ScoreRender(Performer):
    """A performer that plays a score through a non-real-time `Engine` into a `FileSink`.

    `model`: a loaded model, or None with `load` a function that returns it (called when the
    score first needs the engine). `seed` seeds the engine (tracks by name, as live); `k` and
    `beats_per_bar` are the grid and `quantum` ("beat" or "bar") where tracks start, until
    the score changes them. `decode=False` keeps the
    timing and decodes nothing (the audio is silence). `finish()` returns the audio and
    closes the engine's thread; `close()` (or `with`) closes it without finishing.
    """

    def __init__(self, model: Any = None, seed: int = 0, k: int = DEFAULT_K,
                 beats_per_bar: int = DEFAULT_BEATS, decode: bool = True,
                 load: Callable[[], Any] | None = None,
                 ahead_frames: int = AHEAD_FRAMES, quantum: str = "beat") -> None:
        if model is None and load is None:
            raise UnravelError("a score render needs a model")
        self._model = model
        self._load = load
        self.seed = int(seed)
        self.k = int(k)
        self.beats_per_bar = int(beats_per_bar)
        self.quantum = check_quantum(quantum)
        self.decode = decode
        self.ahead_frames = int(ahead_frames)
        self.cursor = 0
        self.played = False
        self.engine: Engine | None = None
        self.sink: FileSink | None = None

    # ---- the engine -----------------------------------------------------------------------

    @property
    def model(self) -> Any:
        """The model the score is decoded with (loaded when first needed)."""
        if self._model is None:
            self._model = self._load()
        return self._model

    def _at_cursor(self) -> Engine:
        """The engine, pulled up to the cursor (started on first use)."""
        if self.engine is None:
            model = self.model if self.decode else SilentModel(self.model)
            self.engine = Engine(model, seed=self.seed, k=self.k,
                                 beats_per_bar=self.beats_per_bar, quantum=self.quantum,
                                 ahead_frames=self.ahead_frames, realtime=False)
            self.sink = FileSink(self.engine, keep=self.decode)
        self._pull_to(self.cursor)
        return self.engine

    def _pull_to(self, frame: int) -> None:
        """Pull the sink to latent frame `frame` (silence in bounded pieces: it is not kept)."""
        if self.decode:
            self.sink.until(frame)
            return
        while self.sink.frame < frame:
            self.sink.until(min(frame, self.sink.frame + SILENT_PULL_FRAMES))

    # ---- the Performer calls ------------------------------------------------------------------

    def play(self, plan: Plan) -> None:
        """Play `plan` once from the next beat (at once after silence); the cursor moves to
        its end."""
        engine = self._at_cursor()
        engine.play(plan)
        engine.settle()
        self.played = True
        self.cursor = check_frames(engine.last_start + plan.frames, "the score")

    def track(self, name: str, plan: Plan) -> None:
        """Start track `name` on the next beat, or replace its plan at its next loop boundary."""
        self._at_cursor().track(name, plan)
        self.played = True

    def stop(self, name: str) -> None:
        """Fade track `name` out from the cursor."""
        self._at_cursor().stop(name)

    def hush(self) -> None:
        """Fade everything out from the cursor."""
        self._at_cursor().hush()

    def set_tempo(self, k: int) -> None:
        """A beat of `k` frames from the next bar line (at once when nothing sounds)."""
        self.k = int(k)
        if self.engine is not None:
            self._at_cursor().set_tempo(self.k)

    def set_beats_per_bar(self, beats: int) -> None:
        """Bars of `beats` beats from the next bar line (at once when nothing sounds)."""
        self.beats_per_bar = int(beats)
        if self.engine is not None:
            self._at_cursor().set_beats_per_bar(self.beats_per_bar)

    def set_quantum(self, quantum: str) -> None:
        """Start later tracks and plays on the next "beat" or the next "bar" line."""
        self.quantum = check_quantum(quantum)
        if self.engine is not None:
            self._at_cursor().set_quantum(self.quantum)

    def wait(self, frames: int) -> None:
        """Move the cursor on by `frames` latent frames."""
        self.cursor = check_frames(self.cursor + max(int(frames), 0), "the score")

    def set_model(self, model: Any) -> None:
        """Decode with `model`; only before the score plays anything."""
        if model is self._model:
            return
        if self.played:
            raise UnravelError("a score can change the model only before it plays anything")
        self.close()
        self._model = model

    # ---- the result ---------------------------------------------------------------------------

    def finish(self) -> np.ndarray:
        """Let the score end (see the module's doc), close the engine and return the audio,
        float32 `(channels, samples)` at the model's rate (no samples when nothing played)."""
        if not self.played:
            self.close()
            return np.zeros((int(self.model.out_channels), 0), dtype=np.float32)
        try:
            engine = self._at_cursor()
            engine.end_loops()
            engine.settle()
            end = max(self.cursor * engine.ratio, engine.sound_end())
            self._pull_to(-(-end // engine.ratio))
            errors = engine.take_errors()
            if errors:
                raise UnravelError("; ".join(errors))
            if not self.decode:  # silence: nothing was kept
                return np.zeros((engine.channels, end), dtype=np.float32)
            return self.sink.audio[:, :end]
        finally:
            self.close()

    @property
    def frames(self) -> int:
        """Latent frames rendered so far."""
        return 0 if self.sink is None else self.sink.frame

    def close(self) -> None:
        """Stop the engine's thread (the audio rendered so far stays in `sink`)."""
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def __enter__(self) -> ScoreRender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bounce(plan: Plan, model: Any, seed: int = 0) -> np.ndarray:
    """`plan` played once through the engine seeded `seed`, from frame 0, to its end:
    float32 `(channels, plan.frames * ratio)`, the samples a score `play` of it renders (and
    sounds live); `export x "a.wav"` writes this."""
    with ScoreRender(model, seed=seed) as score:
        score.play(plan)
        return score.finish()


def render_calls(calls: Iterable[tuple[str, tuple[Any, ...]]], model: Any, seed: int = 0,
                 k: int = DEFAULT_K, beats_per_bar: int = DEFAULT_BEATS) -> np.ndarray:
    """The audio of recorded performer calls (a `lang.Recorder`'s `calls`) as the live engine
    plays them, rendered faster than real time: float32 `(channels, samples)` at `model.sr`
    (`ScoreRender.finish`). `k` and `beats_per_bar` are the grid the session started with."""
    with ScoreRender(model, seed=seed, k=k, beats_per_bar=beats_per_bar) as score:
        perform(calls, score)
        return score.finish()

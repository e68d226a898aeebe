"""The live engine: looping tracks on one tempo grid, decoded ahead, read by a sink."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from unravel_lang.engine.clock import Clock
from unravel_lang.engine.decoding import VoiceDecoder
from unravel_lang.engine.limiter import MasterLimiter
from unravel_lang.engine.mixer import LIVE, StemMixer, fade_ramp
from unravel_lang.engine.observe import FrameListener, MixListener, SampleClock
from unravel_lang.engine.worker import Worker
from unravel_lang.errors import LatentError, UnravelError
from unravel_lang.guards import check_latent
from unravel_lang.performer import DECODE_MODES, Performer
from unravel_lang.plan import Plan, as_plan
from unravel_lang.tempo import (
    DEFAULT_BEATS,
    DEFAULT_K,
    check_beats,
    check_k,
    check_quantum,
    frames_for,
)


@dataclass(frozen=True)
class EngineStatus:
    """What the engine plays: track names, tempo, and the playhead (bars since the downbeat)."""

    tracks: tuple[str, ...]
    k: int
    bpm: float
    bar: float
    underruns: int
    load: float = 0.0      # decoding wall time per second of audio (1.0: just in time)
    behind: bool = False   # the decoder cannot keep up: the sound is about to break up


class Engine(Performer):
    """Plays `Plan`s through `model` as looping named tracks and one-shots (a `Performer`).

    - `track(name, plan)` starts a looping track on the next beat (or bar: `quantum`), or,
      for a running track, replaces its plan at its next loop boundary. The first track
      after silence starts at once and puts the grid's downbeat there.
    - `stop(name)` / `hush()` fade out over `fade_ms` within one buffer of the reader.
    - `set_tempo(k)` moves the grid to k frames per beat from the next bar line.

    At most `max_voices` tracks and plays sound at once (each has one stem of the ring,
    whatever the number of voices in its plan). A worker thread decodes `chunk_frames`
    latent frames at a time per voice (None: chosen per model, `decoding.chunk_frames_for`),
    all the voices of a model that batches in one call (`batch=None`: when it can; False:
    one voice at a time), into a ring that holds at most `ahead_frames` (at least two
    chunks) latent frames of audio; a reader takes it from there: `player.AudioOutput`
    (real time) or `FileSink` (as fast as it is decoded; construct the engine with
    `realtime=False`, then nothing is decoded beyond what the sink asks for).
    """

    def __init__(self, model, seed: int = 0, k: int = DEFAULT_K, beats_per_bar: int = DEFAULT_BEATS,
                 quantum: str = "beat", ahead_frames: int = 8, max_voices: int = 16,
                 fade_ms: float = 5.0, realtime: bool = True,
                 chunk_frames: int | None = None, batch: bool | None = None) -> None:
        if int(ahead_frames) < 1:
            raise UnravelError(f"ahead_frames must be at least 1, got {ahead_frames}")
        self.model = model
        self.sr = int(model.sr)
        self.ratio = int(model.ratio)
        self.channels = int(model.out_channels)
        self.seed = int(seed)
        self.clock = Clock(k, beats_per_bar)
        self.ramp = fade_ramp(self.sr, fade_ms)
        self.decoder = VoiceDecoder(model, batch, chunk_frames)
        self.decoder.clock = self.clock
        ahead_frames = max(int(ahead_frames), 2 * self.decoder.chunk_frames)
        self.ahead_frames = ahead_frames
        capacity = (int(ahead_frames) + 1) * self.ratio
        self.mixer = StemMixer(int(max_voices), self.channels, capacity, self.ramp)
        self.worker = Worker(model, self.mixer, self.clock, self.seed, check_quantum(quantum),
                             ahead=int(ahead_frames) * self.ratio,
                             target=None if realtime else 0, decoder=self.decoder)
        self.realtime = realtime
        self.limiter = MasterLimiter(self.sr)  # the master bus: what every reader gives out
        self.sample_clock = SampleClock(self.sr, delay=self.limiter.lookahead)
        self.sources: tuple = ()  # extra sources the reader mixes in (add_source)
        self._tracks: dict[str, None] = {}
        self.worker.start()

    # --- the Performer calls ---------------------------------------------------------------

    def play(self, plan: Plan) -> None:
        """Play `plan` once, from the next beat (at once after silence)."""
        self.worker.send("play", self._check_plan(plan, "play"))

    def track(self, name: str, plan: Plan) -> None:
        """Start track `name` looping `plan`, or replace its plan at its next loop boundary."""
        if not isinstance(name, str) or not name:
            raise UnravelError(f"a track needs a name, got {name!r}")
        plan = self._check_plan(plan, f"track {name!r}")
        self._tracks[name] = None
        self.worker.send("track", name, plan)

    def stop(self, name: str) -> None:
        """Stop track `name` with a short fade, within one buffer of the reader."""
        if name not in self._tracks:
            raise UnravelError(f"no track named {name!r} is playing")
        del self._tracks[name]
        self._request_fade(self.worker.named.get(name))
        self.worker.send("stop", name)

    def hush(self) -> None:
        """Stop every track and one-shot with a short fade."""
        self._tracks.clear()
        for track in list(self.worker.active):
            self._request_fade(track)
        self.worker.send("hush")

    def set_tempo(self, k: int) -> None:
        """Make a beat `k` latent frames long from the next bar line (at once after silence)."""
        self.worker.send("tempo", check_k(k))

    def set_beats_per_bar(self, beats: int) -> None:
        """Make a bar `beats` beats long from the next bar line (at once after silence)."""
        self.worker.send("beats", check_beats(beats))

    # --- more controls ---------------------------------------------------------------------

    def set_quantum(self, quantum: str) -> None:
        """Start new tracks on the next "beat" or the next "bar"."""
        self.worker.send("quantum", check_quantum(quantum))

    def set_decode(self, name: str, mode: str) -> None:
        """Decode track `name` here ("local" or "both", the default) or not at all ("remote":
        its frames are only given to the listeners, e.g. sent to a decoder elsewhere);
        applies to the track now and whenever a track of that name starts later."""
        if mode not in DECODE_MODES:
            raise UnravelError(f"decode mode is 'local', 'remote' or 'both', got {mode!r}")
        self.worker.send("decode", str(name), mode != "remote")

    def run_to(self, frame: int) -> None:
        """Without real time: decode up to latent frame `frame` into the ring and wait for it.

        Commands given afterwards apply at `frame`. What is decoded must fit in the ring
        (`ahead_frames`) until a reader takes it.
        """
        if self.realtime:
            raise UnravelError("run_to needs an engine made with realtime=False")
        worker = self.worker
        if int(frame) - self.playhead // self.ratio > worker.ahead // self.ratio:
            raise UnravelError(f"frame {frame} is beyond what the ring holds; read it first")
        worker.target = max(worker.target or 0, int(frame))
        worker.wake.set()
        while True:
            worker.produced.clear()  # before looking: a signal after this is not lost
            if worker.cursor >= worker.target and worker.applied >= worker.sent:
                break
            if not worker.thread.is_alive():
                raise UnravelError("the engine's worker has stopped")
            worker.produced.wait(0.05)

    def settle(self) -> None:
        """Wait until the worker has applied every command given so far."""
        worker = self.worker
        while True:
            worker.produced.clear()  # before looking: a signal after this is not lost
            if worker.applied >= worker.sent:
                break
            if not worker.thread.is_alive():
                raise UnravelError("the engine's worker has stopped")
            worker.produced.wait(0.05)

    def end_loops(self) -> None:
        """Let every track finish the pass it is in (or the one about to begin) and loop no
        more; one-shots play to their end."""
        self.worker.send("end")

    @property
    def last_start(self) -> int:
        """The latent frame where the latest `play` or new `track` begins (after `settle`)."""
        return self.worker.last_start

    def sound_end(self) -> int:
        """Without real time, after `end_loops` and `settle`: the sample where the last sound
        ends (0 when nothing sounds)."""
        return self.worker.sound_end()

    def read_into(self, out: np.ndarray) -> int:
        """The reader: fill `out` `(channels, n)` with the next mixed samples (see `StemMixer`),
        then add what each extra source gives (see `add_source`); the sum passes the master
        limiter (`engine.limiter`), so `out` holds the sound of `limiter.lookahead` samples
        earlier. Returns how many engine samples were read (`playhead` moves on by that)."""
        n = self.mixer.read_into(out)
        if self.sources:
            heard = self.sample_clock.time_of(self.playhead - n)
            for source in self.sources:  # a tuple, replaced whole by add/remove_source
                source.add_into(out, heard)
        self.limiter.process(out)
        return n

    def add_source(self, source) -> None:
        """Mix `source` into the output: the reader calls `source.add_into(out, heard)` after
        the tracks are in `out` `(channels, n)` (`heard`: monotonic second at which `out[:, 0]`
        is heard, or None). It must return at once (e.g. the live input's monitor)."""
        if source not in self.sources:
            self.sources = (*self.sources, source)

    def remove_source(self, source) -> None:
        self.sources = tuple(s for s in self.sources if s is not source)

    @property
    def tracks(self) -> tuple[str, ...]:
        """Names of the tracks started and not stopped, in the order they were started."""
        return tuple(self._tracks)

    @property
    def k(self) -> int:
        """Latent frames per beat (the tempo in force at the worker's cursor)."""
        return self.clock.k

    @property
    def beats_per_bar(self) -> int:  # type: ignore[override]
        """Beats per bar (in force at the worker's cursor)."""
        return self.clock.beats_per_bar

    @property
    def engine(self) -> Engine:  # type: ignore[override]
        """This engine (what OSC out and the view watch)."""
        return self

    @property
    def bpm(self) -> float:
        return 60.0 * self.sr / self.ratio / self.clock.k

    @property
    def playhead(self) -> int:
        """Samples read so far (what a sink has taken from the engine)."""
        return self.mixer.ring.read_pos

    @property
    def underruns(self) -> int:
        """Reads that found fewer samples than asked for while a voice was playing."""
        return self.mixer.underruns

    def bar_position(self) -> float:
        """The playhead in bars since the grid's downbeat."""
        return self.clock.bars(self.mixer.ring.read_pos / self.ratio)

    def status(self) -> EngineStatus:
        return EngineStatus(self.tracks, self.k, self.bpm, self.bar_position(), self.underruns,
                            self.worker.load, self.worker.behind)

    def take_errors(self) -> list[str]:
        """Messages of voices the worker had to stop (e.g. a model failure), oldest first."""
        errors = []
        while self.worker.errors:
            errors.append(self.worker.errors.popleft())
        return errors

    def take_notes(self) -> list[str]:
        """One-line notices for the performer, oldest first: the decoder falling behind (real
        time), a model that decodes its voices one at a time (said once)."""
        notes = []
        while self.worker.notes:
            notes.append(self.worker.notes.popleft())
        return notes

    def add_listener(self, listener: FrameListener) -> None:
        """Call `listener(FrameBlock)` from the worker thread with the latent frames every voice
        sounds, as they are decoded (ahead of the sound; see `time_of`). It must return at
        once (queue, never block); one that raises is removed and reported in `take_errors`."""
        if listener not in self.worker.listeners:
            self.worker.listeners.append(listener)

    def remove_listener(self, listener: FrameListener) -> None:
        if listener in self.worker.listeners:
            self.worker.listeners.remove(listener)

    def add_mix_listener(self, listener: MixListener) -> None:
        """Call `listener(sample, audio)` from the worker thread with each block of mixed
        audio it produces (see `MixListener`); the same rules as `add_listener`."""
        if listener not in self.worker.mix_listeners:
            self.worker.mix_listeners.append(listener)

    def remove_mix_listener(self, listener: MixListener) -> None:
        if listener in self.worker.mix_listeners:
            self.worker.mix_listeners.remove(listener)

    def time_of(self, sample: float) -> float | None:
        """`time.monotonic()` seconds at which engine sample `sample` reaches the speaker, as
        the real-time reader last reported it (None before it has played a buffer)."""
        return self.sample_clock.time_of(sample)

    def frames_for(self, bars: float = 0, beats: float = 0) -> int:
        """Latent frames in `bars` bars plus `beats` beats at the current tempo: the language's
        rule, `tempo.frames_for` (a length that is not a whole number of frames is refused)."""
        return frames_for(self.clock.k, bars=bars, beats=beats,
                          beats_per_bar=self.clock.beats_per_bar)

    def close(self) -> None:
        """Stop the worker thread."""
        self.worker.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- helpers ----------------------------------------------------------------------------

    def _request_fade(self, track) -> None:
        if not self.realtime:
            return
        stem = None if track is None else track.stem
        if stem is not None and self.mixer.state[stem] == LIVE and not track.stopping:
            self.mixer.stop_req[stem] = True

    def _check_plan(self, plan: Plan, where: str) -> Plan:
        value, plan = plan, as_plan(plan)
        if plan is None:
            got = (f"an array of shape {value.shape}" if isinstance(value, np.ndarray)
                   else type(value).__name__)
            raise UnravelError(f"{where}: expected a latent array (frames, dims) or a plan, "
                               f"got {got}")
        if plan.frames == 0:
            raise LatentError(f"{where}: the pattern is empty (0 frames)")
        dims = int(self.model.dims)
        for voice in plan.voices:
            check_latent(voice.latent, f"{where}: the pattern", dims=dims, allow_empty=True,
                         dtype=None, error=LatentError)
            if not math.isfinite(voice.gain):
                raise LatentError(f"{where}: a voice's gain is not finite ({voice.gain})")
        return plan

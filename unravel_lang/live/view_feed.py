"""What feeds the view server: a live engine (`EngineFeed`), or a score rendered beforehand and
played in real time (`ScoreFeed`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from unravel_lang.addresses import parse_address
from unravel_lang.engine.observe import FrameBlock, SampleClock
from unravel_lang.engine.score import ScoreRender
from unravel_lang.live.view import ViewServer
from unravel_lang.player import AudioOutput


def grid_at(clock: Any, frame: int) -> tuple[int, int, int]:
    """`(origin, k, beats_per_bar)` of the engine clock's grid in force at latent `frame`."""
    pending = clock.pending
    if pending is not None and frame >= pending[0]:
        return tuple(pending)
    return clock.origin, clock.k, clock.beats_per_bar


def model_name(model: Any) -> str:
    path = getattr(model, "path", None)
    name = Path(str(path)).name if path else "model"
    return "default" if name == "default.ts" else name


class EngineFeed:
    """Connects a live `Engine` to a `ViewServer`: its frame and mix listeners push into the
    server (from the worker thread, without blocking); `poll` (the server's thread, every tick)
    publishes the state and ends the tracks that were stopped, from where the reader is.

    `sources` maps track names to the line of code that made them (read at every tick);
    `output` is the real-time reader (`AudioOutput`, for its underflow count) or None;
    `peers()` names what else the session plays with (e.g. `osc → host:port`).
    """

    def __init__(self, server: ViewServer, engine: Any, output: Any = None,
                 sources: dict[str, str] | None = None,
                 peers: Callable[[], list[str]] | None = None) -> None:
        self.server = server
        self.engine = engine
        self.output = output
        self.sources = sources if sources is not None else {}
        self.peers = peers
        self.alive: set[str] = set()
        self.ends: dict[str, int] = {}
        self.model = model_name(engine.model)

    def attach(self) -> None:
        engine = self.engine
        self.server.set_timing(engine.sr, engine.ratio, engine.time_of)
        engine.add_listener(self._frames)
        engine.add_mix_listener(self._mix)
        self.server.hooks.append(self.poll)
        self.poll()

    def detach(self) -> None:
        self.engine.remove_listener(self._frames)
        self.engine.remove_mix_listener(self._mix)
        if self.poll in self.server.hooks:
            self.server.hooks.remove(self.poll)
        self.server.state = {}

    def _frames(self, block: FrameBlock) -> None:
        self.server.feed_frames(block.track, block.voice, block.first, block.latent,
                                grid_at(self.engine.clock, block.first))

    def _mix(self, sample: int, audio: np.ndarray) -> None:
        self.server.feed_mix(sample, audio)

    def poll(self) -> None:
        """Publish the state; a track that stopped sounding ends at the reader's frame."""
        engine = self.engine
        named = set(engine.tracks)
        alive = {t.name for t in list(engine.worker.active)
                 if not t.stopping and (t.name in named or t.name.startswith("play "))}
        reader = -(-engine.playhead // engine.ratio)
        for name in self.alive - alive:
            self.ends[name] = reader
        for name in alive:
            self.ends.pop(name, None)
        while len(self.ends) > 64:
            self.ends.pop(next(iter(self.ends)))
        self.alive = alive
        self.server.state = {
            "tracks": {name: self.sources.get(name, "") for name in sorted(alive)},
            "ends": dict(self.ends),
            "quantum": engine.worker.quantum,
            "model": self.model,
            "underruns": int(engine.underruns),
            "underflows": int(getattr(self.output, "underflows", 0)),
            "peers": list(self.peers()) if self.peers is not None else [],
        }


# ---- a score played in real time ----------------------------------------------------------


class ArrayReader:
    """Audio `(channels, samples)` read like an engine by a real-time output (`AudioOutput`):
    `read_into`, `playhead`, `sample_clock`, `sr`, `channels`; `lead` seconds of silence
    before it (so what shows the first frames gets them before they sound), silence after."""

    def __init__(self, audio: np.ndarray, sr: int, lead: float = 0.0) -> None:
        self.audio = np.ascontiguousarray(audio, dtype=np.float32)
        self.sr = int(sr)
        self.channels = int(self.audio.shape[0])
        self.sample_clock = SampleClock(self.sr)
        self.pos = -round(float(lead) * self.sr)
        self.underruns = 0

    @property
    def playhead(self) -> int:
        """The next sample to read (negative during the lead-in)."""
        return self.pos

    @property
    def done(self) -> bool:
        return self.pos >= self.audio.shape[1]

    def read_into(self, out: np.ndarray) -> int:
        n = out.shape[1]
        out.fill(0.0)
        a, b = max(self.pos, 0), min(self.pos + n, self.audio.shape[1])
        if b > a:
            out[:, a - self.pos : b - self.pos] = self.audio[:, a:b]
        self.pos += n
        return max(0, b - a)


class ScoreRecording:
    """Frame listener for a score's non-real-time engine: keeps every block and its grid."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, int, int, np.ndarray, tuple[int, int, int]]] = []
        self.sources: dict[str, str] = {}
        self.engine: Any = None

    def listen(self, engine: Any) -> None:
        self.engine = engine
        engine.add_listener(self._frames)

    def _frames(self, block: FrameBlock) -> None:
        self.blocks.append((block.track, block.voice, block.first, block.latent,
                            grid_at(self.engine.clock, block.first)))

    def ends(self) -> list[tuple[int, str]]:
        """`(frame, track)` where each stretch of a track's frames ends, in time order."""
        covered: dict[str, list[tuple[int, int]]] = {}
        for track, _voice, first, latent, _grid in self.blocks:
            covered.setdefault(track, []).append((first, first + len(latent)))
        out = []
        for track, spans in covered.items():
            spans.sort()
            end = spans[0][1]
            for a, b in spans[1:]:
                if a > end:
                    out.append((end, track))
                end = max(end, b)
            out.append((end, track))
        return sorted(out)


class ScoreFeed:
    """Pushes a recorded score into a `ViewServer` as `reader` plays its audio: frames go out
    `ahead` seconds before they sound, tracks end where their frames end."""

    def __init__(self, server: ViewServer, recording: ScoreRecording, reader: ArrayReader,
                 ratio: int, model: Any, quantum: Callable[[], str] | None = None,
                 ahead: float = 0.5) -> None:
        self.server = server
        self.reader = reader
        self.ratio = int(ratio)
        self.ahead = float(ahead)
        self.blocks = sorted(recording.blocks, key=lambda b: b[2])
        self.sources = recording.sources
        self.end_list = recording.ends()
        self.model = model_name(model)
        self.quantum = quantum
        self._next = 0
        self._next_end = 0
        self._mix_pos = 0
        self.output: Any = None
        self.alive: set[str] = set()
        self.ends: dict[str, int] = {}
        server.set_timing(reader.sr, self.ratio, reader.sample_clock.time_of)

    def push(self) -> None:
        """Push what sounds within `ahead` seconds of the reader (call it often)."""
        horizon = (self.reader.playhead + self.ahead * self.reader.sr) / self.ratio
        blocks, ends = self.blocks, self.end_list
        while True:
            block_at = blocks[self._next][2] if self._next < len(blocks) else None
            end_at = ends[self._next_end][0] if self._next_end < len(ends) else None
            if end_at is not None and end_at < horizon and (block_at is None
                                                            or end_at <= block_at):
                frame, track = ends[self._next_end]
                self.alive.discard(track)
                self.ends[track] = frame
                self._next_end += 1
            elif block_at is not None and block_at < horizon:
                track, voice, first, latent, grid = blocks[self._next]
                self.server.feed_frames(track, voice, first, latent, grid)
                self.alive.add(track)
                self.ends.pop(track, None)
                self._next += 1
            else:
                break
        until = min(int(horizon) * self.ratio, self.reader.audio.shape[1])
        start = max(self._mix_pos, self.reader.playhead // self.ratio * self.ratio, 0)
        if until > start:
            self.server.feed_mix(start, self.reader.audio[:, start:until].copy())
            self._mix_pos = until
        self.server.state = {
            "tracks": {name: self.sources.get(name, "") for name in sorted(self.alive)},
            "ends": dict(self.ends), "quantum": self.quantum() if self.quantum else "",
            "model": self.model, "underruns": 0,
            "underflows": int(getattr(self.output, "underflows", 0)),
        }

    def run(self, output: Any, tail: float = 0.3) -> None:
        """Push while `output` (started) plays the reader to its end (and `tail` seconds)."""
        self.output = output
        step = self.ahead / 2
        while not self.reader.done:
            self.push()
            time.sleep(step)
        self.push()
        time.sleep(float(getattr(output, "latency", 0.1)) + tail)
        self.alive.clear()
        self.server.state = dict(self.server.state, tracks={})


def play_score_with_view(audio: np.ndarray, sr: int, ratio: int, recording: ScoreRecording,
                         model: Any, address: str | int | None, write: Callable[[str], None],
                         wait: float = 30.0) -> None:
    """Play rendered score `audio` on the sound card while a view server shows it, from when
    the first viewer is connected (or after `wait` seconds)."""

    host, port = parse_address(address)
    reader = ArrayReader(audio, sr, lead=0.3)
    server = ViewServer(host, port)
    write(f"view: {server.start()}")
    try:
        write(f"open it to start (playing in {wait:g} s at the latest)")
        if server.wait_for_viewer(wait):
            time.sleep(0.5)  # the page sets its clock
        feed = ScoreFeed(server, recording, reader, ratio, model)
        feed.push()  # the first frames are there before the sound starts
        output = AudioOutput(reader)
        write(f"playing {audio.shape[1] / sr:.2f} s")
        with output:
            feed.run(output)
        write("played")
    finally:
        server.close()



def viewed_score(**kwargs: Any) -> Any:
    """A `ScoreRender` (same arguments) that also records what a view needs: every voice's
    frames (`recording`), the line of code of each track, and a `view` statement's address
    (`view_address`, None when the score has none)."""

    class ViewedScore(ScoreRender):
        def __init__(self) -> None:
            super().__init__(**kwargs)
            self.recording = ScoreRecording()
            self.view_address: str | int | None = None

        def _at_cursor(self) -> Any:
            fresh = self.engine is None
            engine = super()._at_cursor()
            if fresh:  # nothing sounds yet when the engine is made
                self.recording.listen(engine)
            return engine

        def track_source(self, name: str, line: str) -> None:
            self.recording.sources[name] = line

        def view(self, address: str | int | None = None) -> None:
            if self.view_address is None:
                self.view_address = "" if address is None else address

    return ViewedScore()

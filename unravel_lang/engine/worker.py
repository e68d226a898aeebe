"""The decode-ahead worker: applies commands on the latent-frame grid and fills the stem ring."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import numpy as np

from unravel_lang.engine.clock import Clock
from unravel_lang.engine.decoding import VoiceDecoder
from unravel_lang.engine.limiter import MasterLimiter
from unravel_lang.engine.mixer import DONE, LIVE, StemMixer
from unravel_lang.engine.observe import FrameBlock, FrameListener, MixListener
from unravel_lang.engine.timeline import slot_seed
from unravel_lang.engine.track import Track
from unravel_lang.errors import UnravelError
from unravel_lang.plan import Plan


class Worker:
    """Owns the clock and the tracks; its thread turns them into audio, one latent frame a block.

    Commands are applied at the worker's cursor (the next frame it will produce), which runs
    ahead of what is heard by at most `ahead` samples. With `target` set (file rendering)
    the worker produces exactly up to frame `target`, silence included, and no further.
    """

    def __init__(self, model, mixer: StemMixer, clock: Clock, seed: int, quantum: str,
                 ahead: int, target: int | None, decoder: VoiceDecoder) -> None:
        self.model = model
        self.mixer = mixer
        self.clock = clock
        self.seed = int(seed)
        self.quantum = quantum
        self.ahead = int(ahead)
        self.target = target
        self.decoder = decoder
        self.cursor = 0
        self.named: dict[str, Track] = {}
        self.active: list[Track] = []
        self.commands: deque[tuple[Any, ...]] = deque()
        self.sent = 0
        self.applied = 0
        self.last_start = 0
        self.errors: deque[str] = deque(maxlen=32)
        self.notes: deque[str] = deque(maxlen=32)
        self.limiter = MasterLimiter(model.sr)  # the mix listeners' own (the reader has one)
        self._mix_from = self._mix_next = 0  # the limiter's first and next input sample
        self.load = 0.0  # decode wall seconds per audio second, smoothed over ~1 s of audio
        self.behind = False
        self._filled_once = False  # the ring was at least half full since voices began
        self._said_one_by_one = decoder.note is None
        self._window: deque[tuple[float, float]] = deque(maxlen=2 * decoder.chunk_frames)
        self.plays = 0
        self.listeners: list[FrameListener] = []
        self.mix_listeners: list[MixListener] = []
        self.remote: set[str] = set()  # tracks decoded elsewhere: not run through the model
        self.wake = threading.Event()
        self.produced = threading.Event()
        self.running = True
        self.thread = threading.Thread(target=self._run, name="unravel-engine", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.running = False
        self.wake.set()
        if self.thread.is_alive():
            self.thread.join()

    def send(self, *command: Any) -> None:
        """Queue a command for the worker thread (any thread may call this)."""
        self.sent += 1
        self.commands.append(command)
        self.wake.set()

    # --- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        ratio = self.model.ratio
        block_seconds = ratio / self.model.sr
        while self.running:
            self.wake.clear()
            try:
                while self.commands:
                    try:
                        self._apply(*self.commands.popleft())
                    finally:
                        self.applied += 1
                        self.produced.set()
                self._housekeeping()
                if self._wants_audio():
                    ring = self.mixer.ring
                    if ring.filled + ratio <= self.ahead:
                        most = (self.ahead - ring.filled) // ratio
                        t0 = time.perf_counter()
                        produced = self._produce(most if self.target is not None else 1)
                        if self.target is None:
                            self._watch(time.perf_counter() - t0, produced * block_seconds)
                        # rendering to a target: fill the ring until a command comes
                        while (self.target is not None and self.cursor < self.target
                               and ring.filled + ratio <= self.ahead
                               and not self.commands and self.running):
                            self._produce((self.ahead - ring.filled) // ratio)
                        if not self._wants_audio() or 2 * ring.filled >= self.ahead:
                            self.produced.set()  # the reader may take a whole batch
                        continue
                    self.wake.wait(block_seconds / 4)
                else:
                    self._watch(0.0, 0.0)
                    self.wake.wait(0.05)
            except Exception as exc:  # noqa: BLE001 - keep the engine alive, say what happened
                self.errors.append(f"the engine stopped every voice: {exc!r}")
                for track in list(self.active):
                    self._drop(track)
                self.named.clear()

    BEHIND_LOAD = 1.0
    """Load (decode time per audio time) above which the decoder is falling behind."""

    def _watch(self, took: float, seconds: float) -> None:
        """Real time: follow the decoding load over the last two chunks of audio and the
        ring's level; say once, as soon as it starts, that the decoder is falling behind
        (decoding slower than real time with the ring under half full, or the ring, once
        half full, under a quarter), while the ring still holds audio."""
        sounding = [t for t in self.active if t.stem is not None and not t.finished(self.cursor)]
        if not sounding:
            self.load, self.behind, self._filled_once = 0.0, False, False
            self._window.clear()
            return
        if seconds > 0:
            self._window.append((took, seconds))
            span = sum(s for _, s in self._window)
            if len(self._window) >= self._window.maxlen:
                self.load = sum(t for t, _ in self._window) / span
        voices = sum(len(t.slots) for t in sounding)
        if voices > 1 and not self._said_one_by_one:
            self._said_one_by_one = True
            self.notes.append(self.decoder.note)
        level = self.mixer.ring.filled / self.ahead
        if level >= 0.5:
            self._filled_once = True
        draining = self._filled_once and level < 0.25
        slow = self.load > self.BEHIND_LOAD and level < 0.5  # and the ring shows it
        if not self.behind and (slow or draining):
            self.behind = True
            cost = (f"take {self.load:.0%} of real time to decode" if self.load > 0
                    else "decode slower than they play")
            self.notes.append(
                f"falling behind: {voices} voice{'s' * (voices != 1)} of "
                f"{getattr(self.model, 'name', 'the model')} {cost}; the sound may break "
                "up (stop a track, or load the model on a GPU)")
        elif self.behind and self.load < 0.8 and level >= 0.5:
            self.behind = False

    def _wants_audio(self) -> bool:
        if self.target is not None:
            return self.cursor < self.target
        return any(not t.finished(self.cursor) for t in self.active)

    def _idle(self) -> bool:
        """True when nothing sounds from the cursor on: every track is a one-shot that has
        ended, or a stopped one whose fade has ended (decided from the cursor alone, so a
        script rendered to a file places what it starts the same way every time)."""
        return all(self._silent(track) for track in self.active)

    def _silent(self, track: Track) -> bool:
        if track.finished(self.cursor):
            return True
        if not track.stopping or track.stem is None:
            return False
        fade_at = self.mixer.fade_at[track.stem]
        return 0 <= fade_at and fade_at + len(self.mixer.ramp) <= self.cursor * self.model.ratio

    def sound_end(self) -> int:
        """The sample where the last sound ends if no track starts another loop (for a worker
        at rest with `target` set: a file render's end)."""
        ratio = self.model.ratio
        end = 0
        for track in list(self.active):
            if track.stopping:
                fade_at = -1 if track.stem is None else self.mixer.fade_at[track.stem]
                end = max(end, fade_at + len(self.mixer.ramp) if fade_at >= 0 else 0)
            elif track.next_start is not None:
                plan = track.pending if track.pending is not None else track.plan
                end = max(end, (track.next_start + plan.frames) * ratio)
            else:
                end = max(end, track.content_end * ratio)
        return end

    def _apply(self, op: str, *args: Any) -> None:
        if op == "track":
            name, plan = args
            if name in self.named:
                self.named[name].replace(plan)
            else:
                self.named[name] = self._new_track(name, plan, loop=True)
        elif op == "play":
            (plan,) = args
            self.plays += 1
            self._new_track(f"play {self.plays}", plan, loop=False)
        elif op == "stop":
            (name,) = args
            track = self.named.pop(name, None)
            if track is not None:
                self._stop(track)
        elif op == "hush":
            self.named.clear()
            for track in list(self.active):
                self._stop(track)
        elif op == "tempo":
            (k,) = args
            if self._idle():
                self.clock.restart(self.cursor, k)
            else:
                self.clock.schedule(k, self.cursor)
        elif op == "beats":
            (beats,) = args
            if self._idle():
                self.clock.restart(self.cursor, beats_per_bar=beats)
            else:
                self.clock.schedule(None, self.cursor, beats)
        elif op == "end":
            for track in self.active:
                track.loop = False
                if track.loops > 0:
                    track.next_start = None  # between passes: the last one has ended
        elif op == "quantum":
            (self.quantum,) = args
        elif op == "decode":
            name, local = args
            (self.remote.discard if local else self.remote.add)(name)
            if name in self.named:
                self.named[name].decoding = bool(local)

    def _new_track(self, name: str, plan: Plan, loop: bool) -> Track:
        if self._idle():
            self.clock.restart(self.cursor)
            start = self.cursor
        else:
            start = self.clock.quantum_ceil(self.cursor, self.quantum)
        seed = self.seed

        def seeds(slot: int) -> int:
            return slot_seed(seed, name, slot)

        track = Track(name, plan, start, loop, self.model, seeds, self.decoder)
        track.decoding = name not in self.remote
        self.active.append(track)
        self.last_start = start
        return track

    def _stop(self, track: Track) -> None:
        """Fade `track` out: from the reader's position when playing in real time, from the
        cursor exactly when rendering to a target (so a script renders the same every time)."""
        track.stopping = True
        stem = track.stem
        if stem is None:
            self.active.remove(track)
        elif self.target is None:
            self.mixer.stop_req[stem] = True
        elif self.mixer.stem_from[stem] >= self.cursor * self.model.ratio:
            self._drop(track)
        elif self.mixer.fade_at[stem] < 0:
            self.mixer.fade_at[stem] = self.cursor * self.model.ratio

    def _housekeeping(self) -> None:
        """Free the stems of faded-out tracks and of one-shots the reader has played to the end."""
        read_pos = self.mixer.ring.read_pos
        ratio = self.model.ratio
        for track in list(self.active):
            if track.stem is None:
                continue
            done = self.mixer.state[track.stem] == DONE
            played = track.finished(self.cursor) and read_pos >= track.content_end * ratio
            if done or played:
                self._drop(track)

    def _drop(self, track: Track) -> None:
        if track in self.active:
            self.active.remove(track)
        if self.named.get(track.name) is track:
            del self.named[track.name]
        if track.stem is not None:
            self.mixer.release(track.stem)

    def _tell(self, name: str, frame: int, taps: dict[int, np.ndarray]) -> None:
        """Give every listener the frames each voice of track `name` sounds from `frame`; a
        listener that raises is removed and reported (it never stops the sound)."""
        for listener in list(self.listeners):
            for voice, rows in sorted(taps.items()):
                try:
                    listener(FrameBlock(name, voice, frame, rows))
                except Exception as exc:  # noqa: BLE001 - a listener never stops the engine
                    self.errors.append(f"a frame listener was removed: {exc!r}")
                    if listener in self.listeners:
                        self.listeners.remove(listener)
                    break

    def _tell_mix(self, sample: int, block: np.ndarray) -> None:
        """Give every mix listener the sum of the stems of the tracks that sound (not the
        stopping ones) from engine sample `sample`, through a master limiter (as the reader
        gives it out): a new `(channels, n)` float32 array, from the limiter's look-ahead
        before `sample` (a listener gets each sample once, in order)."""
        stems = [t.stem for t in self.active if t.stem is not None and not t.stopping
                 and self.mixer.state[t.stem] == LIVE]
        mix = block[stems].sum(axis=0) if stems else np.zeros(block.shape[1:], np.float32)
        if sample != self._mix_next:  # the listeners were away: begin afresh
            self.limiter.reset()
            self._mix_from = sample
        self._mix_next = sample + mix.shape[1]
        self.limiter.process(mix)
        first = sample - self.limiter.lookahead
        skip = max(0, self._mix_from - first)  # the limiter's silence before its first input
        if skip >= mix.shape[1]:
            return
        first, mix = first + skip, mix[:, skip:]
        for listener in list(self.mix_listeners):
            try:
                listener(first, mix)
            except Exception as exc:  # noqa: BLE001 - a listener never stops the engine
                self.errors.append(f"a mix listener was removed: {exc!r}")
                if listener in self.mix_listeners:
                    self.mix_listeners.remove(listener)

    def _produce(self, most: int = 1) -> int:
        """Decode up to `most` latent frames from `cursor` (fewer where the ring wraps or the
        target is reached) of every track into the ring and publish them; return how many."""
        ratio = self.model.ratio
        ring = self.mixer.ring
        frame = self.cursor
        n = max(1, min(most, (ring.capacity - ring.write_pos % ring.capacity) // ratio,
                       ring.free // ratio))
        if self.target is not None:
            n = max(1, min(n, self.target - frame))
        stop = frame + n
        self.clock.advance(frame)
        block = ring.block(n * ratio)
        beginning = [t for t in self.active if t.stem is None and t.next_start is not None
                     and frame <= t.next_start < stop]
        beginning.sort(key=lambda t: t.next_start)  # stems in the order voices begin
        for track in beginning:
            stem = self.mixer.free_stem()
            if stem is None:
                self.errors.append(f"track {track.name!r} not started: more than "
                                   f"{self.mixer.stems} tracks and plays at once")
                self._drop(track)
                continue
            track.stem = stem
            self.mixer.assign(stem, track.next_start * ratio)
        sounding = []
        for track in list(self.active):
            if track.stem is None:
                continue
            block[track.stem].fill(0.0)
            if not track.finished(frame) and self.mixer.state[track.stem] == LIVE:
                sounding.append(track)
        taps: dict[Track, dict[int, np.ndarray]] = {t: {} for t in sounding} if self.listeners \
            else {}
        for first, until in self._spans(frame, stop):
            for track in list(sounding):
                try:
                    track.step(first, until, self.clock, block[track.stem], taps.get(track),
                               base=frame)
                except (UnravelError, RuntimeError, ValueError) as exc:
                    self._fail(track, exc, block, sounding)
            for track, exc in self.decoder.flush():
                if track in sounding:
                    self._fail(track, exc, block, sounding)
        for track in sounding:
            if taps.get(track) and not track.stopping:  # a stopping track is not heard on
                self._tell(track.name, frame, taps[track])
        if self.mix_listeners:
            self._tell_mix(frame * ratio, block)
        ring.commit(n * ratio)
        self.cursor = stop
        self.clock.advance(stop)  # commands apply at the cursor, on the grid in force there
        return n

    def _spans(self, frame: int, stop: int) -> list[tuple[int, int]]:
        """`[frame, stop)` cut on the decoder's chunk lines when it batches (every voice steps
        one span, then the chunks they asked for are decoded together), else whole."""
        if not self.decoder.aligned:
            return [(frame, stop)]
        spans = []
        while frame < stop:
            line = min(stop, self.decoder.next_line(frame))
            spans.append((frame, line))
            frame = line
        return spans

    def _fail(self, track: Track, exc: Exception, block: np.ndarray, sounding: list) -> None:
        """Stop `track` after a decoding error: silence its stem, say why."""
        self.errors.append(f"track {track.name!r} stopped: {exc}")
        self.decoder.discard(track)
        block[track.stem].fill(0.0)
        sounding.remove(track)
        self._drop(track)

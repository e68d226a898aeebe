"""A reader of the engine that puts the engine's beats on a Link session's beats.

The engine decodes at its own grid tempo (k frames a beat). `BeatRetimer` sits between the
engine and the output (a sound card's `AudioOutput`, or any sink that marks its sample
clock): for every output sample it knows, from the output's sample clock and the session's
timeline, which Link beat is heard then, and it reads the engine's audio so that every
engine beat begins exactly when the session's beat is heard. When the session's beat is
longer or shorter than the engine's, the end of each beat is spliced (`timeline.splice`):
pitch and timbre stay as decoded, beat onsets land to the sample.

Engine bar lines fall on the session's bar lines (Link phase 0 for a quantum of the
engine's beats per bar): a grid that (re)starts in the engine, e.g. the first track after
silence, waits for the session's next bar line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from unravel_lang.engine.clock import GridChange
from unravel_lang.engine.observe import SampleClock
from unravel_lang.live.timeline import Timeline, next_bar, splice

FREE, HOLD, LOCKED = "free", "hold", "locked"
"""States: FREE plays the engine as it comes (no grid to place yet), HOLD waits in silence
for the session's bar line where a grid begins, LOCKED places the engine's beats on the
session's beats."""

SNAP_SECONDS = 0.02
"""A measured phase further than this from the running one is jumped to (as is any phase
after a tempo change); nearer, it is approached by `PULL` of the difference per buffer
(smooths the jitter of the output's timing reports)."""
PULL = 0.1


class BeatRetimer:
    """Reads `engine` so that its beats are heard on the beats of the session `timeline()`
    returns (a `Timeline`, or None when there is none: then it plays the engine as it is).

    It is a reader with the engine's reader interface (`sr`, `channels`, `read_into`,
    `playhead`, `sample_clock`): give it to `AudioOutput` in place of the engine. `nudge_ms`
    moves what is heard earlier by that many milliseconds (for outputs whose true latency
    is longer than PortAudio reports). `xfade_ms` is the length of the splice crossfade.
    """

    def __init__(self, engine, timeline: Callable[[], Timeline | None], nudge_ms: float = 0.0,
                 xfade_ms: float = 5.0, history_beats: int = 3, max_k: int = 64) -> None:
        self.engine = engine
        self.timeline = timeline
        self.sr = int(engine.sr)
        self.ratio = int(engine.ratio)
        self.channels = int(engine.channels)
        self.nudge_ms = float(nudge_ms)
        self.xfade = max(1, round(self.sr * xfade_ms / 1000.0))
        self.sample_clock = SampleClock(self.sr, delay=engine.limiter.lookahead)
        self.playhead = 0
        self.cap = history_beats * max_k * self.ratio
        self.hist = np.zeros((self.channels, self.cap), dtype=np.float32)
        self.h0 = self.h1 = int(engine.playhead)  # engine samples [h0, h1) are in `hist`
        self.pull_buf = np.zeros((self.channels, 4096), dtype=np.float32)
        self.log: list[GridChange] = []
        self.seen = 0
        self.state = FREE
        self.free_pos = self.h1          # FREE: the next engine sample to play
        self.anchor: int | None = None   # the frame where a grid waits for a bar line
        self.anchor_beat: int | None = None
        self.segs: list[tuple[float, int, int, int]] = []  # (link beat, frame, k, beats)
        self.limit = math.inf            # LOCKED: the engine sample where the mapping ends
        self.phase: float | None = None  # the Link beat heard at `playhead`
        self.tempo = 0.0
        self.gain = 1.0
        self.target_gain = 1.0
        self.underruns = 0
        self._absorb()
        self._join()

    # --- control (any thread) ----------------------------------------------------------------

    def mute(self, muted: bool) -> None:
        """Fade the output out (`True`) or back in over one buffer; the beat keeps running."""
        self.target_gain = 0.0 if muted else 1.0

    def set_nudge(self, ms: float) -> None:
        self.nudge_ms = float(ms)

    # --- the grid ---------------------------------------------------------------------------

    def _absorb(self) -> None:
        """Take the grid changes the engine's clock logged since the last look."""
        clock = self.engine.clock
        total = clock.changes_total
        new = total - self.seen
        if new <= 0:
            return
        changes = list(clock.changes)[-new:] if new <= len(clock.changes) else list(clock.changes)
        self.seen = total
        self.log.extend(changes)
        for change in changes:
            ahead = change.frame * self.ratio < self.limit
            if not change.restart and self.state == LOCKED and ahead:
                self._extend(change)
            elif change.restart:
                self._restart_at(change.frame)
        if len(self.log) > 128:
            del self.log[:-64]

    def _grid_at(self, frame: int) -> GridChange:
        """The logged grid that holds at `frame`."""
        found = self.log[0]
        for change in self.log:
            if change.frame <= frame:
                found = change
        return found

    def _join(self) -> None:
        """At the start: while the engine sounds, its next bar line waits for the session's."""
        clock = self.engine.clock
        frame = -(-self.h1 // self.ratio)
        if self.engine.worker.active:
            self._restart_at(clock.bar_ceil(frame))

    def _restart_at(self, frame: int) -> None:
        """A grid begins at engine `frame`: play up to it, then wait for a session bar line.
        (Grids that begin later are taken when this one locks; ones already read are past.)"""
        if frame * self.ratio < self.h1 or (self.anchor is not None and frame >= self.anchor):
            if self.anchor is None or frame != self.anchor:
                return
        self.anchor = frame
        self.anchor_beat = None
        if self.state == LOCKED:
            self.limit = frame * self.ratio

    def _extend(self, change: GridChange) -> None:
        """A booked tempo/bar change continues the locked grid from one of its bar lines."""
        lb, frame, k, _ = self.segs[-1]
        if change.frame < frame:
            return
        self.segs.append((lb + (change.frame - frame) / k, change.frame, change.k, change.beats))

    def _lock(self, beat: int) -> None:
        """The waiting grid's first frame is heard on session beat `beat`."""
        frame = self.anchor
        grid = self._grid_at(frame)
        self.segs = [(float(beat), frame, grid.k, grid.beats)]
        for change in self.log:
            if change.frame > frame and not change.restart:
                self._extend(change)
        later = [c.frame for c in self.log if c.restart and c.frame > frame]
        self.limit = min(later) * self.ratio if later else math.inf
        self.anchor = min(later) if later else None
        self.anchor_beat = None
        self.state = LOCKED

    def _seg(self, beat: int) -> tuple[float, int, int, int]:
        found = self.segs[0]
        for seg in self.segs:
            if seg[0] <= beat:
                found = seg
        return found

    # --- reading -----------------------------------------------------------------------------

    def read_into(self, out: np.ndarray) -> int:
        """Fill `out` `(channels, n)` with the next n output samples; returns n."""
        n = out.shape[1]
        out.fill(0.0)
        self._absorb()
        line = self.timeline()
        when = self.sample_clock.time_of(self.playhead)
        if when is None:
            when = time.monotonic()
        if line is None or not line.tempo > 0:
            self._read_free(out, 0, n)
        else:
            rate = line.tempo / 60.0 / self.sr  # beats per output sample
            measured = line.beat_at(when + self.nudge_ms / 1000.0)
            far = SNAP_SECONDS * line.tempo / 60
            if self.phase is None or line.tempo != self.tempo or abs(measured - self.phase) > far:
                self.phase = measured  # a new tempo or a jump: follow it at once
            else:
                self.phase += PULL * (measured - self.phase)
            self.tempo = line.tempo
            self._read_on_beat(out, n, rate, 60.0 * self.sr / line.tempo)
            self.phase += n * rate
        self._apply_gain(out)
        for source in tuple(getattr(self.engine, "sources", ())):
            source.add_into(out, when)  # e.g. the live input's monitor: in real time, not spliced
        self.engine.limiter.process(out)  # the master limiter, on what is heard
        self.playhead += n
        return n

    def _read_on_beat(self, out: np.ndarray, n: int, rate: float, beat_out: float) -> None:
        i = 0
        while i < n:
            beat = self.phase + i * rate
            whole = math.floor(beat)
            j = min(n, i + max(1, math.ceil((whole + 1 - beat) / rate - 1e-9)))
            if self.state == FREE:
                if self.anchor is not None and self.free_pos >= self.anchor * self.ratio:
                    self.state = HOLD
                    continue
                stop = j if self.anchor is None else min(j, i + self.anchor * self.ratio
                                                         - self.free_pos)
                self._read_free(out, i, stop)
                i = stop
                continue
            if self.state == HOLD:
                grid = self._grid_at(self.anchor)
                if self.anchor_beat is None:
                    self.anchor_beat = next_bar(beat, grid.beats)
                if whole < self.anchor_beat:
                    i = j  # silence until the session's bar line
                    continue
                self._lock(self.anchor_beat)
            self._read_locked(out, i, j, whole, beat, rate, beat_out)
            i = j

    def _read_locked(self, out, i: int, j: int, whole: int, beat: float, rate: float,
                     beat_out: float) -> None:
        lb, frame, k, _ = self._seg(whole)
        start = (frame + round((whole - lb) * k)) * self.ratio
        u = (beat - whole) * beat_out + np.arange(j - i) * (rate * beat_out)
        a, b, w = splice(u, beat_out, k * self.ratio, self.xfade)
        src_a = start + np.rint(a).astype(np.int64)
        src_b = start + np.rint(b).astype(np.int64)
        if src_a[0] >= self.limit:  # a new grid begins here: wait for its bar line
            self.state = HOLD
            return
        wa = ((1.0 - w) * (src_a < self.limit)).astype(np.float32)
        wb = (w * (src_b < self.limit)).astype(np.float32)
        if src_a[-1] >= self.limit:
            self.state = HOLD  # the rest of this beat is silent
        last = int(max(src_a[-1], src_b[-1])) + 1
        self._pull(last if self.limit == math.inf else min(last, int(self.limit)))
        part = out[:, i:j]
        part += self._take(src_a) * wa
        if np.any(wb > 0):
            part += self._take(src_b) * wb
        self._mark_engine(int(src_a[0]), i)

    def _mark_engine(self, sample: int, i: int) -> None:
        """Tell the engine's sample clock when its sample `sample` (output offset `i`) is heard."""
        when = self.sample_clock.time_of(self.playhead + i)
        if when is not None:
            self.engine.sample_clock.mark_heard(sample, when)

    def _read_free(self, out: np.ndarray, i: int, j: int) -> None:
        """Play engine samples as they come into `out[:, i:j]`."""
        if j <= i:
            return
        self._mark_engine(self.free_pos, i)
        self._pull(self.free_pos + (j - i), count=False)
        src = np.arange(self.free_pos, self.free_pos + (j - i))
        got = int(min(self.h1, self.free_pos + (j - i)) - self.free_pos)
        if got > 0:
            out[:, i : i + got] += self._take(src[:got])
            self.free_pos += got

    def _take(self, src: np.ndarray) -> np.ndarray:
        """Engine samples at absolute positions `src` (zeros for those not held)."""
        ok = (src >= self.h0) & (src < self.h1)
        values = self.hist[:, src % self.cap]
        if not np.all(ok):
            values[:, ~ok] = 0.0
        return values

    def _pull(self, upto: int, count: bool = True) -> None:
        """Read the engine up to engine sample `upto` (as far as it has decoded); a short read
        while the engine sounds counts as an underrun (`count`)."""
        engine = self.engine
        while self.h1 < upto:
            m = min(upto - self.h1, self.pull_buf.shape[1])
            # the tracks alone, not limited yet (sources and the limiter: `read_into`)
            got = engine.mixer.read_into(self.pull_buf[:, :m])
            if got <= 0:
                if count and engine.mixer.busy:
                    self.underruns += 1
                return
            at = self.h1 % self.cap
            first = min(got, self.cap - at)
            self.hist[:, at : at + first] = self.pull_buf[:, :first]
            if got > first:
                self.hist[:, : got - first] = self.pull_buf[:, first:got]
            self.h1 += got
            self.h0 = max(self.h0, self.h1 - self.cap)

    def _apply_gain(self, out: np.ndarray) -> None:
        if self.gain == self.target_gain == 1.0:
            return
        n = out.shape[1]
        ramp = np.linspace(self.gain, self.target_gain, n, dtype=np.float32)
        out *= ramp
        self.gain = self.target_gain

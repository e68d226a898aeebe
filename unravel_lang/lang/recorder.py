"""A performer that writes down what a score plays, as one `Plan` timeline (for `run -o`).

Time in a score is a cursor in latent frames, starting at 0:

- `play X` places X at the cursor; the cursor moves to its end (plays follow one another).
- `wait 2bars` moves the cursor on by that length (tracks keep looping meanwhile).
- `track NAME = X` starts looping X at the cursor. If NAME is already looping, X replaces it
  at its next loop boundary at or after the cursor (the old pattern finishes its pass).
- `stop NAME` ends the track at the cursor (mid-pass); `hush` ends every track at the cursor.
- At the end of the score, tracks still looping finish the pass they are in (a track started
  with no time after it plays one pass); the piece lasts until the last of them ends.

A track playing one-voice patterns is one voice from its start to its stop (one decoder
stream, as in the live engine): its latent array is its passes one after another. A layered
or sequenced pattern on a track gives its own voices again on each pass. Voices are ordered
by the statement that started them (a track's in time order), and `render(timeline, model,
seed)` seeds voice i with `voice_seed(seed, i)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from unravel_lang.guards import check_frames
from unravel_lang.plan import Plan, Voice


@dataclass
class _Segment:
    """`plan` looping from frame `start`; `end` None while it is the track's current one."""

    plan: Plan
    start: int
    end: int | None = None

    @property
    def length(self) -> int:
        return max(self.plan.frames, 1)

    @property
    def single(self) -> bool:
        """One voice from frame 0: it loops as one continuous voice."""
        return len(self.plan.voices) == 1 and self.plan.voices[0].start == 0


@dataclass
class _Track:
    name: str
    segments: list[_Segment] = field(default_factory=list)

    def boundary(self, at: int) -> int:
        """The first loop boundary of the current segment at or after frame `at`."""
        seg = self.segments[-1]
        if at <= seg.start:
            return seg.start
        passes = -(-(at - seg.start) // seg.length)
        return seg.start + passes * seg.length

    def voices(self, end: int) -> list[Voice]:
        """The track's voices up to frame `end`.

        Consecutive one-voice patterns join into one continuous voice (one decoder stream);
        a layered or sequenced pattern gives its voices again on every pass.
        """
        out: list[Voice] = []
        lane: list[np.ndarray] = []
        lane_start = 0
        lane_gain = None

        def close() -> None:
            if lane:
                out.append(Voice(np.concatenate(lane), lane_start, lane_gain))
                lane.clear()

        for seg in self.segments:
            stop = end if seg.end is None else min(seg.end, end)
            n = stop - seg.start
            if n <= 0:
                continue
            if seg.single:
                voice = seg.plan.voices[0]
                if lane and voice.gain != lane_gain:
                    close()
                if not lane:
                    lane_start, lane_gain = seg.start, voice.gain
                reps = -(-n // seg.length)
                lane.append(np.tile(voice.latent, (reps, 1))[:n])
                continue
            close()
            for first in range(seg.start, stop, seg.length):
                for v in seg.plan.voices:
                    at = first + v.start
                    take = min(v.latent.shape[0], stop - at)
                    if take > 0:
                        out.append(Voice(v.latent[:take], at, v.gain))
        close()
        return out


class Recorder:
    """Records `play`, `track`, `stop`, `hush`, `wait` and `set_tempo` into a timeline."""

    def __init__(self) -> None:
        self.cursor = 0
        self.k: int | None = None
        self._entries: list[Voice | _Track] = []
        self._running: dict[str, _Track] = {}
        self._ends: dict[int, int] = {}

    # ---- the performer protocol -----------------------------------------------------------

    def play(self, plan: Plan) -> None:
        """Place `plan` at the cursor and move the cursor to its end."""
        check_frames(self.cursor + plan.frames, "the score")
        for v in plan.voices:
            self._entries.append(Voice(v.latent, v.start + self.cursor, v.gain))
        self.cursor += plan.frames

    def track(self, name: str, plan: Plan) -> None:
        """Start looping `plan` at the cursor, or replace track `name` at its next boundary."""
        current = self._running.get(name)
        if current is None:
            new = _Track(name, [_Segment(plan, self.cursor)])
            self._running[name] = new
            self._entries.append(new)
            return
        at = current.boundary(self.cursor)
        current.segments[-1].end = at
        current.segments.append(_Segment(plan, at))

    def stop(self, name: str) -> None:
        """End track `name` at the cursor."""
        track = self._running.pop(name, None)
        if track is not None:
            self._ends[id(track)] = self.cursor

    def hush(self) -> None:
        """End every track at the cursor."""
        for name in list(self._running):
            self.stop(name)

    def set_tempo(self, k: int) -> None:
        """Remember the tempo (loop boundaries follow the patterns' own lengths)."""
        self.k = int(k)

    def wait(self, frames: int) -> None:
        """Move the cursor on by `frames` latent frames."""
        self.cursor = check_frames(self.cursor + max(int(frames), 0), "the score")

    # ---- the result -------------------------------------------------------------------------

    @property
    def tracks(self) -> list[str]:
        """Names of the tracks looping now."""
        return list(self._running)

    def timeline(self) -> Plan:
        """Everything recorded so far as one plan, with running tracks finishing their pass."""
        ends = dict(self._ends)
        for track in self._running.values():
            last = track.segments[-1]
            at = max(self.cursor, last.start + 1)
            ends[id(track)] = track.boundary(at)
        voices: list[Voice] = []
        for entry in self._entries:
            if isinstance(entry, Voice):
                voices.append(entry)
            else:
                voices.extend(entry.voices(ends[id(entry)]))
        return Plan(tuple(voices))

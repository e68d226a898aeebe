"""What a program plays to: the `Performer` base class, every method a no-op.

A language `Session` hands each statement that plays, waits or changes the grid to its
performer as one of the `CALLS`; front ends (the REPL, `watch`, the view) ask it the
`QUESTIONS`. Each method here does nothing and returns the neutral answer, so a subclass
overrides only what it does and every caller makes plain calls:

- `lang.recorder.Recorder` writes the calls down (the session's default);
- `engine.Engine` plays them live; `engine.score.ScoreRender` renders them into a file;
- `live.stage.Stage` books them between a REPL or `watch` session and the engine;
  `live.stage.Live` is the engine with its sound card output and Ableton Link.

It lives beside `plan.py` (the other hand-off between the language and the engine): both
sides import it and neither imports the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import methodcaller
from typing import Any

from unravel_lang.plan import Plan

CALLS = ("play", "track", "stop", "hush", "wait", "set_tempo", "set_beats_per_bar",
         "set_quantum", "set_model", "set_osc", "set_osc_lead", "set_decode", "link",
         "set_nudge", "view", "track_source")
"""The calls a program makes (what a `Recorder` records)."""

DECODE_MODES = ("local", "remote", "both")
"""Where `osc NAME MODE` has a track decoded (`Performer.set_decode`): here only, by the OSC
receiver only, or both."""

QUESTIONS = ("take_errors", "take_notes", "status", "bar_position", "link_status")
"""What front ends ask a performer (besides the attributes `engine`, `output`, `linked`,
`beats_per_bar`)."""


class Performer:
    """Where a program's `play`, `track`, `wait`, tempo, `osc`, `link` and `view` statements
    go; every method does nothing (a performer that renders to a file ignores `link`, one
    without a sound card ignores `view`), every question answers "nothing".

    Lengths are latent frames, tempos `k` latent frames a beat.
    """

    engine: Any = None
    """The live `engine.Engine` that sounds the calls (OSC out and the view watch it), or None."""

    output: Any = None
    """What reads the engine's sound (a sound card output, with its `latency`), or None."""

    linked: Any = None
    """The Ableton Link session joined (a `live.link.LinkControl`), or None."""

    beats_per_bar: int | None = None
    """Beats per bar where the performer plays now, or None when it does not play in time."""

    # ---- the calls a program makes --------------------------------------------------------

    def play(self, plan: Plan) -> None:
        """`play X`: play `plan` once, from the next beat (at once when nothing sounds)."""

    def track(self, name: str, plan: Plan) -> None:
        """`track NAME = X`: loop `plan` as track `name` from the next beat, or replace the
        running track's plan at its next loop boundary."""

    def stop(self, name: str) -> None:
        """`stop NAME`: fade track `name` out."""

    def hush(self) -> None:
        """`hush`: fade everything out."""

    def wait(self, frames: int) -> None:
        """`wait N`: a score's time moves on by `frames` (live, time passes by itself)."""

    def set_tempo(self, k: int) -> None:
        """`k N` / `bpm N`: a beat of `k` frames from the next bar line."""

    def set_beats_per_bar(self, beats: int) -> None:
        """`beats N`: bars of `beats` beats from the next bar line."""

    def set_quantum(self, quantum: str) -> None:
        """`quantum beat|bar`: later tracks and plays start on the next "beat" or "bar"."""

    def set_model(self, model: Any) -> None:
        """`model "x.ts"`: decode with the loaded `model` from now on."""

    def set_osc(self, target: str | None) -> None:
        """`osc "host:port"` / `osc off`: send the latent frames there (None: stop)."""

    def set_osc_lead(self, ms: float) -> None:
        """`osc lead MS`: send each frame `ms` milliseconds before it is due."""

    def set_decode(self, name: str, mode: str) -> None:
        """`osc NAME local|remote|both`: decode track `name` here only ("local"), only at the
        OSC receiver ("remote") or both (the default)."""

    def link(self, on: bool) -> str | None:
        """`link` / `link off`: join or leave the Ableton Link session; returns the one-line
        answer, None when this performer does not play live."""
        return None

    def set_nudge(self, ms: float) -> None:
        """`nudge MS`: hear the beat `ms` milliseconds later in a Link session."""

    def view(self, address: str | int | None = None) -> None:
        """`view [ADDRESS]`: serve the live view page (None: 127.0.0.1, a free port)."""

    def track_source(self, name: str, line: str) -> None:
        """The line of code that made track `name` (the view shows it)."""

    # ---- what front ends ask ---------------------------------------------------------------

    def take_errors(self) -> list[str]:
        """What had to stop since the last call (e.g. a model failure), oldest first."""
        return []

    def take_notes(self) -> list[str]:
        """One-line notices since the last call (e.g. falling behind), oldest first."""
        return []

    def status(self) -> Any:
        """What plays now (an `engine.EngineStatus`), None when nothing plays in real time."""
        return None

    def bar_position(self) -> float | None:
        """The playhead in bars since the grid's downbeat, None without a playhead."""
        return None

    def link_status(self) -> str | None:
        """`link: N peers · T BPM` while in a Link session, else None."""
        return None

    def close(self) -> None:
        """Stop what the performer started (threads, sound); nothing more is played."""


def perform(calls: Iterable[tuple[str, tuple[Any, ...]]], performer: Performer) -> None:
    """Make the recorded `(method, args)` calls on `performer`, in order; a method that is
    not one of the `CALLS` is refused (`ValueError`)."""
    for method, args in calls:
        if method not in CALLS:
            raise ValueError(f"{method!r} is not a performer call")
        methodcaller(method, *args)(performer)

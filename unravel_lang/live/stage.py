"""Performers between a language session and the live engine, for the REPL and `watch`.

`open_playback` starts the engine on the sound card (or says why it cannot).

The session's `Recorder` holds what one evaluation asked for, so that an evaluation that
fails changes nothing. `Stage` applies recorded calls to the engine (or to nothing, when
playback is unavailable) and remembers which tracks are running and what they play.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from unravel_lang.addresses import parse_target
from unravel_lang.engine import Engine
from unravel_lang.errors import UnravelError
from unravel_lang.live.link import LinkControl, load_aalink
from unravel_lang.live.osc import OscOut
from unravel_lang.live.paced import PacedOutput
from unravel_lang.live.view_session import LiveView
from unravel_lang.performer import Performer, perform
from unravel_lang.plan import Plan
from unravel_lang.player import AudioOutput, playback_status
from unravel_lang.tempo import DEFAULT_K

_NOBODY = Performer()  # where calls go while playback is unavailable


def same_plan(a: Plan, b: Plan) -> bool:
    """True when two plans have the same voices: starts, gains and latent values."""
    if len(a.voices) != len(b.voices):
        return False
    for va, vb in zip(a.voices, b.voices, strict=True):
        if va.start != vb.start or va.gain != vb.gain:
            return False
        if va.latent.shape != vb.latent.shape or not np.array_equal(va.latent, vb.latent):
            return False
    return True


class Stage(Performer):
    """Forwards performer calls to `performer` (None: playback unavailable, calls are only
    booked) and books the running tracks, the tempo, the quantum (where new tracks start:
    `quantum`: the engine's own, "beat" by default, at first) and how many one-shots were played.

    On a change of model, with `reopen` (for a performer bound to its model) the performer is
    closed and replaced by `reopen(model)` (its tracks stop); without, it is told (`set_model`).

    `view(address)` serves the live view page of the engine (`unravel_lang.live`) and says its
    URL through `write`; `sources` keeps the line of code that made each track, for the view.
    """

    def __init__(
        self,
        performer: Performer | None,
        k: int | None = None,
        reopen: Callable[[Any], Performer | None] | None = None,
        model: Any = None,
        quantum: str = "beat",
        seed: int = 0,
        write: Callable[[str], None] | None = None,
    ) -> None:
        self.performer = performer
        self.write = write or (lambda line: None)
        self.sources: dict[str, str] = {}
        self.viewer: Any = None
        self.reopen = reopen
        self.model = model
        self.tracks: dict[str, Plan] = {}
        self.k = k
        self.beats: int | None = None
        self.quantum = quantum
        self.plays = 0
        self.notes: list[str] = []  # lines for the user (the `link` answer), taken by the REPL
        self.seed = int(seed or 0)
        self.osc: Any = None  # an OscOut while `osc "host:port"` is on
        self.osc_lead = 0.0
        self.decode: dict[str, str] = {}  # `osc NAME local|remote|both`; default both

    @property
    def sounding(self) -> bool:
        """True when calls reach a real engine."""
        return self.performer is not None

    @property
    def _to(self) -> Performer:
        """Where calls go: the performer, or one that does nothing while there is none."""
        return self.performer if self.performer is not None else _NOBODY

    # ---- questions: the performer's answers ------------------------------------------------

    @property
    def engine(self) -> Any:  # type: ignore[override]
        return self._to.engine

    @property
    def output(self) -> Any:  # type: ignore[override]
        return self._to.output

    @property
    def linked(self) -> Any:  # type: ignore[override]
        return self._to.linked

    @property
    def beats_per_bar(self) -> int | None:  # type: ignore[override]
        return self._to.beats_per_bar

    def status(self) -> Any:
        return self._to.status()

    def bar_position(self) -> float | None:
        return self._to.bar_position()

    def link_status(self) -> str | None:
        return self._to.link_status()

    # ---- calls -----------------------------------------------------------------------------

    def apply(self, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Perform recorded calls in order."""
        perform(calls, self)

    def play(self, plan: Plan) -> None:
        self._to.play(plan)
        self.plays += 1

    def track(self, name: str, plan: Plan) -> None:
        self._to.track(name, plan)  # may refuse the plan: then nothing is booked
        self.tracks[name] = plan

    def stop(self, name: str) -> None:
        if self.tracks.pop(name, None) is not None:
            self._to.stop(name)
        if self.osc is not None:
            self.osc.drop(name)

    def hush(self) -> None:
        self.tracks.clear()
        self._to.hush()
        if self.osc is not None:
            self.osc.drop()

    # --- OSC out ------------------------------------------------------------------------

    def mode(self, name: str) -> str:
        """Where track `name` is decoded: "local", "remote" or "both" (the default)."""
        return self.decode.get(name, "both")

    def sends(self, name: str) -> bool:
        """True when OSC out sends the frames of track `name` (a running, non-local track)."""
        return name in self.tracks and self.mode(name) != "local"

    def set_osc(self, target: str | None) -> None:
        """Send the frames of every non-local track to `target` ("host:port"; None stops).
        Without a sound card an engine paced by the system clock is started for it."""
        if self.osc is not None:
            if target is not None and self.osc.target == _target_text(target):
                return
            self.osc.close()
            self.osc = None
        if target is None:
            return

        started = self._start_silent(replay=False)
        engine = self._to.engine
        if engine is None:
            raise UnravelError("osc needs the live engine, and there is none")
        # listening before the booked tracks start, so their first frames are sent too
        self.osc = OscOut(engine, target, lead_ms=self.osc_lead, wanted=self.sends)
        if started:
            self._replay()

    def _start_silent(self, replay: bool = True) -> bool:
        """Without a sound card, start an engine paced by the system clock (for OSC out and
        Link) and, with `replay`, give it the tracks and decode modes set so far (else the
        caller does, with `_replay`). True when it started one."""
        if self.performer is not None or self.model is None:
            return False
        self.performer = open_silent(self.model, self.k or DEFAULT_K, self.seed, self.quantum)
        if self.viewer is not None:
            self.viewer.follow(self.performer)
        if replay:
            self._replay()
        return True

    def _replay(self) -> None:
        """Give the performer the decode modes and tracks set so far."""
        for name, mode in self.decode.items():
            self.performer.set_decode(name, mode)
        for name, plan in self.tracks.items():
            self.performer.track(name, plan)

    def set_osc_lead(self, ms: float) -> None:
        """Send frames `ms` milliseconds before they are due."""
        self.osc_lead = float(ms)
        if self.osc is not None:
            self.osc.lead_ms = self.osc_lead

    def set_decode(self, name: str, mode: str) -> None:
        """Decode track `name` here ("local"), only at the OSC receiver ("remote") or both."""
        self.decode[name] = mode
        self._to.set_decode(name, mode)

    def take_errors(self) -> list[str]:
        """What the engine and OSC out had to report since the last call."""
        errors = list(self._to.take_errors())
        if self.osc is not None:
            errors += self.osc.take_errors()
        return errors

    def set_tempo(self, k: int) -> None:
        """k frames a beat; in a Link session a tempo the user sets leads it even when k is
        unchanged (the session may have moved)."""
        self._set_tempo(k)

    def _set_tempo(self, k: int, lead: bool = True) -> None:
        """`set_tempo`; `lead=False`: an unchanged k is not sent again (a score's default
        tempo does not lead the Link session)."""
        if k == self.k and not (lead and self._to.linked is not None):
            return
        self.k = int(k)
        self._to.set_tempo(int(k))

    def set_beats_per_bar(self, beats: int) -> None:
        """Pass `beats N` on to an engine that has bars (at its next bar line)."""
        if beats == self.beats:
            return
        self.beats = int(beats)
        self._to.set_beats_per_bar(int(beats))

    def set_quantum(self, quantum: str) -> None:
        """Pass `quantum beat|bar` on to an engine that has it (new tracks start there)."""
        if quantum == self.quantum:
            return
        self.quantum = str(quantum)
        self._to.set_quantum(self.quantum)

    def link(self, on: bool) -> None:
        """`link` / `link off`: join or leave the Ableton Link session (its answer is noted).
        Without a sound card an engine paced by the system clock joins (for OSC out)."""
        if on:

            load_aalink()  # says how to install Link support when it is missing
            self._start_silent()
        answer = self._to.link(on)
        if answer is not None:
            self.notes.append(answer)
        elif on:
            self.notes.append("link: not joined (no live engine)")

    def set_nudge(self, ms: float) -> None:
        self._to.set_nudge(float(ms))

    def take_notes(self) -> list[str]:
        notes, self.notes = self.notes, []
        return notes

    def wait(self, frames: int) -> None:
        """Pass a score's `wait` on to an engine that schedules it (others play at once)."""
        self._to.wait(int(frames))

    def set_model(self, model: Any) -> None:
        """Decode with `model` from now on (nothing happens when it is the same file)."""
        if model is self.model or (
            self.model is not None and _model_file(model) == _model_file(self.model) is not None
        ):
            return
        self.model = model
        if self.reopen is None:
            self._to.set_model(model)
            return
        if self.performer is not None:
            linked = self.performer.linked is not None
            target = self.osc.target if self.osc is not None else None
            self.set_osc(None)
            self.tracks.clear()
            self.performer.hush()
            self.performer.close()
            self.performer = self.reopen(model)
            for name, mode in self.decode.items():
                self._to.set_decode(name, mode)
            if target is not None:
                self.set_osc(target)
            if linked:  # the new engine joins the Link session again
                self.link(True)
            if self.viewer is not None:
                self.viewer.follow(self.performer)

    def track_source(self, name: str, line: str) -> None:
        """Remember the line of code that made track `name` (the view shows it)."""
        self.sources[name] = line

    def view(self, address: str | int | None = None) -> None:
        """Serve the live view page at `address` (None: 127.0.0.1, a free port) and say its
        URL; when it is already served, say the URL again."""
        if self.viewer is None:

            self.viewer = LiveView(address, self.sources, self.peers)
            self.viewer.follow(self.performer)
        self.write(f"view: {self.viewer.url}" + ("" if self.sounding else
                                                  " (silent: playback unavailable)"))

    def peers(self) -> list[str]:
        """What else the session plays with, for the view: e.g. `osc → 127.0.0.1:9000`."""
        osc = getattr(self, "osc", None)
        peers = [f"osc → {osc.target}"] if osc is not None else []
        status = self.link_status()
        return peers + ([status] if status else [])

    def close_view(self) -> None:
        """Stop serving the view page (nothing when it is not served)."""
        if self.viewer is not None:
            self.viewer.close()
            self.viewer = None

    def sync(self, calls: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
        """Make the stage match one whole evaluation of a score (what `watch` does on save).

        Tempo, quantum and model changes and one-shot plays are performed (a `set_tempo` call
        may carry `False` after k: a default tempo that does not lead Link), waits are ignored; a
        track whose final plan equals the running one is left alone, a changed or new one is
        (re)started, a running track the score no longer starts is stopped. Returns one line
        per change, e.g. `~ drums`, `k=8`, `quantum bar`.
        """
        final: dict[str, Plan] = {}
        report: list[str] = []
        for method, args in calls:
            if method == "track":
                final[args[0]] = args[1]
            elif method == "stop":
                final.pop(args[0], None)
            elif method == "hush":
                final.clear()
            elif method == "set_tempo":
                if args[0] != self.k:
                    report.append(f"k={args[0]}")
                self._set_tempo(*args)
            elif method == "set_beats_per_bar":
                self.set_beats_per_bar(*args)
            elif method == "set_quantum":
                if args[0] != self.quantum:
                    report.append(f"quantum {args[0]}")
                self.set_quantum(*args)
            elif method == "play":
                report.append("play")
                self.play(*args)
            elif method == "set_model":
                self.set_model(*args)
            elif method in ("link", "set_nudge"):
                getattr(self, method)(*args)
            elif method == "view" and self.viewer is None:
                self.view(*args)
            elif method == "set_osc":
                before = self.osc.target if self.osc is not None else None
                self.set_osc(*args)
                after = self.osc.target if self.osc is not None else None
                if after != before:
                    report.append(f"osc {after or 'off'}")
            elif method == "set_osc_lead":
                self.set_osc_lead(*args)
            elif method == "set_decode":
                if self.mode(args[0]) != args[1]:
                    report.append(f"osc {args[0]} {args[1]}")
                self.set_decode(*args)
        for name in list(self.tracks):
            if name not in final:
                self.stop(name)
                report.append(f"- {name}")
        for name, plan in final.items():
            old = self.tracks.get(name)
            if old is not None and same_plan(old, plan):
                continue
            self.track(name, plan)
            report.append(f"{'~' if old is not None else '+'} {name}")
        return report


def _target_text(target: str) -> str:
    try:
        host, port = parse_target(target)
    except ValueError:
        return target
    return f"{host}:{port}"


def _model_file(model: Any) -> str | None:
    path = getattr(model, "path", None)
    return os.path.realpath(str(path)) if path else None


class Live(Performer):
    """A started engine and the output reading it (a sound card's, or a `PacedOutput`); the
    performer calls and questions pass through to the engine.

    `link(True)` joins the Ableton Link session (`live.link.LinkControl`, in `linked`): the
    output then hears the engine's beats on the session's, a tempo set here leads the
    session, and the session's tempo is followed."""

    def __init__(self, engine: Any, output: Any) -> None:
        self.engine = engine
        self.output = output
        self.linked: Any = None
        self.nudge_ms = 0.0

    def play(self, plan: Plan) -> None:
        self.engine.play(plan)

    def track(self, name: str, plan: Plan) -> None:
        self.engine.track(name, plan)

    def stop(self, name: str) -> None:
        self.engine.stop(name)

    def hush(self) -> None:
        self.engine.hush()

    def set_quantum(self, quantum: str) -> None:
        self.engine.set_quantum(quantum)

    def set_decode(self, name: str, mode: str) -> None:
        self.engine.set_decode(name, mode)

    def take_errors(self) -> list[str]:
        return self.engine.take_errors()

    def take_notes(self) -> list[str]:
        return self.engine.take_notes()

    def status(self) -> Any:
        return self.engine.status()

    def bar_position(self) -> float | None:
        return self.engine.bar_position()

    @property
    def beats_per_bar(self) -> int:  # type: ignore[override]
        return self.engine.beats_per_bar

    def link(self, on: bool) -> str:
        """Join (`on`) or leave the Link session; returns the one-line answer."""
        if not on:
            if self.linked is not None:
                self.linked.close()
                self.linked = None
            return "link: off"
        if self.linked is None:

            self.linked = LinkControl(self.engine, self.output, nudge_ms=self.nudge_ms)
        return self.linked.answer()

    def link_status(self) -> str | None:
        """`link: N peers · T BPM` while linked, else None."""
        return None if self.linked is None else self.linked.status()

    def set_tempo(self, k: int) -> None:
        """k frames a beat from the next bar line; while linked, the session's tempo too."""
        self.engine.set_tempo(k)
        if self.linked is not None:
            self.linked.lead(k)

    def set_beats_per_bar(self, beats: int) -> None:
        self.engine.set_beats_per_bar(beats)
        if self.linked is not None:
            self.linked.session.quantum = int(beats)

    def set_nudge(self, ms: float) -> None:
        self.nudge_ms = float(ms)
        if self.linked is not None:
            self.linked.set_nudge(ms)

    def close(self) -> None:
        """Fade out what plays, let the fade reach the card, stop the sound and the worker."""
        if self.linked is not None:
            self.linked.close()
            self.linked = None
        self.engine.hush()
        time.sleep(min(0.5, float(self.output.latency) + 0.05))
        self.output.close()
        self.engine.close()


def open_playback(
    model: Any, k: int, seed: int | None, quantum: str = "beat"
) -> tuple[Live | None, str | None]:
    """The live engine for `model` at `k` frames per beat, starting new tracks on the next
    `quantum` ("beat" or "bar"), playing through the default output device; `(None, why)`
    when there is no PortAudio or no device."""

    status = playback_status()
    if not status[0]:
        return None, f"playback unavailable: {status[1]} (export, show and render still work)"

    engine = Engine(model, seed=seed or 0, k=k, quantum=quantum)
    try:
        output = AudioOutput(engine)
        output.start()
    except UnravelError as err:
        engine.close()
        return None, f"playback unavailable: {err} (export, show and render still work)"
    return Live(engine, output), None


def open_silent(model: Any, k: int, seed: int | None, quantum: str = "beat") -> Live:
    """The live engine paced by the system clock, with no sound card (`PacedOutput`): for
    tracks decoded elsewhere."""

    engine = Engine(model, seed=seed or 0, k=k, quantum=quantum)
    output = PacedOutput(engine)
    output.start()
    return Live(engine, output)


def close_playback(performer: Performer | None) -> None:
    """Close what `open_playback` opened (nothing for None)."""
    if performer is not None:
        performer.close()

"""A session's default performer: it writes down what a program plays, to perform it later.

Nothing is decoded and no thread starts while a program runs. `replay(performer)` gives the
calls, in order, to another `Performer`: the live engine, or
`unravel_lang.engine.score.ScoreRender`, which renders them as the engine plays them
(`engine.score.render_calls(calls, model)` does that in one step).
"""

from __future__ import annotations

from typing import Any

from unravel_lang.performer import Performer, perform
from unravel_lang.plan import Plan


class Recorder(Performer):
    """Records every performer call (`performer.CALLS`) as a `(method, args)` pair in
    `calls`, except the line of code that made each track (`track_source`), kept in
    `sources`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.sources: dict[str, str] = {}

    def play(self, plan: Plan) -> None:
        self.calls.append(("play", (plan,)))

    def track(self, name: str, plan: Plan) -> None:
        self.calls.append(("track", (name, plan)))

    def stop(self, name: str) -> None:
        self.calls.append(("stop", (name,)))

    def hush(self) -> None:
        self.calls.append(("hush", ()))

    def set_tempo(self, k: int) -> None:
        self.calls.append(("set_tempo", (int(k),)))

    def set_beats_per_bar(self, beats: int) -> None:
        self.calls.append(("set_beats_per_bar", (int(beats),)))

    def set_quantum(self, quantum: str) -> None:
        self.calls.append(("set_quantum", (str(quantum),)))

    def wait(self, frames: int) -> None:
        self.calls.append(("wait", (int(frames),)))

    def set_model(self, model: Any) -> None:
        self.calls.append(("set_model", (model,)))

    def set_osc(self, target: str | None) -> None:
        self.calls.append(("set_osc", (target,)))

    def set_osc_lead(self, ms: float) -> None:
        self.calls.append(("set_osc_lead", (float(ms),)))

    def set_decode(self, name: str, mode: str) -> None:
        self.calls.append(("set_decode", (str(name), str(mode))))

    def link(self, on: bool) -> None:
        self.calls.append(("link", (bool(on),)))

    def set_nudge(self, ms: float) -> None:
        self.calls.append(("set_nudge", (float(ms),)))

    def view(self, address: str | int | None = None) -> None:
        self.calls.append(("view", (address,)))

    def track_source(self, name: str, line: str) -> None:
        self.sources[name] = line

    def take(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The recorded calls; the record (and `sources`) is emptied."""
        calls, self.calls = self.calls, []
        self.sources = {}
        return calls

    @property
    def plays(self) -> bool:
        """True when something was played or started as a track."""
        return any(method in ("play", "track") for method, _ in self.calls)

    def replay(self, performer: Performer) -> None:
        """Give the recorded calls to `performer`, in order."""
        perform(self.calls, performer)

"""Between a language session and a `LiveInput`: what `listen`, `record`, `monitor` and
`input` do in the REPL, on the engine's grid when the engine plays, on the session's own
grid when playback is unavailable."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from unravel_lang.errors import UnravelError
from unravel_lang.live.input import DEFAULT_BARS, LiveInput, open_source
from unravel_lang.performer import Performer


class LiveHost:
    """Opens and closes the live input of one session.

    `session`: its model, tempo and seed. `performer()`: the `Performer` now playing, a
    `live.stage.Live` (or None: playback unavailable; then the input keeps its own grid from
    the session's tempo, and `monitor` says it cannot be heard). `default`: what a bare
    `listen` opens (a device name or index, an audio file, or None for the default input).
    `bars`: how many bars the input keeps.
    """

    def __init__(self, session: Any, performer: Callable[[], Performer | None],
                 default: int | str | None = None, bars: int = DEFAULT_BARS) -> None:
        self.session = session
        self.performer = performer
        self.default = default
        self.bars = bars
        self.input: LiveInput | None = None
        self.spec: int | str | None = None  # what the open input was opened from
        self._mix_engine: Any = None
        self._mix_output: Any = None  # what reads the engine monitored through

    # ---- statements -----------------------------------------------------------------------

    def listen(self, source: int | str | None = None) -> str:
        """Open `source` (None: the default) and start encoding it; replaces an open input."""
        spec = self.default if source is None else source
        opened = open_source(spec)  # InputUnavailable: one clear line, nothing changes
        self.close()
        performer = self.performer()
        engine = None if performer is None else performer.engine
        model = self.session.model
        moving = None if engine is None else _Moving(engine)
        live = LiveInput(model, bars=self.bars, grid=self._grid(engine),
                         anchor=self._anchor(engine, moving), now=self._now(engine, moving),
                         seed=self.session.seed)
        live.start(opened)
        self.input, self.spec = live, spec
        bar = live.grid()[1]
        return (f"listening to {opened.name} ({opened.sr} Hz, {opened.channels} ch): the "
                f"last {self.bars} bars are kept ({self.bars * bar} frames at k={self.session.k})")

    def listen_off(self) -> str:
        if self.input is None:
            return "not listening"
        self.close()
        return "input closed"

    def record(self, name: str, frames: int) -> str:
        live = self._live()
        live.record(name, frames)
        bars = frames / live.grid()[1]
        return (f"recording {name}: {bars:g} bar{'s' * (bars != 1)} from the next bar line "
                "(bound when done)")

    def monitor(self) -> str:
        live = self._live()
        performer = self.performer()
        engine = None if performer is None else performer.engine
        if engine is None:
            return "monitor: playback is unavailable, so the input cannot be heard"
        mix = live.start_monitor()
        engine.add_source(mix)
        self._mix_engine, self._mix_output = engine, performer.output
        estimate = live.monitor_latency_estimate(self._output_latency(self._mix_output))
        return f"monitoring the input through the model (about {estimate * 1000:.0f} ms late)"

    def monitor_off(self) -> str:
        if self.input is None or self.input.monitor is None:
            return "not monitoring"
        self._stop_monitor()
        return "monitor off"

    # ---- what the session asks ------------------------------------------------------------

    def whole_bars(self) -> np.ndarray:
        if self.input is None:
            raise UnravelError("`input` is the live input: type `listen` first")
        return self.input.whole_bars()

    def recording_names(self) -> list[str]:
        return [] if self.input is None else [r.name for r in self.input.recordings]

    def take_completed(self) -> list[tuple[str, np.ndarray]]:
        return [] if self.input is None else self.input.take_completed()

    def take_messages(self) -> list[str]:
        if self.input is None:
            return []
        lines = self.input.take_messages()
        if self.input.model is not self.session.model and not self.input.stopped:
            lines.append("the model changed: " + self.listen(self.spec))
        if self.input.stopped and self.input.monitor is not None:
            self._stop_monitor()
        return lines

    def status(self) -> str | None:
        """The input's part of the REPL's status line (None when not listening)."""
        live = self.input
        if live is None:
            return None
        text = live.status()
        mix = live.monitor
        if mix is not None:
            ms = mix.latency
            if ms is None:
                ms = live.monitor_latency_estimate(self._output_latency(self._mix_output))
            text += f" │ monitor {ms * 1000:.0f} ms"
            if mix.underruns:
                text += f" ({mix.underruns} dropouts)"
        return text

    def close(self) -> None:
        """Stop monitoring and listening."""
        if self.input is not None:
            self._stop_monitor()
            self.input.close()
            self.input = None

    # ---- helpers ---------------------------------------------------------------------------

    def _live(self) -> LiveInput:
        if self.input is None:
            raise UnravelError("not listening: type `listen` first")
        return self.input

    def _stop_monitor(self) -> None:
        mix = self.input.stop_monitor() if self.input is not None else None
        if mix is not None and self._mix_engine is not None:
            self._mix_engine.remove_source(mix)
        self._mix_engine = self._mix_output = None

    @staticmethod
    def _output_latency(output: Any) -> float:
        return float(getattr(output, "latency", 0.0) or 0.0)

    def _grid(self, engine: Any) -> Callable[[], tuple[int, int]]:
        session = self.session
        if engine is None:
            return lambda: (0, session.k * session.beats_per_bar)
        clock = engine.clock
        return lambda: (int(clock.origin), int(clock.bar))

    @staticmethod
    def _anchor(engine: Any, moving: _Moving | None
                ) -> Callable[[float | None], tuple[float | None, bool]]:
        if engine is None or moving is None:
            return lambda entered: (None, False)
        ratio = engine.ratio

        def anchor(entered: float | None) -> tuple[float | None, bool]:
            if entered is None or not moving():
                return engine.playhead / ratio, False
            sample = engine.sample_clock.sample_at(entered)
            if sample is None:
                return engine.playhead / ratio, False
            return sample / ratio, True

        return anchor

    @staticmethod
    def _now(engine: Any, moving: _Moving | None) -> Callable[[], float | None] | None:
        if engine is None or moving is None:
            return None
        ratio = engine.ratio

        def now() -> float | None:
            sample = engine.sample_clock.sample_at(time.monotonic()) if moving() else None
            return None if sample is None else sample / ratio

        return now


class _Moving:
    """Whether the engine's playhead has moved in the last `window` seconds (it stands still
    while nothing plays)."""

    def __init__(self, engine: Any, window: float = 0.3) -> None:
        self.engine = engine
        self.window = window
        self.last = (engine.playhead, float("-inf"))

    def __call__(self) -> bool:
        playhead, now = self.engine.playhead, time.monotonic()
        if playhead != self.last[0]:
            self.last = (playhead, now)
            return True
        return now - self.last[1] < self.window

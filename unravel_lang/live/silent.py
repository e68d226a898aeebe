"""A reader that paces the engine by the system clock instead of a sound card: for a machine
whose tracks are all decoded elsewhere (sent over OSC), or that has no audio output."""

from __future__ import annotations

import threading
import time

import numpy as np


class SilentOutput:
    """Reads `engine` in blocks of `block` samples at real-time speed and drops the audio,
    marking `engine.sample_clock` as a sound card would (a sample is "heard" when read).

    Same surface as `player.AudioOutput`: `start`, `stop`, `close`, `latency`, context manager.
    """

    def __init__(self, engine, block: int = 512) -> None:
        self.engine = engine
        self.block = int(block)
        self.underflows = 0
        self._buffer = np.zeros((engine.channels, self.block), np.float32)
        self._running = False
        self._thread: threading.Thread | None = None

    @property
    def latency(self) -> float:
        return self.block / self.engine.sr

    def _run(self) -> None:
        sr = self.engine.sr
        start = time.monotonic()
        read = 0
        while self._running:
            when = start + read / sr
            now = time.monotonic()
            if when > now:
                time.sleep(when - now)
            elif now - when > 0.5:  # fell far behind (machine stalled): start afresh
                start, read = now, 0
                when = now
            self.engine.sample_clock.mark(self.engine.playhead, when)
            self.engine.read_into(self._buffer)
            read += self.block

    def start(self) -> None:
        if self._thread is None:
            self._running = True
            self._thread = threading.Thread(target=self._run, name="unravel-silent", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> SilentOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

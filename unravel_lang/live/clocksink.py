"""A sink that reads a reader in real time without a sound card, with a known sample clock."""

from __future__ import annotations

import threading
import time

import numpy as np


class PacedSink:
    """Reads `reader` (the engine, or a `BeatRetimer`) `block` samples at a time at its sample
    rate, as a sound card's callback would, and keeps what it read (`audio`).

    Its sample clock is exact by construction: output sample `o` is heard at monotonic
    second `t0 + o / sr`, and each block is read `latency` seconds before it is heard (the
    reader's `sample_clock` is marked so, every block). `reader` may be replaced while it runs
    (as `AudioOutput.engine` may).
    """

    def __init__(self, reader, block: int = 512, latency: float = 0.05,
                 keep_seconds: float = 120.0) -> None:
        self.engine = reader
        self.sr = int(reader.sr)
        self.block = int(block)
        self.latency = float(latency)
        size = int(keep_seconds * self.sr) // self.block * self.block
        self._audio = np.zeros((int(reader.channels), size), dtype=np.float32)
        self.samples = 0
        self.late = 0
        self.t0 = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="unravel-paced-sink", daemon=True)

    def start(self) -> None:
        self.t0 = time.monotonic() + self.latency
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    close = stop

    def heard_at(self, sample: float) -> float:
        """The monotonic second at which output sample `sample` is heard."""
        return self.t0 + sample / self.sr

    def _run(self) -> None:
        buf = np.zeros((self._audio.shape[0], self.block), dtype=np.float32)
        while not self._stop.is_set() and self.samples + self.block <= self._audio.shape[1]:
            due = self.heard_at(self.samples) - self.latency
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.5 * self.latency:
                self.late += 1
            reader = self.engine
            reader.sample_clock.mark(reader.playhead, self.heard_at(self.samples))
            reader.read_into(buf)
            self._audio[:, self.samples : self.samples + self.block] = buf
            self.samples += self.block

    @property
    def audio(self) -> np.ndarray:
        """Everything read so far, float32 `(channels, samples)`."""
        return self._audio[:, : self.samples]

    def __enter__(self) -> PacedSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

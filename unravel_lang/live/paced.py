"""An output with no sound card: reads the engine (or what stands in for it) at real-time
speed by the system clock. For a machine whose tracks are all decoded elsewhere (sent over
OSC) or that has no audio output, and wherever real time must be heard without a card."""

from __future__ import annotations

import threading
import time

import numpy as np

STALL = 0.5
"""Seconds behind its clock after which a `PacedOutput` skips ahead instead of catching up."""


class PacedOutput:
    """Reads `reader` (the engine, or a `BeatRetimer`) `block` samples at a time at its sample
    rate, as a sound card's callback would; keeps the first `keep_seconds` of what it read
    (`audio`; 0: keeps nothing). Same surface as `player.AudioOutput`: `start`, `stop`,
    `close`, `latency`, context manager; `engine` (the reader) may be replaced while it runs.

    The clock is exact: output sample `o` is heard at monotonic second `heard_at(o)` =
    `t0 + o / sr`; the block starting at `o` is read `lead` seconds before (`latency` =
    `lead`), and the reader's `sample_clock` is marked so every block. A block read more than
    half of `max(lead, one block)` after it was due counts in `late`; the output then catches
    up at once (the clock stays exact). Only when it falls more than `STALL` seconds behind
    (the machine stalled) does it skip ahead, as a sound card that underflowed: the whole
    blocks it missed are heard as silence (zeros in `audio`), never read, and `underflows`
    counts the skips; `heard_at` stays exact across them.
    """

    def __init__(self, reader, block: int = 512, lead: float = 0.0,
                 keep_seconds: float = 0.0) -> None:
        self.engine = reader
        self.sr = int(reader.sr)
        self.block = int(block)
        self.lead = float(lead)
        size = int(keep_seconds * self.sr) // self.block * self.block
        self._audio = np.zeros((int(reader.channels), size), dtype=np.float32)
        self.samples = 0
        self.late = 0
        self.underflows = 0
        self.t0 = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def latency(self) -> float:
        """Seconds between reading a block and hearing its first sample (the `lead`)."""
        return self.lead

    def heard_at(self, sample: float) -> float:
        """The monotonic second at which output sample `sample` is heard."""
        return self.t0 + sample / self.sr

    @property
    def audio(self) -> np.ndarray:
        """What was read so far, float32 `(channels, samples)`, up to `keep_seconds`."""
        return self._audio[:, : min(self.samples, self._audio.shape[1])]

    def start(self) -> None:
        """Start reading (again, after `stop`: the clock goes on from the samples heard)."""
        if self._thread is None:
            self.t0 = time.monotonic() + self.lead - self.samples / self.sr
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="unravel-paced", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop reading; returns once the last block is read."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def close(self) -> None:
        self.stop()

    def _run(self) -> None:
        buf = np.zeros((self._audio.shape[0], self.block), dtype=np.float32)
        slack = 0.5 * max(self.lead, self.block / self.sr)
        while not self._stop.is_set():
            behind = time.monotonic() - (self.heard_at(self.samples) - self.lead)
            if behind < 0:
                time.sleep(-behind)
            elif behind > STALL:
                self.underflows += 1
                self.samples += int(behind * self.sr) // self.block * self.block
            elif behind > slack:
                self.late += 1
            reader = self.engine
            reader.sample_clock.mark(reader.playhead, self.heard_at(self.samples))
            reader.read_into(buf)
            at, size = self.samples, self._audio.shape[1]
            if at < size:
                self._audio[:, at : at + self.block] = buf
            self.samples += self.block

    def __enter__(self) -> PacedOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

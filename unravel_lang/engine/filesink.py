"""The file sink: pulls an engine's audio as fast as its worker decodes it."""

from __future__ import annotations

import numpy as np

from unravel_lang.engine.engine import Engine
from unravel_lang.errors import UnravelError


class FileSink:
    """Reads an engine made with `realtime=False`, a given number of latent frames at a time.

    Between two pulls the engine rests exactly at the sink's position, so commands given
    between pulls apply at that frame: a session script with positions is reproducible.
    The pulled audio is kept (`audio`) and can be written with `write`; with `keep=False`
    only the latest pull is (for timing a session without keeping its sound).

    The sink puts the reader's output back in place (the master limiter gives each sample
    `lookahead` samples late). The last `lookahead` samples of a pull are limited as if
    silence followed (as at the end of a piece); the next pull gives their final values.
    """

    def __init__(self, engine: Engine, keep: bool = True) -> None:
        if engine.realtime:
            raise UnravelError("a file sink needs an engine made with realtime=False")
        self.engine = engine
        self.keep = keep
        self.late = engine.limiter.lookahead
        self._buffer = np.zeros((engine.channels, 0), dtype=np.float32)
        self._base = -self.late  # the engine sample at the buffer's index 0
        self._first = 0  # the first engine sample `audio` holds
        self._samples = 0  # the engine sample after the last one pulled

    @property
    def frame(self) -> int:
        """Latent frames pulled so far."""
        return self.engine.playhead // self.engine.ratio

    def _room(self, start: int, samples: int) -> np.ndarray:
        """A view of the buffer for engine samples `[start - late, start + samples)` (the
        previous pull's provisional end, then this pull), grown by doubling."""
        if not self.keep:
            self._base, self._first = start - self.late, start
        need = start + samples - self._base
        if need > self._buffer.shape[1]:
            size = max(need, 2 * self._buffer.shape[1], 64 * self.engine.ratio)
            grown = np.zeros((self.engine.channels, size), dtype=np.float32)
            kept = min(self._samples - self._base, self._buffer.shape[1]) if self.keep else 0
            grown[:, :kept] = self._buffer[:, :kept]
            self._buffer = grown
        return self._buffer[:, start - self.late - self._base : need]

    def pull(self, frames: int) -> np.ndarray:
        """The next `frames` latent frames of audio, float32 `(channels, frames * ratio)`."""
        engine, worker = self.engine, self.engine.worker
        total = int(frames) * engine.ratio
        start = engine.playhead
        worker.target = self.frame + int(frames)
        worker.wake.set()
        out = self._room(start, total)  # while the worker decodes
        got = 0
        while got < total:
            worker.produced.clear()  # before looking: a signal after this is not lost
            available = min(engine.mixer.ring.filled, total - got)
            if available == 0:
                worker.produced.wait(0.1)
                if not worker.thread.is_alive():
                    raise UnravelError("the engine's worker has stopped")
                continue
            got += engine.read_into(out[:, got : got + available])
            worker.wake.set()
        if total:
            out[:, total:] = engine.limiter.tail(engine.channels)
        self._samples = start + total
        return out[:, self.late :]

    def until(self, frame: int) -> np.ndarray:
        """Pull up to latent frame `frame` (absolute); returns the audio pulled by this call."""
        return self.pull(max(0, int(frame) - self.frame))

    @property
    def audio(self) -> np.ndarray:
        """Everything pulled so far, float32 `(channels, samples)` (a view of the kept audio)."""
        return self._buffer[:, self._first - self._base : self._samples - self._base]

    def write(self, path) -> object:
        """Write everything pulled so far as a float WAV at the model's rate (atomically)."""
        from unravel_lang.audio import write_wav

        return write_wav(path, self.audio, self.engine.sr)

"""Sound-card output through PortAudio (sounddevice). The only module that touches the card.

`import unravel_lang` never needs PortAudio: sounddevice is imported on first use, and
`playback_status()` says whether playback can work, and why not, without raising.
"""

from __future__ import annotations

import os
import threading
from time import monotonic
from typing import Any, NamedTuple

import numpy as np

from unravel_lang.errors import PlaybackUnavailable


class PlaybackStatus(NamedTuple):
    """`(available, reason)`: reason names the output device, or says why there is none."""

    available: bool
    reason: str


def _sounddevice() -> Any:
    """The sounddevice module; `PlaybackUnavailable` when it or PortAudio cannot be loaded."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise PlaybackUnavailable(
            f"the PortAudio library is missing ({exc}); on Debian: apt-get install libportaudio2"
        ) from None
    except ImportError as exc:
        raise PlaybackUnavailable(f"the sounddevice package is missing ({exc})") from None
    return sounddevice


def playback_status() -> PlaybackStatus:
    """Whether sound can be played here: PortAudio loads and there is a default output device."""
    try:
        sd = _sounddevice()
        device = sd.query_devices(kind="output")
        return PlaybackStatus(True, f"output device: {device['name']}")
    except PlaybackUnavailable as exc:
        return PlaybackStatus(False, str(exc))
    except Exception as exc:  # noqa: BLE001 - a status query must never raise
        return PlaybackStatus(False, f"no audio output device ({exc})")


MIN_LATENCY = 0.1
"""Seconds of output buffer `AudioOutput` asks for at least, so that a busy machine does not
make it underflow (the device's own safe value when that is larger)."""


class AudioOutput:
    """A PortAudio output stream whose callback copies the engine's next samples (`read_into`).

    The callback calls no model, takes no lock and allocates no audio buffers. `underflows`
    counts callbacks that PortAudio flagged with an output underflow.
    """

    def __init__(self, engine, device: int | str | None = None,
                 latency: float | str | None = None, blocksize: int = 0) -> None:
        sd = _sounddevice()
        self.engine = engine
        self.underflows = 0
        self.callbacks = 0
        try:
            if latency is None:
                info = sd.query_devices(device, "output")
                latency = max(float(info["default_high_output_latency"]), MIN_LATENCY)
            self._stream = sd.OutputStream(
                samplerate=engine.sr, channels=engine.channels, dtype="float32",
                callback=self._callback, device=device, latency=latency, blocksize=blocksize,
            )
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError for a bad device
            raise PlaybackUnavailable(f"cannot open the audio output: {exc}") from None
        self._latency = float(self._stream.latency)

    def _callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        if status.output_underflow:
            self.underflows += 1
        self.callbacks += 1
        # when this buffer's first sample is heard, on the monotonic clock
        ahead = time.outputBufferDacTime - time.currentTime
        if not 0.0 < ahead < 2.0:
            ahead = self._latency
        self.engine.sample_clock.mark(self.engine.playhead, monotonic() + ahead)
        self.engine.read_into(outdata.T)

    @property
    def latency(self) -> float:
        """The stream's output latency in seconds, as PortAudio reports it."""
        return self._latency

    def start(self) -> None:
        self._stream.start()

    def stop(self) -> None:
        self._stream.stop()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> AudioOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def play_array(audio: np.ndarray, sr: int, device: int | str | None = None) -> None:
    """Play float audio `(channels, samples)` (or `(samples,)`) at `sr` Hz; return when done."""
    sd = _sounddevice()
    a = np.asarray(audio, dtype=np.float32)
    a = np.ascontiguousarray((a[None] if a.ndim == 1 else a).T)  # (samples, channels)
    done = threading.Event()
    pos = 0

    def callback(outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        nonlocal pos
        n = min(frames, a.shape[0] - pos)
        outdata[:n] = a[pos : pos + n]
        outdata[n:] = 0.0
        pos += n
        if n < frames:
            raise sd.CallbackStop

    try:
        stream = sd.OutputStream(samplerate=int(sr), channels=a.shape[1], dtype="float32",
                                 callback=callback, device=device,
                                 finished_callback=done.set)
    except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError for a bad device
        raise PlaybackUnavailable(f"cannot open the audio output: {exc}") from None
    with stream:
        done.wait(timeout=a.shape[0] / int(sr) + 10.0)


play_audio = play_array


def play_file(path: str | os.PathLike, device: int | str | None = None) -> None:
    """Play an audio file (any format `audio.read_audio` reads); return when done."""
    from unravel_lang.audio import read_audio

    audio, sr = read_audio(path)
    play_array(audio, sr, device)

"""A live audio input encoded on the session's grid: `listen`, `input`, `record`, `monitor`.

A source (a PortAudio input device, or a file played in real time) delivers audio blocks
with the `time.monotonic()` second their first sample entered. `LiveInput` encodes them
through the model's `EncoderStream` as they come and keeps the latent frames of the last
`bars` bars in a bounded ring. Latent frame i of the input covers the engine's frames
`offset + i` (a float fixed by the first block: where the engine's sample clock places
that block's first sample), so bar lines of the engine's grid cut the input.

`feed` is the whole pipeline for one block and can be called directly (deterministic
tests); `start` runs it on a thread of its own from a source. sounddevice is imported on
use only.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from unravel_lang.errors import UnravelError

DEFAULT_BARS = 16
"""Bars of input latents `LiveInput` keeps by default."""

STALL_SECONDS = 2.0
"""A device that delivers nothing for this long is reported as stopped."""

MAX_BATCH = 64
"""At most this many queued source blocks are encoded in one call (when the input is behind)."""

BLOCK_SECONDS = 0.01
"""Duration of the blocks a file source delivers (and asked of a device)."""


class InputUnavailable(UnravelError):
    """No PortAudio, no such input device, or the input cannot be opened."""


# ---- the rolling buffer --------------------------------------------------------------------


class LatentRing:
    """The latest `capacity` latent frames of a stream, addressed by absolute frame index."""

    def __init__(self, capacity: int, dims: int) -> None:
        self.data = np.zeros((max(1, int(capacity)), int(dims)), dtype=np.float32)
        self.end = 0  # absolute index of the next frame to arrive
        self.floor = 0  # no frame before this one is held (set when the ring grows)

    @property
    def capacity(self) -> int:
        return self.data.shape[0]

    @property
    def start(self) -> int:
        """Absolute index of the oldest frame still held."""
        return max(self.floor, self.end - self.capacity)

    def append(self, frames: np.ndarray) -> None:
        """Add `(n, dims)` frames after the last ones (the oldest drop out)."""
        n = frames.shape[0]
        kept = frames[max(0, n - self.capacity) :]
        first = self.end + n - kept.shape[0]
        self.data[np.arange(first, first + kept.shape[0]) % self.capacity] = kept
        self.end += n

    def get(self, first: int, last: int) -> np.ndarray:
        """Frames `[first, last)` `(last - first, dims)` float32 (a copy); they must be held."""
        if first < self.start or last > self.end or last < first:
            raise UnravelError(f"input frames {first}..{last} are not held "
                               f"(held: {self.start}..{self.end})")
        idx = np.arange(first, last) % self.capacity
        return self.data[idx].copy()

    def grow(self, capacity: int) -> None:
        """Hold at least `capacity` frames from now on (keeps what is held)."""
        if capacity <= self.capacity:
            return
        held = self.get(self.start, self.end)
        self.data = np.zeros((int(capacity), self.data.shape[1]), dtype=np.float32)
        self.floor = self.end = self.end - held.shape[0]
        self.append(held)


# ---- monitoring: decoded input mixed into the engine's output -------------------------------


class MonitorMix:
    """Audio decoded from the input, waiting to be mixed into the engine's output.

    The input thread `write`s decoded frames; the engine's reader calls `add_into(out, when)`
    (when: monotonic second at which `out[:, 0]` is heard). Playing starts when a read would
    leave `prebuffer` samples waiting (and again after running dry: `underruns` counts the
    reads that found too few). When more than `2 * prebuffer + slack` samples would be left
    after a read, the excess is skipped (`skips`), so a stall does not leave it late for good.
    `latency` is the measured round trip of the latest frame: from its first sample entering
    the input to that sample being heard.
    """

    def __init__(self, channels: int, sr: int, prebuffer: int, capacity: int,
                 slack: int = 0) -> None:
        self.sr = int(sr)
        self.buf = np.zeros((int(channels), int(capacity)), dtype=np.float32)
        self.prebuffer = int(prebuffer)
        self.write_pos = 0
        self.read_pos = 0
        self.playing = False
        self.underruns = 0
        self.overruns = 0
        self.skips = 0  # jumps ahead after falling behind
        self.slack = int(slack)
        self.marks: deque[tuple[int, float]] = deque(maxlen=64)  # (sample, entered at)
        self.latency: float | None = None

    def write(self, audio: np.ndarray, entered: float | None) -> None:
        """Queue `(channels, n)` audio whose first sample entered the input at `entered`."""
        cap = self.buf.shape[1]
        n = audio.shape[1]
        if self.write_pos + n - self.read_pos > cap:
            self.overruns += 1
            return
        idx = np.arange(self.write_pos, self.write_pos + n) % cap
        self.buf[:, idx] = audio[: self.buf.shape[0]]
        if entered is not None:
            self.marks.append((self.write_pos, entered))
        self.write_pos += n  # published after the samples are in place

    def add_into(self, out: np.ndarray, when: float | None) -> None:
        """Add the next samples to `out` `(channels, n)` (silence until prebuffered)."""
        n = out.shape[1]
        ready = self.write_pos - self.read_pos
        if not self.playing:
            if ready < self.prebuffer + n:  # start with `prebuffer` to spare after this read
                return
            self.playing = True
        if ready - n > 2 * self.prebuffer + self.slack:
            # fell behind (the encoder stalled, then caught up): drop the excess so the
            # latency comes back to `prebuffer` instead of staying late for good
            self.read_pos += ready - n - self.prebuffer
            self.skips += 1
            ready = n + self.prebuffer
        take = min(n, ready)
        if take < n:
            self.underruns += 1
            self.playing = False
        if take:
            cap = self.buf.shape[1]
            idx = np.arange(self.read_pos, self.read_pos + take) % cap
            out[:, :take] += self.buf[: out.shape[0], idx]
            if when is not None:
                while self.marks and self.marks[0][0] < self.read_pos + take:
                    sample, entered = self.marks.popleft()
                    if sample >= self.read_pos:
                        self.latency = when + (sample - self.read_pos) / self.sr - entered
            self.read_pos += take


# ---- sources -------------------------------------------------------------------------------


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:
        raise InputUnavailable(
            f"live input unavailable: the PortAudio library is missing ({exc}); "
            "on Debian: apt-get install libportaudio2") from None
    except ImportError as exc:
        raise InputUnavailable(
            f"live input unavailable: the sounddevice package is missing ({exc})") from None
    return sounddevice


def input_device(device: int | str | None = None) -> dict:
    """PortAudio's description of an input device (None: the default input); a name may be a
    part of the device's name. `InputUnavailable` with one clear line when there is none."""
    sd = _sounddevice()
    try:
        info = sd.query_devices(device, "input")
    except Exception:  # noqa: BLE001 - ValueError / PortAudioError
        try:
            names = [d["name"] for d in sd.query_devices() if d["max_input_channels"] > 0]
        except Exception:  # noqa: BLE001
            names = []
        which = "no default input device" if device is None else f"no input device {device!r}"
        listed = f" (inputs: {', '.join(names)})" if names else " (this machine has no inputs)"
        raise InputUnavailable(f"live input unavailable: {which}{listed}") from None
    if info["max_input_channels"] < 1:
        raise InputUnavailable(f"live input unavailable: {info['name']} has no input channels")
    return info


class DeviceSource:
    """A PortAudio input stream: blocks go to `deliver(block (channels, n), entered)`."""

    def __init__(self, device: int | str | None = None, channels: int | None = None,
                 latency: float | str = "low") -> None:
        info = input_device(device)
        self.device = device
        self.name = str(info["name"])
        self.sr = int(info["default_samplerate"])
        self.channels = int(channels or min(2, int(info["max_input_channels"])))
        self.latency_arg = latency
        self.latency = 0.0
        self.overflows = 0
        self._stream = None

    def start(self, deliver: Callable[[np.ndarray, float | None], None],
              ended: Callable[[str], None]) -> None:
        sd = _sounddevice()

        def callback(indata: np.ndarray, frames: int, t: Any, status: Any) -> None:
            if status.input_overflow:
                self.overflows += 1
            behind = t.currentTime - t.inputBufferAdcTime
            if not 0.0 <= behind < 2.0:
                behind = self.latency
            deliver(indata.T.copy(), time.monotonic() - behind)

        try:
            self._stream = sd.InputStream(
                samplerate=self.sr, channels=self.channels, dtype="float32", callback=callback,
                device=self.device, latency=self.latency_arg,
                blocksize=int(self.sr * BLOCK_SECONDS),
                finished_callback=lambda: ended("the input device stopped"))
            self.latency = float(self._stream.latency)
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError
            raise InputUnavailable(f"live input unavailable: cannot open {self.name}: {exc}"
                                   ) from None

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # noqa: BLE001 - a vanished device may refuse to close
                pass


class FileSource:
    """An audio file played in real time as if it came from an input (for rehearsal and
    tests): blocks of `BLOCK_SECONDS`, each delivered when its last sample has "arrived"."""

    def __init__(self, path: str, speed: float = 1.0) -> None:
        from unravel_lang.audio import audio_info

        info = audio_info(path)
        if info.frames == 0:
            raise InputUnavailable(f"live input unavailable: {path} is empty")
        self.path = str(path)
        self.name = str(path)
        self.sr = int(info.sr)
        self.channels = int(info.channels)
        self.latency = 0.0
        self.overflows = 0
        self.speed = float(speed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, deliver: Callable[[np.ndarray, float | None], None],
              ended: Callable[[str], None]) -> None:
        from unravel_lang.audio import read_blocks

        def run() -> None:
            block = max(1, int(self.sr * BLOCK_SECONDS))
            t0 = time.monotonic()
            sent = 0
            for audio in read_blocks(self.path, block):
                if self._stop.is_set():
                    return
                due = t0 + (sent + audio.shape[1]) / self.sr / self.speed
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                deliver(audio, t0 + sent / self.sr / self.speed)
                sent += audio.shape[1]
            ended(f"the file {self.path} has ended")

        self._thread = threading.Thread(target=run, name="unravel-file-input", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)


def open_source(spec: int | str | None) -> DeviceSource | FileSource:
    """A file source for an existing audio file path, else a device (name, index or None)."""
    import os

    if isinstance(spec, str) and os.path.isfile(os.path.expanduser(spec)):
        return FileSource(os.path.expanduser(spec))
    if isinstance(spec, str) and spec.strip().isdigit():
        spec = int(spec)
    if isinstance(spec, str) and spec.lower().endswith((".wav", ".flac", ".aiff", ".ogg",
                                                        ".mp3")):
        raise InputUnavailable(f"live input unavailable: {spec}: file not found")
    return DeviceSource(spec)


# ---- the live input ------------------------------------------------------------------------


@dataclass
class Recording:
    """`record name length`: frames `[at, at + frames)` of the engine's grid."""

    name: str
    at: int  # engine frame of the bar line it starts on
    frames: int
    first: int | None = None  # input frame of `at` (once the input's offset is known)


class LiveInput:
    """The input's latent stream on the session's grid (see the module's description).

    `model`: whose encoder (and decoder, for `monitor`) is used. `bars`: how many bars are
    kept. `grid()`: `(origin, frames per bar)` of the engine's grid. `anchor(entered)`:
    `(frame, exact)`: the engine frame (float) heard when a sample that entered at monotonic
    `entered` entered; `exact` False when the engine stands still (silence: `frame` is then
    where it stands), `(None, False)` without an engine. `now()`: the engine frame being heard
    now, None while the engine stands still (then: the input's latest frame). Without an
    engine, the grid's frame 0 is the input's first frame.
    """

    def __init__(self, model: Any, bars: int = DEFAULT_BARS,
                 grid: Callable[[], tuple[int, int]] | None = None,
                 anchor: Callable[[float | None], tuple[float | None, bool]] | None = None,
                 now: Callable[[], float | None] | None = None, seed: int = 0,
                 name: str = "input") -> None:
        if isinstance(bars, bool) or not isinstance(bars, int) or bars < 1:
            raise UnravelError(f"the input keeps a whole number of bars >= 1, got {bars!r}")
        self.model = model
        self.bars = bars
        self.grid = grid or (lambda: (0, 44))
        self.anchor = anchor or (lambda entered: (None, False))
        self._now = now
        self.seed = int(seed)
        self.name = name
        self.ring = LatentRing(bars * self.grid()[1], model.dims)
        self.offset: float | None = None
        self.encoder = None
        self.recordings: list[Recording] = []
        self.completed: deque[tuple[str, np.ndarray]] = deque()
        self.messages: deque[str] = deque()
        self.monitor: MonitorMix | None = None
        self._decoder = None
        self.samples_in = 0  # samples at the source's rate fed so far
        self.sr_in: int | None = None
        self.frame_latency: deque[float] = deque(maxlen=512)  # s, a frame's last sample in
        # -> the frame in the ring
        self.encode_seconds: deque[float] = deque(maxlen=512)
        self.stopped: str | None = None
        self.source: DeviceSource | FileSource | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._last_block = time.monotonic()

    # ---- the pipeline for one block ---------------------------------------------------------

    def feed(self, block: np.ndarray, entered: float | None = None, sr: int | None = None
             ) -> np.ndarray:
        """Encode one `(channels, n)` block at `sr` Hz (the first block fixes the rate and the
        channels) whose first sample entered at monotonic `entered`; returns its new frames."""
        a = np.asarray(block, dtype=np.float32)
        if a.ndim == 1:
            a = a[None]
        with self._lock:
            if self.encoder is None:
                self.sr_in = int(sr or self.model.sr)
                self.encoder = self.model.encoder(self.sr_in, a.shape[0], seed=self.seed)
            self._place(entered)
            first_sample = self.samples_in
            self.samples_in += a.shape[1]
            t = time.perf_counter()
            frames = self.encoder.push(a)
            done = time.monotonic()
            if frames.shape[0] == 0:
                return frames
            self.encode_seconds.append(time.perf_counter() - t)
            end_frame = self.ring.end + frames.shape[0]
            self._ensure_capacity()
            self.ring.append(frames)
            if entered is not None:  # when the last sample of the newest frame entered
                last = end_frame * self.model.ratio * self.sr_in / self.model.sr - 1
                self.frame_latency.append(done - (entered + (last - first_sample) / self.sr_in))
            self._complete_recordings()
            if self.monitor is not None:
                self._play_monitor(frames, end_frame, first_sample, entered)
            return frames

    def _place(self, entered: float | None) -> None:
        """Keep `offset` (engine frame of input frame 0) true to the engine's sample clock
        while the engine plays: re-anchored when it moved by more than half a frame (the
        engine's timeline stands still through silence); kept as it is otherwise."""
        pos = self.samples_in * self.model.sr / self.sr_in / self.model.ratio
        at, exact = self.anchor(entered)
        if at is None:
            if self.offset is None:
                self.offset = -pos
            return
        new = float(at) - pos
        if self.offset is None or (exact and abs(new - self.offset) > 0.5):
            self.offset = new

    def _ensure_capacity(self) -> None:
        self.ring.grow(self.bars * self.grid()[1])

    def _play_monitor(self, frames: np.ndarray, end_frame: int, first_sample: int,
                      entered: float | None) -> None:
        audio = self._decoder.decode(frames)
        first_frame = end_frame - frames.shape[0]
        when = None
        if entered is not None:
            # monotonic second at which the first sample of `first_frame` entered
            lag = first_frame * self.model.ratio * self.sr_in / self.model.sr - first_sample
            when = entered + lag / self.sr_in
        self.monitor.write(audio, when)

    def _complete_recordings(self) -> None:
        for rec in list(self.recordings):
            if rec.first is None:
                rec.first = round(rec.at - self.offset)
            last = rec.first + rec.frames
            if self.ring.end < last:
                continue
            self.recordings.remove(rec)
            if rec.first < self.ring.start:
                self.messages.append(f"recording {rec.name} lost: the input fell behind")
                continue
            self.completed.append((rec.name, self.ring.get(rec.first, last)))
            self.messages.append(f"recorded {rec.name} ({self._bars_text(rec.frames)})")

    # ---- grid ---------------------------------------------------------------------------------

    def now_frame(self) -> float:
        """The engine frame being heard now (without an engine: the input's latest frame)."""
        if self._now is not None:
            now = self._now()
            if now is not None:
                return float(now)
        return float(self.ring.end + (self.offset or 0.0))

    def _bar_floor(self, frame: float) -> int:
        origin, bar = self.grid()
        return origin + math.floor((frame - origin) / bar) * bar

    def heard_bars(self) -> float:
        """Bars of input latents held so far."""
        return (self.ring.end - self.ring.start) / self.grid()[1]

    def _bars_text(self, frames: int) -> str:
        bars = frames / self.grid()[1]
        return f"{bars:g} bar{'s' * (bars != 1)}"

    # ---- what the language asks ---------------------------------------------------------------

    def whole_bars(self) -> np.ndarray:
        """Every whole bar held, cut at the grid's bar lines, oldest first `(frames, dims)`.

        `UnravelError` when no whole bar has been heard yet."""
        with self._lock:
            if self.offset is None or self.ring.end == 0:
                raise UnravelError(self._nothing_yet())
            _, bar = self.grid()
            last = self._bar_floor(self.ring.end + self.offset)
            n = (last - math.ceil(self.ring.start + self.offset)) // bar
            if n < 1:
                raise UnravelError(
                    f"the input holds no whole bar yet ({self.heard_bars():.2f} bars heard, "
                    "cut at bar lines); play on and ask again")
            last_in = round(last - self.offset)
            return self.ring.get(last_in - n * bar, last_in)

    def _nothing_yet(self) -> str:
        if self.stopped:
            return f"the input has stopped ({self.stopped}) and holds nothing"
        return "the input has delivered no sound yet"

    def record(self, name: str, frames: int) -> Recording:
        """Book `name` = the `frames` frames from the next bar line; returns at once."""
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
            raise UnravelError(f"record needs a length of at least one frame, got {frames!r}")
        if self.stopped:
            raise UnravelError(f"the input has stopped ({self.stopped}): `listen` again first")
        _, bar = self.grid()
        if frames > self.bars * bar:
            raise UnravelError(f"record {name}: {frames / bar:g} bars is more than the "
                               f"{self.bars} bars the input keeps")
        with self._lock:
            now = self.now_frame()
            at = self._bar_floor(now)
            if at < now:
                at += bar
            rec = Recording(name, int(at), int(frames))
            self.recordings = [r for r in self.recordings if r.name != name] + [rec]
        return rec

    def recording_status(self) -> list[str]:
        """`● rec x 1.2/4 bars` for each recording in progress."""
        out = []
        _, bar = self.grid()
        for rec in list(self.recordings):
            done = 0.0
            if rec.first is not None:
                done = max(0, min(rec.frames, self.ring.end - rec.first)) / bar
            out.append(f"● rec {rec.name} {done:.1f}/{rec.frames / bar:g} bars")
        return out

    def take_completed(self) -> list[tuple[str, np.ndarray]]:
        out = []
        while self.completed:
            out.append(self.completed.popleft())
        return out

    def take_messages(self) -> list[str]:
        out = []
        while self.messages:
            out.append(self.messages.popleft())
        return out

    # ---- monitoring ---------------------------------------------------------------------------

    def start_monitor(self, prebuffer: int | None = None) -> MonitorMix:
        """Decode the input as it arrives into a `MonitorMix` (the engine mixes it in)."""
        m = self.model
        with self._lock:
            if self.monitor is None:
                self._decoder = m.stream(seed=self.seed)
                pre = m.ratio + m.sr // 20 if prebuffer is None else int(prebuffer)
                self.monitor = MonitorMix(m.out_channels, m.sr, pre, capacity=m.sr,
                                          slack=m.ratio)
            return self.monitor

    def stop_monitor(self) -> MonitorMix | None:
        with self._lock:
            mix, self.monitor, self._decoder = self.monitor, None, None
            return mix

    def monitor_latency_estimate(self, output_latency: float) -> float:
        """Seconds from a sample entering to it being heard, from the parts: input latency,
        a frame's worth of samples, encode + decode time, the prebuffer, output latency."""
        m = self.model
        source_latency = getattr(self.source, "latency", 0.0)
        work = float(np.median(self.encode_seconds)) * 2 if self.encode_seconds else 0.0
        pre = self.monitor.prebuffer / m.sr if self.monitor is not None else m.ratio / m.sr
        return source_latency + m.ratio / m.sr + work + pre + output_latency

    # ---- running from a source ----------------------------------------------------------------

    def start(self, source: DeviceSource | FileSource) -> None:
        """Open `source` and feed its blocks from a thread of this input."""
        self.source = source
        self._thread = threading.Thread(target=self._run, name="unravel-input", daemon=True)
        self._thread.start()
        try:
            source.start(lambda block, entered: self._queue.put((block, entered)),
                         lambda why: self._queue.put((None, why)))
        except Exception:
            self._queue.put((None, ""))
            self._thread.join(2.0)
            raise

    def _run(self) -> None:
        source = self.source
        self._last_block = time.monotonic()
        while not self._closing.is_set():
            try:
                block, entered = self._queue.get(timeout=0.25)
            except queue.Empty:
                if (isinstance(source, DeviceSource) and self.samples_in
                        and time.monotonic() - self._last_block > STALL_SECONDS):
                    self._stop_with(f"no sound from {source.name} for {STALL_SECONDS:g} s")
                    return
                continue
            end = None if block is not None else entered
            blocks = [] if block is None else [block]
            while block is not None and len(blocks) < MAX_BATCH:  # behind: encode together
                try:
                    more, why = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    end = why
                    break
                blocks.append(more)
            if blocks:
                self._last_block = time.monotonic()
                try:
                    self.feed(np.concatenate(blocks, axis=1), entered, source.sr)
                except Exception as exc:  # noqa: BLE001 - a model failure stops the input only
                    self._stop_with(f"encoding failed: {exc}")
                    return
            if end is not None:
                if end:
                    self._stop_with(end)
                return

    def _stop_with(self, why: str) -> None:
        """The input ended by itself: report it; unfinished recordings stop cleanly."""
        with self._lock:
            self.stopped = why
            dropped = self.recordings
            self.recordings = []
        self.messages.append(f"input stopped: {why}")
        _, bar = self.grid()
        for rec in dropped:
            got = 0 if rec.first is None else max(0, self.ring.end - rec.first)
            self.messages.append(
                f"recording {rec.name} stopped after {got / bar:.1f} of "
                f"{rec.frames / bar:g} bars; {rec.name} is not bound")
        if self.source is not None:
            self.source.stop()

    def close(self) -> None:
        """Stop the source and the thread (recordings in progress are dropped)."""
        if self.source is not None:
            self.source.stop()
        if self._thread is not None:
            self._closing.set()
            self._queue.put((None, ""))
            if self._thread is not threading.current_thread():
                self._thread.join(5.0)
        self.recordings = []

    @property
    def running(self) -> bool:
        return self.stopped is None and self._thread is not None and self._thread.is_alive()

    def status(self) -> str:
        """`input <name>` or `input stopped` (why was said once, in `messages`), with the
        recordings in progress."""
        label = getattr(self.source, "name", self.name)
        parts = ["input stopped" if self.stopped else f"input {_short(label)}"]
        parts += self.recording_status()
        return " ".join(parts)


def _short(label: str, width: int = 24) -> str:
    import os

    base = os.path.basename(label) or label
    return base if len(base) <= width else base[: width - 1] + "…"

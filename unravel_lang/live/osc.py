"""OSC out: each latent frame a track sounds, sent to a decoder elsewhere (nn~ in Pure Data
or Max, nn.ar in SuperCollider) at the moment it is due, with beat and bar ticks.

Messages (UDP, one per datagram):

- `/unravel/<track>` with `dims` float32 arguments: the latent frame voice 0 of track
  `<track>` sounds from that moment (voice j > 0 of a layered track: `/unravel/<track>/<j>`);
  nothing while a voice is silent;
- `/unravel/beat <n>` (int, 1 = the downbeat) on every beat, `/unravel/bar <n>` (int,
  counted from 1 at the grid's latest downbeat) on every bar line, before the frames that
  begin there.

A frame of engine frame `f` is due when engine sample `f * ratio` reaches the speaker
(`engine.time_of`), and is sent `lead` milliseconds before that.
"""

from __future__ import annotations

import heapq
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from unravel_lang.addresses import parse_target
from unravel_lang.engine.observe import FrameBlock
from unravel_lang.errors import UnravelError
from unravel_lang.live import oscmsg

PREFIX = "/unravel"


@dataclass(frozen=True)
class Sent:
    """One message sent: engine `frame`, its `address`, when it was due and when it left
    (`time.monotonic()` seconds; `due` is None when the engine had no real-time reader)."""

    frame: int
    address: str
    values: tuple[float, ...]
    due: float | None
    at: float


def address_of(track: str, voice: int) -> str:
    """`/unravel/<track>` for voice 0, `/unravel/<track>/<voice>` for the others."""
    return f"{PREFIX}/{track}" if voice == 0 else f"{PREFIX}/{track}/{voice}"


class OscOut:
    """Sends the frames of the tracks `wanted(name)` allows, from `engine`, to `target`
    ("host:port"), each `lead_ms` before it is due; beat and bar ticks too.

    The engine's worker thread only queues (the listener never blocks); a sender thread
    sends each message at its time. `record=True` keeps every `Sent` in `log` (tests,
    bench); `lateness` always keeps the last 100 000 `at - due` (seconds). Send failures
    (nothing listening: connection refused) are reported in `take_errors`, and sending goes on.
    """

    def __init__(self, engine, target: str, lead_ms: float = 0.0,
                 wanted: Callable[[str], bool] = lambda name: True,
                 record: bool = False) -> None:
        oscmsg.require()
        try:
            self.host, self.port = parse_target(target)
        except ValueError as err:
            raise UnravelError(str(err)) from None
        self.target = f"{self.host}:{self.port}"
        self.engine = engine
        self.ratio = int(engine.ratio)
        worker = engine.worker
        self._produced = lambda: worker.cursor  # frames before it are told for every track
        self.lead_ms = float(lead_ms)
        self.wanted = wanted
        self.record = record
        self.log: list[Sent] = []
        self.lateness: deque[float] = deque(maxlen=100_000)
        self.errors: deque[str] = deque(maxlen=16)
        self.sent = 0
        self.refused = 0
        self.last_refused = -1e9  # monotonic time of the latest refused send
        self._queue: list[tuple[int, int, int, str, tuple[float, ...], bytes]] = []
        self._seq = 0
        self._ticked = -1
        self._beat = 0
        self._cond = threading.Condition()
        self._running = True
        try:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.connect((self.host, self.port))  # so a refusal is reported back
        except OSError as err:
            raise UnravelError(f"osc: cannot send to {self.target}: {err.strerror or err}") \
                from None
        self.thread = threading.Thread(target=self._run, name="unravel-osc-out", daemon=True)
        self.thread.start()
        engine.add_listener(self.listen)

    # --- the engine's side (worker thread): queue only -----------------------------------

    def listen(self, block: FrameBlock) -> None:
        """Queue the ticks and the frames of `block` (called by the engine's worker)."""
        n = len(block.latent)
        self._ticks(block.first, block.first + n)
        if not self.wanted(block.track):
            return
        address = address_of(block.track, block.voice)
        rows = block.latent
        sounding = ~np.isnan(rows).any(axis=1)
        items = []
        for i in np.flatnonzero(sounding):
            values = tuple(float(v) for v in rows[i])
            items.append((block.first + int(i), 1, address, values))
        self._push(items)

    def _ticks(self, first: int, stop: int) -> None:
        """Queue `/unravel/bar` and `/unravel/beat` for grid lines in `[first, stop)` not yet
        ticked (every track's block covers the same frames: each line is ticked once)."""
        clock = self.engine.clock
        items = []
        for frame in range(max(first, self._ticked + 1), stop):
            if clock.bar_ceil(frame) == frame:
                self._beat = 1
                bar = int(math.floor(clock.bars(frame) + 1e-9)) + 1
                items.append((frame, 0, f"{PREFIX}/bar", (bar,)))
                items.append((frame, 0, f"{PREFIX}/beat", (1,)))
            elif clock.beat_ceil(frame) == frame:
                self._beat += 1
                items.append((frame, 0, f"{PREFIX}/beat", (self._beat,)))
            self._ticked = frame
        self._push(items)

    def _push(self, items: list[tuple[int, int, str, tuple]]) -> None:
        if not items:
            return
        with self._cond:
            for frame, kind, address, values in items:
                self._seq += 1
                heapq.heappush(self._queue, (frame, kind, self._seq, address, values, b""))
            self._cond.notify()

    def drop(self, track: str | None = None) -> None:
        """Forget queued frames of `track` (None: of every track, and the ticks): what a stop
        or hush has silenced is not sent."""
        with self._cond:
            if track is None:
                self._queue = []
            else:
                prefix = address_of(track, 0)
                self._queue = [q for q in self._queue
                               if q[3] != prefix and not q[3].startswith(prefix + "/")]
                heapq.heapify(self._queue)

    # --- the sender thread ---------------------------------------------------------------

    def due(self, frame: int) -> float | None:
        """When the message of engine frame `frame` should leave (monotonic seconds), or None
        when the engine has no real-time reader (then it leaves at once)."""
        heard = self.engine.time_of(frame * self.ratio)
        return None if heard is None else heard - self.lead_ms / 1000.0

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._running and not self._queue:
                    self._cond.wait(0.25)
                if not self._running:
                    return
                frame, kind, _, address, values, _ = self._queue[0]
                if frame >= self._produced():  # the other tracks of this frame may follow
                    self._cond.wait(0.002)
                    continue
                due = self.due(frame)
                now = time.monotonic()
                if due is not None and due > now:
                    self._cond.wait(min(due - now, 0.05))
                    continue
                heapq.heappop(self._queue)
            self._send(frame, kind, address, values, due)

    def _send(self, frame: int, kind: int, address: str, values: tuple, due: float | None
              ) -> None:
        data = (oscmsg.encode(address, [("i", int(v)) for v in values]) if kind == 0
                else oscmsg.floats(address, values))
        try:
            self.sock.send(data)
        except OSError as err:
            # UDP learns of a refusal from the send after it: report the first one, and again
            # only after 10 s without any
            now = time.monotonic()
            if now - self.last_refused > 10.0:
                why = ("nothing listens there (connection refused)"
                       if isinstance(err, ConnectionRefusedError) else (err.strerror or str(err)))
                self.errors.append(f"osc: cannot send to {self.target}: {why}; "
                                   "frames go on being sent")
            self.refused += 1
            self.last_refused = now
            return
        at = time.monotonic()
        self.sent += 1
        if due is not None:
            self.lateness.append(at - due)
        if self.record:
            self.log.append(Sent(frame, address, tuple(values), due, at))

    # --- control ---------------------------------------------------------------------------

    @property
    def refusing(self) -> bool:
        """True when a send was refused in the last 3 seconds."""
        return time.monotonic() - self.last_refused < 3.0

    def take_errors(self) -> list[str]:
        out = []
        while self.errors:
            out.append(self.errors.popleft())
        return out

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued message has left (at most `timeout` s); True if so."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._cond:
                if not self._queue:
                    return True
            time.sleep(0.005)
        return False

    def close(self) -> None:
        """Stop listening to the engine and sending; what is queued is dropped."""
        self.engine.remove_listener(self.listen)
        with self._cond:
            self._running = False
            self._cond.notify()
        self.thread.join(timeout=2)
        self.sock.close()

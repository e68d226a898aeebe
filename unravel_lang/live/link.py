"""Ableton Link: join a session, lead its tempo or follow it, stay on its beat.

Link support needs the optional `aalink` package (GPL): `pip install 'unravel-lang[link]'`.
It is imported only when a session is joined; without it `link` raises `LinkUnavailable`
with the install command.

`LinkSession` is one Link peer run by a background thread (aalink works on an asyncio loop):
it keeps the session's timeline (`Timeline`), peers, tempo and play state up to date.
`LinkControl` ties a session to the live engine and its output: a `BeatRetimer` between them
puts the engine's beats on the session's, the engine's tempo follows the session's (the
nearest k, from the engine's next bar line), and a tempo set in unravel leads the session.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from unravel_lang.errors import UnravelError
from unravel_lang.live.retime import BeatRetimer
from unravel_lang.live.timeline import Timeline, nearest_k
from unravel_lang.tempo import DEFAULT_BEATS

INSTALL = "pip install 'unravel-lang[link]'"
POLL_SECONDS = 0.01
"""How often the session's timeline is read (a tempo change is heard this much later)."""
TEMPO_TOLERANCE = 0.01
"""BPM: a session tempo further than this from the one unravel set came from another peer."""


class LinkUnavailable(UnravelError):
    """Link support is not installed."""


def load_aalink() -> Any:
    """The `aalink` module, or `LinkUnavailable` saying how to install it."""
    try:
        import aalink
    except ImportError:
        raise LinkUnavailable(
            f"Ableton Link needs the optional aalink package (GPL): {INSTALL}") from None
    return aalink


def link_available() -> bool:
    """True when the aalink package can be imported (it is not imported here)."""
    import importlib.util

    try:
        return importlib.util.find_spec("aalink") is not None
    except (ImportError, ValueError):
        return False


class LinkSession:
    """One Link peer, enabled, with start/stop sync on; read its state from any thread.

    `timeline` is the latest `Timeline` (monotonic seconds ↔ Link beats at `quantum` beats a
    bar), refreshed every few milliseconds; `peers`, `tempo`, `playing` likewise.
    `on_poll()` is called (from the Link thread) after every reading, `on_playing(bool)` when
    the session starts or stops.
    """

    def __init__(self, tempo: float, quantum: int = DEFAULT_BEATS,
                 start_stop_sync: bool = True) -> None:
        self._aalink = load_aalink()
        self.quantum = int(quantum)
        self.tempo = float(tempo)
        self.timeline: Timeline | None = None
        self.peers = 0
        self.playing = False
        self.on_poll: Callable[[], None] | None = None
        self.on_playing: Callable[[bool], None] | None = None
        self._wanted: float | None = None
        self._play_wanted: bool | None = None
        self.errors: list[str] = []
        self._start_stop = start_stop_sync
        self._ready = threading.Event()
        self._closing = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="unravel-link", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)
        if self._error is not None:
            raise UnravelError(f"cannot join Ableton Link: {self._error}")

    def set_tempo(self, bpm: float) -> None:
        """Set the session's tempo (as a peer that leads)."""
        self._wanted = float(bpm)

    @property
    def tempo_pending(self) -> bool:
        """True while a tempo given by `set_tempo` has not reached the session yet."""
        return self._wanted is not None

    def set_playing(self, playing: bool) -> None:
        """Start or stop the session's transport (seen by peers with start/stop sync)."""
        self._play_wanted = bool(playing)

    def wait_for_peers(self, seconds: float) -> int:
        """Wait up to `seconds` for another peer to be found; returns the number of peers."""
        end = time.monotonic() + seconds
        while self.peers == 0 and time.monotonic() < end:
            time.sleep(0.02)
        return self.peers

    def close(self) -> None:
        """Leave the session."""
        self._closing = True
        self._thread.join(timeout=2.0)

    # --- the Link thread --------------------------------------------------------------------

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the constructor
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        link = self._aalink.Link(self.tempo)
        link.quantum = self.quantum
        link.enabled = True
        link.start_stop_sync_enabled = self._start_stop
        self._poll(link)
        self._ready.set()
        try:
            while not self._closing:
                if self._wanted is not None:
                    link.tempo, self._wanted = self._wanted, None
                if self._play_wanted is not None:
                    link.playing, self._play_wanted = self._play_wanted, None
                if link.quantum != self.quantum:
                    link.quantum = self.quantum
                self._poll(link)
                await asyncio.sleep(POLL_SECONDS)
        finally:
            link.enabled = False

    def _poll(self, link: Any) -> None:
        best = None
        for _ in range(3):  # the reading taken in the shortest window
            before = time.monotonic()
            beat = link.beat
            after = time.monotonic()
            if best is None or after - before < best[0]:
                best = (after - before, (before + after) / 2, beat)
        tempo = float(link.tempo)
        self.timeline = Timeline(best[1], float(best[2]), tempo)
        self.peers = int(link.num_peers)
        self.tempo = tempo
        playing = bool(link.playing)
        if playing != self.playing:
            self.playing = playing
            if self._start_stop:
                self._tell(self.on_playing, playing)
        if self._wanted is None:  # not while a tempo of ours is on its way
            self._tell(self.on_poll)

    def _tell(self, callback: Callable[..., None] | None, *args: Any) -> None:
        """Call a callback; what it raises is kept in `errors`, never stops the session."""
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as exc:  # noqa: BLE001 - the session must keep its timeline
            self.errors.append(f"link: {exc!r}")


class LinkControl:
    """Plays the live `engine` in a Link session through `output` (an `AudioOutput` or
    `PacedOutput`: anything that reads its `engine` attribute each buffer; None: tempo only).

    - following: when another peer sets the session's tempo T, the engine moves to the
      nearest k from its next bar line, and the retimer keeps its beats on the session's;
    - leading: `lead(k)` (a `bpm` or `k` statement) sets the session's tempo to the grid's;
    - start/stop: when the session stops, the output fades out (the beat keeps running);
      when it starts, it fades back in. unravel's own `hush` does not stop the session.
    """

    def __init__(self, engine, output=None, nudge_ms: float = 0.0,
                 session_factory: Callable[..., LinkSession] = LinkSession,
                 join_seconds: float = 1.0) -> None:

        self.engine = engine
        self.output = output
        self.role = "leading"
        self.k = int(engine.k)
        self.agreed = float(engine.bpm)  # the session tempo unravel last set or followed
        self._lock = threading.Lock()
        self.session = session_factory(engine.bpm, engine.clock.beats_per_bar)
        self.retimer = None
        if output is not None:
            self.retimer = BeatRetimer(engine, lambda: self.session.timeline, nudge_ms=nudge_ms)
            output.engine = self.retimer
        self.session.on_poll = self._reconcile
        self.session.on_playing = self._playing
        if self.session.wait_for_peers(join_seconds):
            # joining a session takes its timeline a moment after its peers are seen
            end = time.monotonic() + 0.5
            while (abs(self.session.tempo - engine.bpm) <= TEMPO_TOLERANCE
                   and time.monotonic() < end):
                time.sleep(0.01)
        self._reconcile()

    @property
    def latent_rate(self) -> float:
        return self.engine.sr / self.engine.ratio

    def lead(self, k: int) -> None:
        """unravel sets the tempo: k frames a beat, and the session's tempo is the grid's."""
        with self._lock:
            self.k = int(k)
            self.agreed = 60.0 * self.latent_rate / self.k
            self.role = "leading"
            self.session.set_tempo(self.agreed)
        end = time.monotonic() + 0.2  # let the session take it, so that answers show it
        while self.session.tempo_pending and time.monotonic() < end:
            time.sleep(0.005)

    def set_nudge(self, ms: float) -> None:
        if self.retimer is not None:
            self.retimer.set_nudge(ms)

    def _reconcile(self) -> None:
        """After each reading of the session: a tempo that is not the one unravel gave it
        came from another peer, and unravel follows it."""
        with self._lock:
            tempo = self.session.tempo
            if not self.session.tempo_pending and abs(tempo - self.agreed) > TEMPO_TOLERANCE:
                self._follow(tempo)

    def _follow(self, tempo: float) -> None:
        self.agreed = tempo
        self.role = "following"
        k = nearest_k(tempo, self.latent_rate)
        if k != self.k:
            self.k = k
            self.engine.set_tempo(k)

    def _playing(self, playing: bool) -> None:
        if self.retimer is not None:
            self.retimer.mute(not playing)

    def answer(self) -> str:
        """One line: peers, the session's tempo, who sets it, unravel's k."""
        peers = self.session.peers
        return (f"link: {peers} peer{'' if peers == 1 else 's'} · {self.session.tempo:.2f} BPM "
                f"({self.role}, k={self.k})")

    def status(self) -> str:
        """The REPL status line's part: `link: N peers · T BPM`."""
        peers = self.session.peers
        return f"link: {peers} peer{'' if peers == 1 else 's'} · {self.session.tempo:.2f} BPM"

    def close(self) -> None:
        """Leave the session; the output reads the engine directly again."""
        if self.output is not None and self.output.engine is self.retimer:
            self.output.engine = self.engine
        self.session.close()

"""The live view's server: one web page (`view_page/`) and a WebSocket that streams, to every
viewer, the latent frames the tracks sound, the output's level and spectrum, and the state
(tempo, tracks and the line of code that made each), each frame with the `time.monotonic()`
second at which it is heard.

Feeds (`view_feed.py`) push into the server from any thread without blocking: the engine's
worker calls `feed_frames` / `feed_mix`, which only append to a bounded inbox. The server's
own thread (an asyncio loop) drains the inbox every `tick` seconds, gives each frame its due
time (`clock(sample)`), and writes one message to each viewer whose connection keeps up; a
viewer whose write buffer holds more than `max_buffer` bytes misses that message (counted in
`dropped`), so a slow or stalled viewer never slows the engine nor the other viewers.

Messages (JSON text) to the page: `{"t": "tick", "now", "period", "frames": [[track, voice,
first, due, rows, grid], ...], "mix": [[sample, due, rms, peak, spectrum], ...], "state": {...}}`
and `{"t": "pong", "c", "s"}`. From the page: `{"t": "ping", "c"}` (clock sync) and
`{"t": "lag", "v": [ms, ...]}` (display lag reports: frame due → drawn).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from unravel_lang.addresses import DEFAULT_HOST
from unravel_lang.errors import UnravelError
from unravel_lang.live.view_meter import latent_rows, meter_frames

PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/view.css": ("view.css", "text/css; charset=utf-8"),
    "/view.js": ("view.js", "text/javascript; charset=utf-8"),
    "/colormap.js": ("colormap.js", "text/javascript; charset=utf-8"),
}
"""The only paths the server answers with a file (everything the page needs is here)."""

INBOX = 4096
"""Most frame and mix blocks waiting for the server's thread (the oldest drop beyond)."""

KEEPALIVE = 0.5
"""Seconds after which a tick message is sent even when nothing new is there."""


def websockets_module() -> Any:
    """The `websockets` package, or an `UnravelError` naming the extra to install."""
    try:
        import websockets  # noqa: F401
        from websockets.asyncio import server
    except ImportError:
        raise UnravelError("the live view needs the websockets package: "
                           "pip install 'unravel-lang[view]'") from None
    return server


def page_file(name: str) -> bytes:
    """The bytes of one file of the page (package data `unravel_lang/live/view_page/`)."""
    return resources.files("unravel_lang.live").joinpath("view_page", name).read_bytes()


@dataclass
class Viewer:
    """One connected page: its connection, the messages it missed, its lag reports (ms)."""

    ws: Any
    id: int
    sent: int = 0
    dropped: int = 0
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))


class ViewServer:
    """Serves the view page at `url` and streams what the feeds push to every viewer.

    `clock(sample)` gives the `time.monotonic()` second at which engine sample `sample` is
    heard (None while unknown: those frames wait); `period` is the seconds of one latent frame
    and `ratio` the samples per frame. `state` (a dict, replaced or updated by feeds from the
    server's thread through `hooks`) goes to the page with every message.
    """

    def __init__(self, host: str = DEFAULT_HOST, port: int = 0, tick: float = 0.025,
                 max_buffer: int = 256 * 1024) -> None:
        self.host = host
        self.port = int(port)
        self.tick = float(tick)
        self.max_buffer = int(max_buffer)
        self.clock: Callable[[float], float | None] = lambda sample: None
        self.sr = 44100
        self.ratio = 2048
        self.state: dict[str, Any] = {}
        self.hooks: list[Callable[[], None]] = []
        self.viewers: dict[int, Viewer] = {}
        self.lags: deque[float] = deque(maxlen=100_000)
        self.errors: deque[str] = deque(maxlen=32)
        self._inbox: deque[tuple] = deque(maxlen=INBOX)
        self._waiting: deque[tuple] = deque(maxlen=INBOX)  # frames whose due time is unknown
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._next_id = 0
        self._last_sent = 0.0

    # ---- feeding (any thread, never blocks) ------------------------------------------------

    def feed_frames(self, track: str, voice: int, first: int, latent: np.ndarray,
                    grid: tuple[int, int, int]) -> None:
        """Frames `latent` `(n, dims)` (NaN where silent) of voice `voice` of `track` from engine
        frame `first`, on the beat grid `grid` = (origin frame, k, beats per bar)."""
        self._inbox.append(("f", track, int(voice), int(first), latent, grid))

    def feed_mix(self, sample: int, audio: np.ndarray) -> None:
        """Mixed output audio `(channels, n)` from engine sample `sample` (for the meter)."""
        self._inbox.append(("m", int(sample), audio))

    def set_timing(self, sr: int, ratio: int, clock: Callable[[float], float | None]) -> None:
        """The model's rate and ratio, and the function from engine samples to heard time."""
        self.sr, self.ratio, self.clock = int(sr), int(ratio), clock

    # ---- the server's thread -------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> str:
        """Listen and serve in a thread of its own; returns the page's URL. An `UnravelError`
        when the address cannot be used or websockets is missing."""
        websockets_module()
        if self._thread is not None:
            return self.url
        self._thread = threading.Thread(target=self._run, name="unravel-view", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._failure is not None:
            self._thread = None
            raise UnravelError(f"the view cannot listen on {self.host}:{self.port}: "
                               f"{self._failure}") from None
        return self.url

    def close(self) -> None:
        """Close every viewer and stop serving."""
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and thread is not None:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop has already ended
                pass
            thread.join(5)
        self._thread = None

    def __enter__(self) -> ViewServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._failure = exc
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        serve = websockets_module().serve
        self._stop = asyncio.Event()
        async with serve(self._viewer, self.host, self.port, process_request=self._http,
                         max_size=64 * 1024, ping_interval=5, ping_timeout=30, compression=None,
                         write_limit=32 * 1024) as server:
            self.port = int(next(iter(server.sockets)).getsockname()[1])
            self._ready.set()
            ticker = asyncio.ensure_future(self._ticks())
            await self._stop.wait()
            ticker.cancel()
            for viewer in list(self.viewers.values()):
                viewer.ws.transport.abort()

    def _http(self, connection: Any, request: Any) -> Any:
        """Answer plain HTTP requests with the page's files; `/ws` goes on to the WebSocket,
        for a page served from here (or a client that sends no Origin, e.g. a script)."""
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        path = request.path.split("?", 1)[0]
        if path == "/ws":
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"http://{request.headers.get('Host')}":
                return connection.respond(403, "only the view's own page may connect\n")
            return None
        entry = PAGE_FILES.get(path)
        if entry is None:
            return connection.respond(404, "not found\n")
        body = page_file(entry[0])
        headers = Headers([("Content-Type", entry[1]), ("Content-Length", str(len(body))),
                           ("Cache-Control", "no-store"), ("Connection", "close"),
                           ("X-Content-Type-Options", "nosniff")])
        return Response(200, "OK", headers, body)

    async def _viewer(self, ws: Any) -> None:
        self._next_id += 1
        viewer = Viewer(ws, self._next_id)
        self.viewers[viewer.id] = viewer
        try:
            await ws.send(json.dumps(self._message([], [], time.monotonic())))
            async for message in ws:
                self._from_page(viewer, message)
        except Exception:  # noqa: BLE001, S110 - a viewer that goes away ends only itself
            pass
        finally:
            self.viewers.pop(viewer.id, None)

    def _from_page(self, viewer: Viewer, message: Any) -> None:
        """Handle one message of a page: clock pings and lag reports; anything else is ignored."""
        try:
            data = json.loads(message)
            kind = data.get("t")
            if kind == "ping":
                reply = json.dumps({"t": "pong", "c": float(data["c"]), "s": time.monotonic()})
                self._send(viewer, reply)
            elif kind == "lag":
                values = [float(v) for v in data["v"][:1000]]
                viewer.lags.extend(values)
                self.lags.extend(values)
        except (ValueError, TypeError, KeyError, AttributeError):
            return

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            try:
                self._tick()
            except Exception as exc:  # noqa: BLE001 - the view never stops on a bad block
                self.errors.append(f"view: {exc!r}")

    def _tick(self) -> None:
        frames, mix = self._drain()
        for hook in list(self.hooks):  # after the drain: the state covers what was drained
            hook()
        now = time.monotonic()
        if not frames and not mix and now - self._last_sent < KEEPALIVE:
            return
        self._last_sent = now
        if not self.viewers:
            return
        text = json.dumps(self._message(frames, mix, now))
        for viewer in list(self.viewers.values()):
            self._send(viewer, text)

    def _send(self, viewer: Viewer, text: str) -> None:
        """Write `text` to one viewer at once, or drop it when its connection is behind."""
        from websockets.asyncio.connection import broadcast

        ws = viewer.ws
        transport = getattr(ws, "transport", None)
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > self.max_buffer:
            viewer.dropped += 1
            return
        broadcast([ws], text)
        viewer.sent += 1

    def _drain(self) -> tuple[list, list]:
        """Frames and mix blocks from the inbox, with their due times (JSON-ready lists)."""
        frames: list = []
        mix: list = []
        pending = list(self._waiting)
        self._waiting.clear()
        inbox = self._inbox
        while inbox:
            pending.append(inbox.popleft())
        for item in pending:
            sample = item[3] * self.ratio if item[0] == "f" else item[1]
            due = self.clock(sample)
            if due is None:
                self._waiting.append(item)
                continue
            if item[0] == "f":
                _, track, voice, first, latent, grid = item
                frames.append([track, voice, first, round(due, 5), latent_rows(latent),
                               list(grid)])
            else:
                _, sample, audio = item
                period = self.ratio / self.sr
                for i, (rms, peak, spec) in enumerate(meter_frames(audio, self.ratio, self.sr)):
                    mix.append([sample + i * self.ratio, round(due + i * period, 5), rms, peak,
                                spec])
        return frames, mix

    def _message(self, frames: list, mix: list, now: float) -> dict[str, Any]:
        state = dict(self.state)
        state["viewers"] = len(self.viewers)
        return {"t": "tick", "now": now, "period": self.ratio / self.sr, "frames": frames,
                "mix": mix, "state": state}

    def wait_for_viewer(self, timeout: float) -> bool:
        """Wait until a viewer is connected (True) or `timeout` seconds have passed (False)."""
        deadline = time.monotonic() + timeout
        while not self.viewers:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    # ---- what tests and benchmarks ask --------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Viewers (sent, dropped, lag reports) and all lag reports so far (ms)."""
        return {"viewers": {v.id: {"sent": v.sent, "dropped": v.dropped, "lags": len(v.lags)}
                            for v in list(self.viewers.values())},
                "lags": list(self.lags)}

"""`unravel watch`: re-evaluate a score file whenever it is saved, while the music plays.

The file is polled (modification time and size every tick, a SHA-256 of the content when
they change), so any editor becomes the live-coding editor and nothing new is installed.
Each save evaluates the whole score in a fresh session on the same model and seed; only
when that succeeds does the stage change: tracks whose plan changed are swapped on their
next loop boundary, new tracks start, tracks no longer in the score stop. An error is
printed with its caret and changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unravel_lang.errors import UnravelError
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session
from unravel_lang.live.control import ReplControl
from unravel_lang.live.options import LiveOptions
from unravel_lang.live.server import OscServer
from unravel_lang.live.stage import Stage, close_playback, open_playback
from unravel_lang.paths import regular_file


@dataclass(frozen=True)
class FileStamp:
    """What the poller compares: modification time (ns) and size (bytes)."""

    mtime_ns: int
    size: int


def stamp(path: Path) -> FileStamp | None:
    """The file's `FileStamp`, or None while it does not exist (e.g. mid-save)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileStamp(st.st_mtime_ns, st.st_size)


def digest(data: bytes) -> str:
    """SHA-256 of `data` as hex."""
    return hashlib.sha256(data).hexdigest()


class ScoreWatcher:
    """Evaluates the score at `path` into `stage` each time its content changes.

    `open_session(recorder, write)` makes a fresh session whose performer is `recorder` and
    whose output goes to `write`, which receives every line of output.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        open_session: Callable[[Recorder, Callable[[str], None]], Session],
        stage: Stage,
        write: Callable[[str], None],
    ) -> None:
        self.path = Path(path)
        self.open_session = open_session
        self.stage = stage
        self.write = write
        self._stamp: FileStamp | None = None
        self._digest: str | None = None
        self._pending: FileStamp | None = None
        self.evaluations = 0
        self.failures = 0
        self.lock = threading.RLock()  # a save and a request from OSC in, one at a time
        self.session: Session | None = None  # of the latest evaluation that succeeded
        self.recorder: Recorder | None = None

    def poll(self) -> bool:
        """Look at the file once; evaluate it when its content changed and its stamp held
        since the previous poll. True if evaluated."""
        now = stamp(self.path)
        if now is None or now == self._stamp:
            return False
        if now != self._pending:
            # Wait until the stamp holds for one poll: an editor may still be writing.
            self._pending = now
            return False
        try:
            data = self.path.read_bytes()
        except OSError:
            return False
        self._stamp = now
        content = digest(data)
        if content == self._digest:
            return False
        self._digest = content
        self.evaluate(data.decode("utf-8", errors="replace"))
        return True

    def evaluate(self, source: str) -> bool:
        """Evaluate the whole score `source`; on success make the stage match it."""
        with self.lock:
            return self._evaluate(source)

    def _evaluate(self, source: str) -> bool:
        self.evaluations += 1
        recorder = Recorder()
        messages: list[str] = []
        try:
            session = self.open_session(recorder, messages.append)
            session.run(source, str(self.path))
        except Exception as err:
            # What ran before the error may have said something (e.g. a file it wrote).
            for message in messages:
                self.write(message)
            self.failures += 1
            if isinstance(err, UnravelError):
                self.write(str(err))
            else:  # a fault in the product must not stop the music
                self.write(f"internal error ({type(err).__name__}: {err})")
            playing = ", ".join(self.stage.tracks) or "nothing"
            self.write(f"{self.path.name}: not changed; still playing: {playing}")
            return False
        for message in messages:
            self.write(message)
        sources = recorder.sources  # the line of code of each track (the live view)
        calls = recorder.take()
        k = session.k
        if k and not any(method == "set_tempo" for method, _ in calls):
            calls.insert(0, ("set_tempo", (k, False)))  # the default: does not lead Link
        if not any(method == "set_quantum" for method, _ in calls):
            calls.insert(0, ("set_quantum", (session.quantum,)))
        try:
            changes = self.stage.sync(calls)
            self.stage.sources.update(sources)
        except UnravelError as err:
            self.failures += 1
            self.write(str(err))
            return False
        for line in self.stage.take_notes():
            self.write(line)
        self.write(f"{self.path.name}: evaluated ({', '.join(changes) or 'nothing changed'})")
        self.session, self.recorder = session, recorder
        return True

    def control(self):
        """A `ReplControl` over the latest good evaluation's session (a fresh one before
        any): code sent in runs there, on top of the score, until the next save."""
        from unravel_lang.repl.app import Repl

        if self.session is None:
            self.recorder = Recorder()
            self.session = self.open_session(self.recorder, self.write)
        repl = Repl(self.session, self.recorder, self.stage, self.write)
        repl.lock = self.lock
        return ReplControl(repl)

    def run(self, interval: float = 0.2, until: Callable[[], bool] = lambda: False) -> None:
        """Poll every `interval` seconds until `until()` is true (or Ctrl-C, which propagates)."""
        while not until():
            self.poll()
            self.report_engine()
            time.sleep(interval)

    def report_engine(self) -> None:
        """Print the engine's notices (falling behind, a model decoding one voice at a time)."""
        performer = self.stage.performer
        for message in performer.take_notes() if performer is not None else ():
            self.write(f"playback: {message}")


class WatchControl:
    """OSC in for `unravel watch`: each request runs through `watcher.control()`."""

    def __init__(self, watcher: ScoreWatcher) -> None:
        self.watcher = watcher

    def _run(self, method: str, *args) -> tuple[bool, str]:
        with self.watcher.lock:
            return getattr(self.watcher.control(), method)(*args)

    def eval(self, code: str, origin: str = "") -> tuple[bool, str]:
        return self._run("eval", code, origin)

    def set(self, name: str, value: float, origin: str = "") -> tuple[bool, str]:
        return self._run("set", name, value, origin)

    def hush(self, origin: str = "") -> tuple[bool, str]:
        return self._run("hush", origin)

    def stop(self, name: str, origin: str = "") -> tuple[bool, str]:
        return self._run("stop", name, origin)


def serve_watcher(watcher: ScoreWatcher, host: str, port: int):
    """An `OscServer` on `host:port` driving `watcher`."""
    return OscServer(WatchControl(watcher), host, port, write=watcher.write)


def watch(
    path: str | os.PathLike,
    options: LiveOptions | None = None,
    interval: float = 0.2,
    write: Callable[[str], None] | None = None,
) -> int:
    """Watch the score at `path`, polling every `interval` seconds, until Ctrl-C; returns
    the exit code (0 after Ctrl-C). `options` (`LiveOptions`; None: the defaults): with
    `listen` (a port), code and controls sent over OSC (`unravel send`) run in the latest
    evaluation's session; `view`: an address to serve the live view page at ("" for
    127.0.0.1 and a free port); `link`: join the Ableton Link session first (as a `link`
    statement does). The score and the code sent write into `out_dir` (default: the score's
    folder) and the `allow_write` folders."""
    options = options or LiveOptions()
    seed, out_dir = options.seed, options.out_dir
    write = write or (lambda line: print(line, flush=True))

    path = regular_file(path, UnravelError, "a score file",
                        missing=f"{path}: no such score file")
    first = Session(model=options.model, seed=seed or 0, output=None, device=options.device)
    loaded = first.model

    def open_session(recorder: Recorder, output: Callable[[str], None]) -> Session:
        return Session(
            model=loaded, performer=recorder, seed=seed or 0, output=output,
            base_dir=path.resolve().parent, device=options.device,
            out_dir=Path(out_dir).expanduser() if out_dir else path.resolve().parent,
            allow_write=options.allow_write,
        )

    performer, note = open_playback(loaded, first.k, seed)
    if note:
        write(note)
    stage = Stage(
        performer, k=first.k, model=loaded, quantum=first.quantum, seed=seed or 0,
        reopen=lambda m: open_playback(m, stage.k, seed, stage.quantum)[0],
        write=write,
    )
    watcher = ScoreWatcher(path, open_session, stage, write)
    if options.link:
        try:
            stage.link(True)
        except UnravelError:
            close_playback(stage.performer)
            raise
        for line in stage.take_notes():
            write(line)
    server = None
    try:
        if options.listen is not None:
            server = serve_watcher(watcher, options.listen_host, options.listen)
            write(f"listening for OSC and `unravel send` on {server.address}")
        if options.view is not None:
            stage.view(options.view)
        write(f"watching {path} (save it to re-evaluate; Ctrl-C stops)")
        watcher.run(interval)
    except KeyboardInterrupt:
        stage.hush()
        write("stopped")
    finally:
        stage.close_view()
        if server is not None:
            server.close()
        stage.set_osc(None)
        close_playback(stage.performer)
    return 0

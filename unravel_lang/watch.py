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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from unravel_lang.errors import UnravelError
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session
from unravel_lang.repl_perform import Stage, close_playback, open_playback


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
        calls = recorder.take()
        k = session.k
        if k and not any(method == "set_tempo" for method, _ in calls):
            calls.insert(0, ("set_tempo", (k, False)))  # the default: does not lead Link
        if not any(method == "set_quantum" for method, _ in calls):
            calls.insert(0, ("set_quantum", (session.quantum,)))
        try:
            changes = self.stage.sync(calls)
        except UnravelError as err:
            self.failures += 1
            self.write(str(err))
            return False
        for line in self.stage.take_notes():
            self.write(line)
        self.write(f"{self.path.name}: evaluated ({', '.join(changes) or 'nothing changed'})")
        return True

    def run(self, interval: float = 0.2, until: Callable[[], bool] = lambda: False) -> None:
        """Poll every `interval` seconds until `until()` is true (or Ctrl-C, which propagates)."""
        while not until():
            self.poll()
            time.sleep(interval)


def watch(
    path: str | os.PathLike,
    model: str | None = None,
    seed: int | None = None,
    interval: float = 0.2,
    write: Callable[[str], None] | None = None,
    link: bool = False,
) -> int:
    """Watch the score at `path` until Ctrl-C; returns the exit code (0 after Ctrl-C).
    `link`: join the Ableton Link session first (as a `link` statement does)."""
    write = write or (lambda line: print(line, flush=True))
    path = Path(path)
    if not path.is_file():
        raise UnravelError(f"{path}: no such score file")
    first = Session(model=model, seed=seed or 0, output=None)
    loaded = first.model

    def open_session(recorder: Recorder, output: Callable[[str], None]) -> Session:
        return Session(
            model=loaded, performer=recorder, seed=seed or 0, output=output,
            base_dir=path.resolve().parent,
        )

    performer, note = open_playback(loaded, first.k, seed)
    if note:
        write(note)
    stage = Stage(
        performer, k=first.k, model=loaded, quantum=first.quantum,
        reopen=lambda m: open_playback(m, stage.k, seed, stage.quantum)[0],
    )
    watcher = ScoreWatcher(path, open_session, stage, write)
    if link:
        try:
            stage.link(True)
        except UnravelError:
            close_playback(stage.performer)
            raise
        for line in stage.take_notes():
            write(line)
    write(f"watching {path} (save it to re-evaluate; Ctrl-C stops)")
    try:
        watcher.run(interval)
    except KeyboardInterrupt:
        stage.hush()
        write("stopped")
    finally:
        close_playback(stage.performer)
    return 0

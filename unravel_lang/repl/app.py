"""The interactive REPL: a prompt_toolkit shell over a language `Session` and the live engine.

Every statement of the language works; the REPL adds `tracks`, `help [NAME]`, `load FILE.unr`
and `quit`. An input that fails shows the error with its caret and changes nothing: what the
evaluation asked the engine to do is recorded and only performed once it has succeeded.
Without a terminal (stdin piped) lines are read plainly, so scripts can pipe into it.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from unravel_lang.errors import UnravelError
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.session import Session
from unravel_lang.live.control import ReplControl
from unravel_lang.live.host import LiveHost
from unravel_lang.live.input import DEFAULT_BARS
from unravel_lang.live.options import LiveOptions
from unravel_lang.live.server import OscServer
from unravel_lang.live.stage import Stage, close_playback, open_playback
from unravel_lang.models import DEFAULT_MODEL
from unravel_lang.repl import help as repl_help
from unravel_lang.repl.complete import UnravelCompleter
from unravel_lang.repl.syntax import UnravelLexer, Vocabulary, needs_more
from unravel_lang.tempo import DEFAULT_BEATS, bpm_text, check_bpm

COMMANDS = ("tracks", "help", "load", "quit", "exit")

_TRACKS = re.compile(r"^\s*tracks\s*$")
_HELP = re.compile(r"^\s*help(?:\s+([A-Za-z_][A-Za-z0-9_]*))?\s*$")
_LOAD = re.compile(r"""^\s*load\s+(?:"([^"]+\.unr)"|'([^']+\.unr)'|(\S+\.unr))\s*$""")
_QUIT = re.compile(r"^\s*(quit|exit)\s*$")

BANNER = (
    "unravel — type statements of the language; `help` lists them, `help NAME` explains one.\n"
    "Enter runs a complete statement; Esc Enter runs what is typed; Ctrl-D quits."
)


def history_path() -> Path:
    """Where the REPL keeps its history: $UNRAVEL_HISTORY, else
    $XDG_STATE_HOME/unravel/history, else ~/.local/state/unravel/history."""
    env = os.environ.get("UNRAVEL_HISTORY")
    if env:
        return Path(env).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "unravel" / "history"


class Repl:
    """The REPL's state and its handling of one input, independent of the terminal.

    `session` evaluates statements; its performer must be `recorder`, whose calls `stage`
    performs once an input has succeeded. `write` receives every line of output.
    """

    def __init__(
        self,
        session: Session,
        recorder: Recorder,
        stage: Stage,
        write: Callable[[str], None],
        playback_note: str | None = None,
    ) -> None:
        self.session = session
        self.recorder = recorder
        self.stage = stage
        self.write = write
        self.playback_note = playback_note
        self.errors = 0
        self.lock = threading.RLock()  # one input at a time: the prompt, OSC in, `send`
        self.listening: str | None = None  # "host:port" of OSC in, when it runs
        self.vocab = Vocabulary.of_language(names=session.names, commands=lambda: COMMANDS)

    def handle(self, text: str) -> bool:
        """Run one input (a REPL command or statements of the language); False on error."""
        with self.lock:
            self.report_live()
            if not text.strip():
                return True
            return self._handle(text)

    def _handle(self, text: str) -> bool:
        try:
            if _TRACKS.match(text):
                self.write(self.tracks_listing())
                return True
            help_match = _HELP.match(text)
            if help_match:
                self.write(self.help(help_match.group(1)))
                return True
            load_match = _LOAD.match(text)
            if load_match:
                return self.load(next(g for g in load_match.groups() if g))
            return self.evaluate(lambda: self.session.run(text, "<repl>"))
        finally:
            self.report_engine_errors()

    def help(self, name: str | None) -> str:
        if name is None:
            return repl_help.overview()
        bound = {n: self.session.summary(self.session[n]) for n in self.session.names()}
        return repl_help.topic(name, bound)

    def load(self, path: str) -> bool:
        """Evaluate the score file at `path` into the session (paths in it are taken from
        the score's folder)."""
        ok = self.evaluate(lambda: self.session.run_file(Path(path).expanduser()))
        if ok:
            self.write(f"loaded {path}")
        return ok

    def evaluate(self, run: Callable[[], Any]) -> bool:
        """Run `run()` (an evaluation in the session); perform its engine calls only when it
        succeeded. On failure the session's bindings, tracks, tempo, seed and model are put
        back."""
        self.recorder.take()
        saved = _snapshot(self.session)
        try:
            value = run()
        except UnravelError as err:
            self._undo(saved)
            self.error(str(err))
            return False
        except KeyboardInterrupt:
            self._undo(saved)
            self.error("interrupted; nothing changed")
            return False
        except Exception as err:  # a fault in the product must not end the performance
            self._undo(saved)
            self.error(f"internal error ({type(err).__name__}: {err}); nothing changed")
            return False
        sources = self.recorder.sources  # the line of code of each track (the live view)
        try:
            self.stage.apply(self.recorder.take())
            self.stage.sources.update(sources)
        except UnravelError as err:
            self.error(str(err))
            return False
        finally:
            for line in self.stage.take_notes():
                self.write(line)
        if value is not None:
            self.write(self.session.summary(value))
        return True

    def _undo(self, saved: tuple) -> None:
        _restore(self.session, saved)
        self.recorder.take()

    def error(self, message: str) -> None:
        self.errors += 1
        self.write(message)

    def report_live(self) -> None:
        """Bind the recordings that are complete and print the live input's news."""
        for line in self.session.collect_live():
            self.write(line)

    def _report_live_later(self) -> None:
        """From the status line (while the screen is drawn): bind what is complete now, print
        the news once drawing is done. Not while an input runs (OSC in): it does it then."""
        if not self.lock.acquire(blocking=False):
            return
        try:
            news = self.session.collect_live()
        finally:
            self.lock.release()
        if not news:
            return
        try:
            from prompt_toolkit.application import get_app_or_none

            app = get_app_or_none()
        except ImportError:  # pragma: no cover - prompt_toolkit ships with unravel
            app = None
        loop = getattr(app, "loop", None)
        if loop is None:
            for line in news:
                self.write(line)
            return
        loop.call_soon(lambda: [self.write(line) for line in news])

    def report_engine_errors(self) -> None:
        """Print what the engine had to stop since the last input (e.g. a model failure), and
        its notices (falling behind, a model that decodes one voice at a time)."""
        for message in self.stage.take_errors():
            self.write(message if message.startswith("osc") else f"playback: {message}")
        performer = self.stage.performer
        for message in performer.take_notes() if performer is not None else ():
            self.write(f"playback: {message}")

    def tracks_listing(self) -> str:
        """One line per running track: name, voices, length in frames and bars."""
        if not self.stage.tracks:
            return "no tracks"
        bar = self.session.k * self.session.beats_per_bar
        lines = []
        for name, plan in self.stage.tracks.items():
            n = len(plan.voices)
            lines.append(
                f"{name}: {n} voice{'s' * (n != 1)}, {plan.frames} frames, "
                f"{plan.frames / bar:.4g} bars at k={self.session.k}"
            )
        if not self.stage.sounding:
            lines.append("(silent: playback unavailable)")
        return "\n".join(lines)

    def status(self) -> str:
        """The status line: model, tempo, quantum, running tracks, playhead."""
        session = self.session
        k, bpm = session.k, session.bpm
        linked = self.stage.linked
        if linked is not None:  # following the session may have moved the grid
            k, bpm = linked.k, session.bpm * session.k / linked.k
        parts = [f"model {model_label(session)}", f"k={k} {bpm_text(bpm)} BPM",
                 f"quantum {session.quantum}"]
        if linked is not None:
            parts.append(linked.status())
        osc = self.stage.osc
        names = [f"{n} [{self.stage.mode(n)}]" if osc is not None or self.stage.mode(n) == "remote"
                 else n for n in self.stage.tracks]
        parts.append("▶ " + ", ".join(names) if names else "no tracks")
        if osc is not None:
            parts.append(f"osc → {osc.target}" + (" (refused)" if osc.refusing else ""))
        if self.listening:
            parts.append(f"listening {self.listening}")
        playhead = self.playhead()
        if playhead is not None:
            parts.append(f"bar {playhead[0]}.{playhead[1]}")
        if not self.stage.sounding:
            parts.append("playback unavailable")
        live = self.session.live
        if live is not None:
            self._report_live_later()
            text = live.status()
            if text:
                parts.append(text)
        state = self.stage.status()
        if state is not None and state.behind:
            parts.append(f"⚠ falling behind (decoding takes {state.load:.0%} of real time)")
        return " │ ".join(parts)

    def playhead(self) -> tuple[int, int] | None:
        """The engine's playhead as (bar, beat), both counted from 1 since the grid's latest
        downbeat (the first sound after silence, or the bar line where a tempo change took
        over); None without playback."""
        position = self.stage.bar_position()
        if position is None:
            return None
        bars = max(0.0, float(position))
        per_bar = self.stage.beats_per_bar or DEFAULT_BEATS
        return int(bars) + 1, min(int((bars % 1.0) * per_bar), per_bar - 1) + 1


def model_label(session: Session) -> str:
    """The model's file name, or `default` for the embedded model."""
    path = getattr(session.model, "path", None)
    if not path or Path(str(path)).resolve() == _default_model_path():
        return "default"
    return Path(str(path)).name


def _default_model_path() -> Path:
    return (Path(__file__).resolve().parents[1] / "models" / DEFAULT_MODEL).resolve()


def _snapshot(session: Session) -> tuple:
    return (
        dict(session.env),
        list(session.tracks),
        session.k,
        session.seed,
        session.draws,
        session.beats_per_bar,
        session.quantum,
        session.model_state(),
        dict(session.definitions),
    )


def _restore(session: Session, saved: tuple) -> None:
    env, tracks, k, seed, draws, beats_per_bar, quantum, model, definitions = saved
    session.definitions = definitions
    session.env.clear()
    session.env.update(env)
    session.tracks[:] = tracks
    session.k, session.seed, session.draws, session.beats_per_bar = k, seed, draws, beats_per_bar
    session.quantum = quantum
    # never `session.model` here: reading it would load a model that just failed to load
    session.restore_model_state(model)


def split_inputs(stream: TextIO) -> Iterator[str]:
    """Complete inputs from a non-interactive stream: lines joined while `needs_more`."""
    buffer: list[str] = []
    for line in stream:
        buffer.append(line.rstrip("\n"))
        text = "\n".join(buffer)
        if needs_more(text):
            continue
        buffer = []
        yield text
    if buffer:
        yield "\n".join(buffer)


def split_blocks(stream: TextIO) -> Iterator[str]:
    """Inputs from a stream as editors paste them: blocks of lines separated by blank lines
    (each block is one input, run as a whole), each yielded when its blank line arrives."""
    buffer: list[str] = []
    for line in stream:
        if line.strip():
            buffer.append(line.rstrip("\r\n"))
        elif buffer:
            yield "\n".join(buffer)
            buffer = []
    if buffer:
        yield "\n".join(buffer)


def run_plain(repl: Repl, stream: TextIO, blocks: bool = False) -> int:
    """Read `stream` to its end, handling each complete input (with `blocks`, each block of
    lines up to a blank line); 1 if any failed, else 0."""
    for text in (split_blocks(stream) if blocks else split_inputs(stream)):
        if _QUIT.match(text):
            break
        repl.handle(text)
    return 1 if repl.errors else 0


def run_interactive(repl: Repl, bpm: float | None = None, link: bool = False) -> int:
    """The prompt_toolkit loop: history, multi-line input, highlighting, completion and
    the status line. Returns 0 when the user quits."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.patch_stdout import patch_stdout
    from prompt_toolkit.styles import Style


    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event) -> None:
        buffer = event.current_buffer
        text = buffer.text
        at_end = buffer.document.is_cursor_at_the_end
        blank_last = text.endswith("\n") and at_end
        if at_end and (not needs_more(text) or blank_last):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _run_now(event) -> None:
        event.current_buffer.validate_and_handle()

    session: PromptSession[str] = PromptSession(
        history=open_history(repl.write),
        lexer=UnravelLexer(repl.vocab),
        completer=UnravelCompleter(repl.vocab),
        complete_while_typing=False,
        multiline=True,
        key_bindings=bindings,
        prompt_continuation=lambda width, line, soft: "." * (width - 1) + " ",
        bottom_toolbar=lambda: " " + repl.status(),
        refresh_interval=0.5,
        style=Style.from_dict(STYLE),
    )
    repl.write(BANNER)
    if repl.playback_note:
        repl.write(repl.playback_note)
    if bpm is not None:
        repl.handle(f"bpm {bpm:g}")
    if link:
        repl.handle("link")
    stop_notes = threading.Event()

    def notes() -> None:  # engine notices as they come, not only after the next input
        while not stop_notes.wait(0.25):
            repl.report_engine_errors()

    with patch_stdout(raw=True):
        threading.Thread(target=notes, name="unravel-notes", daemon=True).start()
        try:
            while True:
                try:
                    text = session.prompt("unravel> ")
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                if _QUIT.match(text):
                    break
                repl.handle(text)
        finally:
            stop_notes.set()
    return 0


def open_history(write: Callable[[str], None]):
    """The history kept in `history_path()`; in memory only (said once) when that file
    cannot be written. A failed write later never ends the session."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    class _FileHistory(FileHistory):
        def store_string(self, string: str) -> None:
            try:
                super().store_string(string)
            except OSError:
                pass

    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as err:
        write(f"history is not saved: cannot write {path} ({err.strerror or err})")
        return InMemoryHistory()
    return _FileHistory(str(path))


STYLE = {
    "comment": "#888888 italic",
    "string": "#5f8700",
    "number": "#0087af",
    "keyword": "#af00af bold",
    "function": "#005fd7",
    "name": "#d75f00",
    "word": "",
    "operator": "#af5f00 bold",
    "bracket": "",
    "other": "#d70000",
    "bottom-toolbar": "noreverse bg:#303030 #e4e4e4",
}


def run_repl(
    options: LiveOptions | None = None,
    *,
    bpm: float | None = None,
    quantum: str = "beat",
    input: str | None = None,
    input_bars: int | None = None,
    plain: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Open the REPL with the `options` of a live session (`LiveOptions`: model, seed,
    device, listen, view, link, writes; None: the defaults; lines write into the current
    directory without `out_dir`) at `bpm`, new tracks starting on the next `quantum` ("beat"
    or "bar") until a `quantum` statement. `input`: a device (name or index) or audio file
    to listen to from the start (and what a bare `listen` opens); `input_bars`: how many
    bars of input are kept (default 16).

    Interactive when stdin and stdout are terminals and not `plain`, else reads plainly (with
    `plain`: blocks separated by blank lines, no terminal control codes). With
    `options.listen` (a port), an OSC server on `options.listen_host` takes code and controls
    from other programs (`unravel send`, controllers). Returns the exit code (0; in plain
    mode 1 when any input failed).
    """
    options = options or LiveOptions()
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout

    def write(text: str) -> None:
        print(text, file=stdout, flush=True)

    recorder = Recorder()
    session = Session(model=options.model, performer=recorder, seed=options.seed or 0,
                      output=write, quantum=quantum, device=options.device,
                      out_dir=options.out_dir, allow_write=options.allow_write)
    loaded = session.model  # loaded now: a bad model file is reported before the prompt
    if bpm is not None:
        check_bpm(bpm, loaded.sr, loaded.ratio, "--bpm")
    performer, note = open_playback(loaded, session.k, session.seed, session.quantum)
    stage = Stage(
        performer, k=session.k, model=loaded, quantum=session.quantum, seed=session.run_seed,
        reopen=lambda m: open_playback(m, stage.k, session.run_seed, stage.quantum)[0],
        write=write,
    )
    repl = Repl(session, recorder, stage, write, playback_note=note)
    session.live = _live_host(session, stage, input, input_bars)
    server = None
    try:
        if options.listen is not None:
            server = start_listening(repl, options.listen_host, options.listen)
            write(f"listening for OSC and `unravel send` on {server.address}")
        if options.view is not None:
            stage.view(options.view)
        if stdin.isatty() and stdout.isatty() and not plain:
            return run_interactive(repl, bpm, options.link)
        if note:
            write(note)
        if bpm is not None:
            repl.handle(f"bpm {bpm:g}")
        if options.link:
            repl.handle("link")
        return run_plain(repl, stdin, blocks=plain)
    finally:
        stage.close_view()
        if server is not None:
            server.close()
        session.live.close()
        stage.set_osc(None)
        close_playback(stage.performer)


def start_listening(repl: Repl, host: str, port: int):
    """Serve `repl` over OSC on `host:port` (`live.server.OscServer`); the REPL's status line
    says so."""

    server = OscServer(ReplControl(repl), host, port, write=repl.write)
    repl.listening = server.address
    return server


def _live_host(session: Session, stage: Stage, source: str | None, bars: int | None):
    """The session's live input host; listening at once when `source` is given (a failure
    to open it is one line, the REPL works without it)."""

    host = LiveHost(session, lambda: stage.performer, default=source,
                    bars=DEFAULT_BARS if bars is None else int(bars))
    if source is not None:
        try:
            session.output(host.listen())
        except UnravelError as err:
            session.output(str(err))
    return host

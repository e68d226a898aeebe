"""The state a program runs in: bindings, model, tempo, seed and the performer it plays to."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from unravel_lang.errors import UnravelError
from unravel_lang.lang import ast
from unravel_lang.lang.checker import Scope, check_program, kind_of_value
from unravel_lang.lang.context import Grid
from unravel_lang.lang.describe import describe, summary
from unravel_lang.lang.errors import LanguageError
from unravel_lang.lang.evaluator import Evaluator
from unravel_lang.lang.functions import function_names
from unravel_lang.lang.parser import parse
from unravel_lang.lang.recorder import Recorder
from unravel_lang.lang.statements import execute
from unravel_lang.lang.words import KEYWORDS
from unravel_lang.models import DEFAULT_RATIO, DEFAULT_SR
from unravel_lang.performer import Performer
from unravel_lang.plan import Plan, as_plan
from unravel_lang.seeds import call_seed
from unravel_lang.tempo import DEFAULT_BEATS, DEFAULT_K, check_beats, check_k, check_quantum
from unravel_lang.writes import confine


class Session:
    """Runs unravel source, keeping bindings, model, tempo and seed between runs.

    `model`: a loaded model, a path to a `.ts` file, or None for the embedded default (loaded
    when first needed). `quantum`: where new tracks start, "beat" or "bar", until a `quantum`
    statement changes it. `performer`: where `play`, `track`, `stop`, `hush` and tempo changes
    go (a `Performer`; by default a `Recorder` of the calls). `output`: called with
    each line the session prints (`bpm` snaps, `show`, exports). `base_dir`: relative paths
    the source reads (encode, load, model) are taken from here; `out_dir`: the output
    folder: relative paths it writes (export, plot) go here (both default to the current
    directory). Writes stay inside the output folder or one of the `allow_write` folders: a
    path that leads elsewhere (`..`, an absolute path, a symlink out) is refused
    (`WriteRefused`). `dry_run`: exports and plots are checked but not written. `device`:
    where models run ("cpu", "cuda"), unless a `model ... on "DEVICE"` statement says
    otherwise.
    """

    def __init__(
        self,
        model: Any = None,
        performer: Performer | None = None,
        seed: int = 0,
        k: int = DEFAULT_K,
        beats_per_bar: int = DEFAULT_BEATS,
        output: Callable[[str], None] | None = print,
        base_dir: str | os.PathLike | None = None,
        dry_run: bool = False,
        out_dir: str | os.PathLike | None = None,
        quantum: str = "beat",
        allow_write: Iterable[str | os.PathLike] = (),
        device: str = "cpu",
    ) -> None:
        self.env: dict[str, Any] = {}
        self.device = device
        self._model_device = device
        self._model_spec = model
        self._model = None if model is None or isinstance(model, (str, os.PathLike)) else model
        if performer is not None and not isinstance(performer, Performer):
            raise TypeError("performer: expected an unravel_lang.performer.Performer (every "
                            f"method has a no-op default), got {type(performer).__name__}")
        self.performer: Performer = performer if performer is not None else Recorder()
        self.seed = int(seed)
        self.run_seed = int(seed)  # decoding: what plays and what exports (`seed` keeps it)
        self.draws = 0
        self.k = check_k(k)
        self.beats_per_bar = check_beats(beats_per_bar)
        self.quantum = check_quantum(quantum)
        self.output = output or (lambda line: None)
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.dry_run = dry_run
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.allow_write = tuple(Path(os.path.expanduser(str(d))) for d in allow_write)
        self.tracks: list[str] = []
        self.written: list[Path] = []
        self.live: Any = None  # a live.host.LiveHost where a live input can be opened
        # the statement that last set each track, with its program (re-run by /unravel/set)
        self.definitions: dict[str, tuple[ast.Program, ast.Track]] = {}

    # ---- model, paths, tempo, seeds ---------------------------------------------------------

    @property
    def model(self):
        """The model (loaded on first use)."""
        if self._model is None:
            from unravel_lang.model import load_model

            spec = self._model_spec
            self._model = load_model(None if spec is None else self.resolve(spec),
                                     device=self._model_device)
        return self._model

    def set_model(self, model: Any, device: str | None = None) -> None:
        """Use `model` (a loaded model, a path, or None for the default) from now on, on
        `device` ("cpu", "cuda"; None: the session's `device`)."""
        self._model_device = self.device if device is None else device
        self._model_spec = model
        self._model = None if model is None or isinstance(model, (str, os.PathLike)) else model
        self.performer.set_model(self.model)

    def model_state(self) -> tuple[Any, Any]:
        """What `restore_model_state` puts back: the model as given and as loaded (None
        while not loaded yet). Taking it loads nothing."""
        return self._model_spec, self._model

    def restore_model_state(self, state: tuple[Any, Any]) -> None:
        """Put back the model of `model_state()` without loading anything and without telling
        the performer (the REPL undoing a failed input: nothing reached the engine)."""
        self._model_spec, self._model = state

    def resolve(self, path: str | os.PathLike) -> Path:
        """A path to read: `~` expanded, relative to `base_dir` when it is relative."""
        p = Path(os.path.expanduser(str(path)))
        if not p.is_absolute() and self.base_dir is not None:
            p = self.base_dir / p
        return p

    def output_folder(self) -> Path:
        """Where relative paths to write go: `out_dir`, else the current directory."""
        return self.out_dir if self.out_dir is not None else Path.cwd()

    def output_path(self, path: str | os.PathLike) -> Path:
        """A path to write: `~` expanded, relative to the output folder when it is relative;
        `WriteRefused` when it leads outside the output folder and the `allow_write`
        folders (see `writes.confine`)."""
        return confine(path, self.output_folder(), self.allow_write)

    @property
    def latent_rate(self) -> float:
        """The model's latent frames per second (the embedded model's without loading it)."""
        if self._model is None and self._model_spec is None:
            return DEFAULT_SR / DEFAULT_RATIO
        return float(self.model.sr) / float(self.model.ratio)

    @property
    def grid(self) -> Grid:
        """The tempo grid now: k, beats per bar and the latent rate (asked only when needed,
        so a grid in bars and beats loads no model)."""
        return Grid(self.k, self.beats_per_bar, lambda: self.latent_rate)

    @property
    def bpm(self) -> float:
        """The tempo in BPM: 60 * latent_rate / k."""
        return self.grid.bpm

    def next_seed(self) -> int:
        """The seed of the next seeded call: `seeds.call_seed(seed, n)`, n counting calls
        since the last `seed` statement."""
        value = call_seed(self.seed, self.draws)
        self.draws += 1
        return value

    def set_seed(self, seed: int) -> None:
        """`seed N`: set the seed and restart the count of seeded calls."""
        self.seed = int(seed)
        self.draws = 0

    def set_k(self, k: int) -> None:
        """`k N`, `bpm N`: N frames per beat (1 to `tempo.MAX_K`); the performer is told
        (`set_tempo`)."""
        self.k = check_k(k)
        self.performer.set_tempo(self.k)

    def set_beats_per_bar(self, beats: int) -> None:
        """`beats N`: N beats per bar (1 to `tempo.MAX_BEATS`); the performer is told
        (`set_beats_per_bar`)."""
        self.beats_per_bar = check_beats(beats)
        self.performer.set_beats_per_bar(self.beats_per_bar)

    def set_quantum(self, quantum: str) -> None:
        """`quantum beat|bar`: new tracks and plays start on the next beat or bar line; a
        performer is told (`set_quantum`)."""
        self.quantum = check_quantum(quantum)
        self.performer.set_quantum(self.quantum)

    def set_osc(self, target: str | None) -> None:
        """`osc "host:port"` / `osc off`: send latent frames there, or stop; the performer is
        told (file renders ignore it)."""
        self.performer.set_osc(target)

    def set_osc_lead(self, ms: float) -> None:
        """`osc lead MS`: send each frame MS milliseconds before it is due."""
        self.performer.set_osc_lead(float(ms))

    def set_decode(self, track: str, mode: str) -> None:
        """`osc NAME local|remote|both`: where track NAME is decoded."""
        self.performer.set_decode(track, mode)

    # ---- the live input -----------------------------------------------------------------

    def live_input_host(self) -> Any:
        """Where `listen`, `record` and `monitor` go; `UnravelError` outside a live session."""
        if self.live is None:
            raise UnravelError("a live input needs a live session: `listen`, `record` and "
                               "`monitor` work in the REPL (`unravel repl`)")
        return self.live

    def input_bars(self) -> np.ndarray:
        """`input`: the whole bars the live input holds, cut at bar lines `(frames, dims)`."""
        if self.live is None:
            raise UnravelError("`input` is the live input: type `listen` first (in the REPL)")
        return self.live.whole_bars()

    def collect_live(self) -> list[str]:
        """Bind the recordings that are complete; returns the live input's news, one line
        each (recordings done or dropped, an input that stopped)."""
        if self.live is None:
            return []
        lines = []
        for name, latent in self.live.take_completed():
            self.env[name] = latent
        lines.extend(self.live.take_messages())
        return lines

    # ---- running source -------------------------------------------------------------------

    def scope(self) -> Scope:
        """What the compile-time check knows before a new program: bindings and tracks."""
        recording = set(self.live.recording_names()) if self.live is not None else set()
        return Scope({n: kind_of_value(v) for n, v in self.env.items()}, set(self.tracks),
                     recording - set(self.env))

    def check(self, source: str, file: str = "<input>") -> ast.Program:
        """`source` parsed (`parser.parse`) and checked against this session's bindings and
        tracks (`checker.check_program`), running nothing; `LanguageError` at the first
        mistake."""
        program = parse(source, file)
        check_program(program, self.scope())
        return program

    def run(self, source: str, file: str = "<input>") -> Any:
        """Parse and check all of `source`, then run it statement by statement.

        Returns the value of the last statement when it is a bare expression, else None. A
        syntax or name error runs nothing; an error while running stops there (what ran
        before it stays: bindings, tracks).
        """
        program = self.check(source, file)
        return self.execute(program)

    def run_file(self, path: str | os.PathLike) -> Any:
        """Run a score file; the relative paths it reads are taken from the score's folder."""
        p = Path(path)
        try:
            source = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UnravelError(f"cannot read score {p}: {err}") from None
        old = self.base_dir
        self.base_dir = p.resolve().parent
        try:
            return self.run(source, str(path))
        finally:
            self.base_dir = old

    def eval(self, source: str) -> Any:
        """The value of one expression, e.g. `session.eval("fibo(a)")`."""
        program = self.check(source)
        if len(program.statements) != 1 or not isinstance(program.statements[0], ast.ExprStmt):
            raise LanguageError("expected one expression", 1, 1, source)
        return self.execute(program)

    def execute(self, program: ast.Program) -> Any:
        """Run the statements of a checked program."""
        result = None
        ev = Evaluator(self, program)
        for stmt in program.statements:
            result = execute(self, ev, stmt)
        return result

    # ---- what the REPL and tools ask ------------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        return self.env[name]

    def names(self) -> list[str]:
        """Bound names, sorted."""
        return sorted(self.env)

    @staticmethod
    def functions() -> list[str]:
        """Function names of the language."""
        return function_names()

    @staticmethod
    def keywords() -> tuple[str, ...]:
        """Statement words of the grammar."""
        return KEYWORDS

    def to_plan(self, value: Any, what: str = "play") -> Plan:
        """`value` as a plan: a latent array becomes a one-voice plan."""
        plan = as_plan(value)
        if plan is None:
            raise UnravelError(f"{what} needs a latent array or a plan")
        return plan

    def describe(self, value: Any) -> str:
        """A few lines about a value: shape, duration, bars and a per-dim summary."""
        return describe(self.grid, value)

    def summary(self, value: Any) -> str:
        """One line about a value: shape, seconds and bars."""
        return summary(self.grid, value)




def evaluate(
    source: str,
    env: dict[str, Any] | None = None,
    model: Any = None,
    seed: int = 0,
    performer: Performer | None = None,
    out_dir: str | os.PathLike | None = None,
    allow_write: Iterable[str | os.PathLike] = (),
) -> Any:
    """Run unravel `source` and return the value of its last statement if it is an expression.

    `env`: bindings the source can use; it is updated in place with the source's bindings
    (arrays are numpy `(frames, dims)` float32), also those made before an error. `model`: a
    loaded model or a path (default: the embedded model, loaded only when needed).
    `out_dir` and `allow_write`: where it may write, as for `Session`.
    """
    session = Session(model=model, performer=performer, seed=seed, output=None,
                      out_dir=out_dir, allow_write=allow_write)
    if env is not None:
        session.env.update(env)
    try:
        return session.run(source)
    finally:
        if env is not None:
            env.update(session.env)

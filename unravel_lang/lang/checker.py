"""The check before anything runs: every name, function, keyword and literal is resolved.

`check_program` walks the statements in order with the names bound so far (a binding made on
line 3 is known from line 4 on) and raises `LanguageError` at the first mistake, with a
"did you mean" suggestion for misspelt names. It also infers what each expression gives
(latent array, plan, stats, number, ...) where it can, so that e.g. `fibo(3)` is refused
before the score starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from unravel_lang.addresses import parse_address, parse_target
from unravel_lang.errors import UnravelError
from unravel_lang.lang import ast
from unravel_lang.lang.errors import LanguageError, suggest
from unravel_lang.lang.functions import (
    ANY,
    ARRAY,
    BOOL,
    LIST,
    NUMBER,
    PLAN,
    RATIO,
    STATS,
    STRING,
    Function,
    functions,
)
from unravel_lang.lang.walk import fold
from unravel_lang.lang.words import CONSTANTS, INPUT, QUANTA
from unravel_lang.performer import DECODE_MODES
from unravel_lang.plan import Plan
from unravel_lang.stats import Stats
from unravel_lang.tempo import MAX_BEATS, MAX_K

MAX_LEAD_MS = 250
"""`osc lead` at most: frames reach the sender about 370 ms (8 frames) ahead of the sound."""

EXPORT_TYPES = (".latent.wav", ".wav", ".npy", ".json")

_SOUNDING = (ARRAY, PLAN, ANY)


@dataclass
class Scope:
    """What the check knows: bound names (with their kinds) and running track names."""

    names: dict[str, str] = field(default_factory=dict)
    tracks: set[str] = field(default_factory=set)
    recording: set[str] = field(default_factory=set)  # `record` names not bound yet


def kind_of_value(value: object) -> str:
    """The kind of a runtime value (for names bound before this check)."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float, np.integer, np.floating)):
        return NUMBER
    if isinstance(value, np.ndarray):
        return ARRAY if value.ndim == 2 else LIST
    if isinstance(value, Plan):
        return PLAN
    if isinstance(value, Stats):
        return STATS
    if isinstance(value, str):
        return STRING
    if isinstance(value, tuple) and len(value) == 2:
        return RATIO
    if isinstance(value, list):
        return LIST
    return ANY


class Checker:
    """Checks a program against a scope; `check` raises `LanguageError` at the first mistake."""

    def __init__(self, program: ast.Program, scope: Scope) -> None:
        self.program = program
        self.scope = Scope(dict(scope.names), set(scope.tracks), set(scope.recording))
        self.table = functions()

    def error(self, message: str, node: ast.Node) -> LanguageError:
        return LanguageError(message, node.line, node.col, self.program.source, self.program.file)

    def check(self) -> Scope:
        for stmt in self.program.statements:
            self.statement(stmt)
        return self.scope

    # ---- statements ---------------------------------------------------------------------

    def statement(self, stmt: ast.Statement) -> None:
        if isinstance(stmt, ast.Assign):
            self._bindable(stmt.name, stmt)
            self.scope.names[stmt.name] = self.expr(stmt.value)
            self.scope.recording.discard(stmt.name)
        elif isinstance(stmt, ast.Track):
            self._sounding(self.expr(stmt.value), stmt.value, "track")
            self.scope.tracks.add(stmt.name)
        elif isinstance(stmt, ast.Play):
            self._sounding(self.expr(stmt.value), stmt.value, "play")
        elif isinstance(stmt, ast.Stop):
            if stmt.name not in self.scope.tracks:
                hint = suggest(stmt.name, self.scope.tracks)
                playing = ", ".join(sorted(self.scope.tracks)) or "none"
                raise self.error(f"no track named `{stmt.name}`{hint}; tracks: {playing}", stmt)
            self.scope.tracks.discard(stmt.name)
        elif isinstance(stmt, ast.Hush):
            self.scope.tracks.clear()
        elif isinstance(stmt, ast.Export):
            kind = self.expr(stmt.value)
            self._export_type(stmt.path, kind, stmt.value)
        elif isinstance(stmt, ast.Plot):
            self.expr(stmt.value)
            if not stmt.path.value.lower().endswith(".png"):
                raise self.error("plot writes a PNG picture: give a file name ending in .png",
                                 stmt.path)
        elif isinstance(stmt, (ast.Show, ast.ExprStmt)):
            self.expr(stmt.value)
        elif isinstance(stmt, ast.Wait):
            kind = self.expr(stmt.value)
            if kind not in (NUMBER, ANY):
                raise self.error(f"wait needs a length (e.g. `2bars`), got a {kind}", stmt.value)
        elif isinstance(stmt, ast.Bpm):
            self._positive(stmt.value, "bpm", whole=False)
        elif isinstance(stmt, ast.SetK):
            v = stmt.value.value
            if not isinstance(v, int) or not 1 <= v <= MAX_K:
                raise self.error(
                    f"k must be a whole number from 1 to {MAX_K} (frames per beat), got {v}",
                    stmt.value)
        elif isinstance(stmt, ast.Beats):
            v = stmt.value.value
            if not isinstance(v, int) or not 1 <= v <= MAX_BEATS:
                raise self.error(
                    f"beats must be a whole number from 1 to {MAX_BEATS} (beats per bar), got {v}",
                    stmt.value)
        elif isinstance(stmt, ast.Quantum):
            word = stmt.value.id
            if word not in QUANTA:
                hint = suggest(word, QUANTA)
                choices = " or ".join(f"`{q}`" for q in QUANTA)
                raise self.error(f"quantum is {choices}, got `{word}`{hint}", stmt.value)
        elif isinstance(stmt, ast.Osc):
            self._osc(stmt)
        elif isinstance(stmt, ast.Seed):
            v = stmt.value.value
            if not isinstance(v, int) or v < 0:
                raise self.error(f"seed must be a whole number >= 0, got {v}", stmt.value)
        elif isinstance(stmt, ast.Link):
            if stmt.word is not None and stmt.word.id not in ("on", "off"):
                hint = suggest(stmt.word.id, ("on", "off"))
                raise self.error(f"`link` is followed by nothing, `on` or `off`, got "
                                 f"`{stmt.word.id}`{hint}", stmt.word)
        elif isinstance(stmt, ast.Nudge):
            if abs(stmt.value.value) > 1000:
                raise self.error(f"nudge is at most 1000 ms either way, got {stmt.value.value}",
                                 stmt.value)
        elif isinstance(stmt, ast.Model):
            if stmt.on is not None and stmt.on.id != "on":
                raise self.error(f"after the model comes `on \"DEVICE\"`, got `{stmt.on.id}`",
                                 stmt.on)
        elif isinstance(stmt, ast.Listen):
            if isinstance(stmt.source, ast.Name) and stmt.source.id != "off":
                raise self.error(
                    f"listen takes `off`, a device or file name in quotes, or a device number; "
                    f"got `{stmt.source.id}`", stmt.source)
            v = stmt.source.value if isinstance(stmt.source, ast.Number) else 0
            if not isinstance(v, int) or v < 0:
                raise self.error(f"an input device number is whole and >= 0, got {v}",
                                 stmt.source)
        elif isinstance(stmt, ast.Monitor):
            if stmt.word is not None and stmt.word.id != "off":
                raise self.error(f"monitor takes nothing or `off`, got `{stmt.word.id}`",
                                 stmt.word)
        elif isinstance(stmt, ast.Record):
            self._bindable(stmt.name, stmt)
            kind = self.expr(stmt.length)
            if kind not in (NUMBER, ANY):
                raise self.error(f"record needs a length (e.g. `4bars`), got a {kind}",
                                 stmt.length)
            self.scope.recording.add(stmt.name)
        elif isinstance(stmt, ast.View):
            self._address(stmt)

    def _address(self, stmt: ast.View) -> None:
        if stmt.address is None:
            return
        try:
            parse_address(stmt.address.value)
        except UnravelError as err:
            raise self.error(f"view: {err}", stmt.address) from None

    def _osc(self, stmt: ast.Osc) -> None:
        if stmt.target is not None:
            try:
                parse_target(stmt.target.value)
            except ValueError as err:
                raise self.error(str(err), stmt.target) from None
            return
        word = stmt.word.id
        if word == "off" and stmt.mode is None and stmt.number is None:
            return
        if word == "lead":
            if stmt.number is None:
                raise self.error("`osc lead` needs milliseconds, e.g. `osc lead 20`", stmt)
            if not 0 <= stmt.number.value <= MAX_LEAD_MS:
                raise self.error(f"the lead is 0 to {MAX_LEAD_MS} ms (what the engine decodes "
                                 f"ahead), got {stmt.number.value}",
                                 stmt.number)
            return
        if stmt.mode is None:
            hint = suggest(word, ("off", "lead"))
            raise self.error(f"`osc {word}` needs `local`, `remote` or `both`"
                             f" (where track `{word}` is decoded){hint}", stmt.word)
        if stmt.mode.id not in DECODE_MODES:
            hint = suggest(stmt.mode.id, DECODE_MODES)
            raise self.error(f"a track is decoded `local`, `remote` or `both`, got "
                             f"`{stmt.mode.id}`{hint}", stmt.mode)

    def _bindable(self, name: str, node: ast.Node) -> None:
        if name in CONSTANTS:
            raise self.error(f"`{name}` is a constant and cannot be bound", node)
        if name in self.table:
            raise self.error(
                f"`{name}` is the name of a function; choose another name for the binding", node
            )
        if name == INPUT:
            raise self.error("`input` is the live input; choose another name for the binding",
                             node)

    def _positive(self, node: ast.Number, what: str, whole: bool) -> None:
        v = node.value
        if whole and not isinstance(v, int):
            raise self.error(f"{what} must be a whole number, got {v}", node)
        if v <= 0:
            raise self.error(f"{what} must be greater than 0, got {v}", node)

    def _sounding(self, kind: str, node: ast.Node, what: str) -> None:
        if kind not in _SOUNDING:
            raise self.error(f"{what} needs a latent array or a plan, got a {kind}", node)

    def _export_type(self, path: ast.String, kind: str, value: ast.Node) -> None:
        name = path.value.lower()
        ext = next((e for e in EXPORT_TYPES if name.endswith(e)), None)
        if ext is None:
            raise self.error(
                "export chooses the format by the file name: end it in .wav (audio), "
                ".latent.wav (latent audio file), .npy (latent array) or .json (stats)", path)
        if ext == ".json" and kind not in (STATS, ANY):
            raise self.error(f"only stats export to .json, got a {kind}", value)
        if ext in (".npy", ".latent.wav") and kind not in (ARRAY, ANY):
            raise self.error(f"{ext} holds one latent array, got a {kind}", value)
        if ext == ".wav" and kind not in _SOUNDING:
            raise self.error(f"a .wav export decodes a latent array or a plan, got a {kind}",
                             value)

    # ---- expressions ----------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> str:
        """The kind of what `node` gives; walks the tree without recursion (`walk.fold`)."""
        return fold(node, self._leave, self._enter)

    def _enter(self, node: ast.Expr) -> None:
        """Checks that need no sub-expression: done before its arguments are looked at."""
        if isinstance(node, ast.Call):
            self._call_shape(node)

    def _leave(self, node: ast.Expr, kinds: list[str]) -> str:
        if isinstance(node, ast.Number):
            return NUMBER
        if isinstance(node, ast.Length):
            if node.unit == "frames" and not float(node.amount).is_integer():
                raise self.error(f"a length in frames must be whole, got {node.amount:g}", node)
            return NUMBER
        if isinstance(node, ast.Ratio):
            for part in (node.left, node.right):
                if not isinstance(part.value, int) or part.value < 1:
                    raise self.error(
                        f"a ratio is two whole numbers >= 1 like `3:1`, got {part.value}", part)
            return RATIO
        if isinstance(node, ast.String):
            return STRING
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.ListExpr):
            for item, kind in zip(node.items, kinds, strict=True):
                if kind not in (NUMBER, ANY):
                    raise self.error(f"a list holds numbers, got a {kind}", item)
            return LIST
        if isinstance(node, ast.Neg):
            (kind,) = kinds
            if kind not in (NUMBER, ARRAY, ANY):
                raise self.error(f"`-` needs a number or a latent array, got a {kind}", node)
            return kind
        if isinstance(node, ast.BinOp):
            return self.binop(node, *kinds)
        if isinstance(node, ast.Call):
            return self.call(node, kinds)
        raise self.error("this is not an expression", node)  # pragma: no cover

    def name(self, node: ast.Name) -> str:
        if node.id in self.scope.names:
            return self.scope.names[node.id]
        if node.id in CONSTANTS:
            return BOOL if isinstance(CONSTANTS[node.id], bool) else ANY
        if node.id == INPUT:
            return ARRAY
        if node.id in self.scope.recording:
            raise self.error(f"`{node.id}` is still recording: it is bound when its last bar "
                             "is in (the status line shows how far it is)", node)
        if node.id in self.table:
            fn = self.table[node.id]
            raise self.error(f"`{node.id}` is a function: call it, e.g. `{fn.signature()}`", node)
        hint = suggest(node.id, [*self.scope.names, *CONSTANTS])
        raise self.error(f"unknown name `{node.id}`{hint}", node)

    def binop(self, node: ast.BinOp, left: str, right: str) -> str:
        if node.op in (">>", "|"):
            verb = "sequences" if node.op == ">>" else "layers"
            for kind, side in ((left, node.left), (right, node.right)):
                if kind not in _SOUNDING:
                    raise self.error(
                        f"`{node.op}` {verb} latent arrays or plans, got a {kind}", side)
            return PLAN
        for kind, side in ((left, node.left), (right, node.right)):
            if kind not in (NUMBER, ARRAY, ANY):
                raise self.error(
                    f"`{node.op}` works on numbers and latent arrays, got a {kind}", side)
        if ARRAY in (left, right):
            return ARRAY
        return NUMBER if left == right == NUMBER else ANY

    def _call_shape(self, node: ast.Call) -> None:
        """The function exists and takes these arguments by count and keyword."""
        fn = self.table.get(node.func)
        if fn is None:
            if node.func in self.scope.names:
                raise self.error(f"`{node.func}` is a value, not a function", node)
            hint = suggest(node.func, self.table)
            raise self.error(f"unknown function `{node.func}`{hint}", node)
        positional = [] if fn.variadic else list(node.args)
        if len(positional) > len(fn.params):
            extra = positional[len(fn.params)]
            raise self.error(
                f"{fn.name} takes at most {len(fn.params)} values in order: {fn.signature()}",
                extra)
        given = {param.name for param, _ in zip(fn.params, positional, strict=False)}
        for kw in node.kwargs:
            if kw.name not in fn.param_names:
                hint = suggest(kw.name, fn.param_names)
                raise self.error(
                    f"{fn.name} has no keyword `{kw.name}`{hint}; it takes {fn.signature()}", kw)
            if kw.name in given:
                raise self.error(f"{fn.name}: `{kw.name}` is given twice", kw)
            given.add(kw.name)

    def call(self, node: ast.Call, kinds: list[str]) -> str:
        """The kinds of the arguments (positional, then keywords) fit the function."""
        fn = self.table[node.func]
        arg_kinds, kw_kinds = kinds[: len(node.args)], kinds[len(node.args):]
        given: set[str] = set()
        if fn.variadic:
            for arg, kind in zip(node.args, arg_kinds, strict=True):
                self._argument(fn, fn.variadic, kind, arg)
        else:
            for param, arg, kind in zip(fn.params, node.args, arg_kinds, strict=False):
                given.add(param.name)
                self._argument(fn, param.name, kind, arg)
        for kw, kind in zip(node.kwargs, kw_kinds, strict=True):
            given.add(kw.name)
            self._argument(fn, kw.name, kind, kw.value)
        missing = [p for p in fn.required if p not in given]
        if fn.variadic and not node.args:
            missing.insert(0, fn.variadic)
        if missing:
            raise self.error(f"{fn.name} needs `{missing[0]}`: {fn.signature()}", node)
        return fn.returns

    def _argument(self, fn: Function, param: str, kind: str, node: ast.Node) -> None:
        want = fn.kinds.get(param)
        if want is None or want == ANY or kind == ANY:
            return
        if want == RATIO and kind == STRING:
            return
        if kind != want:
            raise self.error(f"{fn.name}: `{param}` must be a {want}, got a {kind}", node)


def check_program(program: ast.Program, scope: Scope) -> Scope:
    """Check `program` against `scope`; returns the scope after it. Raises `LanguageError`."""
    return Checker(program, scope).check()

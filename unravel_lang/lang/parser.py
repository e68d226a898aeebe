"""Text to syntax tree: the Lark LALR parser of `unravel.lark`, with errors in plain words."""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from functools import lru_cache

from lark import Lark, Token, Transformer
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    VisitError,
)

from unravel_lang.lang import ast
from unravel_lang.lang.errors import LanguageError, suggest
from unravel_lang.lang.functions import functions
from unravel_lang.lang.grammar import grammar_text
from unravel_lang.lang.words import KEYWORDS, QUANTA, UNITS

# A newline after one of these tokens continues the statement.
_CONTINUING = {"THEN", "BAR", "EQUAL", "COMMA", "LPAR", "LSQB", "PLUS", "MINUS", "STAR", "SLASH"}
_OPENING = {"LPAR", "LSQB"}
_CLOSING = {"RPAR", "RSQB"}


class _Postlex:
    """Drops newlines inside brackets and after a trailing operator; keeps the last tokens."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.recent: deque[Token] = deque(maxlen=4)
        self.opened: list[Token] = []
        self.calls: list[str | None] = []

    def process(self, stream):
        previous = None
        before: Token | None = None
        self.recent.clear()
        self.opened = []
        self.calls = []
        for tok in stream:
            if tok.type == "_NL" and (self.opened or previous in _CONTINUING):
                continue
            if tok.type in _OPENING:
                self.opened.append(tok)
                called = tok.type == "LPAR" and before is not None and before.type == "NAME"
                self.calls.append(str(before) if called else None)
            elif tok.type in _CLOSING and self.opened:
                self.opened.pop()
                self.calls.pop()
            previous = tok.type
            before = tok
            self.recent.append(tok)
            yield tok


_postlex = _Postlex()
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_postlex,
        maybe_placeholders=False,
        transformer=_TRANSFORMER,
        cache=False,
    )


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])


MAX_WHOLE = 2**63 - 1
"""The largest whole number the language holds (a 64-bit integer); larger ones are refused."""


class _BadLiteral(Exception):
    """A literal the language cannot hold, raised while parsing: message, line, col."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def _number(tok: Token) -> ast.Number:
    """The number `tok` spells: an int without `.`/`e`, else a float; refuses whole numbers
    beyond 64 bits and numbers beyond the float range (they would be infinite)."""
    text = str(tok)
    value: int | float
    if any(c in text for c in ".eE"):
        value = float(text)
        if not math.isfinite(value):
            raise _BadLiteral(
                f"the number {_short(text)} is too large: numbers lie within ±1.8e308",
                tok.line, tok.column)
    else:
        digits = text.lstrip("0")
        if len(digits) > len(str(MAX_WHOLE)) or int(text) > MAX_WHOLE:
            raise _BadLiteral(
                f"the whole number {_short(text)} is too large: whole numbers go up to "
                f"{MAX_WHOLE} (2**63 - 1)", tok.line, tok.column)
        value = int(text)
    return ast.Number(tok.line, tok.column, value)


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…({len(text)} characters)"


def normalize_source(source: str) -> str:
    """The one rule for every entry point: a leading UTF-8 byte order mark is dropped, and
    CRLF and lone CR line endings become LF; so lines and columns count as an editor shows
    them."""
    if source.startswith("\ufeff"):
        source = source[1:]
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    return source


_UNIT = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)([a-z]+)$")


class _ToAst(Transformer):
    """Lark tree to `ast` nodes."""

    def start(self, items):
        return tuple(items)

    def number(self, items):
        return _number(items[0])

    def length(self, items):
        tok = items[0]
        amount, unit = _UNIT.match(str(tok)).groups()
        if not math.isfinite(float(amount)):
            raise _BadLiteral(f"the length {_short(str(tok))} is too large", tok.line,
                              tok.column)
        return ast.Length(tok.line, tok.column, float(amount), UNITS[unit])

    def ratio(self, items):
        left, right = items
        return ast.Ratio(left.line, left.column, _number(left), _number(right))

    def string(self, items):
        tok = items[0]
        return ast.String(tok.line, tok.column, _unquote(str(tok)))

    def name(self, items):
        tok = items[0]
        return ast.Name(tok.line, tok.column, str(tok))

    def call(self, items):
        tok, *rest = items
        args = tuple(x for x in rest if not isinstance(x, ast.Keyword))
        kwargs = tuple(x for x in rest if isinstance(x, ast.Keyword))
        return ast.Call(tok.line, tok.column, str(tok), args, kwargs)

    def kwarg(self, items):
        tok, value = items
        return ast.Keyword(tok.line, tok.column, str(tok), value)

    def list(self, items):
        bracket, *values = items
        return ast.ListExpr(bracket.line, bracket.column, tuple(values))

    def binop(self, items):
        left, op, right = items
        return ast.BinOp(op.line, op.column, str(op), left, right)

    def neg(self, items):
        op, operand = items
        return ast.Neg(op.line, op.column, operand)

    def assign(self, items):
        name, value = items
        return ast.Assign(name.line, name.column, str(name), value)

    def track(self, items):
        word, name, value = items
        return ast.Track(word.line, word.column, str(name), value)

    def play(self, items):
        word, value = items
        return ast.Play(word.line, word.column, value)

    def export(self, items):
        word, value, path = items
        return ast.Export(word.line, word.column, value, self.string([path]))

    def show(self, items):
        word, value = items
        return ast.Show(word.line, word.column, value)

    def plot(self, items):
        word, value, path = items
        return ast.Plot(word.line, word.column, value, self.string([path]))

    def model(self, items):
        word, tok, *device = items
        path = None if tok.type == "DEFAULT" else self.string([tok])
        if device:
            on, where = device
            return ast.Model(word.line, word.column, path, self.name([on]),
                             self.string([where]))
        return ast.Model(word.line, word.column, path)

    def bpm(self, items):
        word, value = items
        return ast.Bpm(word.line, word.column, _number(value))

    def set_k(self, items):
        word, value = items
        return ast.SetK(word.line, word.column, _number(value))

    def beats(self, items):
        word, value = items
        return ast.Beats(word.line, word.column, _number(value))

    def quantum(self, items):
        word, value = items
        return ast.Quantum(word.line, word.column, self.name([value]))

    def osc(self, items):
        word, first, *rest = items
        if first.type == "STRING":
            return ast.Osc(word.line, word.column, target=self.string([first]))
        second = rest[0] if rest else None
        return ast.Osc(
            word.line, word.column, word=self.name([first]),
            mode=self.name([second]) if second is not None and second.type == "NAME" else None,
            number=_number(second) if second is not None and second.type == "NUMBER" else None,
        )

    def seed(self, items):
        word, value = items
        return ast.Seed(word.line, word.column, _number(value))

    def stop(self, items):
        word, name = items
        return ast.Stop(word.line, word.column, str(name))

    def hush(self, items):
        (word,) = items
        return ast.Hush(word.line, word.column)

    def wait(self, items):
        word, value = items
        return ast.Wait(word.line, word.column, value)

    def link(self, items):
        word, *rest = items
        return ast.Link(word.line, word.column, self.name(rest) if rest else None)

    def nudge(self, items):
        word, *rest = items
        number = _number(rest[-1])
        if len(rest) == 2:  # a minus sign
            number = ast.Number(number.line, number.col, -number.value)
        return ast.Nudge(word.line, word.column, number)

    def listen(self, items):
        word, *rest = items
        if not rest:
            return ast.Listen(word.line, word.column, None)
        tok = rest[0]
        if tok.type == "NAME":
            source = self.name([tok])
        else:
            source = self.string([tok]) if tok.type == "STRING" else _number(tok)
        return ast.Listen(word.line, word.column, source)

    def record(self, items):
        word, name, length = items
        return ast.Record(word.line, word.column, str(name), length)

    def monitor(self, items):
        word, *rest = items
        return ast.Monitor(word.line, word.column, self.name(rest) if rest else None)

    def view(self, items):
        word, *rest = items
        address = None
        if rest:
            token = rest[0]
            address = (_number(token) if token.type == "NUMBER"
                       else self.string([token]))
        return ast.View(word.line, word.column, address)

    def expr_stmt(self, items):
        (value,) = items
        return ast.ExprStmt(value.line, value.col, value)


_TRANSFORMER = _ToAst()

# ---- errors in plain words ----------------------------------------------------------------

_VALUE_START = {"NUMBER", "LENGTH", "STRING", "NAME", "LPAR", "LSQB", "MINUS"}
_OPERATORS = {"THEN", "BAR", "PLUS", "MINUS", "STAR", "SLASH"}
_END = {"_NL", "SEMICOLON", "$END"}


def _describe_token(tok: Token | None) -> str:
    if tok is None or tok.type == "$END":
        return "the end of the input"
    if tok.type == "_NL":
        return "the end of the line"
    text = str(tok)
    if len(text) > 30:
        text = text[:27] + "..."
    return f"`{text}`"


def _describe_expected(expected: set[str]) -> str:
    names = {e for e in expected if not e.startswith("__")}
    parts: list[str] = []
    if _VALUE_START - {"MINUS"} <= names:
        parts.append("a value")
    elif names & {"NUMBER", "NAME", "STRING"}:
        kinds = [("NUMBER", "a number"), ("NAME", "a name"), ("STRING", "a file name in quotes")]
        parts.extend(word for key, word in kinds if key in names)
    if "COMMA" in names:
        parts.append("`,`")
    if "RPAR" in names:
        parts.append("`)`")
    if "RSQB" in names:
        parts.append("`]`")
    if "EQUAL" in names:
        parts.append("`=`")
    if names & _OPERATORS and not names & {"RPAR", "RSQB", "STRING"}:
        parts.append("an operator")
    if names & _END:
        parts.append("the end of the statement")
    if "DEFAULT" in names and "STRING" in names:
        parts = ["a model file in quotes or `default`"]
    if not parts:
        keywords = sorted(e.lower() for e in names if e.isalpha())
        parts = [f"`{k}`" for k in keywords[:3]] or ["something else"]
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " or " + parts[-1]
    return parts[0]


def _describe_after(recent: list[Token], tok: Token | None, in_call: bool) -> str:
    """`after `n=`` (a keyword in a call) or `after `a =`` (a binding) from the tokens before
    the offending one; empty at the start of a line."""
    before = [t for t in recent if tok is None or t.start_pos < tok.start_pos]
    if not before or before[-1].type in ("_NL", "SEMICOLON"):
        return ""
    last = before[-1]
    if last.type == "EQUAL" and len(before) > 1 and before[-2].type == "NAME":
        return f" after `{before[-2]}=`" if in_call else f" after `{before[-2]} =`"
    return f" after {_describe_token(last)}"


def _end_position(source: str) -> tuple[int, int]:
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1


def _keyword_kind(func: str | None, keyword: str) -> str | None:
    """What keyword `keyword` of function `func` takes, judged by its default value."""
    fn = functions().get(func or "")
    param = next((p for p in fn.params if p.name == keyword), None) if fn else None
    if param is None or param.name == "seed":
        return "a number" if param is not None else None
    default = param.default
    if isinstance(default, bool):
        return "`true` or `false`"
    if isinstance(default, (int, float)):
        return "a number"
    if isinstance(default, str):
        return "a string in quotes"
    if isinstance(default, tuple):
        return "a ratio like `3:1`"
    return None


def _syntax_error(
    err: UnexpectedInput,
    source: str,
    file: str,
    recent: list[Token],
    opened: list[Token],
    calls: list[str | None],
) -> LanguageError:
    if isinstance(err, UnexpectedCharacters):
        char = source[err.pos_in_stream] if err.pos_in_stream < len(source) else ""
        if char in "\"'":
            message = "this string is not closed: add the closing quote on the same line"
        else:
            message = f"unexpected character `{char}`"
        return LanguageError(message, err.line, err.column, source, file)
    tok = getattr(err, "token", None)
    if isinstance(err, UnexpectedEOF) or tok is None or tok.type == "$END":
        line, col = _end_position(source)
        tok = None
    else:
        line, col = tok.line, tok.column
        if tok.type == "_NL":
            text_line = source.split("\n")[line - 1] if line - 1 < len(source.split("\n")) else ""
            col = len(text_line.rstrip("\r")) + 1
    expected = set(getattr(err, "accepts", None) or getattr(err, "expected", None) or ())
    after = _describe_after(recent, tok, bool(calls))
    wanted = _describe_expected(expected)
    before = [t for t in recent if tok is None or t.start_pos < tok.start_pos]
    if (
        wanted == "a value" and len(before) > 1 and before[-1].type == "EQUAL"
        and before[-2].type == "NAME" and calls
    ):
        wanted = _keyword_kind(calls[-1], str(before[-2])) or wanted
    if before and before[-1].type == "QUANTUM":
        wanted = " or ".join(f"`{q}`" for q in QUANTA)
    if before and before[-1].type == "OSC":
        wanted = "`\"host:port\"`, `off`, `lead MS` or a track name"
    message = f"expected {wanted}{after}, found {_describe_token(tok)}"
    if tok is not None and tok.type in ("RPAR", "RSQB") and not opened:
        message = f"{_describe_token(tok)} has no matching opening bracket"
    elif opened and (tok is None or tok.line > opened[-1].line):
        message += f" (the `{opened[-1]}` on line {opened[-1].line} is not closed)"
    else:
        starts = [i for i, t in enumerate(before) if t.type in ("_NL", "SEMICOLON")]
        statement = before[starts[-1] + 1 :] if starts else before
        if (
            tok is not None and tok.type == "EQUAL" and len(statement) == 1
            and statement[0].type != "NAME"
        ):
            message = f"`{statement[0]}` is a statement word and cannot be used as a name"
        elif (
            tok is not None and tok.type in ("NUMBER", "LENGTH", "NAME", "STRING")
            and len(statement) == 1 and statement[0].type == "NAME"
        ):
            hint = suggest(str(statement[0]), KEYWORDS)
            if hint:
                message = f"unknown statement `{statement[0]}`{hint}"
    return LanguageError(message, line, col, source, file)


def parse(source: str, file: str = "<input>") -> ast.Program:
    """Parse `source` into a `Program`; raises `LanguageError` (with place) on a syntax error.

    The source is normalized first (`normalize_source`: BOM, CR and CRLF line endings); the
    `Program` keeps the normalized text, which every position refers to."""
    source = normalize_source(source)
    with _lock:
        try:
            statements = _lark().parse(source)
        except _BadLiteral as err:
            raise LanguageError(err.message, err.line, err.col, source, file) from None
        except UnexpectedInput as err:
            lex = _postlex
            raise _syntax_error(
                err, source, file, list(lex.recent), list(lex.opened), list(lex.calls)
            ) from None
        except VisitError as err:  # pragma: no cover - the transformer raises nothing itself
            raise LanguageError(str(err.orig_exc), 1, 1, source, file) from None
    return ast.Program(tuple(statements), source, file)

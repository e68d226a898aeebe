"""What OSC in and `unravel send` may do to a running REPL or watch session: evaluate code
exactly as typed, bind a number, hush, stop a track; each answers with the text it printed."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from unravel_lang.lang import ast
from unravel_lang.lang.evaluator import Evaluator
from unravel_lang.lang.statements import execute
from unravel_lang.lang.walk import children
from unravel_lang.lang.words import CONSTANTS, KEYWORDS

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def mentions(node: Any, name: str) -> bool:
    """True when the expression tree `node` uses the name `name` (walked without recursion,
    so a deeply nested line costs no Python stack)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Name) and item.id == name:
            return True
        stack.extend(children(item))
    return False


class ReplControl:
    """Drives `repl` (a `repl.Repl`) from other threads, one request at a time under
    `repl.lock`; everything the REPL prints meanwhile is also the answer."""

    def __init__(self, repl) -> None:
        self.repl = repl
        self._lines: list[str] | None = None
        self._print = repl.write
        repl.write = self._write
        repl.session.output = self._write

    def _write(self, text: str) -> None:
        self._print(text)
        if self._lines is not None:
            self._lines.append(text)

    @contextmanager
    def _answer(self) -> Iterator[list[str]]:
        with self.repl.lock:
            self._lines = lines = []
            try:
                yield lines
            finally:
                self._lines = None

    def eval(self, code: str, origin: str = "") -> tuple[bool, str]:
        """Evaluate `code` as a REPL input; `(succeeded, what it printed)`."""
        with self.repl.lock:
            self._print(f"← {origin}{_first_line(code)}")
            with self._answer() as lines:
                ok = self.repl.handle(code)
        return ok, "\n".join(lines) if lines or not ok else "ok"

    def set(self, name: str, value: float, origin: str = "") -> tuple[bool, str]:
        """Bind `name` to the number `value` and re-evaluate the running tracks whose line uses
        it (they change at their next loop boundary). `k` and `bpm` set the tempo."""
        if not _IDENT.match(name):
            return False, f"/unravel/set: `{name}` is not a name"
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            return False, f"/unravel/set {name}: the value must be a finite number"
        if name in ("k", "bpm"):
            number = int(value) if name == "k" and float(value).is_integer() else value
            return self.eval(f"{name} {number}", origin)
        session = self.repl.session
        if name in KEYWORDS or name in CONSTANTS or name in session.functions():
            return False, f"/unravel/set: `{name}` is a word of the language, not a name to bind"
        with self.repl.lock:
            self._print(f"← {origin}{name} = {value:g}")
            with self._answer() as lines:
                ok = self.repl.evaluate(lambda: self._bind(name, value))
        return ok, "\n".join(lines)

    def _bind(self, name: str, value: float) -> None:
        session = self.repl.session
        session.env[name] = value
        redone = []
        for track, (program, stmt) in list(session.definitions.items()):
            if track in self.repl.stage.tracks and mentions(stmt.value, name):
                execute(session, Evaluator(session, program), stmt)
                redone.append(track)
        again = f" (re-evaluated: {', '.join(redone)})" if redone else ""
        self._write(f"{name} = {value:g}{again}")

    def hush(self, origin: str = "") -> tuple[bool, str]:
        return self.eval("hush", origin)

    def stop(self, name: str, origin: str = "") -> tuple[bool, str]:
        if not _IDENT.match(name):
            return False, f"/unravel/stop: `{name}` is not a track name"
        return self.eval(f"stop {name}", origin)


def _first_line(code: str) -> str:
    lines = code.strip().splitlines() or [""]
    more = " …" if len(lines) > 1 else ""
    return lines[0][:70] + more

"""The language's error: a message tied to a place in the source, shown with a caret; and the
"did you mean" hint such messages end with."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from unravel_lang.errors import UnravelError


class LanguageError(UnravelError):
    """A syntax or semantic error at `file:line:col` (1-based), printed with the line and a caret.

    `str(err)` is `file:line:col: message`, then the source line, then a caret under `col`.
    """

    def __init__(
        self, message: str, line: int = 0, col: int = 0, source: str = "", file: str = "<input>"
    ) -> None:
        self.message = message
        self.line = int(line)
        self.col = int(col)
        self.file = file
        lines = source.split("\n")  # the grammar's line break only: \f, \v, \x1c… are not
        self.source_line = lines[self.line - 1].rstrip("\r") if 0 < self.line <= len(lines) else ""
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"{self.file}:{self.line}:{self.col}: {self.message}"
        if not self.source_line:
            return head
        pad = "".join(c if c == "\t" else " " for c in self.source_line[: max(self.col - 1, 0)])
        return f"{head}\n{self.source_line}\n{pad}^"

    def located(self, source: str, file: str) -> LanguageError:
        """The same error, shown against `source` named `file`."""
        return LanguageError(self.message, self.line, self.col, source, file)


def suggest(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean `x`?)` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""

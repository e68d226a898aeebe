"""The REPL's view of the language's surface: tokens for highlighting, and when input is complete.

The words come from a `Vocabulary` (the language's keywords, constants and unit words from
`lang.words`, its functions from `lang.functions`, and the session's bound names), so this module
holds no second copy of the language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prompt_toolkit.document import Document
from prompt_toolkit.lexers import Lexer

from unravel_lang.lang.functions import function_names
from unravel_lang.lang.words import CONSTANTS, KEYWORDS, UNIT_WORDS

# Alternatives are tried in order; the first that matches at a position wins. UNITS stands for
# the language's unit words (`lang.words.UNIT_WORDS`), longest first.
_TOKEN = re.compile(
    r"""
    (?P<comment>\#.*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:(?:UNITS)(?!\w))?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator>>>|[|=:+\-*/@%<>^~])
  | (?P<bracket>[()\[\]{}])
  | (?P<space>\s+)
  | (?P<other>.)
    """.replace("UNITS", "|".join(sorted(UNIT_WORDS, key=len, reverse=True))),
    re.VERBOSE,
)

# Style class of each token kind (see `STYLE` in repl.py for the colours).
STYLE_OF = {
    "comment": "class:comment",
    "string": "class:string",
    "number": "class:number",
    "keyword": "class:keyword",
    "function": "class:function",
    "name": "class:name",
    "word": "class:word",
    "operator": "class:operator",
    "bracket": "class:bracket",
    "space": "",
    "other": "class:other",
}

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
# A line ending in one of these continues the statement on the next line (as the parser does).
_CONTINUES = ("|", ">>", "=", ",", "+", "-", "*", "/", "\\")


@dataclass
class Vocabulary:
    """The words the REPL knows; each source is called afresh so new bindings show at once."""

    keywords: Callable[[], Iterable[str]] = field(default=lambda: ())
    functions: Callable[[], Iterable[str]] = field(default=lambda: ())
    names: Callable[[], Iterable[str]] = field(default=lambda: ())
    commands: Callable[[], Iterable[str]] = field(default=lambda: ())

    @classmethod
    def of_language(
        cls,
        names: Callable[[], Iterable[str]] = lambda: (),
        commands: Callable[[], Iterable[str]] = lambda: (),
    ) -> Vocabulary:
        """The language's words: keywords and constants (`lang.words`) and functions
        (`lang.functions`), with the bound `names` and a front end's `commands`."""
        return cls(keywords=lambda: (*KEYWORDS, *CONSTANTS), functions=function_names,
                   names=names, commands=commands)

    def kind(self, word: str) -> str:
        """`keyword`, `function`, `name` (bound) or `word` (unknown) for an identifier."""
        if word in set(self.keywords()) or word in set(self.commands()):
            return "keyword"
        if word in set(self.functions()):
            return "function"
        if word in set(self.names()):
            return "name"
        return "word"


def tokenize(line: str, vocab: Vocabulary | None = None) -> list[tuple[str, str]]:
    """Split one line into `(kind, text)` pairs that concatenate back to `line` exactly.

    Kinds: comment, string, number, keyword, function, name, word, operator, bracket,
    space, other. Identifiers are classified by `vocab` (all `word` without one).
    """
    keywords = set(vocab.keywords()) | set(vocab.commands()) if vocab else set()
    functions = set(vocab.functions()) if vocab else set()
    names = set(vocab.names()) if vocab else set()
    out: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup or "other"
        text = match.group()
        if kind == "word":
            if text in keywords:
                kind = "keyword"
            elif text in functions:
                kind = "function"
            elif text in names:
                kind = "name"
        out.append((kind, text))
    return out


class UnravelLexer(Lexer):
    """prompt_toolkit lexer that colours the language by `tokenize`."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab

    def lex_document(self, document: Document) -> Callable[[int], list[tuple[str, str]]]:
        lines = document.lines

        def get_line(lineno: int) -> list[tuple[str, str]]:
            if lineno >= len(lines):
                return []
            return [(STYLE_OF[kind], text) for kind, text in tokenize(lines[lineno], self.vocab)]

        return get_line


def bracket_depth(text: str) -> int:
    """Number of brackets opened and not closed in `text`, ignoring strings and comments.

    A stray closing bracket counts as closing nothing (the parser reports it).
    """
    stack: list[str] = []
    for line in text.split("\n"):
        for kind, tok in tokenize(line):
            if kind != "bracket":
                continue
            if tok in _OPEN:
                stack.append(tok)
            elif stack and stack[-1] == _CLOSE[tok]:
                stack.pop()
    return len(stack)


def needs_more(text: str) -> bool:
    """True when `text` is an unfinished statement: an open bracket, or a last line that ends
    with an operator, `=`, `,` or a backslash (comments ignored). A string cannot span lines,
    so an unterminated one ends the input (the parser reports it)."""
    if not text.strip():
        return False
    if bracket_depth(text) > 0:
        return True
    last = text.rstrip("\n").split("\n")[-1]
    tokens = [(k, t) for k, t in tokenize(last) if k not in ("space", "comment")]
    if not tokens:
        return False
    return tokens[-1][1] in _CONTINUES


def current_word(text_before_cursor: str) -> str:
    """The identifier being typed at the end of `text_before_cursor` ('' if none)."""
    match = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", text_before_cursor)
    return match.group() if match else ""


def in_string(text_before_cursor: str) -> bool:
    """True when the cursor is inside an unterminated string literal on its line."""
    line = text_before_cursor.split("\n")[-1]
    tokens = tokenize(line)
    if not tokens:
        return False
    kind, tok = tokens[-1]
    return kind == "string" and (len(tok) < 2 or tok[-1] != tok[0])

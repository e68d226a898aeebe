"""`help` in the REPL: the statements, the functions with their signatures, and one topic.

Function signatures and descriptions come from the language's function table (which reads
the Python signatures and docstrings); examples come from `docs/language.md` when it is at
hand, so nothing here is a second copy of the language.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from functools import lru_cache
from pathlib import Path

from unravel_lang.lang.errors import suggest
from unravel_lang.lang.functions import functions
from unravel_lang.lang.words import INPUT, KEYWORDS

COMMAND_HELP = {
    "tracks": "tracks — list the running tracks (voices, frames, bars)",
    "help": "help [NAME] — list everything, or explain one function, statement or command",
    "load": "load SCORE.unr — evaluate a score file into this session (its names stay bound)",
    "quit": "quit — leave the REPL (so does Ctrl-D)",
    "exit": "exit — leave the REPL (so does Ctrl-D)",
}

_FENCE = re.compile(r"^```")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def language_doc() -> Path | None:
    """`language.md`: the copy shipped inside the installed package, else the source tree's
    `docs/language.md`; None when neither is there."""
    package = Path(__file__).resolve().parents[1]
    for path in (package / "docs" / "language.md", package.parent / "docs" / "language.md"):
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=4)
def _doc_lines(path: str, mtime: float) -> tuple[str, ...]:
    return tuple(Path(path).read_text(encoding="utf-8").splitlines())


def _sections(lines: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(heading, body lines) for every heading of the document, fences respected."""
    out: list[tuple[str, list[str]]] = []
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            out.append((heading.group(2), []))
        elif out:
            out[-1][1].append(line)
    return out


def _code_blocks(body: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in body:
        if _FENCE.match(line):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def section_for(name: str, path: Path | None = None, max_lines: int = 24) -> str | None:
    """The text of the first section of `docs/language.md` whose heading names `name` as a
    word, code blocks indented instead of fenced; at most `max_lines` lines."""
    path = path or language_doc()
    if path is None:
        return None
    word = _word(name)
    for heading, body in _sections(_doc_lines(str(path), path.stat().st_mtime)):
        if not word.search(heading):
            continue
        out: list[str] = []
        fenced = False
        for line in body:
            if _FENCE.match(line):
                fenced = not fenced
                continue
            out.append("  " + line if fenced else line)
        text = "\n".join(out).strip("\n").splitlines()[:max_lines]
        return "\n".join(text) if text else None
    return None


def example_for(name: str, path: Path | None = None) -> str | None:
    """The first example block of the section of `docs/language.md` about `name`: a section
    whose heading names it as a word; failing that, the first block that calls `name(`."""
    path = path or language_doc()
    if path is None:
        return None
    lines = _doc_lines(str(path), path.stat().st_mtime)
    word = _word(name)
    sections = _sections(lines)
    for heading, body in sections:
        if word.search(heading):
            blocks = _code_blocks(body)
            if blocks:
                return "\n".join(blocks[0]).strip("\n")
    call = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}\(")
    for _, body in sections:
        for block in _code_blocks(body):
            if any(call.search(line) for line in block):
                return "\n".join(block).strip("\n")
    return None


def overview(width: int = 100) -> str:
    """The statement words, the functions (signature and the start of their description,
    one line each, at most `width` columns), the REPL commands."""
    table = functions()
    statements = textwrap.wrap("statements: " + ", ".join(KEYWORDS), width,
                               subsequent_indent="  ")
    lines = [*statements, "", "functions:"]
    for name in sorted(table):
        fn = table[name]
        line = f"  {fn.signature()} — {fn.summary}"
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
    lines += ["", "commands: " + ", ".join(COMMAND_HELP), "", "help NAME explains one of them."]
    return "\n".join(lines)


def topic(name: str, bound: dict[str, str] | None = None) -> str:
    """Help on one function, statement word, REPL command or bound name."""
    table = functions()
    if name in table:
        fn = table[name]
        doc = inspect.getdoc(fn.impl) or fn.summary
        lines = [fn.signature(), "", textwrap.indent(doc, "  ")]
        example = example_for(name)
        if example:
            lines += ["", "example:", textwrap.indent(example, "  ")]
        return "\n".join(lines)
    if name in COMMAND_HELP:
        return COMMAND_HELP[name]
    if name in KEYWORDS or name == INPUT:
        section = section_for(name)
        text = f"{name} — a statement of the language (see docs/language.md)"
        return f"{name}\n\n{section}" if section else text
    if bound and name in bound:
        return f"{name}: {bound[name]}"
    known = [*table, *KEYWORDS, *COMMAND_HELP, *(bound or {})]
    return f"no help for `{name}`{suggest(name, known)}; `help` lists everything"

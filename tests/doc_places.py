"""Reading the places a function of the language is written in: sections of the docs, Python
signatures as the docs head them, the names the tests call, the worked examples of
docs/architecture.md ("Adding a function")."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LANGUAGE = "docs/language.md"
PATTERNS_DOC = "docs/patterns.md"
LENGTH_TABLE = "| function | output length (frames) |"
_FENCE = re.compile(r"^(`{3,})")


def read(path: str) -> str:
    return (REPO / path).read_text(encoding="utf-8")


def python_signature(fn: Callable[..., object], name: str | None = None) -> str:
    """`fibo(a, start=1, stop=None, n=1)`, `concat(*arrays)`: a function as docs/patterns.md
    heads it."""
    parts = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
        elif p.default is inspect.Parameter.empty:
            parts.append(p.name)
        else:
            shown = f'"{p.default}"' if isinstance(p.default, str) else repr(p.default)
            parts.append(f"{p.name}={shown}")
    return f"{name or fn.__name__}({', '.join(parts)})"


def section(text: str, heading: str) -> str | None:
    """The text under the line `heading` up to the next heading of its level or above (lines
    inside fenced blocks are not headings)."""
    lines = text.split("\n")
    if heading not in lines:
        return None
    start = lines.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    body: list[str] = []
    fence = None
    for line in lines[start + 1:]:
        opened = _FENCE.match(line)
        if fence is None and re.match(rf"#{{1,{level}}} ", line):
            break
        if opened and fence is None:
            fence = opened.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        body.append(line)
    return "\n".join(body)


def between(text: str, start: str, end: str) -> str:
    """The part of `text` from the line `start` up to the line `end`."""
    at = text.index(start)
    return text[at:text.index(end, at)]


def table_after(text: str, start: str) -> str:
    """The first markdown table after `start` (its rows, header included)."""
    at = text.index("\n|", text.index(start)) + 1
    return text[at:].split("\n\n")[0]


def example_calls(body: str, name: str) -> bool:
    """Whether a ```unravel block of `body` calls `name(`."""
    return bool(re.search(rf"```unravel\n(.*\n)*?.*\b{name}\(", body))


def calls_in_tests(source: str, given_only: bool = False) -> set[str]:
    """Names called inside the `test_*` functions of a test module (only those decorated with
    hypothesis' `@given` when `given_only`)."""
    called: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
            continue
        if given_only and not any(
                isinstance(d, ast.Call) and getattr(d.func, "id", None) == "given"
                for d in node.decorator_list):
            continue
        for call in ast.walk(node):
            if isinstance(call, ast.Call):
                func = call.func
                called.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return called


def worked_example(family: str) -> list[tuple[str, str]]:
    """`(file, fenced block)` of each numbered step of the worked example of `family` ("A
    pattern", "A shaping tool", "A generator") in docs/architecture.md, in order."""
    text = read("docs/architecture.md")
    part = section(text, "## Adding a function")
    assert part is not None, "docs/architecture.md has no section ## Adding a function"
    part = section(part, f"### {family}")
    assert part is not None, f"docs/architecture.md: no ### {family} under ## Adding a function"
    steps = []
    pieces = re.split(r"^\d\. `([^`]+)`", part, flags=re.M)
    for path, body in zip(pieces[1::2], pieces[2::2], strict=True):
        block, = (m.group(2) for m in re.finditer(r"^(`{3,})\w+\n(.*?)^\1$", body, re.M | re.S))
        steps.append((path, block))
    return steps


def insert_row(text: str, start: str, row: str) -> str:
    """`text` with `row` added as the first row of the first table after `start`."""
    at = text.index("|\n", text.index("|---", text.index(start))) + 2
    return text[:at] + row + text[at:]

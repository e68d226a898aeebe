"""Tab completion for the REPL: bound names, functions, keywords and REPL commands;
file paths inside string literals."""

from __future__ import annotations

from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from unravel_lang.repl.syntax import Vocabulary, current_word, in_string


def candidates(prefix: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """`(word, kind)` pairs starting with `prefix`: bound names first, then functions,
    keywords and commands; each group sorted, no word twice."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    groups: Iterable[tuple[str, Iterable[str]]] = (
        ("name", vocab.names()),
        ("function", vocab.functions()),
        ("keyword", vocab.keywords()),
        ("command", vocab.commands()),
    )
    for kind, words in groups:
        for word in sorted(set(words)):
            if word.startswith(prefix) and word not in seen:
                seen.add(word)
                out.append((word, kind))
    return out


class UnravelCompleter(Completer):
    """Completes the identifier before the cursor, or a file path inside a string."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self._paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent):
        before = document.text_before_cursor
        if in_string(before):
            quote = max(before.rfind('"'), before.rfind("'"))
            inner = Document(before[quote + 1 :], len(before) - quote - 1)
            yield from self._paths.get_completions(inner, complete_event)
            return
        prefix = current_word(before)
        if not prefix and not complete_event.completion_requested:
            return
        for word, kind in candidates(prefix, self.vocab):
            yield Completion(word, start_position=-len(prefix), display_meta=kind)

"""Completion of bound names, functions, keywords and file paths."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from unravel_lang.repl.complete import UnravelCompleter, candidates
from unravel_lang.repl.syntax import Vocabulary


def vocab(names=("drums", "dark")):
    return Vocabulary(
        keywords=lambda: ("default", "track"),
        functions=lambda: ("fibo", "normal", "reverse", "repeat"),
        names=lambda: names,
        commands=lambda: ("tracks", "help"),
    )


def complete(text, v, requested=True):
    event = CompleteEvent(completion_requested=requested)
    return [c.text for c in UnravelCompleter(v).get_completions(Document(text), event)]


def test_candidates_put_bound_names_first_and_never_repeat():
    got = candidates("d", vocab(names=("drums", "default")))
    assert got[0] == ("default", "name")
    assert [w for w, _ in got] == ["default", "drums"]


def test_a_bound_name_completes():
    assert complete("play fibo(dr", vocab()) == ["drums"]


def test_functions_keywords_and_commands_complete():
    assert complete("re", vocab()) == ["repeat", "reverse"]
    assert complete("tr", vocab()) == ["track", "tracks"]


def test_nothing_without_a_prefix_unless_asked():
    assert complete("play ", vocab(), requested=False) == []
    assert "fibo" in complete("play ", vocab(), requested=True)


def test_paths_complete_inside_strings(tmp_path, monkeypatch):
    (tmp_path / "drums.wav").write_bytes(b"")
    (tmp_path / "bass.wav").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert complete('a = encode("dr', vocab()) == ["ums.wav"]

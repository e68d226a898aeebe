"""`help` in the REPL: every function explained with an example, statements, commands."""

from __future__ import annotations

import pytest

from unravel_lang.lang.functions import functions
from unravel_lang.lang.words import KEYWORDS
from unravel_lang.repl.help import (
    COMMAND_HELP,
    example_for,
    language_doc,
    overview,
    section_for,
    topic,
)

needs_doc = pytest.mark.skipif(language_doc() is None, reason="docs/language.md is not here")


def test_the_overview_names_every_statement_function_and_command_in_100_columns():
    text = overview()
    for word in (*KEYWORDS, *COMMAND_HELP):
        assert word in text
    for fn in functions().values():
        assert f"  {fn.signature()} — " in text
    assert max(len(line) for line in text.splitlines()) <= 100


@needs_doc
@pytest.mark.parametrize("name", sorted(functions()))
def test_every_function_has_its_signature_description_and_an_example(name):
    fn = functions()[name]
    text = topic(name)
    assert text.startswith(fn.signature())
    assert fn.summary.split(" ")[0] in text
    example = example_for(name)
    assert example and f"{name}(" in example
    assert "example:\n" in text and example.splitlines()[0] in text


@needs_doc
def test_statement_words_show_their_section_of_the_reference():
    text = topic("stop")
    assert text.startswith("stop\n")
    assert "stop pad" in text and "```" not in text
    assert "hush" in section_for("hush")


def test_commands_bound_names_and_unknown_words():
    assert topic("tracks") == COMMAND_HELP["tracks"]
    assert topic("drums", {"drums": "(8, 8) latent array"}) == "drums: (8, 8) latent array"
    assert topic("fibbo") == "no help for `fibbo` (did you mean `fibo`?); `help` lists everything"


def test_sections_and_examples_come_from_the_document_given(tmp_path):
    doc = tmp_path / "language.md"
    doc.write_text(
        "# Title\n\n```\n# not a heading\nx = other(a)\n```\n\n"
        "## `thing(a)`\n\nSays a thing.\n\n```unravel\nt = thing(a)\n```\n"
    )
    assert example_for("thing", doc) == "t = thing(a)"
    assert example_for("other", doc) == "# not a heading\nx = other(a)"
    assert section_for("thing", doc) == "Says a thing.\n\n  t = thing(a)"
    assert example_for("missing", doc) is None and section_for("missing", doc) is None

"""The REPL's tokenizer, lexer and the rule that decides when an input is complete."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prompt_toolkit.document import Document

from unravel_lang.repl.syntax import (
    UnravelLexer,
    Vocabulary,
    bracket_depth,
    current_word,
    in_string,
    needs_more,
    tokenize,
)

VOCAB = Vocabulary(
    keywords=lambda: ("track", "bpm", "play"),
    functions=lambda: ("fibo", "normal"),
    names=lambda: ("a", "drums"),
    commands=lambda: ("tracks", "help"),
)


@given(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=80))
def test_tokens_concatenate_back_to_the_line(line):
    assert "".join(text for _, text in tokenize(line, VOCAB)) == line


def test_identifiers_are_classified_by_the_vocabulary():
    kinds = {t: k for k, t in tokenize("track drums = fibo(a) | zz # hi", VOCAB) if k != "space"}
    assert kinds["track"] == "keyword"
    assert kinds["drums"] == "name"
    assert kinds["fibo"] == "function"
    assert kinds["a"] == "name"
    assert kinds["zz"] == "word"
    assert kinds["|"] == "operator"
    assert kinds["# hi"] == "comment"


def test_strings_numbers_and_the_then_operator():
    toks = [(k, t) for k, t in tokenize('export x >> y "out.wav" 3:1 1.5e3', VOCAB) if k != "space"]
    assert ("operator", ">>") in toks
    assert ("string", '"out.wav"') in toks
    assert ("number", "3") in toks and ("number", "1.5e3") in toks


def test_the_lexer_styles_each_line():
    doc = Document("bpm 120\nplay fibo(a)")
    get_line = UnravelLexer(VOCAB).lex_document(doc)
    first = get_line(0)
    assert first[0] == ("class:keyword", "bpm")
    assert ("class:number", "120") in first
    assert ("class:function", "fibo") in get_line(1)
    assert get_line(5) == []


def test_new_bindings_show_without_a_new_lexer():
    names = ["a"]
    vocab = Vocabulary(names=lambda: names)
    assert vocab.kind("b") == "word"
    names.append("b")
    assert vocab.kind("b") == "name"


def test_open_brackets_ask_for_more_and_strings_hide_brackets():
    assert bracket_depth("fibo(blend(a, b") == 2
    assert bracket_depth('show "(((" # ((') == 0
    assert needs_more("a = fibo(\n  b")
    assert not needs_more("a = fibo(\n  b)")
    assert not needs_more("a = fibo(b))")  # the parser reports the stray bracket


def test_trailing_operators_continue_the_statement():
    for text in ("a = fibo(a) |", "x = a >>", "y =", "z = f(a,", "w = a \\"):
        assert needs_more(text), text
    assert needs_more("p = a >>  # then")
    assert not needs_more("p = a >> b")
    assert not needs_more("   ")
    assert not needs_more("# only a comment |")


def test_an_unterminated_string_ends_the_input():
    # strings cannot span lines: the parser reports it rather than waiting for more
    assert not needs_more('export a "out')
    assert not needs_more('export a "out.wav"')
    assert not needs_more('show "a |"') and not needs_more('x = f("(")')


def test_word_and_string_under_the_cursor():
    assert current_word("play fib") == "fib"
    assert current_word("play fibo(") == ""
    assert in_string('a = encode("drum')
    assert not in_string('a = encode("drum")')


def test_lengths_are_numbers_for_every_unit_of_the_grammar():
    import re

    from unravel_lang.lang.grammar import grammar_text

    rule = next(line for line in grammar_text().splitlines() if line.startswith("LENGTH"))
    units = re.search(r"\(((?:[a-z]+\|)*[a-z]+)\)\(\?!", rule).group(1).split("|")
    assert "bars" in units and "s" in units
    for unit in units:
        assert tokenize(f"2{unit}") == [("number", f"2{unit}")], unit
        assert tokenize(f"1.5{unit})")[0] == ("number", f"1.5{unit}")
    assert tokenize("2bars_x")[0] == ("number", "2")


def test_every_example_splits_into_inputs_that_parse():
    """Fed line by line, as a pipe or a terminal would, each example score and each example
    of the language reference is cut into inputs the parser takes whole: the continuation
    rule agrees with the grammar's."""
    import io
    import re
    from pathlib import Path

    from unravel_lang.lang.errors import LanguageError
    from unravel_lang.lang.parser import parse
    from unravel_lang.repl.app import split_inputs

    repo = Path(__file__).resolve().parent.parent
    texts = [p.read_text() for p in sorted((repo / "examples").glob("*.unr"))]
    doc = repo / "docs" / "language.md"
    if doc.is_file():
        texts += re.findall(r"```unravel\n(.*?)```", doc.read_text(), re.S)
    assert texts
    multiline = 0
    for text in texts:
        try:
            whole = parse(text)
        except LanguageError:
            continue  # an example of an error
        inputs = list(split_inputs(io.StringIO(text)))
        multiline += sum("\n" in chunk.strip() for chunk in inputs)
        assert sum(len(parse(chunk).statements) for chunk in inputs) == len(whole.statements)
    assert multiline > 0 or not doc.is_file()


def test_the_highlighter_reads_a_length_exactly_where_the_parser_does():
    from test_lang_words import NOT_UNITS, is_length

    from unravel_lang.lang.words import UNIT_WORDS

    for suffix in (*UNIT_WORDS, *NOT_UNITS):
        one_number = tokenize(f"2{suffix}") == [("number", f"2{suffix}")]
        assert one_number == is_length(suffix) == (suffix in UNIT_WORDS), suffix


def test_the_language_vocabulary_is_the_language_s_words():
    from unravel_lang.lang.functions import function_names
    from unravel_lang.lang.words import CONSTANTS, KEYWORDS

    vocab = Vocabulary.of_language(names=lambda: ("a",), commands=lambda: ("help",))
    assert set(vocab.keywords()) == {*KEYWORDS, *CONSTANTS}
    assert list(vocab.functions()) == function_names()
    for word in (*KEYWORDS, *CONSTANTS, "help"):
        assert tokenize(word, vocab) == [("keyword", word)]
    for word in function_names():
        assert tokenize(word, vocab) == [("function", word)]

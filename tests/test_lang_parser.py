"""The grammar and parser: structure, precedence, positions, and errors in plain words."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unravel_lang.errors import UnravelError
from unravel_lang.lang import LanguageError, Session, ast, parse
from unravel_lang.lang.grammar import grammar_path

CARD = "fibo(a) | orale(b, 3:1) >> blend(a, b, n=4)"


def only_expr(source: str) -> ast.Expr:
    (stmt,) = parse(source).statements
    assert isinstance(stmt, ast.ExprStmt)
    return stmt.value


def shape(node) -> object:
    """A compact nested form of an expression for comparing structure."""
    if isinstance(node, ast.BinOp):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, ast.Call):
        return (node.func, *[shape(a) for a in node.args],
                *[(k.name, shape(k.value)) for k in node.kwargs])
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Ratio):
        return (node.left.value, ":", node.right.value)
    if isinstance(node, ast.Neg):
        return ("neg", shape(node.operand))
    return node


def test_grammar_file_is_found():
    assert grammar_path().name == "unravel.lark"
    assert "start:" in grammar_path().read_text()


def test_design_card_example_layers_then_sequences():
    tree = only_expr(CARD)
    assert shape(tree) == (
        ">>",
        ("|", ("fibo", "a"), ("orale", "b", (3, ":", 1))),
        ("blend", "a", "b", ("n", 4)),
    )
    assert (tree.line, tree.col) == (1, 25)
    assert (tree.left.line, tree.left.col) == (1, 9)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("a >> b >> c", (">>", (">>", "a", "b"), "c")),
        ("a | b | c", ("|", ("|", "a", "b"), "c")),
        ("a >> b | c", (">>", "a", ("|", "b", "c"))),
        ("(a >> b) | c", ("|", (">>", "a", "b"), "c")),
        ("a | b * 2", ("|", "a", ("*", "b", 2))),
        ("a + b * 2", ("+", "a", ("*", "b", 2))),
        ("(a + b) * 2", ("*", ("+", "a", "b"), 2)),
        ("-a * 2", ("*", ("neg", "a"), 2)),
        ("a - b - c", ("-", ("-", "a", "b"), "c")),
        ("a / 2 + b | c >> d", (">>", ("|", ("+", ("/", "a", 2), "b"), "c"), "d")),
    ],
)
def test_precedence_and_associativity(source, expected):
    assert shape(only_expr(source)) == expected


def test_statements_and_their_fields():
    src = """model "m.ts"
model default
bpm 117.5
k 11
beats 3
quantum bar
seed 42
a = normal(s, k=2bars, seed=3)
track drums = fibo(a)
play a >> b
wait 3beats
stop drums
hush
export a "out.npy"
show a
plot a "a.png"
"""
    kinds = [type(s).__name__ for s in parse(src).statements]
    assert kinds == ["Model", "Model", "Bpm", "SetK", "Beats", "Quantum", "Seed", "Assign",
                     "Track", "Play", "Wait", "Stop", "Hush", "Export", "Show", "Plot"]
    st_ = parse(src).statements
    assert st_[5] == ast.Quantum(6, 1, ast.Name(6, 9, "bar"))
    st_ = st_[:5] + st_[6:]
    assert st_[0].path.value == "m.ts" and st_[1].path is None
    assert st_[2].value.value == 117.5 and st_[3].value.value == 11
    length = st_[6].value.kwargs[0].value
    assert (length.amount, length.unit) == (2.0, "bars")
    assert st_[9].value == ast.Length(11, 6, 3.0, "beats")
    assert st_[12].path.value == "out.npy"


def test_lengths_units_and_numbers():
    values = [only_expr(s) for s in ("2bars", "1bar", "3beats", "16frames", "1.5s", "2.5", "1e2")]
    assert [(v.amount, v.unit) for v in values[:5]] == [
        (2.0, "bars"), (1.0, "bars"), (3.0, "beats"), (16.0, "frames"), (1.5, "s")]
    assert values[5].value == 2.5 and isinstance(values[5].value, float)
    assert values[6].value == 100.0
    assert isinstance(only_expr("7").value, int)


def test_comments_separators_and_continuation():
    src = "a = fibo(x,  # first\n  start=2)  # trailing\n\nb = a |\n  c; play b\n# end"
    stmts = parse(src).statements
    assert [type(s).__name__ for s in stmts] == ["Assign", "Assign", "Play"]
    assert stmts[0].value.kwargs[0].name == "start"
    assert shape(stmts[1].value) == ("|", "a", "c")
    assert (stmts[2].line, stmts[2].col) == (5, 6)


def test_strings_with_escapes_and_lists():
    (stmt,) = parse('export [1, 2.5, -3] "a \\"q\\".npy"').statements
    assert stmt.path.value == 'a "q".npy'
    assert [shape(i) for i in stmt.value.items] == [1, 2.5, ("neg", 3)]


def test_keywords_are_names_inside_expressions():
    stmt = parse("x = normal(s, k=k, seed=seed)").statements[0]
    assert [k.name for k in stmt.value.kwargs] == ["k", "seed"]
    assert shape(stmt.value.kwargs[0].value) == "k"
    stmt = parse("bar = fibo(quantum)").statements[0]
    assert stmt.name == "bar" and shape(stmt.value) == ("fibo", "quantum")


@pytest.mark.parametrize(
    "source, line, col, message",
    [
        ("blend(a, b, n=)", 1, 15, "expected a number after `n=`, found `)`"),
        ("x = orale(a, ratio=)", 1, 20, "expected a ratio like `3:1` after `ratio=`, found `)`"),
        ("x = swap(a, b, by=)", 1, 19, "expected a string in quotes after `by=`, found `)`"),
        ("x = fibo(a, stop=)", 1, 18, "expected a value after `stop=`, found `)`"),
        ("bpm fast", 1, 5, "expected a number after `bpm`, found `fast`"),
        ("a = ", 1, 5, "expected a value after `a =`, found the end of the input"),
        ("x = 1\r\ny = fibo(a,,)\r\n", 2, 12, "expected a value or `)` after `,`, found `,`"),
        ("a = 3 +", 1, 8, "expected a value after `+`, found the end of the input"),
        ("x = fibo(a))", 1, 12, "`)` has no matching opening bracket"),
        ('export a "out.wav', 1, 10, "this string is not closed"),
        ("a = b @ c", 1, 7, "unexpected character `@`"),
        ("play = 3", 1, 6, "`play` is a statement word and cannot be used as a name"),
        ("bmp 117", 1, 5, "unknown statement `bmp` (did you mean `bpm`?)"),
        ('exprt a "x.wav"', 1, 7, "unknown statement `exprt` (did you mean `export`?)"),
        ("x = 1\nk = 3", 2, 3, "`k` is a statement word and cannot be used as a name"),
        ("ok = 1\nstop 3", 2, 6, "expected a name after `stop`, found `3`"),
        ("export a", 1, 9, "expected a file name in quotes after `a`"),
        ("f(a b)", 1, 5, "expected `,`, `)` or `=` after `a`, found `b`"),
        ("a = (b\nc = 2", 2, 1, "found `c` (the `(` on line 1 is not closed)"),
        ("model 3", 1, 7, "expected a model file in quotes or `default` after `model`"),
        ("quantum 2", 1, 9, "expected `beat` or `bar` after `quantum`, found `2`"),
        ("quantum\nk 4", 1, 8, "expected `beat` or `bar` after `quantum`, found the end of"),
        ('quantum "bar"', 1, 9, "expected `beat` or `bar` after `quantum`"),
        ("quantum = 1", 1, 9, "`quantum` is a statement word and cannot be used as a name"),
        ("quantm bar", 1, 8, "unknown statement `quantm` (did you mean `quantum`?)"),
    ],
)
def test_syntax_errors_name_the_place(source, line, col, message):
    with pytest.raises(LanguageError) as info:
        parse(source, "score.unr")
    err = info.value
    assert (err.line, err.col) == (line, col)
    assert message in err.message
    text = str(err)
    head, src_line, caret = text.split("\n")
    assert head.startswith(f"score.unr:{line}:{col}: ")
    assert src_line == source.splitlines()[line - 1]
    assert caret == " " * (col - 1) + "^"
    assert isinstance(err, UnravelError)


def test_error_at_end_of_line_points_after_the_text():
    with pytest.raises(LanguageError) as info:
        parse("a = fibo(x,\n")
    assert "the end of the input" in info.value.message


# ---- fuzz: anything either parses or raises LanguageError --------------------------------

TOKENS = ["a", "b", "fibo", "(", ")", "[", "]", ",", "=", "|", ">>", "+", "-", "*", "/", ":",
          "3", "1.5", "2bars", "4beats", '"x.wav"', "'y'", "\n", ";", "#c\n", "play", "track",
          "export", "bpm", "k", "seed", "stop", "hush", "wait", "show", "plot", "model",
          "default", "beats", "quantum", "bar", "beat", "n=", "\\\n", "@", "\"", "é", " ", "\t",
          "1e", ".5", "3:1",
          "blend", "orale", "normal", "stats", "gain", "k=", "seed=", "x", "true", "none", "0"]
VALID = [
    CARD,
    "bpm 117\nk 11\nseed 3\na = normal(stats(x), k=2bars)\ntrack d = fibo(a)\nstop d\nhush",
    'export orale(a, ratio=3:1, depth=2) "o.latent.wav"\nplay a | b >> c\nshow [1, 2]',
]


def _checked(source: str) -> None:
    """Parse `source`, then check it against a session with `a`, `b` and `x` bound."""
    session = Session(output=None)
    session.env.update(a=np.zeros((4, 8), np.float32), b=np.ones((4, 8), np.float32), x=2)
    session.check(source)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join))
def test_fuzz_token_soup_parses_or_raises_language_error(source):
    try:
        _checked(source)
    except LanguageError as err:
        assert err.line >= 1 and err.col >= 1


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3), st.text(max_size=3)),
             max_size=4),
)
def test_fuzz_mutated_programs_parse_or_raise_language_error(source, edits):
    for pos, cut, insert in edits:
        pos = pos % (len(source) + 1)
        source = source[:pos] + insert + source[pos + cut:]
    try:
        _checked(source)
    except LanguageError as err:
        assert err.line >= 1 and err.col >= 1
        assert str(err).startswith("<input>:")

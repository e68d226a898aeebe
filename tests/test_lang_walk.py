"""`walk.fold` visits an expression tree as a recursive walk would, without recursion."""

from __future__ import annotations

from unravel_lang.lang import ast
from unravel_lang.lang.parser import parse
from unravel_lang.lang.walk import children, fold


def recursive_order(node: ast.Expr, out: list) -> None:
    for kid in children(node):
        recursive_order(kid, out)
    out.append(node)


def test_fold_leaves_nodes_in_the_order_of_a_recursive_walk():
    (stmt,) = parse("x = fibo(-a >> [1, 2] | b * 2, n=c + reverse(d), start=3:1)").statements
    order: list = []
    entered: list = []
    fold(stmt.value, lambda node, values: order.append(node), entered.append)
    expected: list = []
    recursive_order(stmt.value, expected)
    assert order == expected
    assert entered[0] is stmt.value and set(map(id, entered)) == set(map(id, expected))


def test_fold_passes_the_children_values_in_order():
    (stmt,) = parse("x = (1 - 2) - -(3 - 4)").statements

    def leave(node, values):
        if isinstance(node, ast.Number):
            return node.value
        if isinstance(node, ast.Neg):
            return -values[0]
        return values[0] - values[1]

    assert fold(stmt.value, leave) == -2


def test_fold_goes_deeper_than_the_recursion_limit():
    depth = 5_000
    (stmt,) = parse("x = " + "-" * depth + "1").statements
    assert fold(stmt.value, lambda node, values: values[0] + 1 if values else 0) == depth

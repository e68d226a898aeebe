"""Walking an expression tree without recursion, so that nesting depth costs no Python stack.

`a >> a >> … >> a` with thousands of `>>`, or `reverse(reverse(…))` thousands deep, is a tree
as deep as it is long; a recursive walk would hit Python's recursion limit. `fold` visits
the nodes in the same order a recursive walk would (children left to right, then the node)
with an explicit stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unravel_lang.lang import ast


def children(node: ast.Expr) -> tuple[ast.Expr, ...]:
    """The sub-expressions of `node`, in source order (a call: positional arguments, then the
    values of its keywords)."""
    if isinstance(node, ast.BinOp):
        return (node.left, node.right)
    if isinstance(node, ast.Neg):
        return (node.operand,)
    if isinstance(node, ast.ListExpr):
        return node.items
    if isinstance(node, ast.Call):
        return node.args + tuple(kw.value for kw in node.kwargs)
    return ()


def fold(
    root: ast.Expr,
    leave: Callable[[ast.Expr, list[Any]], Any],
    enter: Callable[[ast.Expr], None] | None = None,
) -> Any:
    """Post-order fold of the tree under `root`: `enter(node)` (if given) when a node is
    reached, before its children; `leave(node, values)` after them, with `values` the results
    of `leave` for its children in order. Returns `leave(root, ...)`. Exceptions propagate."""
    stack: list[tuple[ast.Expr, int]] = [(root, -1)]
    values: list[Any] = []
    while stack:
        node, count = stack.pop()
        if count < 0:
            if enter is not None:
                enter(node)
            kids = children(node)
            stack.append((node, len(kids)))
            stack.extend((kid, -1) for kid in reversed(kids))
            continue
        if count:
            args = values[-count:]
            del values[-count:]
        else:
            args = []
        values.append(leave(node, args))
    return values[0]

"""Running checked statements: expressions become numpy arrays, plans and stats.

Every failure while running is raised as `LanguageError` at the node that caused it.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from unravel_lang.errors import UnravelError
from unravel_lang.guards import check_sum
from unravel_lang.lang import ast
from unravel_lang.lang.context import Context
from unravel_lang.lang.errors import LanguageError
from unravel_lang.lang.functions import ARRAY, STATS, Function, functions
from unravel_lang.lang.parser import MAX_WHOLE
from unravel_lang.lang.walk import fold
from unravel_lang.lang.words import CONSTANTS, INPUT
from unravel_lang.paths import describe_error
from unravel_lang.plan import Plan, as_plan
from unravel_lang.stats import Stats

# Python errors a library function raises on arguments it cannot use; shown as the user's error.
_SCALAR_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}

_ARGUMENT_ERRORS = (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError,
                    OverflowError)


class Evaluator:
    """Evaluates the nodes of one program in `context` (the bindings, the grid, seeds)."""

    def __init__(self, context: Context, program: ast.Program) -> None:
        self.context = context
        self.program = program
        self.table = functions()

    def error(self, message: str, node: ast.Node) -> LanguageError:
        return LanguageError(message, node.line, node.col, self.program.source, self.program.file)

    def expr(self, node: ast.Expr) -> Any:
        """The value of `node`; walks the tree without recursion (`walk.fold`)."""
        return fold(node, self._leave)

    def _leave(self, node: ast.Expr, values: list[Any]) -> Any:
        if isinstance(node, ast.Number):
            return node.value
        if isinstance(node, ast.String):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.context.env:
                return self.context.env[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id == INPUT:
                return self.guard(node, self.context.input_bars)
            raise self.error(f"unknown name `{node.id}`", node)
        if isinstance(node, ast.Length):
            return self.guard(node, lambda: self.context.grid.frames(node.amount, node.unit))
        if isinstance(node, ast.Ratio):
            return (int(node.left.value), int(node.right.value))
        if isinstance(node, ast.ListExpr):
            return values
        if isinstance(node, ast.Neg):
            (value,) = values
            if isinstance(value, np.ndarray):
                return (-value).astype(np.float32)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return self.number(-value, node, "`-`")
            raise self.error(f"`-` needs a number or a latent array, got {_what(value)}", node)
        if isinstance(node, ast.BinOp):
            return self.binop(node, *values)
        if isinstance(node, ast.Call):
            return self.call(node, values)
        raise self.error("this is not an expression", node)  # pragma: no cover

    def guard(self, node: ast.Node, thunk):
        """Run `thunk`, turning a user error inside it into a `LanguageError` at `node`."""
        try:
            return thunk()
        except LanguageError:
            raise
        except UnravelError as err:
            raise self.error(str(err), node) from None
        except (OSError, MemoryError) as err:  # the file system, or numpy asking too much
            raise self.error(describe_error(err), node) from None

    def binop(self, node: ast.BinOp, left: Any, right: Any) -> Any:
        if node.op in (">>", "|"):
            what = "`>>`" if node.op == ">>" else "`|`"
            a = self.plan(left, node.left, what)
            b = self.plan(right, node.right, what)
            if node.op == "|":
                return a.layer(b)
            self.guard(node, lambda: check_sum((a.frames, b.frames), "`>>`"))
            return a.then(b)
        for value, side in ((left, node.left), (right, node.right)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.ndarray)):
                raise self.error(
                    f"`{node.op}` works on numbers and latent arrays, got {_what(value)}", side)
        if (
            isinstance(left, np.ndarray) and isinstance(right, np.ndarray)
            and left.shape != right.shape
        ):
            raise self.error(
                f"`{node.op}` needs arrays of the same shape, got {left.shape} and {right.shape}",
                node)
        if node.op == "/" and not isinstance(right, np.ndarray) and right == 0:
            raise self.error("division by zero", node.right)
        if not isinstance(left, np.ndarray) and not isinstance(right, np.ndarray):
            return self.number(_SCALAR_OPS[node.op](left, right), node, f"`{node.op}`")
        with np.errstate(all="ignore"):
            result = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node.op](
                left, right)
        result = np.asarray(result).astype(np.float32)
        if not np.isfinite(result).all():
            raise self.error(f"`{node.op}` gives values that are not finite", node)
        return result

    def number(self, value: int | float, node: ast.Node, what: str) -> int | float:
        """`value` as a Python number, refused at `node` when it is not finite or a whole
        number beyond 64 bits: non-finite values are stopped where they are made."""
        if isinstance(value, (int, np.integer)):
            value = int(value)
            if abs(value) > MAX_WHOLE:
                raise self.error(f"{what} gives a whole number beyond 64 bits "
                                 f"(more than {MAX_WHOLE})", node)
            return value
        value = float(value)
        if not math.isfinite(value):
            raise self.error(f"{what} gives a number that is not finite ({value})", node)
        return value

    def plan(self, value: Any, node: ast.Node, what: str) -> Plan:
        """`value` as a plan (an array becomes a one-voice plan)."""
        plan = as_plan(value)
        if plan is None:
            raise self.error(f"{what} needs a latent array or a plan, got {_what(value)}", node)
        return plan

    def call(self, node: ast.Call, values: list[Any]) -> Any:
        fn = self.table[node.func]
        args = values[: len(node.args)]
        kwargs = {kw.name: v for kw, v in zip(node.kwargs, values[len(node.args):], strict=True)}
        for name, value, where in self._bound(fn, node, args, kwargs):
            self._check_kind(fn, name, value, where)
        if fn.seeded and "seed" not in kwargs and len(args) <= fn.param_names.index("seed"):
            kwargs["seed"] = self.context.next_seed()
        if fn.session:
            args.insert(0, self.context)
        try:
            result = fn.impl(*args, **kwargs)
        except LanguageError:
            raise
        except UnravelError as err:
            raise self.error(_prefixed(fn.name, str(err)), node) from None
        except _ARGUMENT_ERRORS as err:
            raise self.error(_prefixed(fn.name, str(err)), node) from None
        except (OSError, MemoryError) as err:
            raise self.error(_prefixed(fn.name, describe_error(err)), node) from None
        if isinstance(result, np.ndarray):
            return result.astype(np.float32, copy=False)
        return result

    def _bound(self, fn: Function, node: ast.Call, args: list, kwargs: dict):
        """(parameter name, value, node) for every argument of the call."""
        if fn.variadic:
            for value, arg in zip(args, node.args, strict=False):
                yield fn.variadic, value, arg
        else:
            for param, value, arg in zip(fn.params, args, node.args, strict=False):
                yield param.name, value, arg
        for kw in node.kwargs:
            yield kw.name, kwargs[kw.name], kw.value

    def _check_kind(self, fn: Function, name: str, value: Any, where: ast.Node) -> None:
        want = fn.kinds.get(name)
        if want == ARRAY and not (isinstance(value, np.ndarray) and value.ndim == 2):
            raise self.error(f"{fn.name}: `{name}` must be a latent array, got {_what(value)}",
                             where)
        if want == STATS and value is not None and not isinstance(value, Stats):
            raise self.error(f"{fn.name}: `{name}` must be stats (from stats(...)), "
                             f"got {_what(value)}", where)


def _prefixed(name: str, message: str) -> str:
    return message if message.startswith(f"{name}") else f"{name}: {message}"


def _what(value: Any) -> str:
    """A short description of a value for messages: `a plan of 2 voices`, `the number 3`."""
    if isinstance(value, Plan):
        return f"a plan of {len(value.voices)} voices (made with `|` or `>>`)"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, tuple):
        return "a ratio"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "none"
    name = type(value).__name__
    return "stats" if name == "Stats" else f"a {name}"


"""The functions a score can call: their names, parameters and the Python functions behind them.

The table is made from the marked functions of the maths modules (`@generator`, `@pattern`,
`@shaping_tool`) and the small wrappers here for those that need the session (the model, the
score's folder). Parameter names and defaults are read from the Python signature, so the
language and the library cannot disagree; a mark states where the language differs (a name,
parameters filled from the tempo grid).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from unravel_lang import shaping
from unravel_lang.errors import PatternError
from unravel_lang.generate import GENERATORS
from unravel_lang.guards import check_gain
from unravel_lang.patterns import PATTERNS
from unravel_lang.plan import Plan, Voice
from unravel_lang.shaping import FROM_GRID, SHAPING_TOOLS
from unravel_lang.stats import Stats
from unravel_lang.stats import stats as measure

# What a value is, as far as the checker can tell before running anything.
ARRAY, PLAN, STATS, NUMBER, RATIO, STRING, LIST, BOOL, ANY = (
    "latent array", "plan", "stats", "number", "ratio", "string", "list", "true/false", "any"
)


@dataclass(frozen=True)
class Function:
    """One callable of the language.

    `params`: the parameters a score may pass (positional order, then by keyword);
    `variadic`: name of a `*args` parameter, if any; `session`: the Python function takes the
    session first; `seeded`: it has a `seed` parameter that the session fills when not given;
    `kinds`: what each parameter must be (checked before running); `returns`: what it gives.
    """

    name: str
    impl: Callable[..., Any]
    params: tuple[inspect.Parameter, ...]
    variadic: str | None
    session: bool
    seeded: bool
    kinds: dict[str, str]
    returns: str
    summary: str

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.default is inspect.Parameter.empty)

    def signature(self) -> str:
        """`fibo(a, start=1, stop=None)`-style text."""
        parts = []
        for p in self.params:
            if p.name == "seed" and self.seeded:
                parts.append("seed=<session>")
            elif p.default is inspect.Parameter.empty:
                parts.append(p.name)
            else:
                parts.append(f"{p.name}={_show_default(p.default)}")
        if self.variadic:
            parts.insert(0, f"{self.variadic}...")
        return f"{self.name}({', '.join(parts)})"


def _show_default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]}:{value[1]}"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


# ---- wrappers that need the session -------------------------------------------------------


def encode(session, *paths: str) -> np.ndarray:
    """Encode audio files (paths, folders or globs) with the model; one array, files in order."""
    from unravel_lang.audio import find_audio

    files = find_audio([str(session.resolve(p)) for p in paths])
    arrays = [session.model.encode_file(f) for f in files]
    return np.concatenate(arrays, axis=0).astype(np.float32, copy=False)


def load(session, path: str) -> np.ndarray:
    """Read a latent array from `.npy` or a latent `.wav` file."""
    from unravel_lang.latent_io import load_latent

    return np.asarray(load_latent(session.resolve(path)), dtype=np.float32)


def stats(session, *arrays: Any):
    """The statistics of one or more latent arrays (pooled), or those saved in a statistics
    file (`.json`, written by `export s "x.json"` or `unravel stats -o`); a length after the
    arrays measures only the last that many frames of each: `stats(input, 8bars)`."""

    if any(isinstance(a, str) for a in arrays):
        if len(arrays) != 1:
            raise PatternError("stats takes latent arrays, or one statistics file")
        return Stats.load(session.resolve(arrays[0]))
    if len(arrays) > 1 and isinstance(arrays[-1], (int, float)) and not isinstance(
            arrays[-1], bool):
        *arrays, n = arrays
        if not float(n).is_integer():
            raise PatternError(f"stats: the length must be whole frames, got {n:g}")
        arrays = [shaping.take(a, int(n)) for a in arrays]
    for i, a in enumerate(arrays):
        if not (isinstance(a, np.ndarray) and a.ndim == 2):
            raise PatternError(f"stats: argument {i + 1} must be a latent array, "
                               f"got {type(a).__name__}")
    return measure(*arrays)


def gain(session, x: Any, g: float) -> Plan:
    """A plan of `x` (array or plan) whose voices are mixed at `g` times their gain; a
    voice's gain stays within ±1000 (+60 dB)."""

    plan = session.to_plan(x, "gain")
    g = check_gain(g, "gain: g")
    return Plan(tuple(Voice(v.latent, v.start, check_gain(v.gain * g, "gain: the voice's gain"))
                      for v in plan.voices))


# ---- the table ------------------------------------------------------------------------------

# The wrappers above, before and after the marked functions of the maths modules. Every function
# the language knows is one of these, a generator (`generate.GENERATORS`), a pattern
# (`patterns.PATTERNS`) or a shaping tool (`shaping.SHAPING_TOOLS`), in this order; each
# returns an array, except `stats` and `gain`.
_WRAPPERS_FIRST = ("encode", "load", "stats")
_WRAPPERS_LAST = ("gain",)
_RETURNS = {"stats": STATS, "gain": PLAN}

# What parameters of these names must be; others are checked when the call runs.
_PARAM_KINDS = {"a": ARRAY, "b": ARRAY, "s": STATS, "stats": STATS, "arrays": ARRAY,
                "paths": STRING, "path": STRING, "ratio": RATIO}
_PARAM_KINDS_BY_FUNC: dict[str, dict[str, str]] = {"gain": {"x": ANY, "g": NUMBER},
                                                   "stats": {"arrays": ANY}}


def _from_grid(tool: Callable[..., Any], names: tuple[str, ...]) -> Callable[..., Any]:
    """`tool` as the language calls it: the session first; the parameters `names` left out or
    none are the grid's (e.g. `k`: the current k). Its signature shows them with default none."""
    signature = inspect.signature(tool)

    def call(session, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind_partial(*args, **kwargs)
        for name in names:
            if bound.arguments.get(name) is None:
                bound.arguments[name] = getattr(session.grid, name)
        return tool(*bound.args, **bound.kwargs)

    params = [p.replace(default=None) if p.name in names else p
              for p in signature.parameters.values()]
    session = inspect.Parameter("session", inspect.Parameter.POSITIONAL_ONLY)
    call.__signature__ = signature.replace(parameters=[session, *params])  # type: ignore[attr-defined]
    call.__name__ = call.__qualname__ = tool.__name__
    call.__wrapped__ = tool  # type: ignore[attr-defined]
    first, _, rest = (inspect.getdoc(tool) or "").partition("\n\n")
    shown = ", ".join(f"`{name}`" for name in names)
    call.__doc__ = f"{first} In a score, {shown} left out or none is the current one.\n\n{rest}"
    return call


def _build(name: str, impl: Callable[..., Any], returns: str = ARRAY) -> Function:
    params = list(inspect.signature(impl).parameters.values())
    session = bool(params) and params[0].name == "session"
    if session:
        params = params[1:]
    variadic = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    named = tuple(p.replace(kind=p.POSITIONAL_OR_KEYWORD) for p in params
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY))
    kinds = {p.name: _PARAM_KINDS[p.name] for p in named if p.name in _PARAM_KINDS}
    if variadic in _PARAM_KINDS:
        kinds[variadic] = _PARAM_KINDS[variadic]
    kinds.update(_PARAM_KINDS_BY_FUNC.get(name, {}))
    doc = inspect.getdoc(impl) or ""
    return Function(
        name=name,
        impl=impl,
        params=named,
        variadic=variadic,
        session=session,
        seeded=any(p.name == "seed" for p in named),
        kinds=kinds,
        returns=returns,
        summary=doc.strip().split("\n\n")[0].replace("\n", " "),
    )


@lru_cache(maxsize=1)
def functions() -> dict[str, Function]:
    """Every function the language knows, by language name."""
    tools = {name: _from_grid(tool, FROM_GRID[name]) if name in FROM_GRID else tool
             for name, tool in SHAPING_TOOLS.items()}
    first = {name: globals()[name] for name in _WRAPPERS_FIRST}
    last = {name: globals()[name] for name in _WRAPPERS_LAST}
    table = {**first, **GENERATORS, **PATTERNS, **tools, **last}
    return {name: _build(name, impl, _RETURNS.get(name, ARRAY)) for name, impl in table.items()}


def function_names() -> list[str]:
    """Names of the language's functions, sorted."""
    return sorted(functions())

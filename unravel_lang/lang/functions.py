"""The functions a score can call: their names, parameters and the Python functions behind them.

Each entry wraps a plain function of the pattern library (or a small wrapper here for those
that need the session: the model, the tempo, the score's folder). Parameter names and defaults
are read from the Python signature, so the language and the library cannot disagree.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from unravel_lang.errors import PatternError
from unravel_lang.patterns import PATTERNS
from unravel_lang.plan import Plan, Voice

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
    from unravel_lang import shaping
    from unravel_lang.stats import Stats
    from unravel_lang.stats import stats as measure

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
    from unravel_lang.guards import check_gain

    plan = session.to_plan(x, "gain")
    g = check_gain(g, "gain: g")
    return Plan(tuple(Voice(v.latent, v.start, check_gain(v.gain * g, "gain: the voice's gain"))
                      for v in plan.voices))


def fit_tempo(session, a: np.ndarray, k: int | None = None, mode: str = "trim") -> np.ndarray:
    """`a` trimmed, looped or stretched to a whole number of beats at `k` (the session's k by
    default); see `unravel_lang.shaping.fit_tempo`."""
    from unravel_lang import shaping

    return shaping.fit_tempo(a, session.k if k is None else k, mode=mode)


# ---- the table ------------------------------------------------------------------------------

# language name -> (module, attribute, returns). Module None: a wrapper in this file.
_TABLE: dict[str, tuple[str | None, str, str]] = {
    "encode": (None, "encode", ARRAY),
    "load": (None, "load", ARRAY),
    "stats": (None, "stats", STATS),
    "normal": ("unravel_lang.generate", "normal", ARRAY),
    "uniform": ("unravel_lang.generate", "uniform", ARRAY),
    "iqr_uniform": ("unravel_lang.generate", "iqr_uniform", ARRAY),
    "correlated": ("unravel_lang.generate", "correlated", ARRAY),
    "smooth": ("unravel_lang.generate", "smooth", ARRAY),
}
# After the generators come the patterns: every function in `patterns.PATTERNS`, then these.
_TABLE_AFTER_PATTERNS: dict[str, tuple[str | None, str, str]] = {
    "repeat": ("unravel_lang.shaping", "repeat", ARRAY),
    "reverse": ("unravel_lang.shaping", "reverse", ARRAY),
    "slice": ("unravel_lang.shaping", "slice_frames", ARRAY),
    "take": ("unravel_lang.shaping", "take", ARRAY),
    "concat": ("unravel_lang.shaping", "concat", ARRAY),
    "select": ("unravel_lang.shaping", "select", ARRAY),
    "scale": ("unravel_lang.shaping", "scale", ARRAY),
    "bias": ("unravel_lang.shaping", "bias", ARRAY),
    "jitter": ("unravel_lang.shaping", "jitter", ARRAY),
    "interpolate": ("unravel_lang.shaping", "interpolate", ARRAY),
    "stretch": ("unravel_lang.shaping", "stretch", ARRAY),
    "fit_tempo": (None, "fit_tempo", ARRAY),
    "gain": (None, "gain", PLAN),
}

# What parameters of these names must be; others are checked when the call runs.
_PARAM_KINDS = {"a": ARRAY, "b": ARRAY, "s": STATS, "stats": STATS, "arrays": ARRAY,
                "paths": STRING, "path": STRING, "ratio": RATIO}
_PARAM_KINDS_BY_FUNC: dict[str, dict[str, str]] = {"gain": {"x": ANY, "g": NUMBER},
                                                   "stats": {"arrays": ANY}}


def _build(name: str, module: str | None, attr: str, returns: str) -> Function:
    impl = globals()[attr] if module is None else getattr(importlib.import_module(module), attr)
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
    patterns = {name: ("unravel_lang.patterns", name, ARRAY) for name in PATTERNS}
    table = {**_TABLE, **patterns, **_TABLE_AFTER_PATTERNS}
    return {name: _build(name, *entry) for name, entry in table.items()}


def function_names() -> list[str]:
    """Names of the language's functions, sorted."""
    return sorted(functions())

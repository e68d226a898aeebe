"""One home per rule: each rule below is written once, in the module named, and used from there.

Source scans catch a second copy of a rule coming back; the latent check is compared across
every place that takes a latent array from a user.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import unravel_lang
from unravel_lang.engine.engine import Engine
from unravel_lang.errors import LatentError, PatternError
from unravel_lang.guards import check_latent
from unravel_lang.latent_io import validate_latent
from unravel_lang.plan import Plan, as_plan
from unravel_lang.termview import as_latent

PACKAGE = Path(unravel_lang.__file__).parent


def sources() -> dict[str, str]:
    """Every Python module of the package: relative path -> source."""
    return {str(p.relative_to(PACKAGE)): p.read_text(encoding="utf-8")
            for p in sorted(PACKAGE.rglob("*.py"))}


def containing(text: str) -> list[str]:
    return [path for path, source in sources().items() if text in source]


# ---- seed derivation: unravel_lang/seeds.py ---------------------------------------------------


def test_seed_derivation_lives_in_seeds():
    assert containing("SeedSequence(") == ["seeds.py"]
    assert containing("<< 31") == ["seeds.py"]


# ---- the default grid: tempo.DEFAULT_K -----------------------------------------------------------


def elevens(source: str) -> list[int]:
    """Lines where the number 11 is written in `source`."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and type(node.value) is int and node.value == 11]


def test_the_default_k_is_written_once():
    found = {path: elevens(source) for path, source in sources().items()}
    found = {path: lines for path, lines in found.items() if lines}
    # model.py: the frames a model is probed with at load and a noise seed, not the grid
    assert found.pop("model.py", None) is not None
    assert list(found) == ["tempo.py"] and len(found["tempo.py"]) == 1


def test_no_k_or_beats_parameter_defaults_to_a_number():
    """Defaults of the grid come from `tempo.DEFAULT_K` and `tempo.DEFAULT_BEATS`."""
    literal = []
    for path, source in sources().items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults))
                defaults += node.args.defaults + node.args.kw_defaults
                literal += [f"{path}:{node.lineno} {node.name}"
                            for arg, default in zip(args, defaults, strict=True)
                            if arg.arg in ("k", "beats_per_bar")
                            and isinstance(default, ast.Constant)
                            and default.value is not None]
    assert literal == []


# ---- plan coercion: plan.as_plan -----------------------------------------------------------


def test_arrays_become_plans_in_plan_py_only():
    assert containing("Plan.of(") == ["plan.py"]


def test_as_plan():
    a = np.ones((3, 2), np.float64)
    plan = as_plan(a)
    assert plan.frames == 3 and plan.voices[0].latent.dtype == np.float32
    assert plan.voices[0].start == 0 and plan.voices[0].gain == 1.0
    b = np.ones((3, 2), np.float32)
    assert as_plan(b).voices[0].latent is b
    assert as_plan(plan) is plan
    assert as_plan(np.ones(3)) is None and as_plan([[1.0]]) is None and as_plan(2) is None


# ---- latent validation: guards.check_latent --------------------------------------------------


BAD = [
    (np.zeros((2, 3, 8)), r"must have shape \(frames, dims\), got shape \(2, 3, 8\)"),
    (np.full((2, 8), "x"), r"must hold real numbers, got dtype <U1"),
    (np.zeros((2, 8), complex), r"must hold real numbers, got dtype complex128"),
    (np.array([[0.0] * 7 + [np.nan], [np.inf] * 8]),
     r"holds a value that is not finite \(NaN or infinite\): nan at frame 0, dim 7 "
     r"\(9 such values\)"),
]


def engine_check(model, a) -> None:
    with Engine(model, realtime=False) as engine:
        engine.track("t", Plan.of(a))


CHECKS = {
    "guards": lambda model, a: check_latent(a, "x"),
    "latent files": lambda model, a: validate_latent(a, "x"),
    "model": lambda model, a: model.check_latent(a, "x"),
    "terminal view": lambda model, a: as_latent(a),
    "engine": engine_check,
}


@pytest.mark.parametrize("array,message", BAD)
@pytest.mark.parametrize("where", list(CHECKS))
def test_every_latent_check_applies_the_same_rule(tiny, where, array, message):
    with pytest.raises((LatentError, PatternError), match=message):
        CHECKS[where](tiny, array)

"""Where each value of a pattern's output comes from: the pattern run on arrays of positions.

Pure numpy. Any function in `patterns.PATTERNS` can be traced without being named here: what
the trace needs is read from the pattern's signature. A parameter `b` means two input arrays;
`seed` means a seeded pattern (both runs get the same seed); `amount` sizes how much the
pattern alters the values it copies, and the tracer run sets it to 0.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from unravel_lang.errors import UnravelError
from unravel_lang.guards import check_latent
from unravel_lang.patterns import PATTERNS

#: The tracer numbers every input value; float32 holds whole numbers exactly up to 2**24.
MAX_TRACED_VALUES = 2**24


@dataclass
class PatternTrace:
    """Where every value of a pattern's output comes from.

    output: the pattern's output `(frames, dims)`; source: 0 where a value comes from `a`,
    1 where from `b`; row: the frame of that input it comes from; altered: True where the value
    was changed on the way (orale's altered copies). All arrays have the output's shape.
    """

    name: str
    output: np.ndarray
    source: np.ndarray
    row: np.ndarray
    altered: np.ndarray

    @property
    def frame_row(self) -> np.ndarray:
        """The input row each output frame plays (dim 0's row): `(frames,)`."""
        return self.row[:, 0]

    @property
    def block_starts(self) -> np.ndarray:
        """Output frames where a new block starts: the played row does not follow the last one."""
        rows = self.frame_row
        starts = np.flatnonzero(np.diff(rows) != 1) + 1
        return np.concatenate([[0], starts]).astype(int)


def pattern_function(name: str) -> Callable[..., np.ndarray]:
    """The pattern called `name`, or an `UnravelError` listing the patterns."""
    fn = PATTERNS.get(name)
    if fn is None:
        raise UnravelError(f"unknown pattern {name!r}; plot one of: {', '.join(PATTERNS)}")
    return fn


def takes_b(name: str) -> bool:
    """True when pattern `name` takes a second array `b`."""
    return "b" in inspect.signature(pattern_function(name)).parameters


def pattern_trace(name: str, a: np.ndarray, b: np.ndarray | None = None, **kwargs: Any
                  ) -> PatternTrace:
    """Run pattern `name` on `a` (and `b`) with `kwargs`, and trace where each value comes from.

    The pattern also runs on tracer arrays whose values are their own positions (positive in
    `a`, negative in `b`), which tells the source row of every output value. A pattern with an
    `amount` runs the tracer with amount=0, and a value counts as altered where the real output
    differs from the unaltered one. A seeded pattern without a `seed` uses seed 0; a numpy
    Generator seed is turned into one integer draw, so both runs pick the same positions.
    """
    fn = pattern_function(name)
    params = inspect.signature(fn).parameters
    if "b" in params and b is None:
        raise UnravelError(f"plotting {name} needs two arrays, a and b")
    if "b" not in params and b is not None:
        raise UnravelError(f"{name} takes one array; got a second one (b)")
    if "seed" in params:
        seed = kwargs.get("seed")
        if seed is None:
            seed = 0
        elif isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**62))
        kwargs = {**kwargs, "seed": seed}
    a = np.asarray(a)
    inputs = [a] if b is None else [a, np.asarray(b)]
    output = np.asarray(fn(*inputs, **kwargs))
    shape = check_latent(a, f"{name}: a").shape
    codes = 1.0 + np.arange(shape[0] * shape[1], dtype=np.float64).reshape(shape)
    if codes.size >= MAX_TRACED_VALUES:
        raise UnravelError("the input is too large to trace (more than 16 million values)")
    tracers = [codes] if b is None else [codes, -codes]
    exact = {**kwargs, "amount": 0.0} if "amount" in params else kwargs
    traced = np.asarray(fn(*tracers, **exact), dtype=np.float64)
    index = np.abs(traced).astype(np.int64) - 1
    row = index // shape[1]
    source = (traced < 0).astype(np.int8)
    if "amount" in params:
        altered = output != np.asarray(fn(*inputs, **exact))
    else:
        altered = np.zeros(output.shape, dtype=bool)
    return PatternTrace(name, output, source, row, altered)

"""One place that turns a `seed` argument into a numpy Generator."""

from __future__ import annotations

import numpy as np

from unravel_lang.errors import PatternError

Seed = int | np.random.Generator | None


def as_generator(seed: Seed) -> np.random.Generator:
    """Return a numpy Generator for `seed`.

    An `int` (>= 0) gives ``numpy.random.default_rng(seed)``, so the same int always gives the
    same stream; a `Generator` is returned as is (its state advances as it is used); `None`
    gives a fresh, unpredictable generator.
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise PatternError(f"seed must be an integer >= 0, a numpy Generator or None, got {seed!r}")
    if isinstance(seed, (int, np.integer)):
        if seed < 0:
            raise PatternError(f"seed must be an integer >= 0, got {seed}")
        return np.random.default_rng(int(seed))
    raise PatternError(
        f"seed must be an integer >= 0, a numpy Generator or None, got {type(seed).__name__}"
    )

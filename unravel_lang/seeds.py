"""Seed derivation: every seed unravel draws from another seed, by one rule.

`derive(seed, *path)` is a 63-bit integer drawn from
``numpy.random.SeedSequence([seed mod 2**64, *path]).generate_state(2)`` as
``((s0 << 31) ^ s1) & (2**63 - 1)``. Every seed the language and the CLI accept (0 … 2**64 − 1)
is taken as is. The paths in use:

- `call_seed(seed, n)`: the n-th seeded call (from 0) after `seed N` in a score, `[N, n]`;
- `voice_seed(seed, j)`: the decoder of voice j of a render, a track or an export, `[seed, j]`;
- `chunk_seed(seed, k)`: the torch seed of chunk k of a model stream or encode seeded `seed`,
  `[seed, k, CHUNK_DOMAIN]` (the domain keeps it apart from the two above).
"""

from __future__ import annotations

import numpy as np

SEED_MASK = (1 << 64) - 1
"""Seeds are 64-bit unsigned integers: a seed is taken modulo 2**64."""

CHUNK_DOMAIN = 0x6D6F64656C
"""The last entropy word of a chunk seed ("model" in ASCII)."""


def derive(seed: int, *path: int) -> int:
    """The 63-bit seed at `path` under `seed`: ``SeedSequence([seed mod 2**64, *path])``'s
    first two 32-bit words `s0, s1` as ``((s0 << 31) ^ s1) & (2**63 - 1)``."""
    entropy = [int(seed) & SEED_MASK, *(int(p) for p in path)]
    state = np.random.SeedSequence(entropy).generate_state(2)
    return int((int(state[0]) << 31) ^ int(state[1])) & 0x7FFFFFFFFFFFFFFF


def call_seed(seed: int, n: int) -> int:
    """The seed of the `n`-th seeded call (from 0) after `seed N` (`seed` = N)."""
    return derive(seed, n)


def voice_seed(seed: int, index: int) -> int:
    """The decoder seed of voice `index` in a render, track or export seeded with `seed`."""
    return derive(seed, index)


def chunk_seed(seed: int, index: int) -> int:
    """The torch seed of chunk `index` of a stream or encode seeded with `seed`."""
    return derive(seed, index, CHUNK_DOMAIN)

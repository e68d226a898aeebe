"""Cost of the guards that run before the work, measured side by side.

    .venv/bin/python bench/bench_guards.py

Prints: (1) how long refusing an absurd length takes (orale depth 10**8, repeat 2**62) against
building a normal orale; (2) the time per node of checking and evaluating expressions 30, 300
and 3000 deep (a walk without recursion should cost the same per node at any depth: ratios
near 1); (3) the guards' share of building ordinary patterns (length checks in log space
against the build itself).
"""

from __future__ import annotations

import time

import numpy as np

from unravel_lang.guards import check_power, check_product
from unravel_lang.lang import evaluate
from unravel_lang.patterns import orale
from unravel_lang.shaping import repeat


def best(fn, repeat_: int = 5) -> float:
    """The best of `repeat_` timings of `fn()`, in seconds."""
    times = []
    for _ in range(repeat_):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def refused(fn) -> None:
    try:
        fn()
    except Exception:
        return
    raise AssertionError("not refused")


def main() -> None:
    a = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    build = best(lambda: orale(a, (3, 1), depth=2, seed=0))
    huge = best(lambda: refused(lambda: orale(a, (2, 1), depth=100_000_000)))
    rep = best(lambda: refused(lambda: repeat(a, 2**62)))
    print(f"refuse orale depth 10**8: {huge * 1e6:8.1f} µs  ({huge / build:.2f}× building "
          f"orale(8 frames, 3:1, depth 2))")
    print(f"refuse repeat 2**62:      {rep * 1e6:8.1f} µs  ({rep / build:.2f}×)")

    per_node = {}
    for depth in (30, 300, 3000):
        chain = "x = " + " >> ".join(["a"] * depth)
        nest = "x = " + "reverse(" * depth + "a" + ")" * depth
        per_node[depth] = (best(lambda c=chain: evaluate(c, env={"a": a}), 3) / depth,
                           best(lambda n=nest: evaluate(n, env={"a": a}), 3) / depth)
    for depth, (chain, nest) in per_node.items():
        print(f"depth {depth:5d}: `>>` chain {chain * 1e6:6.1f} µs/node "
              f"({chain / per_node[30][0]:.2f}× depth 30), nested reverse "
              f"{nest * 1e6:6.1f} µs/node ({nest / per_node[30][1]:.2f}× depth 30)")

    guard = best(lambda: (check_power(4, 2, 8, "orale"), check_product((2, 8), "repeat")), 20)
    print(f"length checks of one orale and one repeat: {guard * 1e6:.1f} µs "
          f"({100 * guard / build:.1f} % of building the orale)")


if __name__ == "__main__":
    main()

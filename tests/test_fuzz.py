"""A seeded fuzz of the language: mutated example scores and docs snippets end in success or
in an error naming its place, never in another exception, and each within seconds.

`UNRAVEL_FUZZ_CASES` and `UNRAVEL_FUZZ_SEED` run a larger or another fuzz (same test)."""

from __future__ import annotations

import os

import pytest
from fuzz_scores import REPO, bindings, run_cases

from unravel_lang.model import load_model

CASES = int(os.environ.get("UNRAVEL_FUZZ_CASES", "2000"))
SEED = int(os.environ.get("UNRAVEL_FUZZ_SEED", "9"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    (base / "audio").symlink_to(REPO / "examples" / "audio")
    return base


def test_mutated_scores_end_in_success_or_a_positioned_error(folder):
    model = load_model(None)
    env = bindings(folder, model)
    assert {"a", "b", "s", "drums"} <= set(env)
    out = run_cases(CASES, SEED, folder, model, env, per_case=10.0)
    summary = ", ".join(f"{kind} {outcome}: {n}" for (kind, outcome), n in
                        sorted(out.counts.items()))
    print(f"\n{CASES} cases in {out.seconds:.1f} s ({summary}); slowest "
          f"{out.slowest[0]:.2f} s: {out.slowest[1][:80]!r}")
    assert not out.bad, "\n".join(out.bad[:20])
    assert sum(out.counts.values()) == CASES
    # the mutations reach both ends: some cases still run, most are refused with a place
    assert out.counts[("lines", "ok")] > CASES // 20
    assert out.counts[("score", "positioned error")] > 0
    assert not list(folder.glob("**/*.npy")) and not list(folder.glob("**/*.wav"))[3:]

"""A score named on the command line (`unravel run`, `check`, `--seeds`): its file, its model,
where it may write, and what it plays rendered by the live engine."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from unravel_lang.commands.write_options import output_folder
from unravel_lang.errors import UnravelError
from unravel_lang.paths import regular_file

if TYPE_CHECKING:
    import numpy as np


def score_and_model(args: argparse.Namespace) -> tuple[Path, str | None]:
    """The score file of `args` (which must exist) and its `--model` as an absolute path
    (None: the embedded default), since a score's own paths are taken from its folder."""
    score = regular_file(args.score, UnravelError, "a score file",
                         missing=f"no score file {args.score}")
    return score, str(Path(args.model).expanduser().resolve()) if args.model else None


def write_places(args: argparse.Namespace, score: Path) -> dict:
    """`out_dir` and `allow_write` for the `Session` of a score: `--out-dir`, else the score's
    folder, and the `--allow-write` folders."""
    return {"out_dir": output_folder(args, score.resolve().parent),
            "allow_write": args.allow_write}


def render_score(score: Path, model, seed: int, output=print, make=None,
                 device: str = "cpu", out_dir=None, allow_write=()) -> tuple[np.ndarray, int]:
    """What `score` plays, rendered by the live engine with `seed`: `(audio (channels,
    samples) float32, sr)`. `model`: a path, a loaded model, or None (the embedded one);
    `output`: where the score's own lines go (None: nowhere); `make`: the performer's class
    (its keyword arguments are `ScoreRender`'s; default `ScoreRender`); models run on
    `device`; `out_dir` (default: the score's folder) and `allow_write`: where the score may
    write."""
    from unravel_lang.engine.score import ScoreRender
    from unravel_lang.lang import Session

    session = Session(model=model, seed=seed, output=output, device=device,
                      out_dir=out_dir if out_dir is not None else score.resolve().parent,
                      allow_write=allow_write)
    make = make or ScoreRender
    with make(seed=seed, k=session.k, beats_per_bar=session.beats_per_bar,
              load=lambda: session.model) as performer:
        session.performer = performer
        session.run_file(score)
        if not performer.played:
            raise UnravelError(f"{score} plays nothing (no `play` or `track`), so there is "
                               "nothing to render")
        audio = performer.finish()
    return audio, int(session.model.sr)

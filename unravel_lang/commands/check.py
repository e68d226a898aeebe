"""`unravel check SCORE.unr`: check and evaluate a score without decoding or writing anything;
print the errors, or a summary of every binding (shape, seconds, bars) and how long what the
score plays lasts (timed by the live engine, as `run -o` renders it)."""

from __future__ import annotations

import argparse

from unravel_lang.commands.score import score_and_model, write_places
from unravel_lang.commands.write_options import add_write_options


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `check` subcommand to `sub`."""
    p = sub.add_parser(
        "check",
        help="check a score (.unr) without decoding; print every binding's shape and length",
        description="Parse, check and evaluate a score without decoding audio or writing "
        "files (encode still reads its audio). Prints each binding's shape, seconds and "
        "bars, and the length of what the score plays.",
    )
    p.add_argument("score", metavar="SCORE", help="the score file (.unr)")
    p.add_argument("-m", "--model", default=None, metavar="MODEL",
                   help="TorchScript .ts export (default: the embedded model)")
    add_write_options(p, "the score's folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the score of `args`; returns 0 (errors are raised as `UnravelError`)."""
    from unravel_lang.engine.score import ScoreRender
    from unravel_lang.lang import Session, describe

    score, model = score_and_model(args)
    session = Session(model=model, dry_run=True, output=lambda line: None,
                      **write_places(args, score))
    with ScoreRender(k=session.k, beats_per_bar=session.beats_per_bar, decode=False,
                     load=lambda: session.model) as timing:
        session.performer = timing
        session.run_file(score)
        frames = timing.finish().shape[1] / session.model.ratio if timing.played else 0
    width = max((len(n) for n in session.env), default=0)
    print(f"{score}: ok")
    for name in session.env:
        print(f"  {name:<{width}}  {session.summary(session.env[name])}")
    if frames:
        print(f"plays: {describe.timing(session.grid, frames)}")
    return 0

"""`unravel check SCORE.unr`: check and evaluate a score without decoding or writing anything;
print the errors, or a summary of every binding (shape, seconds, bars)."""

from __future__ import annotations

import argparse
from pathlib import Path

from unravel_lang.errors import UnravelError


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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the score of `args`; returns 0 (errors are raised as `UnravelError`)."""
    from unravel_lang.lang import Recorder, Session

    score = Path(args.score)
    if not score.is_file():
        raise UnravelError(f"no score file {score}")
    model = str(Path(args.model).expanduser().resolve()) if args.model else None
    recorder = Recorder()
    session = Session(model=model, performer=recorder, dry_run=True, output=lambda line: None)
    session.run_file(score)
    width = max((len(n) for n in session.env), default=0)
    print(f"{score}: ok")
    for name in session.env:
        print(f"  {name:<{width}}  {session.summary(session.env[name])}")
    timeline = recorder.timeline()
    if timeline.frames:
        print(f"plays: {session.summary(timeline)}")
    return 0

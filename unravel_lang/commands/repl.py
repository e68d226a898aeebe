"""`unravel repl`: the interactive REPL (also what `unravel` without arguments opens)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `repl` subcommand to `sub`."""
    parser = sub.add_parser(
        "repl",
        help="live-code in the language (the default command)",
        description="Open the interactive REPL: type statements, hear them, change them live.",
    )
    parser.add_argument("--model", "-m", metavar="M", help="RAVE .ts export (default: embedded)")
    parser.add_argument("--bpm", type=float, metavar="B", help="start at the tempo nearest B")
    parser.add_argument("--seed", type=int, metavar="N", help="seed of every random draw")
    parser.add_argument("--quantum", choices=("beat", "bar"), default="beat",
                        help="new tracks start on the next beat (default) or bar line")
    parser.add_argument("--link", action="store_true",
                        help="join the Ableton Link session (needs unravel-lang[link])")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the REPL until the user quits; returns its exit code."""
    from unravel_lang.repl import run_repl

    return run_repl(model=args.model, bpm=args.bpm, seed=args.seed, quantum=args.quantum,
                    link=args.link)

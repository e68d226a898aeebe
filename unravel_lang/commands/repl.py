"""`unravel repl`: the interactive REPL (also what `unravel` without arguments opens)."""

from __future__ import annotations

import argparse

from unravel_lang.commands import options
from unravel_lang.commands.options import add_live_arguments, live_options
from unravel_lang.errors import UnravelError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `repl` subcommand to `sub`."""
    parser = sub.add_parser(
        "repl",
        help="live-code in the language (the default command)",
        description="Open the interactive REPL: type statements, hear them, change them live.",
    )
    parser.add_argument("--model", "-m", metavar="M", help="RAVE .ts export (default: embedded)")
    parser.add_argument("--device", default="cpu", metavar="DEVICE",
                        help='where the model runs: "cpu" (default) or "cuda" (a GPU torch sees)')
    parser.add_argument("--bpm", type=float, metavar="B", help="start at the tempo nearest B")
    parser.add_argument("--seed", type=options.seed, metavar="N", help="seed of every random draw")
    parser.add_argument("--quantum", choices=("beat", "bar"), default="beat",
                        help="new tracks start on the next beat (default) or bar line")
    parser.add_argument("--input", "-i", metavar="DEVICE",
                        help="listen to this input from the start: a device name or index, or "
                             "an audio file played in real time (`listen` opens it again)")
    parser.add_argument("--input-bars", type=int, metavar="N", default=None,
                        help="bars of live input kept for `input` and `record` (default 16)")
    parser.add_argument("--plain", action="store_true",
                        help="read blocks separated by blank lines, print no terminal control "
                        "codes (for editors that paste into a terminal: vim-slime, VS Code)")
    add_live_arguments(parser, "the current directory")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the REPL until the user quits; returns its exit code."""
    from unravel_lang.repl.app import run_repl

    if args.input_bars is not None and args.input_bars < 1:
        raise UnravelError(f"--input-bars must be at least 1, got {args.input_bars}")
    return run_repl(live_options(args), bpm=args.bpm, quantum=args.quantum, plain=args.plain,
                    input=args.input, input_bars=args.input_bars)

"""`unravel watch SCORE.unr`: re-evaluate a score each time it is saved, while it plays."""

from __future__ import annotations

import argparse

from unravel_lang.commands import options
from unravel_lang.commands.options import add_view_arguments, view_address
from unravel_lang.commands.repl import add_listen_arguments, listen_options
from unravel_lang.commands.write_options import add_write_options


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `watch` subcommand to `sub`."""
    parser = sub.add_parser(
        "watch",
        help="play a score and re-evaluate it whenever the file is saved",
        description="Play SCORE and re-evaluate it on every save: changed tracks swap on "
        "their next loop boundary, errors are printed and change nothing. Ctrl-C stops.",
    )
    parser.add_argument("score", metavar="SCORE.unr", help="the score file to watch")
    parser.add_argument("--model", "-m", metavar="M", help="RAVE .ts export (default: embedded)")
    parser.add_argument("--seed", type=options.seed, metavar="N", help="seed of every random draw")
    parser.add_argument("--device", default="cpu", metavar="DEVICE",
                        help='where the model runs: "cpu" (default) or "cuda" (a GPU torch sees)')
    parser.add_argument("--interval", type=options.interval, default=0.2, metavar="S",
                        help="poll every S seconds (0.2; from 0.01 to 3600)")
    add_listen_arguments(parser)
    parser.add_argument("--link", action="store_true",
                        help="join the Ableton Link session (needs unravel-lang[link])")
    add_view_arguments(parser)
    add_write_options(parser, "the score's folder")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Watch the score until Ctrl-C; returns 0."""
    from unravel_lang.live.watch import watch

    port, host = listen_options(args)
    return watch(args.score, model=args.model, seed=args.seed, interval=args.interval,
                 listen=port, listen_host=host, view=view_address(args),
                 device=args.device, link=args.link, out_dir=args.out_dir,
                 allow_write=args.allow_write)

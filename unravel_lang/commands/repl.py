"""`unravel repl`: the interactive REPL (also what `unravel` without arguments opens)."""

from __future__ import annotations

import argparse

from unravel_lang.commands import options
from unravel_lang.commands.options import add_view_arguments, view_address
from unravel_lang.commands.write_options import add_write_options
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
    add_listen_arguments(parser)
    parser.add_argument("--link", action="store_true",
                        help="join the Ableton Link session (needs unravel-lang[link])")
    add_view_arguments(parser)
    add_write_options(parser, "the current directory")
    parser.set_defaults(func=handler)


def add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    """`--listen [PORT]` and `--listen-host HOST` (shared by `repl` and `watch`)."""
    from unravel_lang.live.server import DEFAULT_PORT

    parser.add_argument("--listen", type=int, nargs="?", const=DEFAULT_PORT, metavar="PORT",
                        help="take code and controls over OSC (unravel send, /unravel/eval, "
                        f"/unravel/set ...) on 127.0.0.1:PORT (default {DEFAULT_PORT})")
    parser.add_argument("--listen-host", metavar="HOST", default=None,
                        help="listen on another interface than 127.0.0.1, e.g. 0.0.0.0 for a "
                        "phone running TouchOSC. Security: anyone who reaches it can run code "
                        "in the session (write files, stop the music)")


def listen_options(args: argparse.Namespace) -> tuple[int | None, str]:
    """`(port or None, host)` from `--listen` / `--listen-host` (a host alone implies the
    default port)."""
    from unravel_lang.live.server import DEFAULT_PORT, LOOPBACK

    port = args.listen
    if port is None and args.listen_host is not None:
        port = DEFAULT_PORT
    if port is not None and not 0 <= port <= 65535:
        raise UnravelError(f"--listen: a port is 0 to 65535, got {port}")
    return port, args.listen_host or LOOPBACK


def handler(args: argparse.Namespace) -> int:
    """Run the REPL until the user quits; returns its exit code."""
    from unravel_lang.repl.app import run_repl

    if args.input_bars is not None and args.input_bars < 1:
        raise UnravelError(f"--input-bars must be at least 1, got {args.input_bars}")
    port, host = listen_options(args)
    return run_repl(model=args.model, bpm=args.bpm, seed=args.seed, quantum=args.quantum,
                    plain=args.plain, listen=port, listen_host=host,
                    view=view_address(args), input=args.input, input_bars=args.input_bars,
                    device=args.device, link=args.link, out_dir=args.out_dir,
                    allow_write=args.allow_write)

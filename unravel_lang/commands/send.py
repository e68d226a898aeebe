"""`unravel send [FILE[:LINES]]`: send a block of code to a running REPL or watch session."""

from __future__ import annotations

import argparse
import os
import sys

from unravel_lang.live.send import read_block, send_block
from unravel_lang.live.server import DEFAULT_PORT


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `send` subcommand to `sub`."""
    parser = sub.add_parser(
        "send",
        help="send code to a running `unravel repl --listen` (or watch) and print its answer",
        description="Send a block of code to the unravel session listening on OSC (started "
        "with --listen) and print what it answered. FILE:N sends the paragraph around line N "
        "(blank lines separate paragraphs), FILE:A-B lines A to B, FILE all of it; without "
        "FILE (or with -) the code is read from stdin. Exit status 1 when the code failed.",
    )
    parser.add_argument("block", nargs="?", default="-", metavar="FILE[:LINES]",
                        help="the code to send (default: stdin)")
    parser.add_argument("--host", default="127.0.0.1", help="where the session listens")
    env = os.environ.get("UNRAVEL_PORT", "")
    parser.add_argument("--port", type=int, default=int(env) if env.isdigit() else DEFAULT_PORT,
                        help=f"its port (default $UNRAVEL_PORT or {DEFAULT_PORT})")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="seconds to wait for the answer (10)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Send the block; print the answer (stdout when it succeeded, stderr when it failed)."""
    code = sys.stdin.read() if args.block == "-" else read_block(args.block)
    ok, answer = send_block(code, args.host, args.port, args.timeout)
    if answer:
        print(answer, file=sys.stdout if ok else sys.stderr, flush=True)
    return 0 if ok else 1

"""The `unravel` command: a dispatcher over the subcommands in `unravel_lang.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from unravel_lang.errors import UnravelError

# Each module defines `register(subparsers)`, which adds its parser and sets `func=handler`,
# where `handler(args) -> int` returns the exit code.
COMMANDS = ("info", "encode", "decode", "stats", "generate", "run", "check", "repl", "watch",
            "plot", "send")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered (names in `parser.commands`)."""
    parser = argparse.ArgumentParser(
        prog="unravel",
        description="Compose inside the latent space of RAVE models.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"unravel_lang.commands.{name}").register(sub)
    parser.set_defaults(commands=tuple(sub.choices))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1 user error, 130 interrupted, 141 pipe)."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv and "repl" in parser.get_default("commands"):
        argv = ["repl"]
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except UnravelError as err:
        print(f"unravel: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("unravel: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`unravel info | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141

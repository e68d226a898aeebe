"""The `unravel` command: a dispatcher over the subcommands in `unravel_lang.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from unravel_lang.commands.options import OneLineParser
from unravel_lang.errors import UnravelError
from unravel_lang.paths import describe_error

# Each module defines `register(subparsers)`, which adds its parser and sets `func=handler`,
# where `handler(args) -> int` returns the exit code.
COMMANDS = ("info", "encode", "decode", "stats", "generate", "run", "check", "repl", "watch",
            "plot", "send")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered (names in `parser.commands`)."""
    parser = OneLineParser(
        prog="unravel",
        description="Compose inside the latent space of RAVE models.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"unravel_lang.commands.{name}").register(sub)
    parser.set_defaults(commands=tuple(sub.choices))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1 user error, 2 bad option,
    130 interrupted, 141 pipe, 143 terminated).

    Run as the program (`argv` None), SIGTERM ends it like Ctrl-C does (temporary files of
    unfinished writes are removed on the way out), and a Ctrl-C that comes after the work is
    done (while Python shuts down) exits 130 without a traceback.
    """
    if argv is None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return _main(sys.argv[1:])
        finally:
            signal.signal(signal.SIGINT, _interrupted_at_exit)
    return _main(argv)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM: unwind like an exception (so `finally` blocks and temp file removal run)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise SystemExit(128 + signal.SIGTERM)


def _interrupted_at_exit(signum: int, frame: object) -> None:
    """Ctrl-C once `main` has returned: exit 130 at once, without Python's 'Exception ignored
    in atexit callback' report (what had to be written is written)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(130)


def _main(argv: list[str]) -> int:
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
    except (OSError, MemoryError) as err:  # BrokenPipeError is handled below
        if isinstance(err, BrokenPipeError):
            return _broken_pipe()
        print(f"unravel: error: {describe_error(err)}", file=sys.stderr)
        return 1


def _broken_pipe() -> int:
    # the reader of our output went away (`unravel info | head`): stop quietly
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 141

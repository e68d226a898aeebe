"""The options that say where a score or a REPL line may write: `--out-dir`, `--allow-write`."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_write_options(parser: argparse.ArgumentParser, default: str) -> None:
    """Add `--out-dir DIR` (the output folder; `default` says what it is without the option)
    and `--allow-write DIR` (repeatable) to `parser`."""
    parser.add_argument(
        "--out-dir", metavar="DIR", default=None,
        help=f"output folder: relative paths that `export` and `plot` write go here, and "
        f"writes must stay inside it (default: {default})")
    parser.add_argument(
        "--allow-write", metavar="DIR", action="append", default=[],
        help="also allow writes inside DIR (repeatable)")


def output_folder(args: argparse.Namespace, default: Path) -> Path:
    """The output folder `args` ask for: `--out-dir`, else `default`."""
    return Path(args.out_dir).expanduser() if args.out_dir else default

"""`unravel repl`: not written yet; registers nothing until it is."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `repl` subcommand to `sub`."""

"""Options shared by the subcommands: their types, refused at the option (exit status 2, one
line) when out of range, before any work; and the groups of options several subcommands add
(the live view, the cluster, the options of a live session)."""

from __future__ import annotations

import argparse
import math

from unravel_lang.addresses import DEFAULT_HOST, parse_address
from unravel_lang.cluster import EXTRA as CLUSTER_EXTRA
from unravel_lang.commands.write_options import add_write_options
from unravel_lang.errors import UnravelError
from unravel_lang.live.options import LiveOptions
from unravel_lang.live.server import DEFAULT_PORT

SEED_MAX = (1 << 64) - 1
"""Largest seed: seeds are 64-bit unsigned integers (numpy's SeedSequence takes them)."""

INTERVAL_RANGE = (0.01, 3600.0)
"""Seconds allowed between two polls of `unravel watch`."""


def seed(text: str) -> int:
    """A seed: a whole number from 0 to `SEED_MAX`."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a seed is a whole number, got {text!r}") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to 2**64-1, got {text}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def interval(text: str) -> float:
    """A poll interval in seconds, within `INTERVAL_RANGE`."""
    low, high = INTERVAL_RANGE
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(
            f"the interval is between {low:g} and {high:g} seconds, got {text}")
    return value


class OneLineParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line: `unravel run: error: <what>` (and the
    `--help` to read), exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_view_arguments(parser) -> None:
    """Add `--view` and `--view-address ADDRESS` to an argparse parser."""
    parser.add_argument("--view", action="store_true",
                        help="serve the live view page (http://127.0.0.1 on a free port; "
                        "needs: pip install 'unravel-lang[view]')")
    parser.add_argument("--view-address", metavar="ADDRESS", default=None,
                        help="serve the view at HOST:PORT, HOST or PORT (implies --view)")


def view_address(args) -> str | None:
    """The view address the options of `args` ask for: None (no view), "" (the default) or the
    address given (checked: an `UnravelError` names a bad one)."""
    address = getattr(args, "view_address", None)
    if address is not None:
        parse_address(address)
        return address
    return "" if getattr(args, "view", False) else None


def add_cluster_options(parser) -> None:
    """Add `--workers N` and `--scheduler ADDRESS` to an argparse parser."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help="run on a local Dask cluster of N worker processes "
                       f"(needs {CLUSTER_EXTRA})")
    group.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on an existing Dask cluster: its scheduler's address "
                       f"(tcp://host:8786) or scheduler file (needs {CLUSTER_EXTRA})")


def add_live_arguments(parser, writes: str) -> None:
    """Add the options a live session (`repl`, `watch`) takes after its own: `--listen`,
    `--listen-host`, `--link`, the view's and the write options (`writes`: the output folder
    without `--out-dir`). `--model`, `--seed` and `--device` each command adds in its place.
    A new live option goes here, in `live_options` and in `live.options.LiveOptions`."""
    parser.add_argument("--listen", type=int, nargs="?", const=DEFAULT_PORT, metavar="PORT",
                        help="take code and controls over OSC (unravel send, /unravel/eval, "
                        f"/unravel/set ...) on 127.0.0.1:PORT (default {DEFAULT_PORT})")
    parser.add_argument("--listen-host", metavar="HOST", default=None,
                        help="listen on another interface than 127.0.0.1, e.g. 0.0.0.0 for a "
                        "phone running TouchOSC. Security: anyone who reaches it can run code "
                        "in the session (write files, stop the music)")
    parser.add_argument("--link", action="store_true",
                        help="join the Ableton Link session (needs unravel-lang[link])")
    add_view_arguments(parser)
    add_write_options(parser, writes)


def live_options(args) -> LiveOptions:
    """The `LiveOptions` of parsed `args`; a bad `--listen` port or view address is an
    `UnravelError`. `--listen-host` alone listens on the default port."""
    port = args.listen
    if port is None and args.listen_host is not None:
        port = DEFAULT_PORT
    if port is not None and not 0 <= port <= 65535:
        raise UnravelError(f"--listen: a port is 0 to 65535, got {port}")
    return LiveOptions(model=args.model, seed=args.seed, device=args.device, listen=port,
                       listen_host=args.listen_host or DEFAULT_HOST, view=view_address(args),
                       link=args.link, out_dir=args.out_dir, allow_write=args.allow_write)

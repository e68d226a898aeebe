"""Where a server of the live session listens: `(host, port)` from what the user wrote."""

from __future__ import annotations

from unravel_lang.errors import UnravelError

DEFAULT_HOST = "127.0.0.1"


def parse_address(address: str | int | float | None) -> tuple[str, int]:
    """`(host, port)` from None or "" (127.0.0.1, a free port), a port number, "PORT", "HOST"
    or "HOST:PORT" (port 0: a free one); an `UnravelError` for anything else."""
    if address is None or address == "":
        return DEFAULT_HOST, 0
    if isinstance(address, (int, float)) and not isinstance(address, bool):
        return DEFAULT_HOST, _port(address, address)
    text = str(address).strip()
    host, sep, port = text.rpartition(":")
    if not sep:
        if text.isdigit():
            return DEFAULT_HOST, _port(int(text), address)
        host, port = text, "0"
    if not host or not port.isdigit() or any(c.isspace() for c in host):
        raise UnravelError(f"an address is HOST:PORT, HOST or PORT, got {address!r}")
    return host.strip("[]"), _port(int(port), address)


def _port(value: float, given: object) -> int:
    if value != int(value) or not 0 <= int(value) <= 65535:
        raise UnravelError(f"a port is a whole number from 0 to 65535, got {given!r}")
    return int(value)


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

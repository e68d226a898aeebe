"""Network addresses as the user writes them: where a server of the live session listens
(`parse_address`) and where OSC is sent (`parse_target`)."""

from __future__ import annotations

import ipaddress
import re

from unravel_lang.errors import UnravelError

DEFAULT_HOST = "127.0.0.1"
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")

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


def parse_target(text: str) -> tuple[str, int]:
    """`"127.0.0.1:9000"` (or `"localhost:9000"`, `":9000"` for 127.0.0.1) as `(host, port)`;
    `ValueError` with a sentence naming what is wrong."""
    host, sep, port = str(text).rpartition(":")
    if not sep:
        raise ValueError(f'an OSC address is "host:port", e.g. "127.0.0.1:9000", got "{text}"')
    host = host or DEFAULT_HOST
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f'the port in "{text}" must be a number from 1 to 65535')
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host):
            raise ValueError(f'"{host}" is not a host name or IP address') from None
    return host, int(port)

"""Network addresses as the user writes them: `"host:port"`."""

from __future__ import annotations

import ipaddress
import re

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")


def parse_target(text: str) -> tuple[str, int]:
    """`"127.0.0.1:9000"` (or `"localhost:9000"`, `":9000"` for 127.0.0.1) as `(host, port)`;
    `ValueError` with a sentence naming what is wrong."""
    host, sep, port = str(text).rpartition(":")
    if not sep:
        raise ValueError(f'an OSC address is "host:port", e.g. "127.0.0.1:9000", got "{text}"')
    host = host or "127.0.0.1"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f'the port in "{text}" must be a number from 1 to 65535')
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host):
            raise ValueError(f'"{host}" is not a host name or IP address') from None
    return host, int(port)

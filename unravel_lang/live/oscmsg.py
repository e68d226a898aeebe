"""OSC messages as bytes, through python-osc (the `osc` extra), imported when first used."""

from __future__ import annotations

from typing import Any

from unravel_lang.errors import UnravelError

EXTRA = "pip install 'unravel-lang[osc]'"


def require() -> None:
    """Raise an `UnravelError` naming the extra to install when python-osc is missing."""
    try:
        import pythonosc  # noqa: F401
    except ImportError:
        raise UnravelError(f"OSC needs the python-osc package: {EXTRA}") from None


def encode(address: str, args: list[tuple[str, Any]]) -> bytes:
    """One OSC message: `address` and `(type tag, value)` args (`f` float32, `i` int32,
    `s` string)."""
    from pythonosc.osc_message_builder import OscMessageBuilder

    builder = OscMessageBuilder(address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def floats(address: str, values) -> bytes:
    """`address` with one float32 argument per value (the values are float32 already, so
    they are sent exactly)."""
    return encode(address, [("f", float(v)) for v in values])


def text(address: str, message: str) -> bytes:
    """`address` with one string argument."""
    return encode(address, [("s", message)])


class Malformed(ValueError):
    """A datagram that is not one OSC message (the sentence says why)."""


def decode(data: bytes) -> tuple[str, list[Any], str]:
    """`(address, args, type tags)` of one OSC message; `Malformed` for anything else
    (bundles, truncated or misaligned packets, text that is not UTF-8)."""
    from pythonosc.osc_message import OscMessage

    if data.startswith(b"#bundle"):
        raise Malformed("OSC bundles are not accepted; send single messages")
    if not data.startswith(b"/"):
        raise Malformed("not an OSC message (it must begin with an address such as /unravel/eval)")
    try:
        message = OscMessage(data)
        args = list(message.params)
        address = message.address
    except UnicodeDecodeError:
        raise Malformed("the packet holds text that is not valid UTF-8") from None
    except Exception as err:  # noqa: BLE001 - python-osc raises several kinds for bad packets
        cause = err.args[-1] if err.args else type(err).__name__
        raise Malformed(f"malformed OSC packet ({cause})") from None
    tags = _tags(data)
    return address, args, tags


def _tags(data: bytes) -> str:
    """The type tags of a well-formed message (without the leading comma)."""
    end = data.index(b"\0")
    start = (end + 4) & ~3
    if start >= len(data) or data[start:start + 1] != b",":
        return ""
    stop = data.index(b"\0", start)
    return data[start + 1:stop].decode("ascii", errors="replace")

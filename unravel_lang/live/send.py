"""`unravel send`: a block of code from an editor to a running REPL or watch session, over
OSC on loopback (`/unravel/eval`), and its answer back."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from unravel_lang.addresses import DEFAULT_HOST
from unravel_lang.errors import UnravelError
from unravel_lang.live import oscmsg
from unravel_lang.live.server import DEFAULT_PORT

MAX_CODE = 60_000  # bytes: one UDP datagram
_LINES = re.compile(r"^(.*):(\d+)(?:-(\d+))?$")


def paragraph(lines: list[str], line: int) -> tuple[int, int]:
    """The 1-based inclusive line range of the block of non-blank lines around `line` (an
    empty range `(line, line - 1)` when that line is blank)."""
    i = line - 1
    if not 0 <= i < len(lines) or not lines[i].strip():
        return line, line - 1
    first = i
    while first > 0 and lines[first - 1].strip():
        first -= 1
    last = i
    while last + 1 < len(lines) and lines[last + 1].strip():
        last += 1
    return first + 1, last + 1


def read_block(spec: str) -> str:
    """The code `spec` names: `FILE` (all of it), `FILE:N` (the paragraph around line N, as
    an editor's "send this block" means), `FILE:A-B` (lines A to B)."""
    path, first, last = Path(spec), None, None
    match = _LINES.match(spec)
    if match and not path.is_file():
        path, first, last = Path(match.group(1)), int(match.group(2)), match.group(3)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnravelError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UnravelError(f"cannot read {path}: {err}") from None
    if first is None:
        return text
    lines = text.splitlines()
    if first < 1 or first > max(len(lines), 1):
        raise UnravelError(f"{path} has {len(lines)} lines; line {first} is not one of them")
    if last is None:
        a, b = paragraph(lines, first)
    else:
        a, b = first, min(int(last), len(lines))
        if b < a:
            raise UnravelError(f"{spec}: the last line comes before the first")
    return "\n".join(lines[a - 1 : b])


def send_block(code: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
               timeout: float = 10.0) -> tuple[bool, str]:
    """Send `code` to the session listening at `host:port`; `(succeeded, its answer)`.
    `UnravelError` when nothing answers."""
    oscmsg.require()
    if not code.strip():
        raise UnravelError("nothing to send: the block is empty")
    data = oscmsg.text("/unravel/eval", code)
    if len(data) > MAX_CODE:
        raise UnravelError(f"the block is {len(data)} bytes; one send takes at most {MAX_CODE}")
    where = f"{host}:{port}"
    hint = "start one with `unravel repl --listen` or `unravel watch SCORE --listen`"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((host, int(port)))
            sock.send(data)
            reply = sock.recv(65536)
        except ConnectionRefusedError:
            raise UnravelError(f"no unravel session listens at {where}: {hint}") from None
        except TimeoutError:
            raise UnravelError(f"no answer from {where} within {timeout:g} s ({hint})") from None
        except OSError as err:
            raise UnravelError(f"cannot send to {where}: {err.strerror or err}") from None
    try:
        address, args, tags = oscmsg.decode(reply)
    except oscmsg.Malformed as err:
        raise UnravelError(f"{where} answered something that is not unravel's: {err}") from None
    if address not in ("/unravel/ok", "/unravel/error") or tags != "s":
        raise UnravelError(f"{where} answered {address}, not unravel's /unravel/ok or /error")
    return address == "/unravel/ok", args[0]

"""OSC in: a UDP server that lets controllers and editors drive a running session.

Addresses: `/unravel/eval <string>` (code, run exactly like a REPL input), `/unravel/set
<string name> <number>`, `/unravel/hush`, `/unravel/stop <string track>`. Every request is
answered to the sender's address and port: `/unravel/ok <text>` or `/unravel/error <text>`
(text = what the session printed). Malformed packets are answered with an error and printed;
nothing a packet holds stops the music.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from unravel_lang.addresses import DEFAULT_HOST
from unravel_lang.errors import UnravelError
from unravel_lang.live import oscmsg

DEFAULT_PORT = 9001
"""Where `unravel repl --listen` and `unravel send` meet unless told otherwise."""

MAX_REPLY = 60_000  # bytes of text in one reply datagram
ADDRESSES = ("/unravel/eval", "/unravel/set", "/unravel/hush", "/unravel/stop")


class OscServer:
    """Serves `control` (a `ReplControl`) on UDP `host:port` from a thread of its own.

    `host` is 127.0.0.1 unless the user chose another interface (anyone who reaches it can
    run code in the session). `write` prints one line (errors of malformed packets).
    """

    def __init__(self, control, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 write: Callable[[str], None] = print) -> None:
        oscmsg.require()
        self.control = control
        self.write = write
        self.requests = 0
        self.errors = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((host, int(port)))
        except OSError as err:
            self.sock.close()
            raise UnravelError(f"cannot listen for OSC on {host}:{port}: "
                               f"{err.strerror or err}") from None
        self.sock.settimeout(0.2)
        self.host, self.port = self.sock.getsockname()[:2]
        self._running = True
        self.thread = threading.Thread(target=self._serve, name="unravel-osc-in", daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _serve(self) -> None:
        while self._running:
            try:
                data, sender = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError:
                if not self._running:
                    return
                continue
            try:
                ok, text = self.handle(data, f"{sender[0]}:{sender[1]}")
            except Exception as err:  # noqa: BLE001 - a request never ends the server
                ok, text = False, f"internal error ({type(err).__name__}: {err})"
            self.requests += 1
            if not ok:
                self.errors += 1
            self._reply(sender, ok, text)

    def handle(self, data: bytes, origin: str) -> tuple[bool, str]:
        """Answer one datagram from `origin` ("host:port"): `(ok, text)`."""
        try:
            address, args, tags = oscmsg.decode(data)
        except oscmsg.Malformed as err:
            return self._refuse(origin, str(err))
        control = self.control
        where = f"{origin} "
        if address == "/unravel/eval":
            if tags != "s":
                return self._refuse(origin, "/unravel/eval takes one string: the code")
            return control.eval(args[0], where)
        if address == "/unravel/set":
            if len(tags) != 2 or tags[0] != "s" or tags[1] not in "ifdh":
                return self._refuse(origin, "/unravel/set takes a name (string) and a number")
            return control.set(args[0], args[1], where)
        if address == "/unravel/hush":
            if tags:
                return self._refuse(origin, "/unravel/hush takes no arguments")
            return control.hush(where)
        if address == "/unravel/stop":
            if tags != "s":
                return self._refuse(origin, "/unravel/stop takes one string: the track")
            return control.stop(args[0], where)
        return self._refuse(origin, f"unknown address {address[:80]} "
                                    f"(known: {', '.join(ADDRESSES)})")

    def _refuse(self, origin: str, message: str) -> tuple[bool, str]:
        self.write(f"osc in from {origin}: {message}")
        return False, message

    def _reply(self, sender: tuple, ok: bool, text: str) -> None:
        data = text.encode("utf-8")[:MAX_REPLY].decode("utf-8", errors="ignore")
        try:
            self.sock.sendto(oscmsg.text("/unravel/ok" if ok else "/unravel/error", data), sender)
        except OSError:
            pass  # the sender went away: nothing to answer

    def close(self) -> None:
        self._running = False
        self.thread.join(timeout=2)
        self.sock.close()

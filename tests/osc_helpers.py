"""Test helpers for OSC: a receiving UDP socket on loopback that decodes what arrives."""

from __future__ import annotations

import socket
import time

import numpy as np


class Receiver:
    """A UDP socket bound to 127.0.0.1 on a free port; `take(...)` returns decoded messages
    `(address, args, arrival monotonic time)` in arrival order."""

    def __init__(self) -> None:
        from unravel_lang.live import oscmsg

        self.decode = oscmsg.decode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.target = f"127.0.0.1:{self.port}"
        self.got: list[tuple[str, list, float]] = []

    def pump(self, seconds: float) -> None:
        """Receive for `seconds`."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            address, args, _ = self.decode(data)
            self.got.append((address, args, time.monotonic()))

    def until(self, predicate, timeout: float = 10.0) -> bool:
        """Receive until `predicate(self.got)` holds (True) or `timeout` passes (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate(self.got):
                return True
            self.pump(0.05)
        return predicate(self.got)

    def frames(self, address: str) -> np.ndarray:
        """The float32 rows that arrived at `address`, in order."""
        rows = [args for a, args, _ in self.got if a == address]
        return np.asarray(rows, np.float32).reshape(len(rows), -1) if rows else \
            np.zeros((0, 0), np.float32)

    def close(self) -> None:
        self.sock.close()

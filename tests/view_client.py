"""A WebSocket viewer of the live view that connects and then never reads."""

from __future__ import annotations

import base64
import os
import re
import socket


def stalled_viewer(url: str, rcvbuf: int = 2048) -> socket.socket:
    """Open the view page's WebSocket at `url` and never read from it: with a receive buffer of
    `rcvbuf` bytes, the server's writes back up at once."""
    host, port = re.match(r"http://([^:/]+):(\d+)/", url).groups()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock

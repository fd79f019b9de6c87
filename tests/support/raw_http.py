"""HTTP written by hand on a socket: requests no client library would send."""

from __future__ import annotations

import socket


def send_raw(port: int, raw: bytes, *, timeout: float = 10) -> bytes:
    """Send `raw` on a fresh connection and read the answer until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(raw)
        return read_until_closed(connection)


def read_until_closed(connection: socket.socket) -> bytes:
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    return answer

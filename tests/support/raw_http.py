"""HTTP on a socket: requests written by hand that no client library would send, and plain GETs."""

from __future__ import annotations

import http.client
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


def status_of_get(port: int, path: str) -> int:
    """The status of a plain GET to a server on loopback."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()

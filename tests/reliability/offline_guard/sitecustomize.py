"""Loaded by every Python process the offline test starts: refuses non-loopback connections.

Each refused attempt is appended to the file named by NEWSQA_GUARD_LOG, so the test can report
them; the program under test must work regardless.
"""

import ipaddress
import os
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _allowed(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # Unix sockets
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(address: object) -> None:
    log = os.environ.get("NEWSQA_GUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {address}\n")
    raise ConnectionRefusedError(f"offline guard: connection to {address} refused")


def connect(self: socket.socket, address: object) -> None:
    if not _allowed(address):
        _refuse(address)
    _connect(self, address)


def connect_ex(self: socket.socket, address: object) -> int:
    if not _allowed(address):
        _refuse(address)
    return _connect_ex(self, address)


socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]

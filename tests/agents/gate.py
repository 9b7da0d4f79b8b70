"""A TCP relay that lets through only connections opened by processes of one user.

It stands in front of a PAGENT host's sshd to prove the proxy route. On loopback every address is
reachable from everywhere, and both a direct connection from the OpsGraph server and one forwarded by
the proxy's sshd come from 127.0.0.1; what differs is who opened the socket: the server runs as root,
while sshd forwards `direct-tcpip` channels from the session process of the logged-in user. The
kernel lists each socket's owner in /proc/net/tcp, so the gate looks the peer up there and relays
only the proxy login user's connections to the real sshd. Everything else is closed at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field


def _proc_address(address: str, port: int) -> str:
    """How /proc/net/tcp spells an IPv4 address:port (the address in host byte order, little-endian here)."""
    return f"{socket.inet_aton(address)[::-1].hex().upper()}:{port:04X}"


def socket_owner(local: tuple[str, int], remote: tuple[str, int]) -> int | None:
    """The uid owning the TCP socket `local` → `remote` on this machine, if it is listed."""
    wanted = (_proc_address(*local), _proc_address(*remote))
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            fields = line.split()
            if (fields[1], fields[2]) == wanted:
                return int(fields[7])
    return None


@dataclass
class UidGate:
    listen: tuple[str, int]
    upstream: tuple[str, int]
    allowed_uid: int
    relayed: list[int] = field(default_factory=list)
    refused: list[int | None] = field(default_factory=list)
    _server: socket.socket | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> UidGate:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(self.listen)
        server.listen(16)
        server.settimeout(0.2)
        self._server = server
        threading.Thread(target=self._accept, name="uid-gate", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.close()

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stopping.is_set():
            try:
                client, peer = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            owner = socket_owner(peer, self.listen)
            if owner != self.allowed_uid:
                self.refused.append(owner)
                client.close()
                continue
            self.relayed.append(owner)
            upstream = socket.create_connection(self.upstream, timeout=5)
            upstream.settimeout(None)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, target), daemon=True).start()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)

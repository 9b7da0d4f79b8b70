"""The superuser's login for fuzz runs that may log themselves out."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.support.server import Server


def fresh_token(server: Server) -> str:
    """A login token of its own for the superuser: a generated logout revokes only this one."""
    return server.cli("admin", "issue-token", "admin").stdout


@dataclass
class Login:
    """The superuser's token for a fuzz run that may log itself out (a generated `logout`, OpenC3's
    `ssologout`): `keep()` checks it after each operation and issues a new one when it stopped
    working, so the rest of the run is not all refusals."""

    server: Server
    token: str = ""
    renewed: int = 0

    def __post_init__(self) -> None:
        self.token = fresh_token(self.server)

    def keep(self) -> None:
        probe = httpx.post(
            f"{self.server.url}/graphql",
            json={"query": "{ me { username } }"},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        if (probe.json().get("data") or {}).get("me") is None:
            self.token = fresh_token(self.server)
            self.renewed += 1

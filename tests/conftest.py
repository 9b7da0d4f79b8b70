"""Session fixtures: one real server process per backend (SQLite always, PostgreSQL when reachable).

Every test that takes `server` (or a fixture built on it) runs once per backend. Tests share the
database within a session, so each test names its own objects uniquely (see `unique`).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest

from tests.support import databases
from tests.support.server import GraphQLClient, Server, backend_server

_PG_SKIP_REASON = databases.postgres_unavailable_reason()
# Parameters of every fixture that runs a server per backend.
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(_PG_SKIP_REASON is not None, reason=_PG_SKIP_REASON or "")],
    ),
]


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with backend_server(request.param, tmp_path_factory.mktemp(f"opsgraph-{request.param}")) as instance:
        yield instance


@pytest.fixture(scope="session")
def admin_token(server: Server) -> str:
    return server.cli("admin", "issue-token", "admin").stdout


@pytest.fixture(scope="session")
def gql(server: Server, admin_token: str) -> GraphQLClient:
    """A GraphQL client logged in as the superuser."""
    return GraphQLClient(server.url, admin_token)


_counter = itertools.count(1)


@pytest.fixture
def unique() -> str:
    """A short token unique within the session, for names and IPs that must not collide."""
    return f"{next(_counter)}{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def ip_allocator() -> Iterator[str]:
    """Distinct 10.x.y.z addresses across the whole session."""

    def addresses() -> Iterator[str]:
        for n in itertools.count(1):
            yield f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"

    return addresses()

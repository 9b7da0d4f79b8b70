"""Fixtures of the scale-out tests: one distributed deployment (2 servers, 2 workers) for the
session, a second one with short leases (1 server, 2 workers) for the tests that stall or starve a
worker on purpose, the loopback sshd pools of the executor tests. Skipped, with the reason, where PostgreSQL
or redis-server is not available."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.executors.conftest import ssh_user, sshd_pool  # noqa: F401 - fixtures used here too
from tests.scaleout.cluster import SHORT_LEASE_ENV, Cluster, start_cluster, stop_cluster, unavailable_reason

_SKIP = unavailable_reason()
pytestmark = pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if _SKIP is not None:
        pytest.skip(_SKIP)
    deployment = start_cluster(tmp_path_factory.mktemp("scaleout"), servers=2, workers=2)
    try:
        yield deployment
    finally:
        stop_cluster(deployment)


@pytest.fixture(scope="session")
def short_lease_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Leases of SHORT_LEASE_SECONDS, so a stalled worker is taken over in seconds, and the default
    requeue delay (60 s), so a message found again sooner proves the faster path did it."""
    if _SKIP is not None:
        pytest.skip(_SKIP)
    deployment = start_cluster(tmp_path_factory.mktemp("short-lease"), servers=1, workers=2, env=SHORT_LEASE_ENV)
    try:
        yield deployment
    finally:
        stop_cluster(deployment)

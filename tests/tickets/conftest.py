"""Fixtures for the ticket tests: people with their own GraphQL clients; the sshd fixtures for the
job approval tests."""

from __future__ import annotations

import pytest

from tests.executors.conftest import ssh_user, sshd_pool  # noqa: F401
from tests.support.server import GraphQLClient, Server
from tests.tickets.support import People


@pytest.fixture(scope="session")
def people(server: Server, gql: GraphQLClient) -> People:
    return People(server, gql)

"""Fixtures shared by the GraphQL tests."""

from __future__ import annotations

import pytest

from tests.support.server import GraphQLClient
from tests.support.topology import Business, create_business, create_module, create_set


@pytest.fixture
def biz(gql: GraphQLClient, unique: str) -> Business:
    """A business with set s1 holding modules m1 and m2."""
    business = create_business(gql, f"biz-{unique}")
    create_set(gql, business, "s1")
    create_module(gql, business, "s1", "m1")
    create_module(gql, business, "s1", "m2")
    return business

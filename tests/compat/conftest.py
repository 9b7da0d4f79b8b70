"""BlueKing clients pointed at the session server."""

from __future__ import annotations

import pytest

from tests.compat.bk_client import LegacyClient, make_client
from tests.support.server import APP_CODE, APP_SECRET, Server


@pytest.fixture(scope="session")
def bk(server: Server) -> LegacyClient:
    """The superuser, through a login-exempt app naming the user with bk_username."""
    return make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")

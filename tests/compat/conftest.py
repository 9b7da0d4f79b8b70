"""BlueKing clients pointed at the session server."""

from __future__ import annotations

import uuid

import pytest

from tests.compat.bk_client import LegacyClient, make_client

# The real OpenSSH sshd fixtures of the executor tests, for the `job` paths that run scripts.
from tests.executors.conftest import ssh_user, sshd_pool  # noqa: F401

# The real SMTP server and webhook receiver of the messaging tests, for the cmsi paths.
from tests.messaging.conftest import mail_channel, people, smtp_sink, webhooks  # noqa: F401
from tests.support.server import APP_CODE, APP_SECRET, Server


@pytest.fixture(scope="session")
def bk(server: Server) -> LegacyClient:
    """The superuser, through a login-exempt app naming the user with bk_username."""
    return make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")


@pytest.fixture(scope="session")
def roleless_bk(server: Server) -> LegacyClient:
    """A user with no role on any business, named through the login-exempt app."""
    name = f"roleless{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", name, "--password", "roleless-password-1")
    return make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username=name)

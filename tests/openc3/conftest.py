"""OpenC3 dialect tests: the session server, real sshd on loopback, a real SMTP server for notify."""

from __future__ import annotations

import pytest

# The real OpenSSH sshd fixtures of the executor tests, for cmd / scp steps and the terminal.
from tests.executors.conftest import ssh_user, sshd_pool  # noqa: F401

# The real SMTP server of the messaging tests, for notifications.
from tests.messaging.conftest import mail_channel, people, smtp_sink, webhooks  # noqa: F401
from tests.openc3.support import C3Client, admin_client
from tests.support.server import Server


@pytest.fixture(scope="session")
def c3(server: Server, admin_token: str) -> C3Client:
    """The superuser, logged in with the cookie."""
    return admin_client(server, admin_token)

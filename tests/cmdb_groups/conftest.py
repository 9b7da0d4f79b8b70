"""The real OpenSSH sshd fixtures of the executor tests, for runs that target dynamic groups."""

from tests.executors.conftest import ssh_user, sshd_pool  # noqa: F401

"""The README examples' SSH hosts: the executor tests' real OpenSSH sshd on loopback addresses."""

from tests.executors.conftest import SshdPoolFactory, ssh_user, sshd_pool  # noqa: F401

"""The executor tests' real OpenSSH sshd, for `opsgraph tasks watch|cancel` on real runs."""

from tests.executors.conftest import ssh_user, sshd_pool  # noqa: F401

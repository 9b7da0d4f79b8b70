"""Fixtures for the executor tests: a real OpenSSH sshd on distinct loopback addresses.

`sshd_pool(n)` gives a running pool whose hosts are 127.0.0.10 … (n of them), cached per size for
the session; a large pool starts only when a test asks for it. `sshd_pool(n, dedicated=True)` gives
a fresh pool of its own (on its own port) for tests that change host keys or stop servers.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Protocol

import pytest

from tests.support.sshd import SshdPool, SshUser, ensure_openssh, ensure_test_user, loopback_hosts


class SshdPoolFactory(Protocol):
    def __call__(self, count: int = 1, *, dedicated: bool = False) -> SshdPool: ...


@pytest.fixture(scope="session")
def ssh_user() -> SshUser:
    """The unprivileged login user (name, password, private key text) with this session's credentials."""
    ensure_openssh()
    return ensure_test_user()


@pytest.fixture(scope="session")
def sshd_pool(ssh_user: SshUser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdPoolFactory]:
    cached: dict[int, SshdPool] = {}
    started: list[SshdPool] = []
    numbers = itertools.count(1)

    def get(count: int = 1, *, dedicated: bool = False) -> SshdPool:
        if not dedicated and count in cached:
            return cached[count]
        workdir = tmp_path_factory.mktemp(f"sshd-{count}-{next(numbers)}")
        pool = SshdPool(workdir, loopback_hosts(count), ssh_user).start()
        started.append(pool)
        if not dedicated:
            cached[count] = pool
        return pool

    try:
        yield get
    finally:
        for pool in started:
            pool.stop()

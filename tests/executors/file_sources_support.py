"""Fixtures and helpers for the file-source tests (executor and bk `job` compat).

Every loopback "host" is this machine, so sources on several hosts share one file system: the tests
tell sources apart by where their files land (`[FILESRCIP]` directories), not by their content.

To prove that a source is read with its own account, `reader_pool` is one sshd on an address of its
own (127.0.14.1) that lets in only a second OS user (`reader_user`): the target account
(`ssh_user`) cannot log in there at all, and the files made there are that user's, mode 0600.
Import the fixtures into a test module to use them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.executors.support import SshEstate, claim_hosts, create_account, host_results, run_and_wait, summary
from tests.support.server import GraphQLClient
from tests.support.sshd import SshdPool, SshUser, ensure_test_user

READER_USER = "opsgraph-t2"
READER_ADDRESS = "127.0.14.1"  # far from the shared pools (127.0.0.10 …) and the agent tests' 127.0.7-9.x
PATTERN_LIMIT = 1000  # OPSGRAPH_FILE_PATTERN_MAX_MATCHES's default, which the session server runs with


@pytest.fixture(scope="session")
def reader_user(ssh_user: SshUser) -> SshUser:
    return ensure_test_user(READER_USER)


@pytest.fixture(scope="session")
def reader_pool(reader_user: SshUser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdPool]:
    pool = SshdPool(tmp_path_factory.mktemp("sshd-reader"), [READER_ADDRESS], reader_user).start()
    try:
        yield pool
    finally:
        pool.stop()


def add_reader_host(gql: GraphQLClient, estate: SshEstate, pool: SshdPool, user: SshUser, alias: str) -> str:
    """The reader pool's host in the estate's business, and an account `alias` that logs in there; its id."""
    (host_id,) = claim_hosts(gql, estate.business, pool.addresses, pool.port)
    create_account(gql, estate.business, alias, user.name, private_key=user.private_key)
    return host_id


def on_host(gql: GraphQLClient, estate: SshEstate, script: str, host_id: str, alias: str | None = None) -> str:
    """Run a helper script (`set -e`) on one host, as `alias` (default: the business's default account);
    it must succeed; its output."""
    extra = {"accountAlias": alias} if alias else {}
    finished = run_and_wait(gql, estate, f"set -e\n{script}", [host_id], **extra)
    assert finished["status"] == "SUCCESS", summary(finished)
    (result,) = host_results(finished).values()
    return str(result["log"])


def many_files_script(directory: str, count: int, prefix: str = "f") -> str:
    """`count` empty files `<prefix>1` … in `directory`, made in one command."""
    return f"mkdir -p {directory} && cd {directory} && seq 1 {count} | sed 's/^/{prefix}/' | xargs touch"


def tree_script(root: str, files: int) -> str:
    """A directory tree of `files` small files over three levels, with distinct modes and a symlink."""
    return f"""
mkdir -p {root}/a/b {root}/c
i=0
while [ $i -lt {files} ]; do
  case $((i % 3)) in 0) d={root};; 1) d={root}/a;; *) d={root}/a/b;; esac
  printf 'file %s of the tree\\n' $i > $d/f$i.txt
  i=$((i + 1))
done
chmod 751 {root}; chmod 750 {root}/a; chmod 700 {root}/c
chmod 755 {root}/f0.txt; chmod 600 {root}/a/f1.txt; chmod 640 {root}/a/b/f2.txt
ln -s /etc/hostname {root}/link
"""


def tree_listing(directory: str) -> str:
    """Every entry under `directory` with its type and mode, then a checksum of every file's bytes."""
    return f"cd {directory} && find . -printf '%y %m %p\\n' | sort && find . -type f | sort | xargs cat | md5sum"

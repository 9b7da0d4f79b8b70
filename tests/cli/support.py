"""Running the `opsgraph` CLI the ways operators do: with standard input, extra environment, or on a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from tests.support.server import CliResult, GraphQLClient, Server

ME = "{ me { username } }"
LOGIN = """
mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token errors { code message } } }"""
OPERATION_LOG = """
query($filter: OperationLogFilter) {
  operationLog(filter: $filter, limit: 50) { items { operator opType opTarget opDesc instId bkBizId preData curData } }
}"""


def run(
    server: Server, *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> CliResult:
    """`python -m opsgraph ARGS` in the server's environment (plus `env`), stdin from `stdin` (else empty)."""
    done = subprocess.run(
        [sys.executable, "-m", "opsgraph", *args],
        env={**server.env(), **(env or {})},
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(done.returncode, done.stdout.strip(), done.stderr.strip())


def assert_clean_failure(result: CliResult, expected: str, *, status: int = 1) -> None:
    """One line on stderr naming the problem, the expected exit status, nothing on stdout, no traceback."""
    assert result.returncode == status, result
    assert expected in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def on_terminal(
    server: Server, *args: str, answers: Sequence[str] = (), env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as its controlling terminal (stdin, stdout and /dev/tty).

    Each answer is typed (with Enter) after the next prompt ending in ': ' appears. Returns the exit
    status and everything the terminal showed.
    """
    environment = {**server.env(), **(env or {})}
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, nothing else
        os.execve(sys.executable, [sys.executable, "-m", "opsgraph", *args], environment)
    shown = b""
    pending = list(answers)
    answered_at = 0  # only a prompt shown after the last answer is answered (getpass flushes early input)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"opsgraph {' '.join(args)} did not finish on the terminal: {shown!r}")
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
                if pending and shown[answered_at:].rstrip().endswith(b":"):
                    os.write(fd, pending.pop(0).encode() + b"\n")
                    answered_at = len(shown)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def login(server: Server, username: str, password: str) -> dict[str, Any]:
    """The `login` mutation's payload (a token, or errors)."""
    payload: dict[str, Any] = GraphQLClient(server.url).execute(LOGIN, {"u": username, "p": password}).data["login"]
    return payload


def refusal(server: Server, token: str) -> str | None:
    """Why the server refuses `token` (None: it accepts it and `me` answers)."""
    response = GraphQLClient(server.url, token).execute(ME)
    if not response.errors:
        return None
    assert response.errors[0]["extensions"]["code"] == "UNAUTHENTICATED", response.errors
    return str(response.errors[0]["message"])


def audit(gql: GraphQLClient, **filter_: Any) -> list[dict[str, Any]]:
    """Operation log entries matching `filter_` (OperationLogFilter fields), newest first."""
    items: list[dict[str, Any]] = gql.ok(OPERATION_LOG, {"filter": filter_})["operationLog"]["items"]
    return items

"""A throwaway server per backend for the fuzz runs that write: generated mutations create, change
and delete whatever they can, so they run against a database of their own (its own data dir), never
the session's shared server.

Its outbound traffic is contained: the server runs in a network namespace of its own with only a
loopback interface (`tests/support/netns.py`), so whatever a generated input makes it contact
(webhooks, callbacks, event pushes, SMTP, SSH, TCP/UDP/HTTP uptime probes, agent installs) fails
at once and nothing leaves the machine; it serves on a socket bound on the host's loopback
(`opsgraph serve --fd`) and reaches PostgreSQL through its Unix socket. Without a namespace (no
root/CAP_SYS_ADMIN, no `unshare` or `ip`) the tests that need this server are skipped, naming
what is missing; they never run uncontained. The runs are also kept short: its HTTP clients
(httpx, which reads the proxy variables) go through a proxy address where nothing listens, SSH
connections give up after 2 s, and a callback is tried once.

At the end of the session the fuzz runs' summaries (`fuzzing.record_fuzz`) and the suite's
duration are printed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _pytest.terminal import TerminalReporter

from tests.conftest import BACKENDS
from tests.robustness.fuzzing import SUMMARIES
from tests.support import databases, netns
from tests.support.server import Server, backend_server, free_port

_NOWHERE = f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="package", params=BACKENDS)
def throwaway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    reason = netns.unavailable_reason()
    if reason is None and request.param == "postgres":
        reason = databases.postgres_socket_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    data_dir = tmp_path_factory.mktemp(f"opsgraph-fuzz-{request.param}")
    no_traffic = {name: _NOWHERE for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")}
    with backend_server(
        request.param,
        data_dir,
        contained=True,
        NO_PROXY="",
        no_proxy="",
        OPSGRAPH_SSH_CONNECT_TIMEOUT="2",
        OPSGRAPH_CALLBACK_ATTEMPTS="1",
        OPSGRAPH_CALLBACK_TIMEOUT="2",
        **no_traffic,
    ) as instance:
        yield instance


_SPENT = [0.0]  # seconds of setup, call and teardown of the tests here, server start-ups included


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.startswith("tests/robustness/"):
        _SPENT[0] += report.duration


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if SUMMARIES or _SPENT[0]:
        terminalreporter.section("robustness: fuzz runs and durations")
        for line in SUMMARIES:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"robustness tests: {_SPENT[0]:.0f} s, server start-ups included")

"""The web terminal (`ws://…/api/job/cmd/:treeid`) on real sshd hosts runs on a pseudo-terminal:
`tty` names a /dev/pts device, the window size follows the client's (query and tty.js `resize`
frames), interactive programs read what is typed, Ctrl-C interrupts; every line typed is recorded
as the line editor made it and found in `/cmd/:treeid/log`."""

from __future__ import annotations

import re
import time

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.compat.job_support import JobEstate, job_estate
from tests.executors.conftest import SshdPoolFactory
from tests.openc3.support import C3Client
from tests.openc3.test_live import ws_url
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> JobEstate:
    return job_estate(gql, f"c3pty{unique}", sshd_pool(2), ssh_user, alias="ops")


def lines_until(ws: ClientConnection, hosts: list[str], pattern: str, timeout: float = 30) -> dict[str, str]:
    """Read "<ip>: <line>" frames until every host printed a line ending in `pattern` (typed-ahead
    input may put the shell's prompt before it, as on any terminal); ip → what matched."""
    wanted = re.compile(rf"(?:.*\s)?({pattern})")
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while set(found) != set(hosts):
        assert time.monotonic() < deadline, f"no line matching {pattern!r} from {set(hosts) - set(found)}: {seen}"
        try:
            frame = str(ws.recv(timeout=min(5, max(0.1, deadline - time.monotonic()))))
        except TimeoutError:
            continue
        seen.append(frame)
        ip, _, text = frame.partition(": ")
        matched = wanted.fullmatch(text.strip())
        if ip in hosts and ip not in found and matched:
            found[ip] = matched.group(1)
    return found


def test_the_terminal_is_a_pty_that_follows_the_window(
    server: Server, c3: C3Client, admin_token: str, estate: JobEstate, unique: str
) -> None:
    tree = estate.biz
    hosts = estate.ips
    path = f"/api/job/cmd/{tree}?node={','.join(hosts)}&sudo=ops&cols=100&rows=30"
    with connect(ws_url(server, path), additional_headers={"Cookie": f"bk_token={admin_token}"}) as ws:
        assert str(ws.recv(timeout=30)).startswith("connected: ")
        ws.send("tty\r")
        assert all(line.startswith("/dev/pts/") for line in lines_until(ws, hosts, r"/dev/pts/\d+").values())
        ws.send("stty size\r")
        lines_until(ws, hosts, r"30 100")
        ws.send('["resize", 120, 40]')  # tty.js's socket.io `resize` event
        ws.send("stty size\r")
        lines_until(ws, hosts, r"40 120")
        ws.send('{"type": "resize", "cols": 90, "rows": 25}')
        ws.send("stty size\r")
        lines_until(ws, hosts, r"25 90")
        # An interactive program reads what is typed next.
        ws.send(f"read answer{unique}\r")
        ws.send("forty-two\r")
        ws.send(f"echo got-$answer{unique}\r")
        lines_until(ws, hosts, r"got-forty-two")
        # Ctrl-C interrupts the foreground program; a line edited with Backspace runs as edited.
        ws.send("sleep 30\r")
        time.sleep(0.5)
        ws.send("\x03")
        started = time.monotonic()
        ws.send("echo typo\x7f\x7f\x7f\x7fokay-$((6*7))\r")
        lines_until(ws, hosts, r"okay-42")
        assert time.monotonic() - started < 20
    log = c3.ok("GET", f"/api/job/cmd/{tree}/log", params={"node": hosts[0]})
    typed = [row["cmd"] for row in reversed(log)]  # the log is newest first
    assert typed == [
        "tty",
        "stty size",
        "stty size",
        "stty size",
        f"read answer{unique}",
        "forty-two",
        f"echo got-$answer{unique}",
        "sleep 30",
        "echo okay-$((6*7))",
    ], typed
    assert sorted(row["node"] for row in c3.ok("GET", f"/api/job/cmd/{tree}/log", params={"cmd": "okay-"})) == sorted(
        hosts
    )

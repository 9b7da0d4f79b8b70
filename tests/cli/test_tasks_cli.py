"""`opsgraph tasks list|show|watch|cancel` against the session server, on scripts run over a real sshd.

The watch cases are one task that succeeds (followed live), one that failed (replayed, on a plain
pipe and on a terminal) and one cancelled while the watch follows it; each checks the exit status.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.cli.support import assert_clean_failure, on_terminal, run
from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    TASK_PROGRESS,
    SshEstate,
    host_results,
    run_script,
    sleep_argument,
    ssh_estate,
    wait_for_task,
    wait_until,
)
from tests.support.server import CliResult, GraphQLClient, Server, free_port
from tests.support.sshd import SshUser

EXIT_FAILED, EXIT_CANCELLED = 3, 4


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> SshEstate:
    return ssh_estate(gql, f"cli-tasks-{unique}", sshd_pool(2), ssh_user)


def tasks(server: Server, token: str, *args: str, timeout: float = 60) -> CliResult:
    """`opsgraph tasks ARGS` with the server's URL and the token from the environment."""
    return run(server, "tasks", *args, env={"OPSGRAPH_URL": server.url, "OPSGRAPH_TOKEN": token}, timeout=timeout)


def test_watch_a_succeeding_task_then_show_and_list(
    server: Server, gql: GraphQLClient, admin_token: str, estate: SshEstate
) -> None:
    ref = run_script(gql, estate, "echo hello-from-the-host; sleep 1; echo bye >&2")
    number = str(ref.job_instance_id)

    watched = tasks(server, admin_token, "watch", number, "--logs")
    assert watched.returncode == 0, watched
    lines = watched.stdout.splitlines()
    assert lines[-1] == f"task {number} SUCCESS: 2 of 2 hosts succeeded, 0 failed", watched.stdout
    for ip in estate.ips:
        assert f"{ip} RUNNING" in lines
        assert f"{ip} SUCCESS exit 0" in lines
        assert f"{ip} | hello-from-the-host" in lines
        assert f"{ip} ! bye" in lines
    assert "step 1 SUCCESS" in lines
    assert lines.index(f"{estate.ips[0]} RUNNING") < lines.index(f"{estate.ips[0]} SUCCESS exit 0")

    shown = tasks(server, admin_token, "show", number)
    assert shown.returncode == 0, shown.stderr
    assert "status:   SUCCESS" in shown.stdout.splitlines()
    assert "step 1 script 'script': SUCCESS, 2 hosts (2 success)" in shown.stdout
    details = json.loads(tasks(server, admin_token, "show", ref.id, "--json").stdout)  # by global id
    assert details["jobInstanceId"] == ref.job_instance_id
    assert details["steps"][0]["success"]["totalCount"] == 2
    assert details["steps"][0]["failedHosts"]["nodes"] == []

    # --user issues a token here, from the server's database and secret key.
    by_user = run(
        server, "tasks", "list", "--url", server.url, "--user", "admin",
        "--status", "success", "--kind", "SCRIPT", "--biz", str(estate.business.bk_biz_id),
    )  # fmt: skip
    assert by_user.returncode == 0, by_user.stderr
    table = by_user.stdout.splitlines()
    assert table[0].split() == ["ID", "KIND", "STATUS", "BIZ", "CREATOR", "CREATED", "NAME"]
    assert [line.split()[:5] for line in table[1:]] == [
        [number, "SCRIPT", "SUCCESS", str(estate.business.bk_biz_id), "admin"]
    ]
    listed = json.loads(tasks(server, admin_token, "list", "--first", "1", "--json").stdout)
    assert len(listed) == 1
    failed_only = tasks(server, admin_token, "list", "--status", "FAILED", "--biz", str(estate.business.bk_biz_id))
    assert failed_only.stdout == "(no tasks)"


def test_watch_a_failed_task_exits_3_on_a_pipe_and_on_a_terminal(
    server: Server, gql: GraphQLClient, admin_token: str, estate: SshEstate
) -> None:
    ref = run_script(gql, estate, "echo broken >&2; exit 3", estate.host_ids[:1])
    finished = wait_for_task(gql, ref)
    assert finished["status"] == "FAILED"
    number, ip = str(ref.job_instance_id), estate.ips[0]

    replayed = tasks(server, admin_token, "watch", number)
    assert replayed.returncode == EXIT_FAILED, replayed
    assert f"{ip} FAILED NON_ZERO_EXIT exit 3: exit code 3" in replayed.stdout.splitlines()
    assert replayed.stdout.splitlines()[-1].startswith(f"task {number} FAILED: 0 of 1 hosts succeeded, 1 failed")

    shown = tasks(server, admin_token, "show", number).stdout
    assert "step 1 script 'script': FAILED, 1 hosts (1 failed)" in shown
    assert f"  FAILED {ip} NON_ZERO_EXIT exit 3: exit code 3" in shown

    env = {"OPSGRAPH_URL": server.url, "OPSGRAPH_TOKEN": admin_token}
    status, screen = on_terminal(server, "tasks", "watch", number, env=env)
    assert status == EXIT_FAILED, screen
    assert f"task {number} FAILED [{'#' * 30}] 1/1 hosts: 0 ok, 1 failed, 0 running" in screen
    assert "\r\x1b[K" in screen  # the progress line is redrawn in place


def test_cancel_a_running_task_while_watching_it(
    server: Server, gql: GraphQLClient, admin_token: str, estate: SshEstate, unique: str
) -> None:
    ref = run_script(gql, estate, f"sleep {sleep_argument(60, unique)}", estate.host_ids[:1])
    number = str(ref.job_instance_id)
    env = {**server.env(), "OPSGRAPH_URL": server.url, "OPSGRAPH_TOKEN": admin_token}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "opsgraph", "tasks", "watch", number],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            gql,
            ref,
            lambda t: [r["status"] for r in host_results(t).values()] == ["RUNNING"],
            what="the host running the sleep",
            query=TASK_PROGRESS,
        )
        time.sleep(0.5)  # let the watcher subscribe (it would replay what it missed anyway)
        cancelled = tasks(server, admin_token, "cancel", number)
        assert cancelled.returncode == 0, cancelled.stderr
        assert cancelled.stdout.startswith(f"task {number}: cancel requested, now "), cancelled.stdout
        stdout, stderr = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == EXIT_CANCELLED, (stdout, stderr)
    assert f"task {number} CANCELLED" in stdout
    assert stderr == ""

    again = tasks(server, admin_token, "cancel", number)
    assert_clean_failure(again, "has already ended")


def test_errors_are_one_line_without_a_traceback(server: Server, admin_token: str, unique: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    for command in ("list", "watch 1", "cancel 1", "show 1"):
        unreachable = run(server, "tasks", *command.split(), "--url", nowhere, "--token", admin_token)
        assert_clean_failure(unreachable, f"cannot reach the server at {nowhere}")

    assert_clean_failure(tasks(server, "not-a-token", "list"), "the server refused the token")
    name = f"tasks-revoked-{unique}"
    server.cli("admin", "create-user", name, "--password", "revoked-password-1")
    token = server.cli("admin", "issue-token", name).stdout
    assert tasks(server, token, "list").returncode == 0
    server.cli("admin", "revoke-tokens", name)
    assert_clean_failure(tasks(server, token, "watch", "1"), "the server refused the token: token has been revoked")

    no_token = run(server, "tasks", "list", "--url", server.url)
    assert_clean_failure(no_token, "no token")
    for command in ("show", "watch", "cancel"):
        unknown = tasks(server, admin_token, command, "987654321")
        assert_clean_failure(unknown, "987654321 does not exist")
    malformed = tasks(server, admin_token, "show", "no-such-id!")
    assert malformed.returncode == 2
    assert "neither a task number nor a task id" in malformed.stderr

"""runScript over a real OpenSSH sshd: per-host status, exit code, failure reason and log through GraphQL.

Every host is a distinct loopback address of one machine, so scripts tell hosts apart by the address
they were reached on (`$SSH_CONNECTION`, third field).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import asyncssh
import pytest

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    RUN_SCRIPT,
    SshEstate,
    claim_hosts,
    create_account,
    host_results,
    host_task_results,
    remote_logs,
    run_and_wait,
    run_script,
    script_input,
    sleep_argument,
    sleepers,
    ssh_estate,
    stdout_lines,
    summary,
    task_ids,
    task_mutation,
    wait_for_logs,
    wait_for_task,
)
from tests.support.server import GraphQLClient, free_port
from tests.support.sshd import SshUser
from tests.support.topology import Business, add_hosts, create_business, global_id, mutate_refused

SERVER_ADDRESS = 'set -- $SSH_CONNECTION; echo "on $3"'  # which loopback address this run reached


def test_success_on_three_hosts(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    estate = ssh_estate(gql, f"run-ok-{unique}", sshd_pool(3), ssh_user)
    content = f"{SERVER_ADDRESS}\nfor i in 1 2 3; do echo out-$i; echo err-$i >&2; done\nwhoami"

    task = run_and_wait(gql, estate, content)

    assert task["status"] == "SUCCESS", summary(task)
    assert task["error"] == ""
    assert task["kind"] == "SCRIPT"
    assert task["creator"] == "admin"
    assert task["startedAt"] is not None
    assert task["finishedAt"] is not None
    assert [s["status"] for s in task["steps"]] == ["SUCCESS"]
    results = host_results(task)
    assert sorted(results) == sorted(estate.ips)
    for ip, result in results.items():
        assert result["status"] == "SUCCESS", summary(task)
        assert (result["exitCode"], result["failure"], result["error"]) == (0, None, "")
        assert result["logTruncated"] is False
        lines = stdout_lines(result["log"])
        assert lines[0] == f"on {ip}"  # each host's run reached that host's own address
        assert ssh_user.name in lines  # logged in as the account's OS user
        assert [line for line in lines if line.startswith("out-")] == ["out-1", "out-2", "out-3"]
        assert [line for line in lines if line.startswith("err-")] == ["err-1", "err-2", "err-3"]
        assert result["hostId"] is not None

    # The same results, reached from the host and from the tasks list.
    newest = host_task_results(gql, estate.host_ids[1])[0]
    assert (newest["stepId"], newest["status"], newest["ip"]) == (task["steps"][0]["id"], "SUCCESS", estate.ips[1])
    job = task["jobInstanceId"]
    assert task_ids(gql, jobInstanceId=job) == [job]
    assert task_ids(gql, businessId=estate.business.id, status=["SUCCESS"], kind=["SCRIPT"]) == [job]
    assert task_ids(gql, businessId=estate.business.id, status=["FAILED"]) == []
    assert task_ids(gql, businessId=estate.business.id, creator=task["creator"]) == [job]
    assert task_ids(gql, businessId=estate.business.id, creator="somebody-else") == []
    assert task_ids(gql, businessId=estate.business.id, kind=["FILE"]) == []


def test_non_zero_exit(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    estate = ssh_estate(gql, f"run-exit-{unique}", sshd_pool(3), ssh_user, count=1)

    task = run_and_wait(gql, estate, "echo before-exit\nexit 3")

    assert task["status"] == "FAILED", summary(task)
    assert task["error"], "a failed task says which step failed"
    assert task["steps"][0]["status"] == "FAILED"
    result = host_results(task)[estate.ips[0]]
    assert (result["status"], result["exitCode"], result["failure"]) == ("FAILED", 3, "NON_ZERO_EXIT")
    assert "3" in result["error"]
    assert stdout_lines(result["log"]) == ["before-exit"]
    assert task_ids(gql, businessId=estate.business.id, status=["FAILED"]) == [task["jobInstanceId"]]
    assert host_task_results(gql, estate.host_ids[0])[0]["failure"] == "NON_ZERO_EXIT"


def test_timeout_kills_the_remote_process(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"run-timeout-{unique}", sshd_pool(3), ssh_user, count=1)
    duration = sleep_argument(30, unique)

    began = time.monotonic()
    task = run_and_wait(gql, estate, f"echo started\nsleep {duration}\necho never", timeout=2)
    elapsed = time.monotonic() - began

    assert task["status"] == "FAILED", summary(task)
    result = host_results(task)[estate.ips[0]]
    assert (result["status"], result["failure"], result["exitCode"]) == ("FAILED", "TIMEOUT", None), summary(task)
    assert "2 s" in result["error"]
    assert stdout_lines(result["log"]) == ["started"]
    assert 2 <= elapsed < 10, f"a 2 s timeout took {elapsed:.1f} s to end the task"
    assert sleepers(gql, estate, duration, ssh_user) == "none"


def test_unreachable_host(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    """A host whose SSH port has nothing listening fails alone; the reachable one still succeeds."""
    estate = ssh_estate(gql, f"run-unreach-{unique}", sshd_pool(3), ssh_user, count=1)
    closed_port = free_port()
    dead_ip = "127.0.9.1"  # no test sshd listens here
    (dead_host,) = claim_hosts(gql, estate.business, [dead_ip], closed_port)

    task = run_and_wait(gql, estate, "echo fine", [*estate.host_ids, dead_host])

    assert task["status"] == "FAILED", summary(task)
    results = host_results(task)
    assert results[estate.ips[0]]["status"] == "SUCCESS"
    dead = results[dead_ip]
    assert (dead["status"], dead["failure"], dead["exitCode"]) == ("FAILED", "UNREACHABLE", None)
    assert f"{dead_ip}:{closed_port}" in dead["error"], dead["error"]
    assert "refused" in dead["error"], dead["error"]


def test_wrong_private_key(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    estate = ssh_estate(gql, f"run-badkey-{unique}", sshd_pool(3), ssh_user, count=1)
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode()
    create_account(gql, estate.business, "stranger", ssh_user.name, private_key=stranger)

    task = run_and_wait(gql, estate, "echo should-not-run", accountAlias="stranger")

    assert task["status"] == "FAILED", summary(task)
    result = host_results(task)[estate.ips[0]]
    assert (result["status"], result["failure"], result["exitCode"]) == ("FAILED", "AUTH_FAILED", None)
    assert ssh_user.name in result["error"], result["error"]
    assert result["log"] == ""


def test_password_accounts(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    """The right password logs in; a wrong one is AUTH_FAILED."""
    estate = ssh_estate(gql, f"run-password-{unique}", sshd_pool(3), ssh_user, count=1, with_account=False)
    create_account(gql, estate.business, "by-password", ssh_user.name, password=ssh_user.password, is_default=True)
    create_account(gql, estate.business, "wrong-password", ssh_user.name, password=ssh_user.password + "x")

    good = run_and_wait(gql, estate, "whoami")
    bad = run_and_wait(gql, estate, "whoami", accountAlias="wrong-password")

    assert good["status"] == "SUCCESS", summary(good)
    assert stdout_lines(host_results(good)[estate.ips[0]]["log"]) == [ssh_user.name]
    assert bad["status"] == "FAILED", summary(bad)
    result = host_results(bad)[estate.ips[0]]
    assert (result["status"], result["failure"]) == ("FAILED", "AUTH_FAILED")
    assert ssh_user.name in result["error"]


def test_host_key_change_is_refused(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    pool = sshd_pool(1, dedicated=True)
    estate = ssh_estate(gql, f"run-hostkey-{unique}", pool, ssh_user)
    first = run_and_wait(gql, estate, "echo trusted")
    assert first["status"] == "SUCCESS", summary(first)  # trust on first use

    pool.rotate_host_key(estate.ips[0])
    second = run_and_wait(gql, estate, "echo must-not-run")

    assert second["status"] == "FAILED", summary(second)
    result = host_results(second)[estate.ips[0]]
    assert (result["status"], result["failure"]) == ("FAILED", "HOST_KEY_MISMATCH")
    assert f"{estate.ips[0]}:{pool.port}" in result["error"], result["error"]
    assert result["log"] == ""


def test_large_output_is_capped(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    """5 MB of output against the default 1 MiB per-host cap: the stored log stops at the cap and says so."""
    cap = 1024 * 1024
    estate = ssh_estate(gql, f"run-large-{unique}", sshd_pool(3), ssh_user, count=1)
    line = "x" * 99  # 100 bytes with the newline
    content = f"echo first-line\ni=0; while [ $i -lt 50000 ]; do echo {line}; i=$((i+1)); done | cat\necho last-line"

    task = run_and_wait(gql, estate, content, wait=60)

    assert task["status"] == "SUCCESS", summary(task)
    result = host_results(task)[estate.ips[0]]
    stored = result["log"].encode()
    assert result["logTruncated"] is True
    assert cap - len(line) <= len(stored) <= cap, len(stored)
    assert result["log"].startswith(f"first-line\n{line}\n")
    assert "last-line" not in result["log"]


def test_two_hundred_hosts(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    estate = ssh_estate(gql, f"run-200-{unique}", sshd_pool(200), ssh_user)

    began = time.monotonic()
    ref = run_script(gql, estate, SERVER_ADDRESS)
    task = wait_for_task(gql, ref, timeout=180)
    elapsed = time.monotonic() - began
    print(f"\n200 hosts: runScript → {task['status']} in {elapsed:.2f} s ({200 / elapsed:.0f} hosts/s)")

    assert task["status"] == "SUCCESS", summary(task)
    results = host_results(task)
    assert len(results) == 200
    bad = {ip: r for ip, r in results.items() if r["status"] != "SUCCESS" or r["log"] != f"on {ip}\n"}
    assert not bad, list(bad.items())[:3]


# -- bad input ----------------------------------------------------------------------------------------------


@dataclass
class Refusals:
    estate: SshEstate  # a host and a default account
    other_host: str  # a host of another business
    bare: Business  # a business with a host but no account
    bare_host: str


@pytest.fixture(scope="module")
def refusals(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, ip_allocator: Iterator[str]
) -> Refusals:
    token = uuid.uuid4().hex[:8]
    estate = ssh_estate(gql, f"refuse-{token}", sshd_pool(3), ssh_user, count=1)
    other = create_business(gql, f"refuse-other-{token}")
    bare = create_business(gql, f"refuse-bare-{token}")
    (other_host,) = add_hosts(gql, [next(ip_allocator)], other)
    (bare_host,) = add_hosts(gql, [next(ip_allocator)], bare)
    return Refusals(estate, other_host, bare, bare_host)


# case → (input fields to change, expected code, expected field)
BAD_INPUTS: dict[str, tuple[Callable[[Refusals], dict[str, Any]], str, str]] = {
    "unknown host id": (lambda r: {"hostIds": [global_id("Host", 987_654_321)]}, "HOST_NOT_FOUND", "hostIds"),
    "host of another business": (lambda r: {"hostIds": [r.other_host]}, "HOST_NOT_IN_BUSINESS", "hostIds"),
    "no hosts": (lambda r: {"hostIds": []}, "NO_TARGETS", "hostIds"),
    "empty content": (lambda r: {"content": ""}, "INVALID", "content"),
    "blank content": (lambda r: {"content": "  \n "}, "INVALID", "content"),
    "timeout 0": (lambda r: {"timeout": 0}, "INVALID", "timeout"),
    "timeout 86401": (lambda r: {"timeout": 86401}, "INVALID", "timeout"),
    "unknown account alias": (lambda r: {"accountAlias": "nobody"}, "ACCOUNT_NOT_FOUND", "accountAlias"),
    "no default account": (
        lambda r: {"businessId": r.bare.id, "hostIds": [r.bare_host]},
        "ACCOUNT_NOT_FOUND",
        "accountAlias",
    ),
    "ftp callback": (lambda r: {"callbackUrl": "ftp://x"}, "INVALID", "callbackUrl"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_starts_nothing(gql: GraphQLClient, refusals: Refusals, case: str) -> None:
    change, code, field = BAD_INPUTS[case]
    variables = script_input(refusals.estate, "echo hi") | change(refusals)

    error = mutate_refused(gql, RUN_SCRIPT, {"input": variables}, code)

    assert error["field"] == field, error
    for business in (refusals.estate.business, refusals.bare):
        assert task_ids(gql, businessId=business.id) == [], "a refused runScript must not create a task"


def test_cancel_and_retry_refuse_unknown_tasks(gql: GraphQLClient) -> None:
    for mutation in ("cancelTask", "retryFailedHosts"):
        payload = task_mutation(gql, mutation, global_id("Task", 987_654_321))
        assert [e["code"] for e in payload["errors"]] == ["TASK_NOT_FOUND"], payload
        assert payload["task"] is None


def test_running_hosts_are_visible_while_running(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    """Logs are stored while the command runs, not only at the end."""
    estate = ssh_estate(gql, f"run-live-{unique}", sshd_pool(3), ssh_user, count=1)
    release = f"/tmp/opsgraph-test-release-{unique}"
    content = f"echo early-line\nwhile [ ! -f {release} ]; do sleep 0.05; done\necho late-line"
    ref = run_script(gql, estate, content, timeout=30)

    running = wait_for_logs(gql, ref, "early-line", 1)
    assert running["status"] == "RUNNING"
    assert "late-line" not in host_results(running)[estate.ips[0]]["log"]
    remote_logs(gql, estate, f"touch {release}", estate.host_ids)
    finished = wait_for_task(gql, ref)
    assert finished["status"] == "SUCCESS", summary(finished)
    assert stdout_lines(host_results(finished)[estate.ips[0]]["log"]) == ["early-line", "late-line"]
    remote_logs(gql, estate, f"rm -f {release}", estate.host_ids)

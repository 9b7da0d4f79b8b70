"""Controlling tasks: cancel mid-run (remote processes killed), retry only the failed hosts, and the
callback POSTed when a task ends (retried with backoff, outcome recorded on the task)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    host_results,
    remote_logs,
    run_script,
    sleep_argument,
    sleepers,
    ssh_estate,
    stdout_lines,
    summary,
    task_mutation,
    wait_for_logs,
    wait_for_task,
    wait_until,
)
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser

SIGNATURE_HEADER = "X-OpsGraph-Signature"


def test_cancel_mid_run_kills_the_remote_processes(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"cancel-{unique}", sshd_pool(3), ssh_user)
    duration = sleep_argument(60, unique)
    ref = run_script(gql, estate, f"echo started\nsleep {duration}\necho never")
    wait_for_logs(gql, ref, "started", len(estate.ips))  # every host's command is running

    cancelled = task_mutation(gql, "cancelTask", ref.id)
    assert cancelled["errors"] == [], cancelled["errors"]
    assert cancelled["task"]["id"] == ref.id
    task = wait_for_task(gql, ref, timeout=20)

    assert task["status"] == "CANCELLED", summary(task)
    assert task["steps"][0]["status"] == "CANCELLED"
    for ip, result in host_results(task).items():
        assert (result["status"], result["failure"], result["exitCode"]) == ("CANCELLED", "CANCELLED", None), ip
        assert stdout_lines(result["log"]) == ["started"]
    assert sleepers(gql, estate, duration, ssh_user) == "none"

    again = task_mutation(gql, "cancelTask", ref.id)
    assert [e["code"] for e in again["errors"]] == ["TASK_FINISHED"], again


def test_retry_failed_hosts_reruns_only_those(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"retry-{unique}", sshd_pool(3), ssh_user)
    picky_ip = estate.ips[2]
    marker = f"/tmp/opsgraph-test-marker-{unique}"
    content = (
        'set -- $SSH_CONNECTION; echo "run on $3 at $(date +%s%N)"\n'
        f'if [ "$3" = "{picky_ip}" ] && [ ! -f {marker} ]; then echo "no marker" >&2; exit 4; fi\n'
        "echo done"
    )
    ref = run_script(gql, estate, content)
    first = wait_for_task(gql, ref)
    assert first["status"] == "FAILED", summary(first)
    before = host_results(first)
    assert (before[picky_ip]["status"], before[picky_ip]["exitCode"]) == ("FAILED", 4), summary(first)
    assert "no marker" in before[picky_ip]["log"]
    assert all(before[ip]["status"] == "SUCCESS" for ip in estate.ips[:2]), summary(first)

    remote_logs(gql, estate, f"touch {marker}", estate.host_ids[:1])
    retried = task_mutation(gql, "retryFailedHosts", ref.id)
    assert retried["errors"] == [], retried["errors"]
    second = wait_for_task(gql, ref)

    assert second["status"] == "SUCCESS", summary(second)
    assert second["error"] == ""
    after = host_results(second)
    for ip in estate.ips[:2]:  # not re-run: the very same result, log and times
        assert after[ip] == before[ip]
    rerun = after[picky_ip]
    assert (rerun["status"], rerun["exitCode"], rerun["failure"]) == ("SUCCESS", 0, None)
    assert stdout_lines(rerun["log"])[1:] == ["done"]  # the new run's log only
    assert rerun["log"] != before[picky_ip]["log"]
    remote_logs(gql, estate, f"rm -f {marker}", estate.host_ids[:1])

    again = task_mutation(gql, "retryFailedHosts", ref.id)
    assert [e["code"] for e in again["errors"]] == ["TASK_NOT_FAILED"], again


# -- callbacks ----------------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """An HTTP endpoint in this process that answers 500 to the first `failures` POSTs, then 200."""

    url: str
    failures: int
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def callback_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="", failures=1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.posts.append((dict(self.headers.items()), body))
                failing = len(receiver.posts) <= receiver.failures
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{http.server_address[1]}/callback"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        http.shutdown()
        http.server_close()
        thread.join(5)


def test_callback_is_retried_until_delivered(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str, callback_receiver: Receiver
) -> None:
    estate = ssh_estate(gql, f"callback-{unique}", sshd_pool(3), ssh_user, count=2)
    ref = run_script(gql, estate, "echo called-back", callbackUrl=callback_receiver.url)

    task = wait_until(
        gql,
        ref,
        lambda t: t["callbackStatus"] in {"DELIVERED", "FAILED"},
        what="callback delivered",
        timeout=30,
    )

    assert task["status"] == "SUCCESS", summary(task)
    assert (task["callbackStatus"], task["callbackAttempts"]) == ("DELIVERED", 2), task
    assert task["callbackUrl"] == callback_receiver.url
    with callback_receiver.lock:
        posts = list(callback_receiver.posts)
    assert len(posts) == 2
    bodies = [json.loads(body) for _, body in posts]
    assert bodies[0] == bodies[1]
    body = bodies[0]
    assert body["taskId"] == ref.job_instance_id
    assert body["status"] == "SUCCESS"
    assert [(s["stepId"], s["status"]) for s in body["steps"]] == [(task["steps"][0]["id"], "SUCCESS")]
    for headers, _ in posts:
        assert headers["Content-Type"] == "application/json"
        assert SIGNATURE_HEADER not in headers  # signed only for tasks an app created (it has a secret)

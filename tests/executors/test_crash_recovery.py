"""A server killed mid-task (SIGKILL) and started again on the same database: no task is left running,
the interrupted host says why, hosts that had finished keep their results and logs, the event stream
carries on without a gap, and the interrupted host can be retried."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    dedicated_server,
    get_task,
    host_results,
    read_events,
    remote_logs,
    run_script,
    sleep_argument,
    ssh_estate,
    summary,
    task_ids,
    task_mutation,
    wait_for_task,
    wait_until,
)
from tests.support.server import GraphQLClient, Server, free_port
from tests.support.sshd import SshUser


def test_crash_mid_task_leaves_nothing_running(
    server: Server, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str, tmp_path: Path
) -> None:
    with dedicated_server(server, tmp_path) as (instance, gql):
        estate = ssh_estate(gql, f"crash-{unique}", sshd_pool(3), ssh_user)
        *fast_ips, slow_ip = estate.ips
        duration = sleep_argument(30, unique)
        released = f"/tmp/opsgraph-test-released-{unique}"
        content = (
            'set -- $SSH_CONNECTION; echo "start $3"\n'
            f'if [ "$3" = "{slow_ip}" ] && [ ! -f {released} ]; then sleep {duration}; fi\necho "done $3"'
        )
        ref = run_script(gql, estate, content)

        def fast_done_slow_running(task: dict[str, Any]) -> bool:
            results = host_results(task)
            slow = results[slow_ip]
            fast_done = all(results[ip]["status"] == "SUCCESS" for ip in fast_ips)
            return fast_done and slow["status"] == "RUNNING" and f"start {slow_ip}" in slow["log"]

        before = host_results(wait_until(gql, ref, fast_done_slow_running, what="fast hosts done, slow one running"))

        assert instance.process is not None
        instance.process.kill()
        instance.process.wait(10)
        instance.port = free_port()
        instance.start()
        gql = GraphQLClient(instance.url, gql.token)

        task = get_task(gql, ref)  # the first answer after start-up: recovery ran before serving
        assert task["status"] == "ABNORMAL", summary(task)
        assert task["error"], "an interrupted task says why"
        assert task["finishedAt"] is not None
        assert task["steps"][0]["status"] == "ABNORMAL"
        after = host_results(task)
        slow = after[slow_ip]
        assert (slow["status"], slow["failure"], slow["exitCode"]) == ("ABNORMAL", "INTERRUPTED", None)
        assert "killed" in slow["error"], slow["error"]  # recovery found the command's process group and stopped it
        assert slow["finishedAt"] is not None
        assert f"start {slow_ip}" in slow["log"]  # what it printed before the crash is kept
        for ip in fast_ips:
            assert after[ip] == before[ip]  # finished hosts: same status, exit code, log and times
            assert after[ip]["log"] == f"start {ip}\ndone {ip}\n"
        assert task_ids(gql, status=["RUNNING", "PENDING", "CANCELLING"]) == []

        # The stored event stream spans the crash without a gap and ends with the task.
        assert gql.token is not None
        history = asyncio.run(asyncio.wait_for(read_events(instance, gql.token, ref.id), 15))
        assert history.completed
        assert [e["seq"] for e in history.events] == list(range(1, task["lastSeq"] + 1))
        assert history.events[-1]["kind"] == "TASK_STATUS"
        assert history.events[-1]["payload"]["status"] == "ABNORMAL"

        # The orphaned remote sleep goes; then the interrupted host alone can run again.
        kill = f"pkill -u {ssh_user.name} -f 'slee[p] {duration}'; touch {released}"
        remote_logs(gql, estate, kill, [estate.host_id(slow_ip)])
        retried = task_mutation(gql, "retryFailedHosts", ref.id)
        assert retried["errors"] == [], retried["errors"]
        final = wait_for_task(gql, ref)
        remote_logs(gql, estate, f"rm -f {released}", [estate.host_id(slow_ip)])
        assert final["status"] == "SUCCESS", summary(final)
        results = host_results(final)
        assert results[slow_ip]["log"] == f"start {slow_ip}\ndone {slow_ip}\n"
        for ip in fast_ips:
            assert results[ip] == before[ip]

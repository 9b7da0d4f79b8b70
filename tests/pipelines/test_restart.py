"""A server killed (SIGKILL) mid-pipeline and started again on the same database: the run resumes
where it was — a sleep finishes on time, a pause node waits again for its callback — and a node
whose job the crash interrupted ends FAILED with the reason, retryable; an approval node waits
again for the ticket it opened; nothing stays RUNNING for ever, and the event stream spans the
crash without a gap."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import dedicated_server, read_events, remote_logs, sleep_argument, ssh_estate
from tests.pipelines.support import (
    nodes,
    operate_node,
    run_template,
    summary,
    wait_ended,
    wait_for,
    wait_node,
)
from tests.pipelines.test_approvals import APPROVE, ticket_of
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server, free_port
from tests.support.sshd import SshUser


def test_a_killed_server_resumes_its_pipelines(
    server: Server, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str, tmp_path: Path
) -> None:
    with dedicated_server(server, tmp_path) as (instance, gql):
        estate = ssh_estate(gql, f"pipe-crash-{unique}", sshd_pool(1), ssh_user)
        duration = sleep_argument(30, unique)
        t = TreeBuilder()
        fork, join = t.gateway("ParallelGateway", name="fork"), t.gateway("ConvergeGateway", name="join")
        timer = t.sleep("5", name="timer")
        waiting = t.pause(name="waiting")
        job = t.activity(
            "job_fast_execute_script",
            {
                "job_content": f"echo started; sleep {duration}",
                "job_ip_list": estate.ips[0],
                "job_account": "default-key",
            },
            name="job",
        )
        ask = t.activity("approval", {"bk_verifier": "admin", "bk_approve_title": "go on?"}, name="ask")
        t.chain(t.start, fork)
        for branch in (timer, waiting, job, ask):
            t.flow(fork, branch)
            t.flow(branch, join)
        t.flow(join, t.end)
        run = run_template(gql, estate.business, t.tree(), f"crash-{unique}")
        for node in (timer, waiting, job, ask):
            wait_node(gql, run, run.node(node), "RUNNING")
        ticket = ticket_of(gql, estate.business, run)
        wait_for(gql, run, lambda s: bool(nodes(s)[run.node(job)]["inputs"]), what="the job to be started")

        assert instance.process is not None
        instance.process.kill()
        instance.process.wait(10)
        instance.port = free_port()
        instance.start()
        gql = GraphQLClient(instance.url, gql.token)

        # The timer resumes and ends; the pause node waits again; the interrupted job fails its node.
        resumed = wait_node(gql, run, run.node(timer), "FINISHED", timeout=20)
        failed = wait_node(gql, run, run.node(job), "FAILED", timeout=20)
        job_node = nodes(failed)[run.node(job)]
        assert "ABNORMAL" in job_node["exData"], job_node["exData"]
        assert "server stopped" in job_node["exData"], job_node["exData"]
        assert nodes(resumed)[run.node(waiting)]["state"] == "RUNNING", summary(resumed)
        assert nodes(resumed)[run.node(ask)]["state"] == "RUNNING", summary(resumed)
        # The approval opened before the crash is decided after it: the resumed node takes the decision.
        assert gql.ok(APPROVE, {"t": ticket["id"], "ok": True})["approveTicketStep"]["errors"] == []
        wait_node(gql, run, run.node(ask), "FINISHED")
        assert operate_node(gql, run, run.node(waiting), "CALLBACK", callbackData="after the crash")["errors"] == []
        stopped = wait_ended(gql, run)
        assert stopped["task"]["status"] == "FAILED", summary(stopped)
        assert stopped["task"]["error"], summary(stopped)

        kill = f"pkill -u {ssh_user.name} -f 'slee[p] {duration}' || true"
        remote_logs(gql, estate, kill)
        retried = operate_node(gql, run, run.node(job), "RETRY", inputs={"job_content": "echo again"})
        assert retried["errors"] == []
        final = wait_ended(gql, run, timeout=60)
        assert final["task"]["status"] == "SUCCESS", summary(final)

        # The stream ends where the task ended the first time (FAILED); reading on from there gives
        # the retry up to SUCCESS: together, every event once, across the crash.
        assert gql.token is not None
        first = asyncio.run(asyncio.wait_for(read_events(instance, gql.token, run.id), 15))
        assert first.completed
        assert first.events[-1]["payload"]["status"] == "FAILED"
        last_seen = first.events[-1]["seq"]
        rest = asyncio.run(asyncio.wait_for(read_events(instance, gql.token, run.id, after=last_seen), 15))
        seqs = [e["seq"] for e in first.events + rest.events]
        assert seqs == list(range(1, final["task"]["lastSeq"] + 1))
        assert rest.events[-1]["payload"]["status"] == "SUCCESS"

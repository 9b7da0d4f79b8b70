"""A bk-job template with an approval step, started with bk `job` execute_job, gated by an ITSM
ticket that its approver decides with the published `bkapi-component-open` itsm client: approved,
the script runs on the real loopback hosts over SSH (status 3); refused, the job fails (status 4)."""

from __future__ import annotations

import time
from typing import Any

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import bk_host_ids, job_estate, logs_by_ip, ok, wait_finished
from tests.compat.test_itsm_tickets import itsm_client
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok

CREATE_TEMPLATE = """
mutation($b: ID!, $name: String!, $steps: [JobStepInput!]!) {
  createJobTemplate(input: {businessId: $b, name: $name, steps: $steps}) { jobTemplate { bkJobId } errors { code } }
}"""


def _ticket_sn(client: Any, title: str) -> str:
    """The open approval ticket the run opened, found by its title as its approver sees the list."""
    deadline = time.monotonic() + 30
    while True:
        items = ok(client.itsm.get_tickets(data={"creator": "admin", "page_size": 50}))["items"]
        found = [item["sn"] for item in items if item["title"] == title and item["current_status"] == "RUNNING"]
        if found:
            return str(found[0])
        assert time.monotonic() < deadline, f"no ticket titled {title!r}"
        time.sleep(0.2)


def test_job_approval_through_itsm(
    bk: LegacyClient, gql: GraphQLClient, server: Server, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"itsm-job-{unique}", sshd_pool(2), ssh_user)
    approver = f"approver{unique}"
    server.cli("admin", "create-user", approver, "--password", "itsm-password-1")
    itsm = itsm_client(server, approver)
    hosts = list(bk_host_ids(gql, estate.ips).values())
    script = {"content": 'set -- $SSH_CONNECTION; echo "ran on $3"', "host_ids": hosts}
    steps = [
        {"kind": "approval", "name": "go", "config": {"message": "release", "approvers": [approver]}},
        {"kind": "script", "name": "run", "config": script},
    ]
    template = mutate_ok(gql, CREATE_TEMPLATE, {"b": estate.business.id, "name": f"rel-{unique}", "steps": steps})

    def run_and_decide(approve: bool) -> dict[str, Any]:
        body = {"bk_biz_id": estate.biz, "bk_job_id": template["jobTemplate"]["bkJobId"]}
        job = ok(bk.job.execute_job(data=body))["job_instance_id"]
        sn = _ticket_sn(itsm, f"rel-{unique}: go")
        status = ok(itsm.itsm.get_ticket_status(params={"sn": sn}))
        assert status["current_steps"][0]["processors"] == approver
        answer = [{"key": "approve_result", "value": "true" if approve else "false"},
                  {"key": "approve_remark", "value": "go ahead" if approve else "freeze week"}]  # fmt: skip
        decided = {"sn": sn, "operator": approver, "state_id": 2, "action_type": "TRANSITION", "fields": answer}
        assert ok(itsm.itsm.operate_node(data=decided)) == []
        finished = wait_finished(bk, estate.biz, job)
        finished["job_instance_id"] = job
        return finished

    approved = run_and_decide(True)
    assert approved["job_instance"]["status"] == 3
    logs = logs_by_ip(bk, estate.biz, approved["job_instance_id"], step=1)
    assert {ip: log["log_content"] for ip, log in logs.items()} == {ip: f"ran on {ip}\n" for ip in estate.ips}
    refused = run_and_decide(False)
    assert refused["job_instance"]["status"] == 4
    assert [step["step_instances"][0]["status"] for step in refused["blocks"]][:1] == [4]

"""A job template's approval step is a real ticket: the job waits, runs its script on real loopback
hosts over SSH once an approver approves, fails with the refusal's reason, survives a server
restart while waiting, and a cancelled job terminates its ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    SshEstate,
    TaskRef,
    dedicated_server,
    get_task,
    host_results,
    login,
    ssh_estate,
    summary,
    task_mutation,
    wait_for_task,
)
from tests.support.server import GraphQLClient, Server, free_port
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok
from tests.tickets.support import PASSWORD, People, approve, read_ticket

CREATE_TEMPLATE = """
mutation($b: ID!, $name: String!, $steps: [JobStepInput!]!) {
  createJobTemplate(input: {businessId: $b, name: $name, steps: $steps}) { jobTemplate { id } errors { code message } }
}"""
RUN_JOB = """
mutation($t: ID!, $h: [ID!]) { runJob(input: {templateId: $t, hostIds: $h}) {
  task { id jobInstanceId status } errors { code message } } }"""
JOB_TICKET = """
query($j: Int!) { tickets(first: 50) { nodes { id sn status originKind originTaskId
  currentSteps { stateId processors } task { jobInstanceId } } } task(jobInstanceId: $j) { status } }"""


def _start_job(gql: GraphQLClient, estate: SshEstate, name: str, approvers: list[str]) -> TaskRef:
    steps: list[dict[str, Any]] = [
        {"kind": "approval", "name": "go?", "config": {"message": "deploy now", "approvers": approvers}},
        {"kind": "script", "name": "deploy", "config": {"content": 'set -- $SSH_CONNECTION; echo "deployed on $3"'}},
    ]
    template = mutate_ok(gql, CREATE_TEMPLATE, {"b": estate.business.id, "name": name, "steps": steps})["jobTemplate"]
    task = mutate_ok(gql, RUN_JOB, {"t": template["id"], "h": estate.host_ids})["task"]
    return TaskRef(task["id"], task["jobInstanceId"])


def _ticket_of(client: GraphQLClient, ref: TaskRef) -> dict[str, Any]:
    """The job's approval ticket, as `client` sees it (waits for the run to open it)."""
    wait_for_task(client, ref, frozenset({"WAITING"}))
    nodes = client.ok(JOB_TICKET, {"j": ref.job_instance_id})["tickets"]["nodes"]
    mine = [t for t in nodes if t["originTaskId"] == ref.job_instance_id]
    assert len(mine) == 1, nodes
    return mine[0]


def test_approved_job_runs_and_refused_job_fails(
    gql: GraphQLClient, people: People, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"approve-{unique}", sshd_pool(2), ssh_user)
    bob = people.user(f"bob{unique}")
    operator = people.grant(f"op{unique}", estate.business, "operator")
    ref = _start_job(gql, estate, f"deploy-{unique}", [f"bob{unique}"])
    ticket = _ticket_of(gql, ref)
    assert (ticket["originKind"], ticket["status"]) == ("JOB_STEP", "RUNNING")
    assert ticket["currentSteps"] == [{"stateId": 2, "processors": [f"bob{unique}"]}]
    assert ticket["task"] == {"jobInstanceId": ref.job_instance_id}

    # An operator of the business who is no approver can neither approve nor confirm.
    confirmed = task_mutation(operator, "confirmTaskStep", ref.id)
    assert confirmed["errors"][0]["code"] == "NOT_PROCESSOR", confirmed
    assert get_task(gql, ref)["status"] == "WAITING"
    assert approve(bob, ticket, True, "ship it")["errors"] == []
    done = wait_for_task(gql, ref)
    assert done["status"] == "SUCCESS", summary(done)
    assert [s["status"] for s in done["steps"]] == ["SUCCESS", "SUCCESS"]
    logs = {ip: r["log"] for ip, r in host_results(done, step=1).items()}
    assert logs == {ip: f"deployed on {ip}\n" for ip in estate.ips}
    decided = read_ticket(bob, ticket)
    assert decided is not None
    assert (decided["status"], decided["decisionAcknowledged"]) == ("FINISHED", True)  # the run took it

    refused_ref = _start_job(gql, estate, f"deploy2-{unique}", [f"bob{unique}"])
    second = _ticket_of(gql, refused_ref)
    assert read_ticket(bob, second) is not None  # an approver sees the ticket without a role on the business
    assert approve(bob, second, False, "not on a Friday")["errors"] == []
    failed = wait_for_task(gql, refused_ref)
    assert failed["status"] == "FAILED", summary(failed)
    assert f"refused by bob{unique}: not on a Friday" in failed["error"]
    assert failed["steps"][0]["status"] == "FAILED"
    assert failed["steps"][1]["status"] == "PENDING"
    assert all(r["status"] == "PENDING" for r in host_results(failed, step=1).values())  # never ran


def test_cancelled_job_terminates_its_ticket_and_superuser_confirms(
    gql: GraphQLClient, people: People, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"cancel-{unique}", sshd_pool(1), ssh_user)
    ref = _start_job(gql, estate, f"c-{unique}", [f"nobody{unique}"])
    ticket = _ticket_of(gql, ref)
    assert task_mutation(gql, "cancelTask", ref.id)["errors"] == []
    assert wait_for_task(gql, ref)["status"] == "CANCELLED"
    closed = read_ticket(gql, ticket)
    assert closed is not None
    assert closed["status"] == "TERMINATED"
    assert closed["decisionAcknowledged"] is True  # closed by its own run: nobody to tell
    assert "cancelled" in closed["endReason"]

    # No approvers named: the business's maintainers decide; a superuser's confirmTaskStep is an override.
    second = _start_job(gql, estate, f"c2-{unique}", [])
    opened = _ticket_of(gql, second)
    assert opened["currentSteps"][0]["processors"] == ["maintainer"]
    assert task_mutation(gql, "confirmTaskStep", second.id)["errors"] == []
    assert wait_for_task(gql, second)["status"] == "SUCCESS"
    approved = read_ticket(gql, opened)
    assert approved is not None
    assert approved["approveResult"] is True


def test_job_waiting_for_approval_survives_a_restart(
    server: Server, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str, tmp_path: Path
) -> None:
    with dedicated_server(server, tmp_path) as (instance, gql):
        estate = ssh_estate(gql, f"restart-{unique}", sshd_pool(1), ssh_user)
        instance.cli("admin", "create-user", "approver", "--password", PASSWORD)
        ref = _start_job(gql, estate, f"r-{unique}", ["approver"])
        ticket = _ticket_of(gql, ref)

        assert instance.process is not None
        instance.process.kill()
        instance.process.wait(10)
        instance.port = free_port()
        instance.start()
        gql = GraphQLClient(instance.url, gql.token)
        assert get_task(gql, ref)["status"] == "WAITING"  # not ABNORMAL: it waits again, on the same ticket
        again = _ticket_of(gql, ref)
        assert again["sn"] == ticket["sn"]

        approver = login(instance.url, "approver", PASSWORD)
        assert approve(approver, again, True)["errors"] == []
        done = wait_for_task(gql, ref)
        assert done["status"] == "SUCCESS", summary(done)
        assert host_results(done, step=1)[estate.ips[0]]["log"] == f"deployed on {estate.ips[0]}\n"

"""The approval node opens an ITSM ticket and waits: approved, the run goes on; refused, the node
fails with the refusal's reason; someone who is not an approver cannot decide; a revoked run closes
its ticket."""

from __future__ import annotations

import time
from typing import Any

from tests.executors.support import login
from tests.pipelines.support import Run, nodes, operate_task, run_template, summary, wait_ended, wait_node
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business, create_business

PASSWORD = "pipeline-approver-1"
TICKETS = """
query($b: ID!) { tickets(first: 50, filter: {businessId: $b}) {
  nodes { id ticketId status originKind originTaskId originRef } } }"""
APPROVE = """
mutation($t: ID!, $ok: Boolean!, $c: String) {
  approveTicketStep(input: {ticketId: $t, approve: $ok, comment: $c}) { ticket { status } errors { code message } }
}"""


def person(server: Server, name: str) -> GraphQLClient:
    server.cli("admin", "create-user", name, "--password", PASSWORD)
    return login(server.url, name, PASSWORD)


def approval_run(gql: GraphQLClient, business: Business, approver: str, name: str) -> tuple[Run, str]:
    t = TreeBuilder()
    ask = t.activity(
        "approval",
        {"bk_verifier": approver, "bk_approve_title": f"{name}: go?", "bk_approve_content": "deploy now"},
        name="ask",
    )
    after = t.sleep("0", name="after")
    t.chain(t.start, ask, after, t.end)
    run = run_template(gql, business, t.tree(), name)
    waiting = wait_node(gql, run, run.node(ask), "RUNNING")
    assert nodes(waiting)[run.node(ask)]["status"] == "WAITING"
    return run, run.node(ask)


def ticket_of(gql: GraphQLClient, business: Business, run: Run) -> dict[str, Any]:
    """The run's approval ticket (the node opens it just after it starts running)."""
    deadline = time.monotonic() + 15
    while True:
        tickets = gql.ok(TICKETS, {"b": business.id})["tickets"]["nodes"]
        found = [t for t in tickets if t["originTaskId"] == run.number]
        if found:
            assert len(found) == 1, found
            return found[0]
        assert time.monotonic() < deadline, f"no ticket for task {run.number}: {tickets}"
        time.sleep(0.1)


def test_an_approved_run_goes_on_and_a_refused_one_fails(server: Server, gql: GraphQLClient, unique: str) -> None:
    bob, carol = person(server, f"bob{unique}"), person(server, f"carol{unique}")
    business = create_business(gql, f"pipe-approve-{unique}")

    run, ask = approval_run(gql, business, f"bob{unique}", f"approved-{unique}")
    ticket = ticket_of(gql, business, run)
    assert (ticket["originKind"], ticket["originRef"]) == ("PIPELINE_NODE", ask)
    not_allowed = carol.ok(APPROVE, {"t": ticket["id"], "ok": True})["approveTicketStep"]
    assert not_allowed["errors"], "only an approver decides"
    assert bob.ok(APPROVE, {"t": ticket["id"], "ok": True})["approveTicketStep"]["errors"] == []
    final = wait_ended(gql, run)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    assert nodes(final)[ask]["outputs"]["approve_result"] == "通过"
    assert nodes(final)[ask]["outputs"]["sn"] == ticket["ticketId"]

    refused_run, refused_ask = approval_run(gql, business, f"bob{unique}", f"refused-{unique}")
    ticket = ticket_of(gql, business, refused_run)
    decided = bob.ok(APPROVE, {"t": ticket["id"], "ok": False, "c": "not today"})["approveTicketStep"]
    assert decided["errors"] == [], decided
    failed = wait_ended(gql, refused_run)
    node = nodes(failed)[refused_ask]
    assert (failed["task"]["status"], node["state"]) == ("FAILED", "FAILED"), summary(failed)
    assert "not today" in node["exData"]
    assert node["outputs"]["approve_result"] == "拒绝"


def test_a_revoked_run_closes_its_ticket(server: Server, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-approve-revoke-{unique}")
    person(server, f"dave{unique}")
    run, _ = approval_run(gql, business, f"dave{unique}", f"revoked-{unique}")
    assert operate_task(gql, run, "REVOKE")["errors"] == []
    assert wait_ended(gql, run)["task"]["status"] == "CANCELLED"
    ticket = ticket_of(gql, business, run)
    assert ticket["status"] == "TERMINATED", ticket

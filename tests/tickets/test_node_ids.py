"""`node(id:)` on the ITSM and pipeline types: catalogs, services, tickets, pipeline templates
(business and common), pipeline runs, periodic tasks and the run's Task. Each is fetched by its
global id by someone allowed to see it, and is null — exactly as for an id that does not exist —
for someone who is not (no role on its business, neither creator nor processor of the ticket)."""

from __future__ import annotations

import base64

from tests.pipelines.support import create_run, create_template
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient
from tests.support.topology import create_business, mutate_ok
from tests.tickets.support import People, approval_flow, create_ticket, new_service

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on ServiceCatalog { key }
    ... on Service { name }
    ... on Ticket { sn }
    ... on PipelineTemplate { name isCommon }
    ... on PipelineRun { bkTaskId state }
    ... on PeriodicTask { name }
    ... on Task { name kind }
  }
}"""
CREATE_PERIODIC = """
mutation($input: CreatePeriodicTaskInput!) {
  createPeriodicTask(input: $input) { periodicTask { id } errors { code field message } }
}"""
IMPORT_COMMON = """
mutation($input: CreatePipelineTemplateInput!) {
  createPipelineTemplate(input: $input) { pipelineTemplate { id } errors { code field message } }
}"""
RUN_ID = "query($n: Int!) { pipelineRun(bkTaskId: $n) { id } }"


def _node(client: GraphQLClient, global_id: str) -> dict[str, object] | None:
    found: dict[str, object] | None = client.ok(NODE, {"id": global_id})["node"]
    return found


def _missing(type_name: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:987654".encode()).decode().rstrip("=")


def test_node_finds_itsm_and_pipeline_objects_for_those_who_may_see_them(
    gql: GraphQLClient, people: People, unique: str
) -> None:
    business = create_business(gql, f"node-ids-{unique}")
    viewer = people.grant(f"nviewer{unique}", business, "viewer")
    stranger = people.user(f"nstranger{unique}")

    service = new_service(gql, f"n{unique}", approval_flow(["admin"]))
    catalog_id = gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Service { catalog { id } } } }", {"id": service["id"]}
    )["node"]["catalog"]["id"]
    ticket = create_ticket(gql, service, reason="node ids", _businessId=business.id)

    t = TreeBuilder()
    t.chain(t.start, t.activity("sleep_timer", {"bk_timing": "0"}, name="tick"), t.end)
    template = create_template(gql, business, t.tree(), f"node ids {unique}")
    common = mutate_ok(gql, IMPORT_COMMON, {"input": {"name": f"common {unique}", "pipelineTree": t.tree()}})[
        "pipelineTemplate"
    ]["id"]
    run = create_run(gql, business, template, f"node run {unique}")
    run_id = gql.ok(RUN_ID, {"n": run.number})["pipelineRun"]["id"]
    periodic = mutate_ok(
        gql,
        CREATE_PERIODIC,
        {"input": {"businessId": business.id, "pipelineTemplateId": template, "name": f"p {unique}", "cron": {}}},
    )["periodicTask"]["id"]

    expected = {
        catalog_id: ("ServiceCatalog", "key", f"c_n{unique}"),
        service["id"]: ("Service", "name", f"service n{unique}"),
        ticket["id"]: ("Ticket", "sn", ticket["sn"]),
        template: ("PipelineTemplate", "name", f"node ids {unique}"),
        common: ("PipelineTemplate", "isCommon", True),
        run_id: ("PipelineRun", "bkTaskId", run.number),
        periodic: ("PeriodicTask", "name", f"p {unique}"),
        run.id: ("Task", "kind", "PIPELINE"),
    }
    for global_id, (type_name, field, value) in expected.items():
        found = _node(gql, global_id)
        assert found is not None, type_name
        assert (found["__typename"], found["id"], found[field]) == (type_name, global_id, value)

    # A viewer of the business sees its runs, templates and tickets (the ticket is filed under it).
    for global_id in expected:
        assert _node(viewer, global_id) is not None, expected[global_id]

    # Someone with no role: the business's objects and the ticket are null, like missing ids;
    # catalogs, services and common templates are everyone's.
    for global_id in (template, run_id, periodic, run.id, ticket["id"]):
        assert _node(stranger, global_id) is None, expected[global_id]
    for global_id in (common, catalog_id, service["id"]):
        assert _node(stranger, global_id) is not None, expected[global_id]
    for type_name in ("ServiceCatalog", "Service", "Ticket", "PipelineTemplate", "PipelineRun", "PeriodicTask", "Task"):
        assert _node(gql, _missing(type_name)) is None
        assert _node(stranger, _missing(type_name)) is None

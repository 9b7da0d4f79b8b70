"""The OpenC3 types' lists batch their relationships: the SQL count of a query does not grow with
the number of jobs (their steps) or tasks (their subtasks)."""

from __future__ import annotations

from tests.executors.support import create_account
from tests.openc3.support import C3Client
from tests.support.server import GraphQLClient
from tests.support.topology import create_business

JOBS = """
query($t: Int!) {
  treeJobs(treeId: $t) { uuid name steps { uuid pluginType nodeCont } variables { name } jobTemplate { name } }
}"""
TASKS = """
query($t: Int!) {
  treeTasks(treeId: $t, first: 100) { uuid status subtasks { uuid status nodecount } task { status } }
}"""
STEP = {"plugin_type": "approval", "name": "ok?", "cont": "go", "approver": "admin"}


def sql_count(gql: GraphQLClient, query: str, tree: int) -> int:
    response = gql.execute(query, {"t": tree})
    assert not response.errors, response.errors
    assert response.sql_count is not None
    return response.sql_count


def test_lists_of_jobs_and_tasks_cost_the_same_sql_whatever_their_length(
    gql: GraphQLClient, c3: C3Client, ip_allocator: object, unique: str
) -> None:
    business = create_business(gql, f"c3sql{unique}")
    create_account(gql, business, "ops", "ops", password="ops-password-1", is_default=True)
    tree = business.bk_biz_id
    ip = next(ip_allocator)  # type: ignore[call-overload]
    c3.ok("POST", f"/api/job/nodelist/{tree}", json={"name": ip})
    cmd = {
        "plugin_type": "cmd",
        "name": "x",
        "user": "ops",
        "node_type": "buildin",
        "node_cont": ip,
        "scripts_type": "content",
        "scripts_cont": "date",
    }

    def add_jobs(names: range) -> None:
        for n in names:
            c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": f"j{n}", "data": [cmd, STEP]})

    def add_tasks(count: int) -> list[str]:
        return [
            c3.ok("POST", f"/api/job/task/{tree}/plugin_approval", json={**STEP, "name": "a"})["uuid"]
            for _ in range(count)
        ]

    add_jobs(range(2))
    tasks = add_tasks(2)
    few_jobs, few_tasks = sql_count(gql, JOBS, tree), sql_count(gql, TASKS, tree)
    add_jobs(range(2, 8))
    tasks += add_tasks(6)
    assert sql_count(gql, JOBS, tree) == few_jobs
    assert sql_count(gql, TASKS, tree) == few_tasks
    for uuid in tasks:  # the approvals would wait for ever
        assert c3.ok("DELETE", f"/api/job/slave/any/killtask/{uuid}") == 1

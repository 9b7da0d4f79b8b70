"""A dynamic group as the target of real SSH runs (loopback sshd): the hosts are resolved when a
run starts, so a host placed in the group's module after the group was created is in the next run,
through GraphQL (`dynamicGroupIds`) and through bk `job` fast_execute_script (`custom_query_id`)."""

from __future__ import annotations

import base64

from tests.cmdb_groups.support import body, create_group, group_ips
from tests.compat.bk_client import make_client
from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    RUN_SCRIPT,
    SshEstate,
    TaskRef,
    create_account,
    host_results,
    ssh_estate,
    wait_for_task,
)
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.sshd import SshUser
from tests.support.topology import create_business, create_module, create_set, place_hosts, run_mutation

TO_IDLE = """
mutation($b: ID!, $h: [ID!]!) {
  transferHostsToBuiltinModule(input: {businessId: $b, hostIds: $h, module: IDLE}) { errors { code message } }
}"""


def _run_on_group(gql: GraphQLClient, business_id: str, group_id: str) -> TaskRef:
    content = 'set -- $SSH_CONNECTION; echo "ran on $3"'
    variables = {"input": {"businessId": business_id, "dynamicGroupIds": [group_id], "content": content}}
    payload = run_mutation(gql, RUN_SCRIPT, variables)
    assert payload["errors"] == [], payload["errors"]
    return TaskRef(payload["task"]["id"], payload["task"]["jobInstanceId"])


def test_a_job_on_a_dynamic_group_follows_the_cmdb(
    server: Server, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"dg-job-{unique}", sshd_pool(3), ssh_user)
    try:
        _follow_the_cmdb(server, gql, estate)
    finally:
        # The sshd pool's addresses are shared by the session's tests, which take them back from
        # a business only out of its idle module: leave them there.
        variables = {"b": estate.business.id, "h": estate.host_ids}
        assert run_mutation(gql, TO_IDLE, variables)["errors"] == []


def _follow_the_cmdb(server: Server, gql: GraphQLClient, estate: SshEstate) -> None:
    business = estate.business
    create_set(gql, business, "web")
    app = create_module(gql, business, "web", "app")
    first, second, outside = estate.ips
    place_hosts(gql, business, [estate.host_id(first)], [app])
    info = body(("set", [("bk_set_name", "$eq", "web")]), ("module", [("bk_module_name", "$eq", "app")]))
    group = create_group(gql, business.id, "web app", info)
    assert group_ips(gql, business.bk_biz_id, group["bkId"]) == [first]

    task = wait_for_task(gql, _run_on_group(gql, business.id, group["id"]))
    assert task["status"] == "SUCCESS", task
    assert {ip: r["log"] for ip, r in host_results(task).items()} == {first: f"ran on {first}\n"}

    # The CMDB changes after the group was made: the next run picks the new host up, the other stays out.
    place_hosts(gql, business, [estate.host_id(second)], [app])
    task = wait_for_task(gql, _run_on_group(gql, business.id, group["id"]))
    assert task["status"] == "SUCCESS", task
    assert sorted(host_results(task)) == sorted([first, second])
    assert outside not in host_results(task)

    # bk-job's custom_query_id names the same group by its bk id.
    bk = make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")
    script = base64.b64encode(b'set -- $SSH_CONNECTION; echo "bk on $3"').decode()
    answer = bk.job.fast_execute_script(
        data={"bk_biz_id": business.bk_biz_id, "script_content": script, "custom_query_id": [group["bkId"]]}
    )
    assert answer["result"] is True, answer
    task = wait_for_task(gql, TaskRef("", answer["data"]["job_instance_id"]))
    assert task["status"] == "SUCCESS", task
    assert {ip: r["log"] for ip, r in host_results(task).items()} == {
        first: f"bk on {first}\n",
        second: f"bk on {second}\n",
    }


def test_a_group_that_matches_nothing_is_no_targets(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"dg-empty-{unique}")
    create_account(gql, business, "ops", "nobody", password="a-long-password-1", is_default=True)
    group = create_group(gql, business.id, "nobody", body(("host", [("bk_host_name", "$eq", "no-such-host")])))
    variables = {"input": {"businessId": business.id, "dynamicGroupIds": [group["id"]], "content": "true"}}
    payload = run_mutation(gql, RUN_SCRIPT, variables)
    assert payload["task"] is None
    assert payload["errors"][0]["code"] == "NO_TARGETS"
    other = create_business(gql, f"dg-other-{unique}")
    create_account(gql, other, "ops", "nobody", password="a-long-password-1", is_default=True)
    variables["input"]["businessId"] = other.id
    payload = run_mutation(gql, RUN_SCRIPT, variables)
    assert payload["errors"][0]["code"] == "DYNAMIC_GROUP_NOT_FOUND"

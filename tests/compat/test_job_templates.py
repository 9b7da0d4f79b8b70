"""bk `job` job templates: get_job_list / get_job_detail, and execute_job of a 2-step template with
global variables and with per-step overrides, over a real sshd."""

from __future__ import annotations

from typing import Any

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import (
    ILLEGAL,
    NOT_SUPPORTED,
    SERVER_ADDRESS,
    TIME_WITH_OFFSET,
    JobEstate,
    b64,
    bk_host_ids,
    job_estate,
    logs_by_ip,
    ok,
    refused,
    wait_finished,
)
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import create_business, mutate_ok

CREATE_SCRIPT = """
mutation($input: CreateScriptInput!) {
  createScript(input: $input) { script { bkScriptId } errors { code message } }
}"""
CREATE_TEMPLATE = """
mutation($input: CreateJobTemplateInput!) {
  createJobTemplate(input: $input) { jobTemplate { bkJobId steps { bkStepId } } errors { code field message } }
}"""
TEMPLATE_NOT_FOUND, STEP_NOT_IN_TEMPLATE = 1243009, 1244011


def two_step_template(gql: GraphQLClient, estate: JobEstate, name: str) -> tuple[int, list[int], int]:
    """(bk_job_id, [step ids], script id): step 1 runs a stored script on host 0, step 2 inline content on host 1."""
    hosts = bk_host_ids(gql, estate.ips)
    script_input = {"businessId": estate.business.id, "name": f"{name}-greet", "content": 'echo "one $1 ${greeting}"'}
    script_id = mutate_ok(gql, CREATE_SCRIPT, {"input": script_input})["script"]["bkScriptId"]
    steps = [
        {
            "kind": "script",
            "name": "greet",
            "config": {"script_id": script_id, "params": "p1", "timeout": 120, "host_ids": [hosts[estate.ips[0]]]},
        },
        {
            "kind": "script",
            "name": "report",
            "config": {
                "content": f'echo "two $1"\n{SERVER_ADDRESS}',
                "params": "${greeting}",
                "account_alias": estate.alias,
                "host_ids": [hosts[estate.ips[1]]],
            },
        },
    ]
    template_input = {
        "businessId": estate.business.id,
        "name": name,
        "steps": steps,
        "variables": {"greeting": "hello", "unused": "x"},
    }
    template = mutate_ok(gql, CREATE_TEMPLATE, {"input": template_input})["jobTemplate"]
    return template["bkJobId"], [s["bkStepId"] for s in template["steps"]], script_id


def test_job_list_and_detail(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-tpl-{unique}", sshd_pool(3), ssh_user)
    job_id, step_ids, script_id = two_step_template(gql, estate, f"deploy-{unique}")

    (listed,) = ok(bk.job.get_job_list(params={"bk_biz_id": estate.biz, "name": f"ploy-{unique}"}))
    assert (listed["bk_job_id"], listed["name"], listed["step_num"], listed["tag_id"]) == (
        job_id,
        f"deploy-{unique}",
        2,
        "1",
    )
    assert listed["creator"] == "admin"
    assert TIME_WITH_OFFSET.match(listed["create_time"])
    assert ok(bk.job.get_job_list(params={"bk_biz_id": estate.biz, "creator": "someone-else"})) == []
    assert ok(bk.job.get_job_list(params={"bk_biz_id": estate.biz, "start": 1})) == []

    detail = ok(bk.job.get_job_detail(params={"bk_biz_id": estate.biz, "bk_job_id": job_id}))
    assert (detail["bk_job_id"], detail["bk_biz_id"], detail["step_num"]) == (job_id, estate.biz, 2)
    assert detail["global_vars"] == [
        {"type": 1, "id": 1, "category": 1, "name": "greeting", "value": "hello", "description": ""},
        {"type": 1, "id": 2, "category": 1, "name": "unused", "value": "x", "description": ""},
    ]
    first, second = detail["steps"]
    assert (first["step_id"], first["type"], first["order"], first["block_order"]) == (step_ids[0], 1, 1, 1)
    assert (first["script_id"], first["script_type"], first["script_param"], first["script_timeout"]) == (
        script_id,
        1,
        "p1",
        120,
    )
    assert first["script_content"] == 'echo "one $1 ${greeting}"'
    assert first["account"] == estate.alias  # no account stored: the business's default
    assert first["ip_list"] == estate.ip_list(estate.ips[0])
    assert (second["step_id"], second["script_id"], second["account"]) == (step_ids[1], 0, estate.alias)
    assert second["ip_list"] == estate.ip_list(estate.ips[1])

    other = create_business(gql, f"job-tpl-other-{unique}")
    refused(bk.job.get_job_detail(params={"bk_biz_id": other.bk_biz_id, "bk_job_id": job_id}), TEMPLATE_NOT_FOUND)


def test_execute_job_with_global_vars_and_step_overrides(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-exec-{unique}", sshd_pool(3), ssh_user)
    job_id, step_ids, _ = two_step_template(gql, estate, f"exec-{unique}")
    greeting = f"hi-{unique}"

    started = ok(
        bk.job.execute_job(
            data={"bk_biz_id": estate.biz, "bk_job_id": job_id, "global_vars": [{"id": 1, "value": greeting}]}
        )
    )
    assert started["job_instance_name"] == f"exec-{unique}"
    status = wait_finished(bk, estate.biz, started["job_instance_id"])
    assert status["job_instance"]["status"] == 3, status
    assert status["job_instance"]["bk_job_id"] == job_id
    assert [b["block_order"] for b in status["blocks"]] == [1, 2]
    assert [b["step_instances"][0]["step_id"] for b in status["blocks"]] == step_ids
    assert logs_by_ip(bk, estate.biz, started["job_instance_id"], 0)[estate.ips[0]]["log_content"] == (
        f"one p1 {greeting}\n"
    )
    second = logs_by_ip(bk, estate.biz, started["job_instance_id"], 1)
    assert second[estate.ips[1]]["log_content"] == f"two {greeting}\non {estate.ips[1]}\n"

    # Only step 2, on another host, with new parameters; the variable named by `name` this time.
    override: dict[str, Any] = {
        "step_id": step_ids[1],
        "ip_list": estate.ip_list(estate.ips[2]),
        "script_param": b64("override-${greeting}"),
        "account": estate.alias,
        "script_timeout": 60,
    }
    body = {
        "bk_biz_id": estate.biz,
        "bk_job_id": job_id,
        "steps": [override],
        "global_vars": [{"name": "greeting", "value": "yo"}],
    }
    rerun = ok(bk.job.execute_job(data=body))["job_instance_id"]
    status = wait_finished(bk, estate.biz, rerun)
    assert status["job_instance"]["status"] == 3, status
    assert [b["step_instances"][0]["step_id"] for b in status["blocks"]] == [step_ids[1]]
    logs = logs_by_ip(bk, estate.biz, rerun)
    assert list(logs) == [estate.ips[2]]
    assert logs[estate.ips[2]]["log_content"] == f"two override-yo\non {estate.ips[2]}\n"


def test_execute_job_refusals(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-exec-bad-{unique}", sshd_pool(3), ssh_user)
    job_id, step_ids, _ = two_step_template(gql, estate, f"bad-{unique}")
    run = bk.job.execute_job

    def body(**changes: Any) -> dict[str, Any]:
        return {"bk_biz_id": estate.biz, "bk_job_id": job_id, **changes}

    refused(run(data=body(bk_job_id=2_000_000_000)), TEMPLATE_NOT_FOUND)
    other = create_business(gql, f"job-exec-other-{unique}")
    refused(run(data=body(bk_biz_id=other.bk_biz_id)), TEMPLATE_NOT_FOUND)
    assert "global variable id 9" in refused(run(data=body(global_vars=[{"id": 9, "value": "x"}])), ILLEGAL)
    ip_variable = [{"id": 1, "ip_list": estate.ip_list(estate.ips[0])}]  # hosts for a string variable
    assert "string variable" in refused(run(data=body(global_vars=ip_variable)), ILLEGAL)
    refused(run(data=body(steps=[{"step_id": step_ids[1] + 10_000}])), STEP_NOT_IN_TEMPLATE)
    refused(run(data=body(steps=[{"step_id": step_ids[0], "db_account_id": 31}])), NOT_SUPPORTED)
    refused(run(data=body(steps=[{"step_id": step_ids[0], "script_timeout": 30}])), ILLEGAL)
    refused(run(data=body(steps=[{"step_id": step_ids[0], "file_target_path": "/tmp/x"}])), ILLEGAL)
    tasks = "query($b: ID) { tasks(first: 1, filter: {businessId: $b}) { totalCount } }"
    assert gql.ok(tasks, {"b": estate.business.id})["tasks"]["totalCount"] == 0

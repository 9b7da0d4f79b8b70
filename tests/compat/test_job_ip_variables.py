"""IP-type global variables (bk-job type 2) through bkapi-client-core over real sshd: a template's IP
variable is the target list of the steps that name it; get_job_detail shows it (type 2, category 3,
step_ids); execute_job `global_vars[].ip_list` replaces its hosts for one run, looked up when the run
starts with duplicates merged; what cannot be honoured is refused and runs nothing."""

from __future__ import annotations

from typing import Any

from tests.cmdb_groups.support import body, create_group
from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import (
    ILLEGAL,
    INVALID_HOSTS,
    NO_HOSTS,
    SERVER_ADDRESS,
    JobEstate,
    b64,
    job_estate,
    logs_by_ip,
    ok,
    refused,
    run_and_log,
    wait_finished,
)
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import create_business, create_module, create_set, place_hosts, run_mutation

CREATE_TEMPLATE = """
mutation($input: CreateJobTemplateInput!) {
  createJobTemplate(input: $input) {
    jobTemplate { id bkJobId variables steps { bkStepId } } errors { code field message }
  }
}"""
RUN_JOB = """
mutation($input: RunJobInput!) { runJob(input: $input) { task { jobInstanceId } errors { code field message } } }"""


def ip_template(gql: GraphQLClient, estate: JobEstate, name: str, base: str) -> dict[str, Any]:
    """`servers` (IP, default: host 0) targets a script step and a file step; `word` is a string variable."""
    steps = [
        {
            "kind": "script",
            "name": "say",
            "config": {"content": f'echo "${{word}}"\n{SERVER_ADDRESS}', "target_variable": "servers"},
        },
        {
            "kind": "file",
            "name": "drop",
            "config": {
                "sources": [{"content_b64": b64("dropped\n"), "name": "drop.txt"}],
                "target_path": base,
                "target_variable": "servers",
            },
        },
    ]
    variables = {"servers": {"ip_list": estate.ip_list(estate.ips[0])}, "word": "hi"}
    template_input = {"businessId": estate.business.id, "name": name, "steps": steps, "variables": variables}
    payload = run_mutation(gql, CREATE_TEMPLATE, {"input": template_input})
    assert payload["errors"] == [], payload
    return payload["jobTemplate"]  # type: ignore[no-any-return]


def test_an_ip_variable_gives_its_steps_their_hosts(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-ipvar-{unique}", sshd_pool(3), ssh_user)
    first, second, third = estate.ips
    base = f"/tmp/bk-ipvar-{unique}"
    template = ip_template(gql, estate, f"ipvar-{unique}", base)
    job_id, step_ids = template["bkJobId"], [s["bkStepId"] for s in template["steps"]]

    detail = ok(bk.job.get_job_detail(params={"bk_biz_id": estate.biz, "bk_job_id": job_id}))
    assert detail["global_vars"] == [
        {
            "type": 2,
            "id": 1,
            "category": 3,
            "name": "servers",
            "ip_list": estate.ip_list(first),
            "custom_query_id": [],
            "step_ids": step_ids,
            "description": "",
        },
        {"type": 1, "id": 2, "category": 1, "name": "word", "value": "hi", "description": ""},
    ]
    assert [step["ip_list"] for step in detail["steps"]] == [estate.ip_list(first)] * 2

    job = ok(bk.job.execute_job(data={"bk_biz_id": estate.biz, "bk_job_id": job_id}))["job_instance_id"]
    assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
    assert {ip: log["log_content"] for ip, log in logs_by_ip(bk, estate.biz, job).items()} == {
        first: f"hi\non {first}\n"
    }

    hosts = [{"bk_cloud_id": 0, "ip": ip} for ip in (second, third, second)]  # a duplicate, merged
    global_vars = [{"id": 1, "ip_list": hosts}, {"name": "word", "value": "yo"}]
    body = {"bk_biz_id": estate.biz, "bk_job_id": job_id, "global_vars": global_vars}
    job = ok(bk.job.execute_job(data=body))["job_instance_id"]
    status = wait_finished(bk, estate.biz, job)
    assert status["job_instance"]["status"] == 3, status
    said = {ip: log["log_content"] for ip, log in logs_by_ip(bk, estate.biz, job, step=0).items()}
    assert said == {second: f"yo\non {second}\n", third: f"yo\non {third}\n"}
    dropped = logs_by_ip(bk, estate.biz, job, step=1)
    assert {ip: log["ip_status"] for ip, log in dropped.items()} == {second: 9, third: 9}

    # GraphQL runJob takes the same value.
    runs = {"templateId": template["id"], "variables": {"servers": {"ip_list": estate.ip_list(third)}}}
    started = run_mutation(gql, RUN_JOB, {"input": runs})
    assert started["errors"] == [], started
    job = started["task"]["jobInstanceId"]
    assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
    assert sorted(logs_by_ip(bk, estate.biz, job)) == [third]
    run_and_log(bk, estate, f"rm -rf {base}", first)


HOST_IDS = "query($ips: [String!]) { hosts(first: 10, filter: {innerIps: $ips}) { nodes { id innerIp } } }"
TO_IDLE = """
mutation($b: ID!, $h: [ID!]!) {
  transferHostsToBuiltinModule(input: {businessId: $b, hostIds: $h, module: IDLE}) { errors { code message } }
}"""


def test_an_ip_variable_of_dynamic_groups_follows_the_cmdb(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    """`global_vars[].custom_query_id`: the group's hosts as the CMDB has them when each run starts,
    merged with the variable's `ip_list`."""
    estate = job_estate(gql, f"job-ipvar-dg-{unique}", sshd_pool(3), ssh_user)
    first, second, third = estate.ips
    ids = {h["innerIp"]: h["id"] for h in gql.ok(HOST_IDS, {"ips": estate.ips})["hosts"]["nodes"]}
    business = estate.business
    create_set(gql, business, "web")
    app = create_module(gql, business, "web", "app")
    try:
        place_hosts(gql, business, [ids[first]], [app])
        group = create_group(gql, business.id, "web app", body(("module", [("bk_module_name", "$eq", "app")])))
        job_id = ip_template(gql, estate, f"ipvar-dg-{unique}", f"/tmp/bk-ipvar-dg-{unique}")["bkJobId"]
        servers = {"id": 1, "custom_query_id": [group["bkId"]], "ip_list": [{"bk_cloud_id": 0, "ip": third}]}
        run = {"bk_biz_id": estate.biz, "bk_job_id": job_id, "global_vars": [servers]}

        job = ok(bk.job.execute_job(data=run))["job_instance_id"]
        assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
        assert sorted(logs_by_ip(bk, estate.biz, job, step=0)) == sorted([first, third])

        place_hosts(gql, business, [ids[second]], [app])  # the CMDB changes: the next run follows it
        job = ok(bk.job.execute_job(data=run))["job_instance_id"]
        assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
        assert sorted(logs_by_ip(bk, estate.biz, job, step=0)) == sorted([first, second, third])
    finally:
        # The sshd pool's addresses are shared by the session: leave them in the idle module.
        assert run_mutation(gql, TO_IDLE, {"b": business.id, "h": list(ids.values())})["errors"] == []


def test_ip_variable_values_that_cannot_be_honoured_are_refused(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-ipvar-bad-{unique}", sshd_pool(3), ssh_user)
    job_id = ip_template(gql, estate, f"ipvar-bad-{unique}", f"/tmp/bk-ipvar-bad-{unique}")["bkJobId"]
    run = bk.job.execute_job

    def global_vars(*items: dict[str, Any]) -> dict[str, Any]:
        return {"bk_biz_id": estate.biz, "bk_job_id": job_id, "global_vars": list(items)}

    assert "IP variable" in refused(run(data=global_vars({"id": 1, "value": "10.0.0.1"})), ILLEGAL)
    # A group that is not there (or not in this business) is refused when the run resolves it.
    assert "3" in refused(run(data=global_vars({"id": 1, "custom_query_id": ["3"]})), ILLEGAL)
    assert "string variable" in refused(run(data=global_vars({"id": 2, "ip_list": estate.ip_list()})), ILLEGAL)
    unknown = [{"bk_cloud_id": 0, "ip": "10.254.254.254"}]
    assert "10.254.254.254" in refused(run(data=global_vars({"id": 1, "ip_list": unknown})), INVALID_HOSTS)
    refused(run(data=global_vars({"id": 1, "ip_list": []})), NO_HOSTS)
    tasks = "query($b: ID) { tasks(first: 1, filter: {businessId: $b}) { totalCount } }"
    assert gql.ok(tasks, {"b": estate.business.id})["tasks"]["totalCount"] == 0


def test_templates_naming_ip_variables_badly_are_refused(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"job-ipvar-tpl-{unique}")

    def create(variables: dict[str, Any], target: str | None = "servers") -> dict[str, Any]:
        config: dict[str, Any] = {"content": "echo"}
        if target is not None:
            config["target_variable"] = target
        steps = [{"kind": "script", "name": "x", "config": config}]
        template_input = {"businessId": business.id, "name": f"t-{unique}", "steps": steps, "variables": variables}
        payload = run_mutation(gql, CREATE_TEMPLATE, {"input": template_input})
        assert payload["jobTemplate"] is None, payload
        (error,) = payload["errors"]
        return error  # type: ignore[no-any-return]

    assert create({"servers": "10.0.0.1"})["field"] == "steps.config.target_variable"  # a string variable
    assert create({})["field"] == "steps.config.target_variable"  # no such variable
    assert "ip_list[0]" in create({"servers": {"ip_list": [{"ip": ""}]}})["message"]
    assert "custom_query_id[0]" in create({"servers": {"custom_query_id": [""]}})["message"]
    assert "unknown key" in create({"servers": {"ip_list": [], "hosts": []}})["message"]
    both = {"content": "echo", "target_variable": "servers", "host_ids": [1]}
    steps = [{"kind": "script", "name": "x", "config": both}]
    payload = run_mutation(
        gql,
        CREATE_TEMPLATE,
        {
            "input": {
                "businessId": business.id,
                "name": "both",
                "steps": steps,
                "variables": {"servers": {"ip_list": []}},
            }
        },
    )
    assert payload["errors"][0]["field"].endswith("target_variable"), payload

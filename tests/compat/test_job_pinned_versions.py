"""A job template runs the script version it was saved with (bk execute_job over real sshd, through
bkapi-client-core): after the script is edited the old version still runs, get_job_detail and GraphQL
say which version; saving the template again pins the new one; a step override naming the script
runs its current version."""

from __future__ import annotations

from typing import Any

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import JobEstate, bk_host_ids, job_estate, logs_by_ip, ok, wait_finished
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import create_business, mutate_ok

CREATE_SCRIPT = """
mutation($input: CreateScriptInput!) {
  createScript(input: $input) { script { id bkScriptId } errors { code message } }
}"""
ADD_VERSION = """
mutation($s: ID!, $content: String!) {
  addScriptVersion(input: {scriptId: $s, content: $content}) { version { bkScriptVersionId version } errors { code } }
}"""
CREATE_TEMPLATE = """
mutation($input: CreateJobTemplateInput!) {
  createJobTemplate(input: $input) { jobTemplate { id bkJobId steps { bkStepId } } errors { code field message } }
}"""
UPDATE_TEMPLATE = """
mutation($t: ID!, $steps: [JobStepInput!]) {
  updateJobTemplate(input: {jobTemplateId: $t, steps: $steps}) { jobTemplate { id } errors { code field message } }
}"""
TEMPLATE_STEPS = """
query($t: ID!) {
  jobTemplate(id: $t) { steps { config scriptVersion { bkScriptVersionId version content createdBy } } }
}"""
TASK_STEPS = "query($j: Int!) { task(jobInstanceId: $j) { steps { scriptVersion } } }"
TEMPLATES_WITH_VERSIONS = """
query($bk: Int!) {
  business(bkBizId: $bk) { jobTemplates(first: 50) { nodes { name steps { scriptVersion { version content } } } } }
}"""


def _script(gql: GraphQLClient, business_id: str, name: str, content: str) -> dict[str, Any]:
    script_input = {"businessId": business_id, "name": name, "content": content}
    return mutate_ok(gql, CREATE_SCRIPT, {"input": script_input})["script"]  # type: ignore[no-any-return]


def _steps(script_id: int, host_id: int | None = None) -> list[dict[str, Any]]:
    config: dict[str, Any] = {"script_id": script_id, "timeout": 60}
    if host_id is not None:
        config["host_ids"] = [host_id]
    return [{"kind": "script", "name": "say", "config": config}]


def _run(bk: LegacyClient, estate: JobEstate, job_id: int, **extra: Any) -> tuple[int, str]:
    """execute_job; (job instance, the log of its one host)."""
    job = ok(bk.job.execute_job(data={"bk_biz_id": estate.biz, "bk_job_id": job_id, **extra}))["job_instance_id"]
    assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
    (log,) = logs_by_ip(bk, estate.biz, job).values()
    return job, str(log["log_content"])


def test_a_template_runs_the_script_version_it_was_saved_with(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-pin-{unique}", sshd_pool(3), ssh_user)
    host = bk_host_ids(gql, estate.ips[:1])[estate.ips[0]]
    script = _script(gql, estate.business.id, f"say-{unique}", 'echo "version one"')
    template_input = {
        "businessId": estate.business.id,
        "name": f"pin-{unique}",
        "steps": _steps(script["bkScriptId"], host),
    }
    template = mutate_ok(gql, CREATE_TEMPLATE, {"input": template_input})["jobTemplate"]
    job_id, step_id = template["bkJobId"], template["steps"][0]["bkStepId"]
    (pinned,) = gql.ok(TEMPLATE_STEPS, {"t": template["id"]})["jobTemplate"]["steps"]
    first_version = pinned["scriptVersion"]
    assert (first_version["version"], first_version["content"]) == (1, 'echo "version one"')
    assert pinned["config"]["script_version_id"] == first_version["bkScriptVersionId"]

    second = mutate_ok(gql, ADD_VERSION, {"s": script["id"], "content": 'echo "version two"'})["version"]
    assert second["version"] == 2

    job, log = _run(bk, estate, job_id)
    assert log == "version one\n"  # the version the template was saved with, not the script's current one
    assert gql.ok(TASK_STEPS, {"j": job})["task"]["steps"] == [{"scriptVersion": 1}]
    (shown,) = ok(bk.job.get_job_detail(params={"bk_biz_id": estate.biz, "bk_job_id": job_id}))["steps"]
    assert (shown["script_id"], shown["script_content"]) == (script["bkScriptId"], 'echo "version one"')
    assert shown["script_version_id"] == first_version["bkScriptVersionId"]
    assert shown["script_version"].startswith(f"{first_version['createdBy']}.")

    # A step override that names the script runs what the script is now.
    job, log = _run(bk, estate, job_id, steps=[{"step_id": step_id, "script_id": script["bkScriptId"]}])
    assert log == "version two\n"
    assert gql.ok(TASK_STEPS, {"j": job})["task"]["steps"] == [{"scriptVersion": 2}]

    # Saving the template again pins the version current at that moment.
    mutate_ok(gql, UPDATE_TEMPLATE, {"t": template["id"], "steps": _steps(script["bkScriptId"], host)})
    _, log = _run(bk, estate, job_id)
    assert log == "version two\n"
    (shown,) = ok(bk.job.get_job_detail(params={"bk_biz_id": estate.biz, "bk_job_id": job_id}))["steps"]
    assert (shown["script_version_id"], shown["script_content"]) == (second["bkScriptVersionId"], 'echo "version two"')


def test_a_template_may_pin_a_version_explicitly_and_wrong_pins_are_refused(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"job-pin-explicit-{unique}")
    script = _script(gql, business.id, "say", 'echo "one"')
    mutate_ok(gql, ADD_VERSION, {"s": script["id"], "content": 'echo "two"'})
    first_id = gql.ok(
        "query($s: ID!) { script(id: $s) { versions(first: 5) { nodes { bkScriptVersionId version } } } }",
        {"s": script["id"]},
    )["script"]["versions"]["nodes"][0]["bkScriptVersionId"]
    steps = [
        {"kind": "script", "name": "say", "config": {"script_id": script["bkScriptId"], "script_version_id": first_id}}
    ]
    template = mutate_ok(
        gql, CREATE_TEMPLATE, {"input": {"businessId": business.id, "name": "explicit", "steps": steps}}
    )
    (step,) = gql.ok(TEMPLATE_STEPS, {"t": template["jobTemplate"]["id"]})["jobTemplate"]["steps"]
    assert (step["scriptVersion"]["version"], step["scriptVersion"]["content"]) == (1, 'echo "one"')

    other = _script(gql, business.id, "other", "echo other")
    wrong = [
        {"kind": "script", "name": "say", "config": {"script_id": other["bkScriptId"], "script_version_id": first_id}}
    ]
    payload = gql.ok(CREATE_TEMPLATE, {"input": {"businessId": business.id, "name": "wrong", "steps": wrong}})
    (error,) = payload["createJobTemplate"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "steps.config.script_version_id"), error
    inline = [{"kind": "script", "name": "x", "config": {"content": "echo", "script_version_id": first_id}}]
    payload = gql.ok(CREATE_TEMPLATE, {"input": {"businessId": business.id, "name": "inline", "steps": inline}})
    assert payload["createJobTemplate"]["errors"][0]["code"] == "INVALID"


def test_pinned_versions_cost_the_same_sql_for_one_template_or_many(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"job-pin-count-{unique}")

    def add_template(tag: str) -> None:
        script = _script(gql, business.id, f"s-{tag}", f"echo {tag}")
        mutate_ok(gql, ADD_VERSION, {"s": script["id"], "content": f"echo {tag} again"})
        steps = _steps(script["bkScriptId"]) * 2
        steps[1] = {**steps[1], "name": "again"}
        mutate_ok(gql, CREATE_TEMPLATE, {"input": {"businessId": business.id, "name": f"t-{tag}", "steps": steps}})

    add_template("1")
    small = gql.execute(TEMPLATES_WITH_VERSIONS, {"bk": business.bk_biz_id})
    for tag in ("2", "3", "4"):
        add_template(tag)
    large = gql.execute(TEMPLATES_WITH_VERSIONS, {"bk": business.bk_biz_id})
    nodes = large.ok()["business"]["jobTemplates"]["nodes"]
    assert [s["scriptVersion"]["version"] for node in nodes for s in node["steps"]] == [2] * 8
    assert small.sql_count is not None
    assert small.sql_count == large.sql_count, (small.sql_count, large.sql_count)

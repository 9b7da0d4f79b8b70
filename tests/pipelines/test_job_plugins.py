"""The job plugins on real loopback hosts over SSH: a script whose `<SOPS_VAR>` lines become outputs,
a job template through the runner with its variables, a file pushed between hosts, and a failing
script failing its node with the job's reason."""

from __future__ import annotations

from tests.compat.job_support import bk_host_ids
from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import ssh_estate
from tests.pipelines.support import nodes, operate_node, run_template, summary, wait_ended
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok

CREATE_JOB_TEMPLATE = """
mutation($input: CreateJobTemplateInput!) {
  createJobTemplate(input: $input) { jobTemplate { bkJobId } errors { code field message } }
}"""
CHILD = "query($j: Int!) { task(jobInstanceId: $j) { kind status creator } }"


def test_job_nodes_run_on_hosts_and_pass_their_outputs_on(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"pipe-job-{unique}", sshd_pool(2), ssh_user)
    first_ip, second_ip = estate.ips
    hosts = bk_host_ids(gql, estate.ips)
    job = {
        "businessId": estate.business.id,
        "name": f"stamp-{unique}",
        "variables": {"who": "nobody"},
        "steps": [
            {
                "kind": "script",
                "name": "stamp",
                "config": {"content": 'echo "<SOPS_VAR>who:${who}</SOPS_VAR>"', "host_ids": [hosts[second_ip]]},
            }
        ],
    }
    bk_job_id = mutate_ok(gql, CREATE_JOB_TEMPLATE, {"input": job})["jobTemplate"]["bkJobId"]
    source = f"/tmp/opsgraph-pipe-{unique}.txt"
    target_dir = f"/tmp/opsgraph-pipe-{unique}-copy"

    t = TreeBuilder()
    t.constant("greeting", f"hello-{unique}")
    script = t.activity(
        "job_fast_execute_script",
        {
            "job_script_source": "manual",
            "job_script_type": "1",
            "job_content": f'echo "${{greeting}}" > {source}\necho "<SOPS_VAR>made:{source}</SOPS_VAR>"',
            "job_ip_list": first_ip,
            "job_account": "default-key",
        },
        name="make a file",
    )
    t.output_constant("made", script, "log_outputs", default={})
    run_job = t.activity(
        "job_execute_task",
        {"job_task_id": str(bk_job_id), "job_global_var": [{"name": "who", "value": "${greeting}"}]},
        name="run the job",
    )
    push = t.activity(
        "job_fast_push_file",
        {
            "job_source_files": [{"ip": first_ip, "files": source, "account": "default-key"}],
            "job_ip_list": second_ip,
            "job_account": "default-key",
            "job_target_path": target_dir,
        },
        name="copy it",
    )
    check = t.activity(
        "job_fast_execute_script",
        {
            "job_content": f'echo "<SOPS_VAR>copied:$(cat {target_dir}/opsgraph-pipe-{unique}.txt)</SOPS_VAR>"',
            "job_ip_list": f"0:{second_ip}",
            "job_account": "default-key",
        },
        name="read the copy",
    )
    t.chain(t.start, script, run_job, push, check, t.end)
    run = run_template(gql, estate.business, t.tree(), f"jobs-{unique}")
    final = wait_ended(gql, run, timeout=90)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    state = nodes(final)
    made = state[run.node(script)]["outputs"]
    assert made["log_outputs"] == {"made": source}
    child = gql.ok(CHILD, {"j": made["job_inst_id"]})["task"]
    assert child == {"kind": "SCRIPT", "status": "SUCCESS", "creator": "admin"}
    ran = state[run.node(run_job)]["outputs"]
    assert ran["log_outputs"] == {"who": f"hello-{unique}"}  # the pipeline's variable reached the job
    assert ran["who"] == f"hello-{unique}"
    assert ran["_result"] is True
    assert gql.ok(CHILD, {"j": ran["job_inst_id"]})["task"]["kind"] == "JOB"
    assert gql.ok(CHILD, {"j": state[run.node(push)]["outputs"]["job_inst_id"]})["task"]["kind"] == "FILE"
    assert state[run.node(check)]["outputs"]["log_outputs"] == {"copied": f"hello-{unique}"}


def test_a_failing_script_fails_its_node_with_the_jobs_reason(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"pipe-jobfail-{unique}", sshd_pool(2), ssh_user, count=1)
    t = TreeBuilder()
    t.constant("code", "3")
    failing = t.activity(
        "job_fast_execute_script",
        {"job_content": "exit ${code}", "job_ip_list": estate.ips[0], "job_account": "default-key"},
        name="fails",
    )
    t.chain(t.start, failing, t.end)
    run = run_template(gql, estate.business, t.tree(), f"jobfail-{unique}")
    failed = wait_ended(gql, run, timeout=60)
    node = nodes(failed)[run.node(failing)]
    assert node["state"] == "FAILED", summary(failed)
    assert node["exData"].startswith(f"job task {node['outputs']['job_inst_id']} ended FAILED"), node["exData"]
    # A retry with new inputs starts a new job, which succeeds.
    assert operate_node(gql, run, run.node(failing), "RETRY", inputs={"job_content": "exit 0"})["errors"] == []
    final = wait_ended(gql, run, timeout=60)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    retried = nodes(final)[run.node(failing)]
    assert retried["outputs"]["job_inst_id"] != node["outputs"]["job_inst_id"]


def test_a_job_node_cannot_reach_another_business(gql: GraphQLClient, unique: str) -> None:
    from tests.support.topology import create_business

    mine, theirs = create_business(gql, f"pipe-mine-{unique}"), create_business(gql, f"pipe-theirs-{unique}")
    step = {"kind": "script", "name": "x", "config": {"content": "true", "host_ids": []}}
    job = {"businessId": theirs.id, "name": f"theirs-{unique}", "steps": [step]}
    bk_job_id = mutate_ok(gql, CREATE_JOB_TEMPLATE, {"input": job})["jobTemplate"]["bkJobId"]
    t = TreeBuilder()
    node = t.activity("job_execute_task", {"job_task_id": str(bk_job_id)}, name="elsewhere")
    t.chain(t.start, node, t.end)
    run = run_template(gql, mine, t.tree(), f"elsewhere-{unique}")
    failed = wait_ended(gql, run)
    assert f"job template {bk_job_id} does not exist in this business" in nodes(failed)[run.node(node)]["exData"]

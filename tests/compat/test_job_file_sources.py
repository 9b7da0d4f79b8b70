"""bk `job` file sources through bkapi-client-core over real sshd: fast_push_file from three source
hosts into `[FILESRCIP]` directories with a `REGEX:` source, per-host reasons (ip_status 203 / 321)
for sources that cannot be brought, and execute_job file steps whose sources (a whole directory, read
with its own account) are stored in the template or given as `file_source` overrides."""

from __future__ import annotations

from typing import Any

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import JobEstate, b64, bk_host_ids, job_estate, logs_by_ip, ok, run_and_log, wait_finished
from tests.executors.conftest import SshdPoolFactory
from tests.executors.file_sources_support import PATTERN_LIMIT, many_files_script
from tests.executors.support import create_account
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok, mutate_refused

CREATE_TEMPLATE = """
mutation($input: CreateJobTemplateInput!) {
  createJobTemplate(input: $input) { jobTemplate { bkJobId steps { bkStepId } } errors { code field message } }
}"""
DELETE_ACCOUNT = """
mutation($a: ID!) { deleteAccount(input: {accountId: $a}) { deletedId errors { code field message } } }"""
LIST_FILES = 'find . -type f | sort | while read -r f; do echo "$f $(stat -c %a "$f") $(cat "$f")"; done'


def push_body(estate: JobEstate, target_path: str, sources: list[dict[str, Any]], *targets: str) -> dict[str, Any]:
    return {
        "bk_biz_id": estate.biz,
        "account": estate.alias,
        "file_target_path": target_path,
        "file_source": sources,
        "ip_list": estate.ip_list(*targets),
    }


def test_fast_push_file_from_three_hosts_into_filesrcip_directories(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-srcip-{unique}", sshd_pool(3), ssh_user)
    first, second, third = estate.ips
    base = f"/tmp/bk-srcip-{unique}"
    make = f"mkdir -p {base}/src && cd {base}/src && echo a > a.txt && echo b1 > b-1.txt && echo b2 > b-2.txt"
    run_and_log(bk, estate, f"{make} && echo other > b-x.txt", first)
    sources = [
        {"files": [f"{base}/src/a.txt"], "account": estate.alias, "ip_list": estate.ip_list(first)},
        # One file_source, two hosts: each brings what the pattern matches there.
        {
            "files": [f"{base}/src/REGEX:b-[0-9]\\.txt"],
            "account": estate.alias,
            "ip_list": estate.ip_list(second, third),
        },
    ]

    started = ok(bk.job.fast_push_file(data=push_body(estate, f"{base}/dst/[FILESRCIP]/", sources, first, second)))
    status = wait_finished(bk, estate.biz, started["job_instance_id"])

    assert status["job_instance"]["status"] == 3, status
    (step,) = status["blocks"][0]["step_instances"]
    assert sorted((h["ip"], h["status"]) for h in step["step_ip_status"]) == [(first, 9), (second, 9)]
    landed = run_and_log(bk, estate, f"cd {base}/dst && {LIST_FILES}", first)[first].splitlines()
    assert [line.rsplit(" ", 2)[0::2] for line in landed] == [
        [f"./{first}/a.txt", "a"],
        [f"./{second}/b-1.txt", "b1"],
        [f"./{second}/b-2.txt", "b2"],
        [f"./{third}/b-1.txt", "b1"],
        [f"./{third}/b-2.txt", "b2"],
    ]
    for ip, log in logs_by_ip(bk, estate.biz, started["job_instance_id"]).items():
        assert f"wrote {base}/dst/{third}/b-2.txt" in log["log_content"], (ip, log)
    run_and_log(bk, estate, f"rm -rf {base}", first)


def test_sources_that_cannot_be_brought_give_each_target_its_reason(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-srcbad-{unique}", sshd_pool(3), ssh_user)
    source, *targets = estate.ips
    base = f"/tmp/bk-srcbad-{unique}"
    run_and_log(bk, estate, many_files_script(f"{base}/many", PATTERN_LIMIT + 1), source)

    def push(path: str) -> dict[str, dict[str, Any]]:
        sources = [{"files": [path], "account": estate.alias, "ip_list": estate.ip_list(source)}]
        job = ok(bk.job.fast_push_file(data=push_body(estate, f"{base}/dst", sources, *targets)))["job_instance_id"]
        assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 4
        return logs_by_ip(bk, estate.biz, job)

    nothing = push(f"{base}/many/REGEX:g[0-9]+")
    assert sorted(nothing) == sorted(targets)
    for log in nothing.values():  # 203: source file does not exist
        assert (log["ip_status"], log["error_code"]) == (203, 203), log
        assert f"no file in {base}/many on {source} matches 'g[0-9]+'" in log["log_content"], log
    too_many = push(f"{base}/many/REGEX:f[0-9]+")
    for log in too_many.values():  # 321: file over the limit
        assert (log["ip_status"], log["error_code"]) == (321, 321), log
        assert f"matches {PATTERN_LIMIT + 1} files on {source}" in log["log_content"], log
    run_and_log(bk, estate, f"rm -rf {base}", source)


def test_execute_job_file_steps_read_each_source_with_its_own_account(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-srcacct-{unique}", sshd_pool(3), ssh_user)
    target, source, other_source = estate.ips
    # The same OS user behind a second account that logs in with a password, not the key.
    reader = create_account(gql, estate.business, "reader", ssh_user.name, password=ssh_user.password)
    base = f"/tmp/bk-srcacct-{unique}"
    make = f"mkdir -p {base}/conf/sub && echo x > {base}/conf/x.cfg && echo y > {base}/conf/sub/y.cfg"
    run_and_log(bk, estate, f"{make} && chmod 600 {base}/conf/x.cfg && echo z > {base}/z.cfg", source)
    hosts = bk_host_ids(gql, estate.ips)
    step = {
        "kind": "file",
        "name": "conf",
        "config": {
            "sources": [{"host_id": hosts[source], "path": f"{base}/conf/", "account_alias": "reader"}],
            "target_path": f"{base}/dst/[FILESRCIP]",
            "host_ids": [hosts[target]],
        },
    }
    template_input = {"businessId": estate.business.id, "name": f"conf-{unique}", "steps": [step]}
    template = mutate_ok(gql, CREATE_TEMPLATE, {"input": template_input})["jobTemplate"]
    job_id, step_id = template["bkJobId"], template["steps"][0]["bkStepId"]

    (shown,) = ok(bk.job.get_job_detail(params={"bk_biz_id": estate.biz, "bk_job_id": job_id}))["steps"]
    assert shown["file_target_path"] == f"{base}/dst/[FILESRCIP]"
    assert shown["account"] == estate.alias  # the step's (target) account: the business's default
    assert shown["file_source"] == [
        {"files": [f"{base}/conf/"], "account": "reader", "ip_list": estate.ip_list(source), "custom_query_id": []}
    ]

    # The template reads a source with it: the account cannot be deleted under it.
    mutate_refused(gql, DELETE_ACCOUNT, {"a": reader}, "ACCOUNT_IN_USE")

    job = ok(bk.job.execute_job(data={"bk_biz_id": estate.biz, "bk_job_id": job_id}))["job_instance_id"]
    assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
    landed = run_and_log(bk, estate, f"cd {base}/dst && {LIST_FILES}", target)[target].splitlines()
    assert landed == [f"./{source}/conf/sub/y.cfg 644 y", f"./{source}/conf/x.cfg 600 x"]

    override = {
        "step_id": step_id,
        "file_target_path": f"{base}/again/[FILESRCIP]/",
        "file_source": [
            {"files": [f"{base}/REGEX:z\\.cfg"], "account": "reader", "ip_list": estate.ip_list(other_source)},
            {"files": [f"{base}/conf/x.cfg"], "account": estate.alias, "ip_list": estate.ip_list(source)},
        ],
    }
    body = {"bk_biz_id": estate.biz, "bk_job_id": job_id, "steps": [override]}
    job = ok(bk.job.execute_job(data=body))["job_instance_id"]
    assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
    landed = run_and_log(bk, estate, f"cd {base}/again && {LIST_FILES}", target)[target].splitlines()
    assert sorted(landed) == sorted([f"./{other_source}/z.cfg 644 z", f"./{source}/x.cfg 600 x"])
    run_and_log(bk, estate, f"rm -rf {base}", source)


def test_uploaded_template_content_lands_under_0_0_0_0(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-srcup-{unique}", sshd_pool(3), ssh_user)
    base = f"/tmp/bk-srcup-{unique}"
    hosts = bk_host_ids(gql, estate.ips[:1])
    step = {
        "kind": "file",
        "name": "upload",
        "config": {
            "sources": [{"content_b64": b64("uploaded\n"), "name": "up.cfg"}],
            "target_path": f"{base}/[FILESRCIP]",
            "host_ids": [hosts[estate.ips[0]]],
        },
    }
    template_input = {"businessId": estate.business.id, "name": f"up-{unique}", "steps": [step]}
    job_id = mutate_ok(gql, CREATE_TEMPLATE, {"input": template_input})["jobTemplate"]["bkJobId"]

    job = ok(bk.job.execute_job(data={"bk_biz_id": estate.biz, "bk_job_id": job_id}))["job_instance_id"]

    assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
    landed = run_and_log(bk, estate, f"cat {base}/0.0.0.0/up.cfg && rm -rf {base}", estate.ips[0])
    assert landed == {estate.ips[0]: "uploaded\n"}

"""bk `job` fast_execute_script and fast_push_file over a real sshd, followed through
get_job_instance_status, get_job_instance_log and get_step_instance_status with bkapi-client-core."""

from __future__ import annotations

import base64

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import (
    SERVER_ADDRESS,
    TIME_PLAIN,
    TIME_WITH_OFFSET,
    b64,
    job_estate,
    logs_by_ip,
    ok,
    run_and_log,
    run_script,
    wait_finished,
)
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser


def test_fast_execute_script_runs_base64_content_with_parameters(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-run-{unique}", sshd_pool(3), ssh_user)
    targets = estate.ips[:2]
    content = f'# {"padding " * 10}\necho "args: $1 / $2"\n{SERVER_ADDRESS}\nwhoami'

    started = ok(
        bk.job.fast_execute_script(
            data={
                "bk_biz_id": estate.biz,
                # Wrapped at 76 columns, as the `base64` command writes it.
                "script_content": base64.encodebytes(content.encode()).decode(),
                "script_param": b64("big 'small world'"),  # the whole string, base64 once
                "script_timeout": 60,
                "script_type": 1,
                "account": estate.alias,
                "is_param_sensitive": 1,
                "ip_list": estate.ip_list(*targets),
            }
        )
    )
    job = started["job_instance_id"]
    assert started["job_instance_name"].startswith("API Quick execution script")

    status = wait_finished(bk, estate.biz, job)
    instance = status["job_instance"]
    assert instance["status"] == 3, status
    assert (instance["job_instance_id"], instance["bk_biz_id"], instance["name"]) == (
        job,
        estate.biz,
        started["job_instance_name"],
    )
    assert (instance["bk_job_id"], instance["start_way"], instance["operator"]) == (-1, 2, "admin")
    for key in ("create_time", "start_time", "end_time"):
        assert TIME_WITH_OFFSET.match(instance[key]), instance
    assert instance["total_time"] >= 0
    (block,) = status["blocks"]
    (step,) = block["step_instances"]
    assert (block["type"], block["block_order"], step["type"], step["step_id"], step["status"]) == (1, 1, 1, -1, 3)
    assert instance["current_step_instance_id"] == step["step_instance_id"]
    assert sorted((h["ip"], h["bk_cloud_id"], h["status"]) for h in step["step_ip_status"]) == [
        (ip, 0, 9) for ip in sorted(targets)
    ]
    for result in step["step_ip_result_list"]:
        assert (result["status"], result["exit_code"], result["error_code"]) == (9, 0, 0), result
        assert TIME_WITH_OFFSET.match(result["end_time"]), result

    logs = logs_by_ip(bk, estate.biz, job)
    assert sorted(logs) == sorted(targets)
    for ip, log in logs.items():
        assert (log["ip_status"], log["exit_code"], log["error_code"], log["bk_cloud_id"]) == (9, 0, 0, 0)
        lines = log["log_content"].splitlines()
        assert lines[:2] == ["args: big / small world", f"on {ip}"], log
        assert ssh_user.name in lines  # logged in with the account's OS user
        assert TIME_PLAIN.match(log["start_time"]), log

    detail = ok(
        bk.job.get_step_instance_status(
            data={
                "bk_biz_id": estate.biz,
                "params": {"job_instance_id": job, "step_instance_id": step["step_instance_id"]},
            }
        )
    )
    assert detail["is_finished"] is True
    summary = detail["step_instance_detail"]
    assert (summary["status"], summary["total_ip_num"], summary["success_ip_num"], summary["fail_ip_num"]) == (
        3,
        2,
        2,
        0,
    )
    assert sorted(summary["target_ips"].split(",")) == sorted(f"0:{ip}" for ip in targets)
    (analysed,) = detail["step_instance_analyse_result"]
    assert (analysed["result_type"], analysed["count"]) == (9, 2)


def test_failing_script_reports_status_4_and_the_exit_code(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-fail-{unique}", sshd_pool(3), ssh_user)
    ok_ip, failing_ip = estate.ips[:2]
    content = (
        f'{SERVER_ADDRESS}\nset -- $SSH_CONNECTION\n[ "$3" = "{failing_ip}" ] && {{ echo bad >&2; exit 3; }}\necho fine'
    )

    job = run_script(bk, estate, content, ok_ip, failing_ip, task_name=f"mixed-{unique}")

    status = wait_finished(bk, estate.biz, job)
    assert status["job_instance"]["status"] == 4
    assert status["job_instance"]["name"] == f"mixed-{unique}"
    (step,) = status["blocks"][0]["step_instances"]
    assert step["status"] == 4
    assert {h["ip"]: h["status"] for h in step["step_ip_status"]} == {ok_ip: 9, failing_ip: 11}
    results = {r["ip"]: r for r in step["step_ip_result_list"]}
    assert (results[failing_ip]["status"], results[failing_ip]["exit_code"]) == (104, 3)
    assert results[failing_ip]["error_code"] == 0  # the script's own exit code, not a transport error

    logs = logs_by_ip(bk, estate.biz, job)
    assert (logs[failing_ip]["ip_status"], logs[failing_ip]["exit_code"]) == (104, 3)
    assert "bad" in logs[failing_ip]["log_content"]
    assert (logs[ok_ip]["ip_status"], logs[ok_ip]["exit_code"]) == (9, 0)
    grouped = ok(bk.job.get_job_instance_log(params={"bk_biz_id": estate.biz, "job_instance_id": job}))
    assert sorted(r["ip_status"] for r in grouped[0]["step_results"]) == [9, 104]  # grouped by ip_status
    assert (grouped[0]["is_finished"], grouped[0]["status"]) == (True, 4)

    detail = ok(
        bk.job.get_step_instance_status(
            data={"bk_biz_id": estate.biz, "job_instance_id": job, "step_instance_id": step["step_instance_id"]}
        )
    )
    counts = detail["step_instance_detail"]
    assert (counts["success_ip_num"], counts["fail_ip_num"], counts["running_ip_num"]) == (1, 1, 0)
    by_type = {r["result_type"]: r for r in detail["step_instance_analyse_result"]}
    assert by_type[104]["ip_list"] == [{"bk_cloud_id": 0, "ip": failing_ip}]
    assert by_type[104]["result_type_text"] == "Script exit code non-zero"


def test_fast_push_file_copies_from_another_host(
    bk: LegacyClient, gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = job_estate(gql, f"job-push-{unique}", sshd_pool(3), ssh_user)
    source_ip, *target_ips = estate.ips
    directory = f"/tmp/bk-push-{unique}"
    run_and_log(
        bk, estate, f"mkdir -p {directory}/src && echo 'payload {unique}' > {directory}/src/data.txt", source_ip
    )

    started = ok(
        bk.job.fast_push_file(
            data={
                "bk_biz_id": estate.biz,
                "account": estate.alias,
                "file_target_path": f"{directory}/dst/",
                "file_source": [
                    {
                        "files": [f"{directory}/src/data.txt"],
                        "account": estate.alias,
                        "ip_list": estate.ip_list(source_ip),
                    }
                ],
                "ip_list": estate.ip_list(*target_ips),
            }
        )
    )
    assert started["job_instance_name"].startswith("API Quick Distribution File")
    status = wait_finished(bk, estate.biz, started["job_instance_id"])
    assert status["job_instance"]["status"] == 3, status
    (step,) = status["blocks"][0]["step_instances"]
    assert (step["type"], sorted(h["ip"] for h in step["step_ip_status"])) == (2, sorted(target_ips))
    assert {h["status"] for h in step["step_ip_status"]} == {9}

    copied = run_and_log(bk, estate, f"cat {directory}/dst/data.txt", *target_ips)
    assert copied == {ip: f"payload {unique}\n" for ip in target_ips}
    run_and_log(bk, estate, f"rm -rf {directory}", source_ip)  # every "host" is this machine

"""bk `job` execution paths refusing bad input, foreign hosts and callers without a role: `result: false`
with bk-job's code and a message, and no task started."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import (
    ILLEGAL,
    INVALID_HOSTS,
    MISSING,
    NO_ACCOUNT,
    NO_HOSTS,
    NO_INSTANCE,
    NO_PERMISSION,
    NO_STEP_INSTANCE,
    NOT_SUPPORTED,
    JobEstate,
    b64,
    job_estate,
    ok,
    refused,
    run_script,
    wait_finished,
)
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import add_hosts, create_business

TASK_COUNT = "query($b: ID) { tasks(first: 1, filter: {businessId: $b}) { totalCount } }"


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> Iterator[JobEstate]:
    estate = job_estate(gql, f"job-refuse-{unique}", sshd_pool(3), ssh_user)
    yield estate
    # Whatever was refused, nothing ran in the business.
    assert gql.ok(TASK_COUNT, {"b": estate.business.id})["tasks"]["totalCount"] == 0


def script_body(estate: JobEstate, **changes: Any) -> dict[str, Any]:
    body = {
        "bk_biz_id": estate.biz,
        "script_content": b64("echo hi"),
        "account": estate.alias,
        "ip_list": estate.ip_list(estate.ips[0]),
        **changes,
    }
    return {key: value for key, value in body.items() if value is not None}


def test_fast_execute_script_refuses_bad_input(
    bk: LegacyClient, roleless_bk: LegacyClient, gql: GraphQLClient, estate: JobEstate, ip_allocator: Iterator[str]
) -> None:
    run = bk.job.fast_execute_script
    for timeout in (59, 86_401):
        assert "script_timeout" in refused(run(data=script_body(estate, script_timeout=timeout)), ILLEGAL)
    assert "base64" in refused(run(data=script_body(estate, script_content="not base64!")), ILLEGAL)
    assert "base64" in refused(run(data=script_body(estate, script_param="%%%")), ILLEGAL)
    assert "script_type" in refused(run(data=script_body(estate, script_type=9)), ILLEGAL)
    assert "is_param_sensitive" in refused(run(data=script_body(estate, is_param_sensitive=2)), ILLEGAL)
    refused(run(data=script_body(estate, script_content=None)), MISSING)
    refused(run(data=script_body(estate, script_id=2_000_000_000)), 1243001)  # no such script
    refused(run(data=script_body(estate, ip_list=None)), NO_HOSTS)
    refused(run(data=script_body(estate, account=f"nobody-{estate.biz}")), NO_ACCOUNT)
    message = refused(run(data=script_body(estate, ip_list=None, custom_query_id=["no-such-query"])), ILLEGAL)
    assert "dynamic group 'no-such-query' does not exist" in message

    unknown_ip = next(ip_allocator)
    assert unknown_ip in refused(run(data=script_body(estate, ip_list=estate.ip_list(unknown_ip))), INVALID_HOSTS)
    other = create_business(gql, f"job-other-{estate.biz}")
    foreign_ip = next(ip_allocator)
    add_hosts(gql, [foreign_ip], other)
    assert foreign_ip in refused(
        run(data=script_body(estate, ip_list=estate.ip_list(estate.ips[0], foreign_ip))), INVALID_HOSTS
    )

    refused(roleless_bk.job.fast_execute_script(data=script_body(estate)), NO_PERMISSION)


def test_fast_push_file_refuses_what_it_cannot_do(bk: LegacyClient, estate: JobEstate) -> None:
    def body(
        path: str = "/tmp/src.txt", target: str = "/tmp/dst/", source_account: str | None = None
    ) -> dict[str, Any]:
        source = {"files": [path], "account": source_account or estate.alias, "ip_list": estate.ip_list(estate.ips[0])}
        return {
            "bk_biz_id": estate.biz,
            "account": estate.alias,
            "file_target_path": target,
            "file_source": [source],
            "ip_list": estate.ip_list(estate.ips[1]),
        }

    push = bk.job.fast_push_file
    # [FILESRCIP], REGEX: sources and sources read with another account work (test_job_file_sources.py);
    # what can mean nothing is still refused before anything runs.
    assert "REGEX:(a" in refused(push(data=body(path="/tmp/REGEX:(a")), ILLEGAL)
    assert "REGEX:" in refused(push(data=body(path="/tmp/dir/REGEX:")), ILLEGAL)
    assert "someone-else" in refused(push(data=body(source_account="someone-else")), NO_ACCOUNT)
    with_group = body()
    with_group["file_source"][0]["custom_query_id"] = ["1"]
    assert "custom_query_id" in refused(push(data=with_group), NOT_SUPPORTED)
    refused(push(data=body(path="relative.txt")), ILLEGAL)
    refused(push(data={key: value for key, value in body().items() if key != "file_source"}), MISSING)


def test_job_instances_of_other_businesses_are_not_found(
    bk: LegacyClient,
    roleless_bk: LegacyClient,
    gql: GraphQLClient,
    sshd_pool: SshdPoolFactory,
    ssh_user: SshUser,
    unique: str,
) -> None:
    estate = job_estate(gql, f"job-inst-{unique}", sshd_pool(3), ssh_user)
    job = run_script(bk, estate, "echo done", estate.ips[0])
    step = wait_finished(bk, estate.biz, job)["blocks"][0]["step_instances"][0]["step_instance_id"]
    other = create_business(gql, f"job-inst-other-{unique}")

    for api in ("get_job_instance_status", "get_job_instance_log"):
        operation = getattr(bk.job, api)
        refused(operation(params={"bk_biz_id": other.bk_biz_id, "job_instance_id": job}), NO_INSTANCE)
        refused(operation(params={"bk_biz_id": estate.biz, "job_instance_id": 2_000_000_000}), NO_INSTANCE)
        refused(operation(params={"bk_biz_id": estate.biz}), MISSING)
        refused(getattr(roleless_bk.job, api)(params={"bk_biz_id": estate.biz, "job_instance_id": job}), NO_PERMISSION)
    # get_job_instance_log's method is undocumented: POST is answered too.
    ok(bk.job.get_job_instance_log__post(data={"bk_biz_id": estate.biz, "job_instance_id": job}))
    step_status = bk.job.get_step_instance_status
    wrong_step = {"bk_biz_id": estate.biz, "params": {"job_instance_id": job, "step_instance_id": step + 100_000}}
    refused(step_status(data=wrong_step), NO_STEP_INSTANCE)
    ok(step_status(data={"bk_biz_id": estate.biz, "params": {"job_instance_id": job, "step_instance_id": step}}))
    # Documented as POST: a GET is refused in the envelope, with ESB's code.
    refused(bk.job.get_step_instance_status__get(params={"bk_biz_id": estate.biz}), 1306405)

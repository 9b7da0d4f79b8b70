"""Helpers for the bk `job` tests: a business whose hosts are real sshd addresses, an OS account made
through GraphQL `createAccount`, base64 helpers and polling a job instance through the bk paths.

The sshd pools and their loopback addresses are shared with the executor tests; `claim_hosts` moves
the addresses into the calling test's business (see tests/executors/support.py).
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from typing import Any

from tests.compat.bk_client import LegacyClient
from tests.executors.support import claim_hosts, create_account
from tests.support.server import GraphQLClient
from tests.support.sshd import SshdPool, SshUser
from tests.support.topology import Business, create_business

# bk-job's codes (ErrorCode.java) and ESB's.
MISSING, ILLEGAL, NOT_SUPPORTED = 1241004, 1241005, 1241011
NO_HOSTS, INVALID_HOSTS, NO_ACCOUNT = 1244001, 1244002, 1244003
NO_INSTANCE, NO_STEP_INSTANCE, NO_CRON, NO_PERMISSION = 1244006, 1244007, 1245001, 9900403
# "2018-03-15 12:56:35 +0800" in the doc's examples; UTC here.
TIME_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$")
TIME_PLAIN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
SERVER_ADDRESS = 'set -- $SSH_CONNECTION; echo "on $3"'  # which loopback address a run reached
BK_HOST_IDS = "query($ids: [String!]!) { hosts(first: 50, filter: {innerIps: $ids}) { nodes { innerIp bkHostId } } }"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class JobEstate:
    """A business holding sshd hosts, with an OS account `alias` (the business's default)."""

    business: Business
    ips: list[str]
    alias: str

    @property
    def biz(self) -> int:
        return self.business.bk_biz_id

    def ip_list(self, *ips: str) -> list[dict[str, Any]]:
        return [{"bk_cloud_id": 0, "ip": ip} for ip in (ips or self.ips)]


def job_estate(gql: GraphQLClient, name: str, pool: SshdPool, user: SshUser, *, alias: str = "ops") -> JobEstate:
    business = create_business(gql, name)
    claim_hosts(gql, business, pool.addresses, pool.port)
    create_account(gql, business, alias, user.name, private_key=user.private_key, is_default=True)
    return JobEstate(business=business, ips=list(pool.addresses), alias=alias)


def bk_host_ids(gql: GraphQLClient, ips: list[str]) -> dict[str, int]:
    return {h["innerIp"]: h["bkHostId"] for h in gql.ok(BK_HOST_IDS, {"ids": ips})["hosts"]["nodes"]}


def ok(response: dict[str, Any]) -> Any:
    """`data` of a successful bk answer, after checking the envelope."""
    assert response["result"] is True, response
    assert response["code"] == 0, response
    assert response["request_id"], response
    return response["data"]


def refused(response: dict[str, Any], code: int) -> str:
    """Assert a refusal with bk-job's `code`; returns the message."""
    assert response["result"] is False, response
    assert response["code"] == code, response
    assert response["data"] is None, response
    assert response["message"], response
    return str(response["message"])


def run_script(bk: LegacyClient, estate: JobEstate, content: str, *ips: str, **extra: Any) -> int:
    """fast_execute_script; returns the job_instance_id."""
    body = {"bk_biz_id": estate.biz, "script_content": b64(content), "account": estate.alias, **extra}
    body.setdefault("ip_list", estate.ip_list(*ips))
    data = ok(bk.job.fast_execute_script(data=body))
    return int(data["job_instance_id"])


def wait_finished(bk: LegacyClient, biz: int, job_instance_id: int, timeout: float = 30) -> dict[str, Any]:
    """Poll get_job_instance_status until `is_finished`, as bk clients do; returns its data."""
    deadline = time.monotonic() + timeout
    while True:
        data: dict[str, Any] = ok(
            bk.job.get_job_instance_status(params={"bk_biz_id": biz, "job_instance_id": job_instance_id})
        )
        if data["is_finished"]:
            return data
        assert time.monotonic() < deadline, f"job instance {job_instance_id} not finished: {data}"
        time.sleep(0.1)


def logs_by_ip(bk: LegacyClient, biz: int, job_instance_id: int, step: int = 0) -> dict[str, dict[str, Any]]:
    """ip → {ip_status, **ip_log} of one step, from get_job_instance_log."""
    data = ok(bk.job.get_job_instance_log(params={"bk_biz_id": biz, "job_instance_id": job_instance_id}))
    return {
        log["ip"]: {"ip_status": result["ip_status"], **log}
        for result in data[step]["step_results"]
        for log in result["ip_logs"]
    }


def run_and_log(bk: LegacyClient, estate: JobEstate, content: str, *ips: str) -> dict[str, str]:
    """Run a helper script that must succeed; its log per IP."""
    job = run_script(bk, estate, content, *ips)
    assert wait_finished(bk, estate.biz, job)["job_instance"]["status"] == 3
    return {ip: log["log_content"] for ip, log in logs_by_ip(bk, estate.biz, job).items()}

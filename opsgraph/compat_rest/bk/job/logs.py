"""bk `job` get_job_instance_log: every step's host logs, grouped by host status (`ip_status`).

The doc types `data` as an object but its fields are per step; bk-job answers a list with one item
per step, and so do we. `is_finished` is the job's ("作业是否结束"), on every item. Times are UTC
"YYYY-MM-DD HH:mm:ss", the format the doc's table gives (it has no example).

Example (bkapi-client-core):
    client.job.get_job_instance_log(params={"bk_biz_id": 2, "job_instance_id": 10000})
    # data: [{"is_finished": true, "step_instance_id": 75, "name": "…", "status": 3, "step_results":
    #         [{"ip_status": 9, "tag": "", "ip_logs": [{"ip": "10.0.0.1", "log_content": "hello\n", …}]}]}]
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.common import bk_time
from opsgraph.compat_rest.bk.job.common import ANY, job_route, total_seconds
from opsgraph.compat_rest.bk.job.instances import instance_ids, is_finished, load_instance
from opsgraph.compat_rest.bk.job.status import host_error_code, job_status
from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.auth.principal import Principal
from opsgraph.core.settings import Settings


# The doc gives no method for this one: GET like its siblings, and POST for clients that guessed so.
@job_route("get_job_instance_log", methods=ANY, summary="A job instance's host logs, per step and host status")
async def get_job_instance_log(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    biz, job_instance_id = instance_ids(params)
    task = await load_instance(biz, job_instance_id, principal, settings, with_log=True)
    finished = is_finished(task["status"])
    return [
        {
            "is_finished": finished,
            "step_instance_id": step["stepInstanceId"],
            "name": step["name"],
            "status": job_status(step["status"]),
            "step_results": _by_status(step["hosts"]),
        }
        for step in task["steps"]
    ]


def _by_status(hosts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[int, list[dict[str, Any]]] = {}
    for host in hosts:
        groups.setdefault(host["ipStatus"], []).append(_ip_log(host))
    return [{"ip_status": code, "tag": "", "ip_logs": logs} for code, logs in groups.items()]


def _ip_log(host: dict[str, Any]) -> dict[str, Any]:
    return {
        "retry_count": 0,
        "total_time": total_seconds(host["startedAt"], host["finishedAt"]),
        "start_time": bk_time(host["startedAt"], offset=False),
        "end_time": bk_time(host["finishedAt"], offset=False),
        "ip": host["ip"],
        "bk_cloud_id": host["bkCloudId"],
        "error_code": host_error_code(host["ipStatus"], host["failure"]),
        "exit_code": host["exitCode"],
        "log_content": host["log"],
    }

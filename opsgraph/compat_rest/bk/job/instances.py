"""bk `job` job instances: get_job_instance_status and get_step_instance_status.

A job instance is a Task; each step is its own block (block_order = step order), as bk-job shows
an ad-hoc run. Statuses are the legacy codes of status.py. Per host, get_job_instance_status
gives the doc's `step_ip_status` ({ip, bk_cloud_id, status} in its 8-code set) and also bk-job's
richer `step_ip_result_list` (detailed ip_status, exit code, error code, times), which callers of
the newer API read. Times are UTC, in each endpoint's documented format.

Example (bkapi-client-core):
    client.job.get_job_instance_status(params={"bk_biz_id": 2, "job_instance_id": 10000})
    # data: {"is_finished": true, "job_instance": {"status": 3, ...}, "blocks": [{"step_instances": [...]}]}
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from opsgraph.compat_rest.bk.common import bk_time, refuse_missing
from opsgraph.compat_rest.bk.job.common import (
    GET,
    business_id,
    job_route,
    required_id,
    total_seconds,
)
from opsgraph.compat_rest.bk.job.status import (
    FINISHED,
    IP_STATUS_TEXT,
    host_error_code,
    host_status,
    job_status,
    step_ip_status,
    step_type,
)
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

_ACTIVE = frozenset({"RUNNING", "WAITING", "CANCELLING"})
_SUCCESS, _AGENT_ABNORMAL, _BUSY = 9, 1, frozenset({5, 7})


async def load_instance(
    biz: int, job_instance_id: int, principal: Principal, settings: Settings, *, with_log: bool = False
) -> dict[str, Any]:
    """The task with each step's every host result under `step["hosts"]`."""
    document = load_operation(__name__, "job_instance.graphql")
    variables = {"jobInstanceId": job_instance_id, "first": settings.max_page_size, "after": None, "withLog": with_log}
    task: dict[str, Any] | None = (await run_operation(document, variables, principal, settings))["task"]
    if task is None or task["bkBizId"] != biz:
        message = f"job instance {job_instance_id} does not exist in business {biz}"
        raise refuse_missing(principal, biz, message, "TASK_NOT_FOUND")
    for step in task["steps"]:
        page = step.pop("hostResults")
        hosts = list(page["nodes"])
        # Cursors are keyset ids, so re-asking with this step's cursor pages this step on (the
        # other steps' pages in that answer are ignored).
        while page["pageInfo"]["hasNextPage"]:
            more = await run_operation(
                document, {**variables, "after": page["pageInfo"]["endCursor"]}, principal, settings
            )
            page = next(s for s in more["task"]["steps"] if s["stepInstanceId"] == step["stepInstanceId"])[
                "hostResults"
            ]
            hosts.extend(page["nodes"])
        for host in hosts:
            host["ipStatus"] = host_status(host["status"], host["failure"], step["kind"])
        step["hosts"] = hosts
    return task


def instance_ids(params: Params) -> tuple[int, int]:
    return business_id(params), required_id(params, "job_instance_id", "TASK_NOT_FOUND")


def is_finished(status: str) -> bool:
    return status in FINISHED


@job_route("get_job_instance_status", methods=GET, summary="A job instance's status, steps and hosts")
async def get_job_instance_status(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz, job_instance_id = instance_ids(params)
    task = await load_instance(biz, job_instance_id, principal, settings)
    return {
        "is_finished": is_finished(task["status"]),
        "job_instance": {
            "job_instance_id": task["jobInstanceId"],
            "bk_biz_id": task["bkBizId"],
            "name": task["name"],
            "start_way": task["startWay"],
            "operator": task["creator"],
            "bk_job_id": task["bkJobId"] if task["bkJobId"] is not None else -1,
            "create_time": bk_time(task["createdAt"], offset=True),
            "status": job_status(task["status"]),
            "start_time": bk_time(task["startedAt"], offset=True),
            "end_time": bk_time(task["finishedAt"], offset=True),
            "total_time": total_seconds(task["startedAt"], task["finishedAt"]),
            "current_step_instance_id": _current_step(task["steps"]),
        },
        "blocks": [
            {
                "type": step_type(step["kind"]),
                "block_order": step["position"] + 1,
                "block_name": step["name"],
                "step_instances": [_step_instance(task, step)],
            }
            for step in task["steps"]
        ],
    }


@job_route(
    "get_step_instance_status",
    summary="One step instance's detail and its hosts grouped by status",
)
async def get_step_instance_status(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    # The doc wraps the ids in `params` (the only job API that does); accept them at the top too.
    inner = params.sub("params") if params.has("params") else params
    job_instance_id = required_id(inner, "job_instance_id", "TASK_NOT_FOUND")
    step_instance_id = required_id(inner, "step_instance_id", "STEP_INSTANCE_NOT_FOUND")
    task = await load_instance(biz, job_instance_id, principal, settings)
    step = next((s for s in task["steps"] if s["stepInstanceId"] == step_instance_id), None)
    if step is None:
        raise NotFound(
            f"job instance {job_instance_id} has no step instance {step_instance_id}",
            field=inner.field("step_instance_id"),
            code="STEP_INSTANCE_NOT_FOUND",
        )
    hosts = step["hosts"]
    codes = Counter(host["ipStatus"] for host in hosts)
    abnormal = [h for h in hosts if h["ipStatus"] == _AGENT_ABNORMAL]
    return {
        "is_finished": is_finished(step["status"]),
        "step_instance_analyse_result": [
            {
                "result_type": code,
                "result_type_text": IP_STATUS_TEXT.get(code, "Unknown"),
                "count": count,
                "ip_list": [{"bk_cloud_id": h["bkCloudId"], "ip": h["ip"]} for h in hosts if h["ipStatus"] == code],
            }
            for code, count in codes.items()
        ],
        "step_instance_detail": {
            "step_instance_id": step["stepInstanceId"],
            "name": step["name"],
            "type": step_type(step["kind"]),
            "operator": task["creator"],
            "status": job_status(step["status"]),
            "step_id": _step_id(step),
            "job_instance_id": task["jobInstanceId"],
            "bk_biz_id": task["bkBizId"],
            "target_ips": ",".join(f"{h['bkCloudId']}:{h['ip']}" for h in hosts),
            "abnormal_agent_ips": ",".join(f"{h['bkCloudId']}:{h['ip']}" for h in abnormal),
            "retry_count": 0,
            "start_time": bk_time(step["startedAt"], offset=False),
            "end_time": bk_time(step["finishedAt"], offset=False),
            "total_time": total_seconds(step["startedAt"], step["finishedAt"]),
            "total_ip_num": len(hosts),
            "abnormal_agent_ip_num": len(abnormal),
            "running_ip_num": sum(count for code, count in codes.items() if code in _BUSY),
            "fail_ip_num": sum(count for code, count in codes.items() if code not in _BUSY and code != _SUCCESS),
            "success_ip_num": codes[_SUCCESS],
        },
    }


def _step_id(step: dict[str, Any]) -> int:
    """The template step it ran; -1 for ad-hoc runs, as documented."""
    return step["bkStepId"] if step["bkStepId"] is not None else -1


def _current_step(steps: list[dict[str, Any]]) -> int:
    """The running step, else the last one that started, else the first."""
    active = [s for s in steps if s["status"] in _ACTIVE]
    started = [s for s in steps if s["startedAt"]]
    chosen = active[0] if active else (started[-1] if started else (steps[0] if steps else None))
    return chosen["stepInstanceId"] if chosen else 0


def _step_instance(task: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    return {
        "step_instance_id": step["stepInstanceId"],
        "step_id": _step_id(step),
        "type": step_type(step["kind"]),
        "name": step["name"],
        "status": job_status(step["status"]),
        "operator": task["creator"],
        "pause": 0,
        "order": 1,  # one step per block
        # OpsGraph does not count retries of a step (retryFailedHosts re-runs hosts in place).
        "retry_count": 0,
        # Step operations (retry, skip, confirm) are not offered through the bk paths.
        "operation_list": [],
        "create_time": bk_time(task["createdAt"], offset=True),
        "start_time": bk_time(step["startedAt"], offset=True),
        "end_time": bk_time(step["finishedAt"], offset=True),
        "total_time": total_seconds(step["startedAt"], step["finishedAt"]),
        "step_ip_status": [
            {"ip": h["ip"], "bk_cloud_id": h["bkCloudId"], "status": step_ip_status(h["ipStatus"])}
            for h in step["hosts"]
        ],
        "step_ip_result_list": [
            {
                "ip": h["ip"],
                "bk_cloud_id": h["bkCloudId"],
                "status": h["ipStatus"],
                "tag": "",  # bk-job's job_success/job_fail tags; OpsGraph scripts set none
                "exit_code": h["exitCode"],
                "error_code": host_error_code(h["ipStatus"], h["failure"]),
                "start_time": bk_time(h["startedAt"], offset=True),
                "end_time": bk_time(h["finishedAt"], offset=True),
                "total_time": total_seconds(h["startedAt"], h["finishedAt"]),
            }
            for h in step["hosts"]
        ],
    }

"""The callback bodies of the dialects that ask for one, by `callback_protocol`.

They live here, beside the delivery, rather than in compat_rest's route modules: a callback is sent
by whichever process ends the task — an `opsgraph worker` too, which never loads the REST layer
(importing it would cost a worker ~2 s of CPU and ~45 MB at start). When these bodies were
registered by the route modules' import, a worker sent bk callers OpsGraph's own shape. Every
process that imports `callbacks` now renders every dialect.

Renderers get (task, steps) as plain dicts: `status` is OpsGraph's canonical status name.
"""

from __future__ import annotations

from typing import Any

BK_JOB = "bk_job"
BK_SOPS = "bk_sops"

# bk-job's job/step status codes (callback_protocol, get_job_instance_status …): 1 not executed,
# 2 running, 3 success, 4 failed, 5 skipped, 7 waiting for user, 9 abnormal, 10 force-terminating,
# 11 force-terminate succeeded. compat_rest/bk/job/status.py answers with the same table.
BK_JOB_STATUS = {
    "PENDING": 1,
    "RUNNING": 2,
    "SUCCESS": 3,
    "FAILED": 4,
    "SKIPPED": 5,
    "WAITING": 7,
    "ABNORMAL": 9,
    "CANCELLING": 10,
    # bk-job reports a job stopped by its operator as "force-terminate succeeded".
    "CANCELLED": 11,
}


def bk_job_status(status: str) -> int:
    return BK_JOB_STATUS.get(status, 9)


def bk_job_body(task: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """bk-job's callback_protocol. The doc names the step list `step_instances`; bk-job's code
    sends `step_instance_list`. Receivers were written against either, so both keys are sent."""
    step_list = [{"step_instance_id": s["id"], "status": bk_job_status(s["status"])} for s in steps]
    return {
        "job_instance_id": task["id"],
        "status": bk_job_status(task["status"]),
        "step_instances": step_list,
        "step_instance_list": step_list,
    }


def bk_sops_body(task: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """bk-sops' task callback (callback_version v2, JSON): the task and how it ended."""
    state = {"SUCCESS": "FINISHED", "CANCELLED": "REVOKED"}.get(str(task["status"]), str(task["status"]))
    return {"task_id": task["id"], "task_status": state, "task_success": task["status"] == "SUCCESS"}

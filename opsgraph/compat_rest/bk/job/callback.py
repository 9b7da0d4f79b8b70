"""The outbound `callback_protocol` body for tasks started through the `job` paths.

The doc names the step list `step_instances`; bk-job's code sends `step_instance_list`. Receivers
were written against either, so both keys are sent with the same content.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.job.status import job_status
from opsgraph.executors.callbacks import register_renderer

PROTOCOL = "bk_job"


def callback_body(task: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    step_list = [{"step_instance_id": s["id"], "status": job_status(s["status"])} for s in steps]
    return {
        "job_instance_id": task["id"],
        "status": job_status(task["status"]),
        "step_instances": step_list,
        "step_instance_list": step_list,
    }


register_renderer(PROTOCOL, callback_body)

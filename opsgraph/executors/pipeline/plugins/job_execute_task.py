"""`job_execute_task` (执行作业): a job template of the run's business, through the existing runner
(a JOB task), finishing on its end. Inputs as bk-sops names them: job_task_id (the template's
bk_job_id) and job_global_var ([{name, value}] overriding the template's variables). Outputs add
one per job variable with the value the job ran with."""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.executors.pipeline.plugins import NodeWork, Plugin, PluginOutcome, register_plugin
from opsgraph.executors.pipeline.plugins.job_common import JOB_OUTPUTS, optional_int, run_child
from opsgraph.models.jobs import JobTemplate
from opsgraph.models.tasks import Task


@register_plugin
class JobExecuteTask(Plugin):
    code = "job_execute_task"
    name = "执行作业"
    outputs = JOB_OUTPUTS

    def check(self, data: dict[str, Any]) -> str | None:
        if not (data.get("job_task_id") or {}).get("value"):
            return "job_task_id is required"
        variables = (data.get("job_global_var") or {}).get("value")
        if variables not in (None, "") and not isinstance(variables, list | str):
            return "job_global_var must be a list of {name, value}"
        return None

    async def run(self, work: NodeWork) -> PluginOutcome:
        outcome = await run_child(work, lambda principal: self._start(principal, work))
        child_id = outcome.outputs.get("job_inst_id")
        if child_id is not None:
            child = await Task.get_or_none(id=child_id)
            variables = (child.params.get("variables") if child else None) or {}
            outcome.outputs.update({str(k): v for k, v in variables.items() if str(k) not in outcome.outputs})
        return outcome

    async def _start(self, principal: Principal, work: NodeWork) -> Task:
        from opsgraph.resolvers.tasks.plans import run_job

        template_id = optional_int(work.inputs.get("job_task_id"), "job_task_id")
        if template_id is None:
            raise ValueError("job_task_id is required")
        variables: dict[str, Any] = {}
        raw = work.inputs.get("job_global_var") or []
        if not isinstance(raw, list):
            raise ValueError("job_global_var must be a list of {name, value}")
        for index, item in enumerate(raw):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ValueError(f"job_global_var[{index}] must be an object {{name, value}}")
            variables[item["name"]] = item.get("value")
        template = await JobTemplate.get_or_none(id=template_id)
        if template is None or template.business_id != work.business_id:
            # Same answer for "missing" and "another business": a pipeline cannot reach beyond its own.
            raise ValueError(f"job template {template_id} does not exist in this business")
        return await run_job(principal, template_id, targets=None, variables=variables)

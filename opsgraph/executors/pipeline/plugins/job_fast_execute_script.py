"""`job_fast_execute_script` (快速执行脚本): a script on hosts of the run's business, as a SCRIPT
task over SSH. Inputs as the bk-sops legacy plugin names them: job_script_source (manual, or
general with job_script_list_general = a script id of the business), job_script_type (1 shell …
5 powershell), job_content, job_script_param, job_script_timeout, job_ip_list, job_account."""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.executors.pipeline.plugins import NodeWork, Plugin, PluginOutcome, register_plugin
from opsgraph.executors.pipeline.plugins.job_common import JOB_OUTPUTS, host_addresses, optional_int, run_child
from opsgraph.models.tasks import Task

SOURCES = ("manual", "general")


@register_plugin
class JobFastExecuteScript(Plugin):
    code = "job_fast_execute_script"
    name = "快速执行脚本"
    outputs = JOB_OUTPUTS

    def check(self, data: dict[str, Any]) -> str | None:
        source = (data.get("job_script_source") or {}).get("value", "manual")
        if source not in (*SOURCES, None, "") and "${" not in str(source):
            return f"job_script_source must be one of {', '.join(SOURCES)} (public scripts are not supported)"
        if not (data.get("job_ip_list") or {}).get("value"):
            return "job_ip_list is required"
        return None

    async def run(self, work: NodeWork) -> PluginOutcome:
        return await run_child(work, lambda principal: self._start(principal, work))

    async def _start(self, principal: Principal, work: NodeWork) -> Task:
        from opsgraph.resolvers.tasks.plans import Common, Targets, run_script

        inputs = work.inputs
        source = str(inputs.get("job_script_source") or "manual")
        if source not in SOURCES:
            raise ValueError(f"job_script_source must be one of {', '.join(SOURCES)}, got {source!r}")
        business_id = int(work.business_id or 0)
        common = Common(
            business_id=business_id,
            name=f"pipeline task {work.task_id} node {work.node_id}",
            timeout=optional_int(inputs.get("job_script_timeout"), "job_script_timeout"),
            account_alias=str(inputs.get("job_account") or "").strip() or None,
        )
        targets = Targets(addresses=host_addresses(inputs.get("job_ip_list")))
        return await run_script(
            principal,
            common,
            targets,
            script_id=optional_int(inputs.get("job_script_list_general"), "job_script_list_general")
            if source == "general"
            else None,
            content=None if source == "general" else str(inputs.get("job_content") or ""),
            language=optional_int(inputs.get("job_script_type"), "job_script_type") or 1,
            params=str(inputs.get("job_script_param") or ""),
        )

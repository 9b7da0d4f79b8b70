"""`job_fast_push_file` (快速分发文件): files from source hosts to target hosts of the run's business,
as a FILE task over SSH. Inputs as the bk-sops legacy plugin names them: job_source_files
([{ip, files (one path per line), account}]), job_ip_list, job_account (the target login, also
used to read the sources: a per-source account is not supported), job_target_path, job_timeout."""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.executors.pipeline.plugins import NodeWork, Plugin, PluginOutcome, register_plugin
from opsgraph.executors.pipeline.plugins.job_common import JOB_OUTPUTS, host_addresses, optional_int, run_child
from opsgraph.models.tasks import Task


@register_plugin
class JobFastPushFile(Plugin):
    code = "job_fast_push_file"
    name = "快速分发文件"
    outputs = JOB_OUTPUTS

    def check(self, data: dict[str, Any]) -> str | None:
        for key in ("job_source_files", "job_ip_list", "job_target_path"):
            if not (data.get(key) or {}).get("value"):
                return f"{key} is required"
        return None

    async def run(self, work: NodeWork) -> PluginOutcome:
        return await run_child(work, lambda principal: self._start(principal, work))

    async def _start(self, principal: Principal, work: NodeWork) -> Task:
        from opsgraph.resolvers.tasks.plans import Common, FileSpec, Targets, push_file

        inputs = work.inputs
        sources = inputs.get("job_source_files")
        if not isinstance(sources, list) or not sources:
            raise ValueError("job_source_files must be a list of {ip, files, account}")
        files: list[FileSpec] = []
        for index, item in enumerate(sources):
            if not isinstance(item, dict):
                raise ValueError(f"job_source_files[{index}] must be an object {{ip, files, account}}")
            addresses = host_addresses(item.get("ip"))
            if len(addresses) != 1:
                raise ValueError(f"job_source_files[{index}].ip must name one host")
            for path in str(item.get("files") or "").splitlines():
                if path.strip():
                    files.append(FileSpec(address=addresses[0], path=path.strip()))
        common = Common(
            business_id=int(work.business_id or 0),
            name=f"pipeline task {work.task_id} node {work.node_id}",
            timeout=optional_int(inputs.get("job_timeout"), "job_timeout"),
            account_alias=str(inputs.get("job_account") or "").strip() or None,
        )
        return await push_file(
            principal,
            common,
            Targets(addresses=host_addresses(inputs.get("job_ip_list"))),
            files=files,
            target_path=str(inputs.get("job_target_path") or ""),
        )

"""`iac_scan` steps: static checks of uploaded Dockerfiles or Kubernetes manifests, host-less.

A host-less step (`register_local_step`) rather than analysis inside the mutation: the scan is a
Task like every other run (queued, RUNNING → SUCCESS, events on `taskEvents`, cancel, retry,
crash recovery), and parsing large manifests never holds up the request that started it.
"""

from __future__ import annotations

import asyncio

from opsgraph.executors.security.dockerfile_rules import check_dockerfile
from opsgraph.executors.security.findings import replace_findings
from opsgraph.executors.security.kubernetes_rules import check_manifests
from opsgraph.executors.steps import HostOutcome, LocalRun, register_local_step
from opsgraph.models.security import IacFileType, ScanFile
from opsgraph.models.tasks import HostFailure, TaskStatus

STEP_KIND = "iac_scan"
CHECKS = {IacFileType.DOCKERFILE: check_dockerfile, IacFileType.K8S_YAML: check_manifests}


@register_local_step(STEP_KIND)
async def scan_files(run: LocalRun) -> HostOutcome:
    check = CHECKS[IacFileType(run.config["file_type"])]
    wanted = [int(pk) for pk in run.config.get("file_ids") or []]
    files = {row["id"]: row for row in await ScanFile.filter(id__in=wanted).values("id", "name", "content")}
    missing = [pk for pk in wanted if pk not in files]
    if missing:
        return HostOutcome(
            TaskStatus.FAILED, failure=HostFailure.FILE_MISSING, error=f"uploaded file {missing[0]} no longer exists"
        )
    for pk in wanted:
        if run.cancel.is_set():
            return HostOutcome(TaskStatus.CANCELLED, failure=HostFailure.CANCELLED, error="cancelled")
        row = files[pk]
        # YAML parsing is CPU work: off the event loop, so other tasks' progress keeps flowing.
        findings = await asyncio.to_thread(check, str(row["content"]))
        await replace_findings(run.task_id, findings, target=str(row["name"]), file_id=pk)
    return HostOutcome(TaskStatus.SUCCESS, exit_code=0)

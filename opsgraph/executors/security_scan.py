"""`security_scan` steps: the host baseline, collected over the already-open SSH session in one
command and judged on the server (`security/baseline_rules.py`); findings are stored per host.

The host's log gets one line per rule (PASS/FAIL, severity, evidence); the raw collection output
stays out of it (it holds whole configuration files). Phases: collect → evaluate → record.
"""

from __future__ import annotations

from opsgraph.executors.security.baseline_collect import SCRIPT
from opsgraph.executors.security.baseline_rules import Facts, ScanType, evaluate
from opsgraph.executors.security.findings import replace_findings
from opsgraph.executors.steps import HostOutcome, HostRun, outcome_of_command, register_step
from opsgraph.models.tasks import HostFailure, TaskStatus

STEP_KIND = "security_scan"
DEFAULT_TIMEOUT = 300
MAX_OUTPUT_LINES = 20_000  # generous for configs and 1,000+ sockets; beyond it the host is not a baseline


def host_target(ip: str, cloud_area_id: int) -> str:
    """How findings name a host: its IP, prefixed by the cloud area when that is not the default."""
    return f"{cloud_area_id}:{ip}" if cloud_area_id else ip


@register_step(STEP_KIND)
async def scan_host(run: HostRun) -> HostOutcome:
    timeout = float(run.config.get("timeout") or DEFAULT_TIMEOUT)
    scan_types = {ScanType(value) for value in run.config.get("scan_types") or list(ScanType)}
    output: list[str] = []

    async def collect(stream: str, line: str) -> None:
        if stream != "stdout":
            await run.emit(stream, line)  # a probe's complaint is worth seeing; its data is not
        elif len(output) < MAX_OUTPUT_LINES:
            output.append(line)

    await run.phase("collect")
    result = await run.session.run(SCRIPT, on_output=collect, timeout=timeout, cancel=run.cancel)
    finished = outcome_of_command(result, timeout=timeout)
    if finished.status != TaskStatus.SUCCESS:
        return finished
    await run.phase("evaluate")
    facts = Facts.from_output("\n".join(output))
    if "end" not in facts.sections:
        return HostOutcome(
            TaskStatus.FAILED, failure=HostFailure.PROTOCOL_ERROR, error="the baseline collection did not complete"
        )
    findings = evaluate(facts, scan_types)
    await run.phase("record")
    target = host_target(run.result.ip, run.result.cloud_area_id)
    await replace_findings(run.result.task_id, findings, target=target, host_id=run.result.host_id)
    for finding in findings:
        verdict = "PASS" if finding.passed else "FAIL"
        await run.emit("stdout", f"{verdict} {finding.severity} {finding.rule_id}: {finding.evidence[:300]}")
    failed = sum(not f.passed for f in findings)
    await run.emit("stdout", f"{len(findings)} rules checked, {failed} failed")
    return HostOutcome(TaskStatus.SUCCESS, exit_code=0)

"""The two basic step kinds: run a script, push files."""

from __future__ import annotations

from typing import Any

from opsgraph.executors.file_sources import SourceLimits
from opsgraph.executors.file_step import SourceCache, joined_reason, push_sources
from opsgraph.executors.script_step import UnsupportedLanguage, run_script
from opsgraph.executors.steps import HostOutcome, HostRun, outcome_of_command, register_step, within_limits
from opsgraph.models.jobs import ScriptLanguage, StepKind
from opsgraph.models.tasks import HostFailure, TaskStatus


@register_step(StepKind.SCRIPT)
async def script_on_host(run: HostRun) -> HostOutcome:
    config = run.config
    timeout = float(config.get("timeout", 7200))
    try:
        result = await run_script(
            run.session,
            content=config["content"],
            language=ScriptLanguage(int(config.get("language", 1))),
            params=str(config.get("params") or ""),
            timeout=timeout,
            cancel=run.cancel,
            on_output=run.emit,
        )
    except UnsupportedLanguage as exc:
        return HostOutcome(TaskStatus.FAILED, failure=HostFailure.PROTOCOL_ERROR, error=str(exc))
    return outcome_of_command(result, timeout=timeout)


@register_step(StepKind.FILE)
async def files_to_host(run: HostRun) -> HostOutcome:
    return await within_limits(run, _push(run), timeout=float(run.config.get("timeout", 7200)))


async def _push(run: HostRun) -> HostOutcome:
    cache = run.step_state.get("sources")
    if cache is None:
        cache = run.step_state["sources"] = SourceCache(run.open_source, _limits(run.settings))
    failures = await push_sources(
        run.session,
        cache,
        list(run.config.get("sources", [])),
        target_path=run.config["target_path"],
        mode=run.config.get("mode"),
        owner=run.config.get("owner"),
        emit=run.emit,
    )
    if failures:
        failure, reason = joined_reason(failures)
        return HostOutcome(TaskStatus.FAILED, failure=failure, error=reason)
    return HostOutcome(TaskStatus.SUCCESS, exit_code=0)


def _limits(settings: Any) -> SourceLimits:
    if settings is None:
        return SourceLimits()
    return SourceLimits(
        pattern_max_matches=settings.file_pattern_max_matches,
        directory_max_entries=settings.file_directory_max_entries,
        max_bytes=settings.file_source_max_bytes,
    )

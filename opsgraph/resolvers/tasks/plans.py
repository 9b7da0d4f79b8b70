"""Building task plans for the three ways to run work: a script, a file push, a job template."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.jobs import JobStep, JobTemplate, Script, ScriptVersion, StepKind
from opsgraph.models.tasks import Task, TaskKind
from opsgraph.resolvers.jobs.accounts import resolve_account
from opsgraph.resolvers.tasks.file_plans import FileSpec, checked_target_path, plan_sources, stored_file_specs
from opsgraph.resolvers.tasks.ip_variables import run_values, text_values, variable_targets
from opsgraph.resolvers.tasks.launch import (
    StepPlan,
    TaskPlan,
    check_callback_url,
    check_script,
    check_timeout,
    launch,
)
from opsgraph.resolvers.tasks.targets import HostAddress, resolve_hosts
from opsgraph.resolvers.topology.business import get_business

__all__ = ["Common", "FileSpec", "StepOverride", "Targets", "push_file", "run_job", "run_script"]


@dataclass
class Targets:
    host_ids: list[int] | None = None
    addresses: list[HostAddress] | None = None
    dynamic_groups: list[str] | None = None  # DynamicGroup global ids or bk ids, resolved at launch

    def given(self) -> bool:
        return bool(self.host_ids or self.addresses or self.dynamic_groups)


@dataclass
class Common:
    business_id: int
    name: str = ""
    timeout: int | None = None
    account_id: int | None = None
    account_alias: str | None = None
    callback_url: str | None = None
    callback_protocol: str = "opsgraph"
    start_way: int = 2


async def _script_content(
    business_id: int, script_id: int | None, content: str | None, version_id: int | None = None
) -> tuple[str, int, dict[str, Any]]:
    """A stored script's content: the pinned version (a template step runs the version it was saved
    with) or, without a pin, the newest one."""
    if script_id is not None:
        script = await Script.get_or_none(id=script_id, business_id=business_id)
        if script is None:
            raise NotFound(
                f"script {script_id} is not in business {business_id}", field="scriptId", code="SCRIPT_NOT_FOUND"
            )
        if version_id is not None:
            version = await ScriptVersion.get_or_none(id=version_id, script_id=script_id)
        else:
            version = await ScriptVersion.filter(script_id=script_id).order_by("-version").first()
        if version is None:
            raise NotFound(f"script {script_id} has no such version", field="scriptId", code="SCRIPT_NOT_FOUND")
        source = {"script_id": script_id, "script_version": version.version, "script_version_id": version.id}
        return version.content, int(script.language), source
    if content is None:
        raise ValidationFailed("give a script id or the script content", field="content")
    return content, 0, {}


async def run_script(
    principal: Principal,
    common: Common,
    targets: Targets,
    *,
    script_id: int | None,
    content: str | None,
    language: int | None,
    params: str = "",
) -> Task:
    await get_business(principal, common.business_id, "operator")
    text, stored_language, source = await _script_content(common.business_id, script_id, content)
    checked = check_script(text, language or stored_language or 1)
    timeout = check_timeout(common.timeout)
    account = await resolve_account(common.business_id, account_id=common.account_id, alias=common.account_alias)
    hosts = await resolve_hosts(
        principal,
        common.business_id,
        host_ids=targets.host_ids,
        addresses=targets.addresses,
        dynamic_groups=targets.dynamic_groups,
    )
    config = {
        "content": text,
        "language": int(checked),
        "params": params,
        "timeout": timeout,
        "account_id": account.id,
        **source,
    }
    return await _launch_one_step(
        principal, common, TaskKind.SCRIPT, StepKind.SCRIPT, "run script", "script", config, hosts, account.alias
    )


async def _launch_one_step(
    principal: Principal,
    common: Common,
    kind: TaskKind,
    step_kind: StepKind,
    default_name: str,
    default_step_name: str,
    config: dict[str, Any],
    hosts: list[dict[str, Any]],
    account_alias: str,
) -> Task:
    """A single-step run (runScript, pushFile): one step over the targets, the caller's callback."""
    plan = TaskPlan(
        kind=kind,
        business_id=common.business_id,
        name=common.name or default_name,
        steps=[StepPlan(step_kind, common.name or default_step_name, config, hosts)],
        params={"callback_protocol": common.callback_protocol, "account_alias": account_alias},
        callback_url=check_callback_url(common.callback_url),
        start_way=common.start_way,
    )
    return await launch(principal, plan)


async def push_file(
    principal: Principal,
    common: Common,
    targets: Targets,
    *,
    files: list[FileSpec],
    target_path: str,
    owner: str | None = None,
    mode: int | None = None,
) -> Task:
    await get_business(principal, common.business_id, "operator")
    target = checked_target_path(target_path)
    if mode is not None and not 0 <= mode <= 0o7777:
        raise ValidationFailed("mode must be an octal permission between 0 and 7777", field="mode")
    timeout = check_timeout(common.timeout)
    account = await resolve_account(common.business_id, account_id=common.account_id, alias=common.account_alias)
    sources = await plan_sources(principal, common.business_id, files)
    hosts = await resolve_hosts(
        principal,
        common.business_id,
        host_ids=targets.host_ids,
        addresses=targets.addresses,
        dynamic_groups=targets.dynamic_groups,
    )
    config = {
        "sources": sources,
        "target_path": target,
        "owner": owner,
        "mode": mode,
        "timeout": timeout,
        "account_id": account.id,
    }
    return await _launch_one_step(
        principal, common, TaskKind.FILE, StepKind.FILE, "push file", "push file", config, hosts, account.alias
    )


def _substitute(text: str, variables: dict[str, Any]) -> str:
    """bk-job global variables: `${name}` in script content and parameters (string variables only)."""
    return string.Template(text).safe_substitute({k: str(v) for k, v in text_values(variables).items()})


@dataclass
class StepOverride:
    """bk-job execute_job `steps[]`: run this template step (by its bk step id) with some settings replaced."""

    bk_step_id: int
    targets: Targets | None = None
    account_alias: str | None = None
    script_id: int | None = None
    content: str | None = None
    language: int | None = None
    params: str | None = None
    timeout: int | None = None
    target_path: str | None = None
    files: list[FileSpec] | None = None  # a file step's sources, replacing the stored ones


async def run_job(
    principal: Principal,
    template_id: int,
    *,
    targets: Targets | None,
    variables: dict[str, Any],
    account_alias: str | None = None,
    callback_url: str | None = None,
    callback_protocol: str = "opsgraph",
    start_way: int = 2,
    step_overrides: list[StepOverride] | None = None,
) -> Task:
    """Every step of the template, or (with `step_overrides`) only the named steps, in template order."""
    template = await JobTemplate.get_or_none(id=template_id)
    # A template of a business the caller has no role on is answered like a missing one; checking
    # the role first would confirm that it exists and name its business.
    if template is None or not principal.can(template.business_id):
        raise NotFound(f"job template {template_id} does not exist", field="templateId", code="TEMPLATE_NOT_FOUND")
    business_id = template.business_id
    await get_business(principal, business_id, "operator")
    unknown = set(variables) - set(template.variables)
    if unknown:
        raise ValidationFailed(f"unknown variable {sorted(unknown)[0]!r}", field="variables")
    values = run_values(template.variables, variables)
    job_steps = await JobStep.filter(template_id=template_id).order_by("position")
    overrides = _overrides_by_step(job_steps, step_overrides)
    steps: list[StepPlan] = []
    for job_step in job_steps:
        if overrides is not None and job_step.id not in overrides:
            continue
        override = overrides.get(job_step.id) if overrides is not None else None
        steps.append(await _plan_step(principal, business_id, job_step, targets, values, account_alias, override))
    plan = TaskPlan(
        kind=TaskKind.JOB,
        business_id=business_id,
        name=template.name,
        steps=steps,
        params={"template_id": template_id, "variables": values, "callback_protocol": callback_protocol},
        callback_url=check_callback_url(callback_url),
        start_way=start_way,
    )
    return await launch(principal, plan)


def _overrides_by_step(
    job_steps: list[JobStep], step_overrides: list[StepOverride] | None
) -> dict[int, StepOverride] | None:
    if step_overrides is None:
        return None
    known = {s.id for s in job_steps}
    chosen: dict[int, StepOverride] = {}
    for override in step_overrides:
        if override.bk_step_id not in known:
            raise NotFound(
                f"the job template has no step {override.bk_step_id}", field="steps.bkStepId", code="STEP_NOT_FOUND"
            )
        if override.bk_step_id in chosen:
            raise ValidationFailed(f"step {override.bk_step_id} is given twice", field="steps.bkStepId")
        chosen[override.bk_step_id] = override
    return chosen


def _overridden_config(kind: StepKind, config: dict[str, Any], override: StepOverride | None) -> dict[str, Any]:
    """The step's stored settings with the run's replacements; a new script replaces the old one entirely."""
    if override is None:
        return config
    where = f"steps[{override.bk_step_id}]"
    scripted = (override.script_id, override.content, override.language, override.params)
    if kind != StepKind.SCRIPT and any(value is not None for value in scripted):
        raise ValidationFailed(f"{where}: only a script step takes a script or parameters", field="steps")
    if kind != StepKind.FILE and (override.target_path is not None or override.files is not None):
        raise ValidationFailed(f"{where}: only a file step takes a target path or files", field="steps")
    if override.target_path is not None and not override.target_path.startswith("/"):
        raise ValidationFailed(f"{where}: the target path must be absolute", field="steps")
    if override.language is not None and override.content is None:
        raise ValidationFailed(f"{where}: a language goes with inline content", field="steps")
    merged = dict(config)
    if override.script_id is not None:  # the script named at run time runs its newest version
        for key in ("content", "language", "script_version_id"):
            merged.pop(key, None)
        merged["script_id"] = override.script_id
    elif override.content is not None:
        merged.pop("script_id", None)
        merged.pop("script_version_id", None)
        merged["content"] = override.content
        merged["language"] = override.language or 1
    replacements = {"params": override.params, "timeout": override.timeout, "target_path": override.target_path}
    merged.update({key: value for key, value in replacements.items() if value is not None})
    return merged


async def _plan_step(
    principal: Principal,
    business_id: int,
    job_step: JobStep,
    targets: Targets | None,
    values: dict[str, Any],
    account_alias: str | None,
    override: StepOverride | None = None,
) -> StepPlan:
    config = _overridden_config(job_step.kind, dict(job_step.config), override)
    # Which template step a task step came from: bk-job reports it as the step instance's step_id.
    origin = {"job_step_id": job_step.id}
    if job_step.kind == StepKind.APPROVAL:
        approval = {"message": config.get("message", ""), "approvers": list(config.get("approvers") or [])}
        return StepPlan(StepKind.APPROVAL, job_step.name, {**approval, **origin})  # a ticket (executors.approval_wait)
    if override is not None and override.account_alias:
        account_alias = override.account_alias
    if override is not None and override.targets is not None:
        targets = override.targets
    account = await resolve_account(
        business_id,
        account_id=None if account_alias else config.get("account_id"),
        alias=account_alias or config.get("account_alias"),
    )
    hosts = await _step_hosts(principal, business_id, job_step, config, targets, values)
    timeout = check_timeout(config.get("timeout"))
    if job_step.kind == StepKind.SCRIPT:
        text, stored_language, source = await _script_content(
            business_id, config.get("script_id"), config.get("content"), config.get("script_version_id")
        )
        language = check_script(text, int(config.get("language") or stored_language or 1))
        step_config = {
            "content": _substitute(text, values),
            "language": int(language),
            "params": _substitute(str(config.get("params") or ""), values),
            "timeout": timeout,
            "account_id": account.id,
            **source,
            **origin,
        }
        return StepPlan(StepKind.SCRIPT, job_step.name, step_config, hosts)
    files = override.files if override is not None and override.files is not None else None
    sources = await plan_sources(
        principal, business_id, files if files is not None else stored_file_specs(config.get("sources", []))
    )
    step_config = {
        "sources": sources,
        "target_path": checked_target_path(_substitute(str(config.get("target_path", "")), values), "steps"),
        "owner": config.get("owner"),
        "mode": config.get("mode"),
        "timeout": timeout,
        "account_id": account.id,
        **origin,
    }
    return StepPlan(StepKind.FILE, job_step.name, step_config, hosts)


async def _step_hosts(
    principal: Principal,
    business_id: int,
    job_step: JobStep,
    config: dict[str, Any],
    targets: Targets | None,
    values: dict[str, Any],
) -> list[dict[str, Any]]:
    """A step's targets: the run's (step override, then run-wide), else its IP variable's hosts as
    the run has them, else its stored hosts; looked up now, duplicates merged."""
    if targets is None or not targets.given():
        variable = config.get("target_variable")
        if variable:
            addresses, groups = variable_targets(values.get(variable) or {})
            if not addresses and not groups:
                raise ValidationFailed(
                    f"step {job_step.name!r} targets the hosts of variable {variable!r}, which names none",
                    field="variables",
                    code="NO_TARGETS",
                )
            targets = Targets(addresses=addresses, dynamic_groups=groups)
        else:
            targets = Targets(host_ids=config.get("host_ids"))
    return await resolve_hosts(
        principal,
        business_id,
        host_ids=targets.host_ids,
        addresses=targets.addresses,
        dynamic_groups=targets.dynamic_groups,
    )

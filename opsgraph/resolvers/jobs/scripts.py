"""Scripts: versioned content per business. Content is immutable: an edit adds version n+1, and the
newest version is the current one (what a step naming only the script runs)."""

from __future__ import annotations

import hashlib
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.jobs import JobStep, Script, ScriptLanguage, ScriptVersion, StepKind
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.common import (
    READ_ROLE,
    WRITE_ROLE,
    check_content,
    clean_description,
    clean_name,
    load_owned,
)
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import check_page, write_transaction

_UPDATABLE = frozenset({"name", "language", "description"})


def parse_language(value: Any) -> ScriptLanguage:
    """bk-job's numbers 1–5, our enum, or a GraphQL enum member carrying the number."""
    raw = getattr(value, "value", value)
    try:
        return ScriptLanguage(int(raw))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"script language must be 1–5, got {raw!r}", field="language") from exc


async def get_script(principal: Principal, script_id: int, minimum_role: str = READ_ROLE) -> Script:
    return await load_owned(principal, Script, script_id, minimum_role=minimum_role, label="script", field="scriptId")


async def _check_unique_name(business_id: int, name: str, exclude_id: int | None = None) -> None:
    query = Script.filter(business_id=business_id, name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise Duplicate(f"script name {name!r} is already used in business {business_id}", field="name")


async def create_script(
    principal: Principal,
    business_id: int,
    *,
    name: str,
    content: str,
    language: Any = ScriptLanguage.SHELL,
    description: str | None = None,
) -> Script:
    await get_business(principal, business_id, WRITE_ROLE)
    name = clean_name(name, field="name", label="script name")
    content = check_content(content)
    parsed_language = parse_language(language)
    description = clean_description(description)
    await _check_unique_name(business_id, name)
    async with write_transaction("script name is already used"):
        script = await Script.create(
            business_id=business_id,
            name=name,
            language=parsed_language,
            description=description,
            created_by=principal.username,
        )
        first = await ScriptVersion.create(script=script, version=1, content=content, created_by=principal.username)
        await record_operation(
            principal,
            op_type="create",
            op_target="script",
            op_desc=f"create script {name}",
            business_id=business_id,
            inst_id=script.id,
            cur_data={**_snapshot(script), "version": _version_snapshot(first)},
        )
    return script


async def add_script_version(principal: Principal, script_id: int, content: str) -> ScriptVersion:
    """A new current version. Two concurrent additions race on (script, version): one gets DUPLICATE."""
    script = await get_script(principal, script_id, WRITE_ROLE)
    content = check_content(content)
    async with write_transaction("the script was changed concurrently; retry"):
        newest = await _newest_version_number(script_id)
        added = await ScriptVersion.create(
            script_id=script_id, version=newest + 1, content=content, created_by=principal.username
        )
        await Script.filter(id=script_id).update(updated_at=added.created_at)
        await record_operation(
            principal,
            op_type="update",
            op_target="script",
            op_desc=f"add version {added.version} of script {script.name}",
            business_id=script.business_id,
            inst_id=script_id,
            cur_data=_version_snapshot(added),
        )
    return added


async def update_script(principal: Principal, script_id: int, changes: dict[str, Any]) -> Script:
    """Metadata only (name, language, description); content changes go through add_script_version."""
    script = await get_script(principal, script_id, WRITE_ROLE)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    columns: dict[str, Any] = {}
    if "name" in changes:
        columns["name"] = clean_name(changes["name"], field="name", label="script name")
        await _check_unique_name(script.business_id, columns["name"], exclude_id=script_id)
    if "language" in changes:
        columns["language"] = parse_language(changes["language"])
    if "description" in changes:
        columns["description"] = clean_description(changes["description"])
    before = _snapshot(script)
    async with write_transaction("script name is already used"):
        script.update_from_dict(columns)
        await script.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="script",
            op_desc=f"update script {script.name}",
            business_id=script.business_id,
            inst_id=script_id,
            pre_data=before,
            cur_data=_snapshot(script),
        )
    return script


async def delete_script(principal: Principal, script_id: int) -> None:
    """Refused while a job template step runs it (bk-job refuses too); versions go with it."""
    script = await get_script(principal, script_id, WRITE_ROLE)
    configs = await JobStep.filter(template__business_id=script.business_id, kind=StepKind.SCRIPT).values_list(
        "config", flat=True
    )
    if any(isinstance(c, dict) and c.get("script_id") == script_id for c in configs):
        raise Conflict(f"script {script.name!r} is used by a job template", code="SCRIPT_IN_USE")
    before = _snapshot(script)
    async with write_transaction():
        await script.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="script",
            op_desc=f"delete script {script.name}",
            business_id=script.business_id,
            inst_id=script_id,
            pre_data=before,
        )


async def search_scripts(
    principal: Principal,
    business_id: int,
    *,
    name: str | None = None,
    name_contains: str | None = None,
    language: Any = None,
    start: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    """bk get_script_list: offset-paged script rows (no content), oldest first."""
    check_page(start, limit)
    await get_business(principal, business_id, READ_ROLE)
    query = Script.filter(business_id=business_id)
    if name is not None:
        query = query.filter(name=name)
    if name_contains:
        query = query.filter(name__icontains=name_contains)
    if language is not None:
        query = query.filter(language=parse_language(language))
    total = await query.count()
    return total, await query.order_by("id").offset(start).limit(limit).values()


async def current_version(script_id: int) -> ScriptVersion:
    """The newest version of a script. For the executors: no role check (done when the run was accepted)."""
    found = await ScriptVersion.filter(script_id=script_id).order_by("-version").first()
    if found is None:
        raise NotFound(f"script {script_id} does not exist", field="scriptId")
    return found


async def get_script_version(script_id: int, version: int) -> ScriptVersion:
    found = await ScriptVersion.get_or_none(script_id=script_id, version=version)
    if found is None:
        raise NotFound(f"script {script_id} has no version {version}", field="version")
    return found


async def _newest_version_number(script_id: int) -> int:
    newest = await ScriptVersion.filter(script_id=script_id).order_by("-version").first()
    return newest.version if newest is not None else 0


def _snapshot(script: Script) -> dict[str, Any]:
    return {
        "bk_script_id": script.id,
        "bk_biz_id": script.business_id,
        "name": script.name,
        "language": int(script.language),
        "description": script.description,
    }


def _version_snapshot(version: ScriptVersion) -> dict[str, Any]:
    """The audit log keeps a fingerprint, not up to 1 MiB of content per edit."""
    data = version.content.encode()
    return {"version": version.version, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

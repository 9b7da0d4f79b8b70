"""OpenC3 jobs on the tree: JobTemplates whose steps keep OpenC3's step as given (`openc3`) beside
our normalised settings, addressed by a 12-character uuid and the node they were made on.

- Writing needs level 2 (maintainer) on the node; reading level 0.
- `user` names the OS account a step runs as: an Account of the business with that alias or
  login name (checked when saving, so a job never names an account that does not exist).
- The normalised settings let GraphQL read the job and crons run it (`runJob`): scripts, arguments,
  timeouts, the account and the hosts a `buildin` list names. Node groups, `$variable` nodes and
  file-store sources are resolved when an OpenC3 task starts (resolvers/service_tree/runs.py).
- Names are unique per business (our templates'), not per node as upstream.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import date
from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.jobs import Account, Cron, JobStep, JobTemplate, Script, ScriptLanguage, StepKind
from opsgraph.models.service_tree import TreeJob
from opsgraph.models.topology import Host
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.service_tree.access import READ, WRITE, TreeNode, node_for
from opsgraph.resolvers.service_tree.steps import parse_steps
from opsgraph.resolvers.topology.common import write_transaction

_ALPHABET = string.ascii_letters + string.digits
_LANGUAGES = {"shell": ScriptLanguage.SHELL, "perl": ScriptLanguage.PERL, "python": ScriptLanguage.PYTHON}
_SHEBANG = re.compile(r"^#!\S*?(?:/env\s+)?(\S+)")


def new_uuid() -> str:
    """12 letters and digits, as upstream's uuid module makes them (62^12 ≈ 3e21)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def script_language(scripts_type: str, content: str, where: str) -> ScriptLanguage:
    """shell / perl / python by name; `auto` reads the shebang (no shebang: shell)."""
    if scripts_type in _LANGUAGES:
        return _LANGUAGES[scripts_type]
    if scripts_type in ("auto", "content"):
        match = _SHEBANG.match(content)
        interpreter = match.group(1).rsplit("/", 1)[-1] if match else "sh"
        if interpreter.startswith("python"):
            return ScriptLanguage.PYTHON
        if interpreter.startswith("perl"):
            return ScriptLanguage.PERL
        return ScriptLanguage.SHELL
    raise ValidationFailed(
        f"check format fail {where}.scripts_type: {scripts_type} scripts cannot run here (shell, perl, python, auto)",
        field=f"{where}.scripts_type",
    )


async def account_alias(business_id: int, user: str, where: str) -> str:
    """The Account a step's `user` names: by alias, else by OS login name."""
    account = await Account.get_or_none(business_id=business_id, alias=user)
    if account is None:
        account = await Account.filter(business_id=business_id, username=user).order_by("id").first()
    if account is None:
        raise ValidationFailed(
            f"check format fail {where}.user: business {business_id} has no OS account {user!r}"
            f" (create one with createAccount whose alias or login name is {user!r})",
            field=f"{where}.user",
        )
    return account.alias


async def named_host_ids(business_id: int, names: str) -> list[int]:
    """Hosts of the business a `buildin` list names (IPs or host names); unknown names are skipped."""
    wanted = [item.strip() for item in names.split(",") if item.strip() and "$" not in item]
    if not wanted:
        return []
    rows = await Host.filter(Q(inner_ip__in=wanted) | Q(host_name__in=wanted), business_id=business_id).values("id")
    return sorted(row["id"] for row in rows)


async def _mirror(business_id: int, step: dict[str, Any], where: str) -> tuple[StepKind, dict[str, Any]]:
    """Our normalised settings for one OpenC3 step, plus the step itself under `openc3`."""
    if step["plugin_type"] == "approval":
        approvers = [a.strip() for a in step["approver"].split(",") if a.strip()]
        return StepKind.APPROVAL, {"message": step["cont"], "approvers": approvers, "openc3": step}
    alias = await account_alias(business_id, step["user"], where)
    if step["plugin_type"] == "cmd":
        config: dict[str, Any] = {"params": step["scripts_argv"], "timeout": step["timeout"], "account_alias": alias}
        if step["scripts_type"] == "cite":
            script_id = int(step["scripts_cont"])
            if not await Script.exists(id=script_id, business_id=business_id):
                raise ValidationFailed(
                    f"check format fail {where}.scripts_cont: script {script_id} is not in this tree",
                    field=f"{where}.scripts_cont",
                )
            config["script_id"] = script_id
        else:
            config["content"] = step["scripts_cont"]
            config["language"] = int(script_language(step["scripts_type"], step["scripts_cont"], where))
        config["host_ids"] = (
            await named_host_ids(business_id, step["node_cont"]) if step["node_type"] == "buildin" else []
        )
        return StepKind.SCRIPT, {**config, "openc3": step}
    sources: list[dict[str, Any]] = []
    if step["src_type"] == "buildin" and step["sp"].startswith("/") and "$" not in step["sp"]:
        sources = [{"host_id": pk, "path": step["sp"]} for pk in (await named_host_ids(business_id, step["src"]))[:1]]
    config = {
        "sources": sources,
        "target_path": step["dp"] if "$" not in step["dp"] else "",
        "timeout": step["timeout"],
        "account_alias": alias,
        "host_ids": await named_host_ids(business_id, step["dst"]) if step["dst_type"] == "buildin" else [],
    }
    if step["chown"]:
        config["owner"] = step["chown"]
    if step["chmod"]:
        config["mode"] = int(step["chmod"], 8)
    return StepKind.FILE, {**config, "openc3": step}


async def _mirrors(business_id: int, steps: list[dict[str, Any]]) -> list[tuple[StepKind, str, dict[str, Any]]]:
    mirrored = []
    for index, step in enumerate(steps):
        kind, config = await _mirror(business_id, step, f"data[{index}]")
        config["openc3_uuid"] = new_uuid()
        mirrored.append((kind, step["name"], config))
    return mirrored


def _clean_name(name: Any, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip() or "'" in name or len(name) > 256:
        raise ValidationFailed(f"check format fail {field}: a job name of 1..256 characters, no quotes", field=field)
    return name.strip()


async def _unique(business_id: int, name: str, exclude: int | None = None) -> None:
    query = JobTemplate.filter(business_id=business_id, name=name)
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise Duplicate(f"a job named {name!r} already exists in business {business_id}", field="name")


def _snapshot(job: TreeJob, template: JobTemplate, steps: list[tuple[StepKind, str, dict[str, Any]]]) -> dict[str, Any]:
    return {
        "uuid": job.uuid,
        "tree_id": job.tree_id,
        "name": template.name,
        "steps": [{"kind": str(kind), "name": name, "openc3": config.get("openc3")} for kind, name, config in steps],
    }


async def _write_steps(template_id: int, mirrored: list[tuple[StepKind, str, dict[str, Any]]]) -> None:
    await JobStep.filter(template_id=template_id).delete()
    await JobStep.bulk_create(
        [
            JobStep(template_id=template_id, position=position, kind=kind, name=name, config=config)
            for position, (kind, name, config) in enumerate(mirrored, start=1)
        ]
    )


async def create_tree_job(principal: Principal, tree_id: int, name: Any, steps: Any) -> TreeJob:
    node = await node_for(principal, tree_id, WRITE)
    clean = _clean_name(name)
    mirrored = await _mirrors(node.business_id, parse_steps(steps))
    await _unique(node.business_id, clean)
    async with write_transaction(f"a job named {clean!r} already exists"):
        template = await JobTemplate.create(business_id=node.business_id, name=clean, created_by=principal.username)
        await _write_steps(template.id, mirrored)
        job = await TreeJob.create(
            uuid=new_uuid(),
            template_id=template.id,
            business_id=node.business_id,
            tree_id=node.tree_id,
            edited_by=principal.username,
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="tree_job",
            op_desc=f"create job {clean} on tree node {node.tree_id}",
            business_id=node.business_id,
            inst_id=template.id,
            ext_key=job.uuid,
            cur_data=_snapshot(job, template, mirrored),
        )
    return job


async def get_tree_job(principal: Principal, tree_id: int, uuid: str, level: int = READ) -> tuple[TreeNode, TreeJob]:
    node = await node_for(principal, tree_id, level)
    job = await TreeJob.get_or_none(uuid=uuid, tree_id=node.tree_id)
    if job is None:
        raise NotFound(f"tree node {tree_id} has no job {uuid}", field="jobuuid")
    return node, job


async def job_by_name(node: TreeNode, name: str) -> TreeJob:
    job = await TreeJob.filter(tree_id=node.tree_id, template__name=name).first()
    if job is None:
        raise NotFound(f"projectid, jobname nomatch: tree node {node.tree_id} has no job {name!r}", field="jobname")
    return job


async def update_tree_job(principal: Principal, tree_id: int, uuid: str, name: Any, steps: Any) -> TreeJob:
    node, job = await get_tree_job(principal, tree_id, uuid, WRITE)
    template = await JobTemplate.get(id=job.template_id)
    clean = _clean_name(name) if name not in (None, "") else template.name
    mirrored = await _mirrors(node.business_id, parse_steps(steps))
    await _unique(node.business_id, clean, exclude=template.id)
    before = await tree_job_snapshot(job)
    async with write_transaction(f"a job named {clean!r} already exists"):
        template.name = clean
        await template.save(update_fields=["name", "updated_at"])
        await _write_steps(template.id, mirrored)
        job.edited_by = principal.username
        await job.save(update_fields=["edited_by", "updated_at"])
        await record_operation(
            principal,
            op_type="update",
            op_target="tree_job",
            op_desc=f"update job {clean} on tree node {node.tree_id}",
            business_id=node.business_id,
            inst_id=template.id,
            ext_key=job.uuid,
            pre_data=before,
            cur_data=_snapshot(job, template, mirrored),
        )
    return job


async def tree_job_snapshot(job: TreeJob) -> dict[str, Any]:
    template = await JobTemplate.get(id=job.template_id)
    steps = await JobStep.filter(template_id=job.template_id).order_by("position")
    return _snapshot(job, template, [(StepKind(s.kind), s.name, s.config) for s in steps])


async def delete_tree_job(
    principal: Principal, tree_id: int, *, uuid: str | None = None, name: str | None = None
) -> str:
    """Returns the deleted job's uuid. Refused while a crontab runs it."""
    node = await node_for(principal, tree_id, WRITE)
    if name is not None:
        job = await job_by_name(node, name)
    else:
        found = await TreeJob.get_or_none(uuid=uuid or "", tree_id=node.tree_id)
        if found is None:
            raise NotFound(f"tree node {tree_id} has no job {uuid}", field="jobuuid")
        job = found
    if await Cron.filter(template_id=job.template_id).exists():
        raise Conflict(f"job {job.uuid} is run by a crontab: delete the crontab first", code="TEMPLATE_HAS_CRONS")
    before = await tree_job_snapshot(job)
    async with write_transaction():
        await JobTemplate.filter(id=job.template_id).delete()  # the TreeJob row goes with it (cascade)
        await record_operation(
            principal,
            op_type="delete",
            op_target="tree_job",
            op_desc=f"delete job {before['name']} on tree node {node.tree_id}",
            business_id=node.business_id,
            inst_id=job.template_id,
            ext_key=job.uuid,
            pre_data=before,
        )
    return job.uuid


async def copy_tree_job(
    principal: Principal, tree_id: int, from_tree: int | None, to_tree: int | None, from_name: Any, to_name: Any
) -> TreeJob:
    """A copy of `from_name` (on `from_tree`, default this node) as `to_name` on `to_tree`."""
    source_node = await node_for(principal, from_tree or tree_id, READ)
    source = await job_by_name(source_node, _clean_name(from_name, "fromname"))
    target = await node_for(principal, to_tree or tree_id, WRITE)
    steps = await JobStep.filter(template_id=source.template_id).order_by("position")
    openc3_steps = [s.config.get("openc3") for s in steps]
    if any(step is None for step in openc3_steps):
        raise ValidationFailed("only jobs written through OpenC3 can be copied here", field="fromname")
    template = await JobTemplate.get(id=source.template_id)
    job = await create_tree_job(principal, target.tree_id, to_name, openc3_steps)
    if template.variables:
        copied = await JobTemplate.get(id=job.template_id)
        copied.variables = dict(template.variables)
        await copied.save(update_fields=["variables", "updated_at"])
        job.variable_notes = dict(source.variable_notes)
        await job.save(update_fields=["variable_notes", "updated_at"])
    return job


async def list_tree_jobs(principal: Principal, tree_id: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """The node's jobs, newest first, filtered as upstream: name contains, creator / editor equal,
    creation and edit dates within [start, end]."""
    node = await node_for(principal, tree_id, READ)
    query = TreeJob.filter(tree_id=node.tree_id)
    if filters.get("name"):
        query = query.filter(template__name__icontains=filters["name"])
    if filters.get("create_user"):
        query = query.filter(template__created_by=filters["create_user"])
    if filters.get("edit_user"):
        query = query.filter(edited_by=filters["edit_user"])
    query = _dates(query, "template__created_at", filters.get("create_time_start"), filters.get("create_time_end"))
    query = _dates(query, "updated_at", filters.get("edit_time_start"), filters.get("edit_time_end"))
    return list(await query.order_by("-id").values(*JOB_COLUMNS, **JOB_RELATED))


JOB_COLUMNS = ("id", "uuid", "tree_id", "template_id", "edited_by", "updated_at", "variable_notes")
JOB_RELATED = {
    "name": "template__name",
    "created_by": "template__created_by",
    "created_at": "template__created_at",
    "variables": "template__variables",
}


async def tree_job_row(job_id: int) -> dict[str, Any]:
    """One job as the listings show it (for a mutation's payload)."""
    return (await TreeJob.filter(id=job_id).values(*JOB_COLUMNS, **JOB_RELATED))[0]


def _dates(query: Any, column: str, start: date | None, end: date | None) -> Any:
    from datetime import UTC, datetime, time

    if start is not None:
        query = query.filter(**{f"{column}__gte": datetime.combine(start, time.min, tzinfo=UTC)})
    if end is not None:
        query = query.filter(**{f"{column}__lte": datetime.combine(end, time.max, tzinfo=UTC)})
    return query

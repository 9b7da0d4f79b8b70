"""Starting security scans as Tasks of kind SECURITY_SCAN.

- cluster: the baseline over SSH on every host of the chosen sets (a set is a "cluster"), logging
  in with the business's default account unless one is named; one `security_scan` step.
- IaC: static checks of uploaded files, one host-less `iac_scan` step.
The business may be left out when the sets (or files) name it; they must all be in one business.

Example:
    task = await start_cluster_scan(principal, ClusterScan(business_id=None, set_ids=[12, 13]))
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.executors.iac_scan import STEP_KIND as IAC_STEP
from opsgraph.executors.security.baseline_rules import ScanType
from opsgraph.executors.security_scan import STEP_KIND as HOST_STEP
from opsgraph.models.security import IacFileType, ScanFile
from opsgraph.models.tasks import Task, TaskKind
from opsgraph.models.topology import Host, HostModule, Module, Set
from opsgraph.resolvers.jobs.accounts import resolve_account
from opsgraph.resolvers.tasks.launch import StepPlan, TaskPlan, check_timeout, launch
from opsgraph.resolvers.tasks.targets import MAX_TARGETS
from opsgraph.resolvers.topology.business import get_business

DEFAULT_HOST_TIMEOUT = 300
MAX_SCAN_FILES = 100


@dataclass
class ClusterScan:
    business_id: int | None
    set_ids: list[int] | None  # None: every ordinary set of the business
    scan_types: list[ScanType] = field(default_factory=lambda: list(ScanType))
    account_id: int | None = None
    account_alias: str | None = None
    timeout: int | None = None
    name: str = ""


@dataclass
class IacScan:
    business_id: int | None
    file_ids: list[int]
    file_type: IacFileType
    name: str = ""


async def start_cluster_scan(principal: Principal, spec: ClusterScan) -> Task:
    set_ids = list(dict.fromkeys(spec.set_ids)) if spec.set_ids is not None else None
    if set_ids is not None and not set_ids:
        raise ValidationFailed("name at least one set, or none to scan every set", field="setIds")
    business_id = spec.business_id if spec.business_id is not None else await _business_of_sets(principal, set_ids)
    await get_business(principal, business_id, "operator")
    chosen = await _sets_in_business(principal, business_id, set_ids)
    hosts = await _hosts_of_sets(business_id, chosen)
    if not hosts:
        raise ValidationFailed("the chosen sets have no hosts to scan", field="setIds", code="NO_TARGETS")
    scan_types = list(dict.fromkeys(spec.scan_types)) or list(ScanType)
    account = await resolve_account(business_id, account_id=spec.account_id, alias=spec.account_alias)
    config = {
        "account_id": account.id,
        "scan_types": [t.value for t in scan_types],
        "timeout": check_timeout(spec.timeout or DEFAULT_HOST_TIMEOUT),
        "set_ids": chosen,
    }
    plan = TaskPlan(
        kind=TaskKind.SECURITY_SCAN,
        business_id=business_id,
        name=spec.name or "cluster security scan",
        steps=[StepPlan(HOST_STEP, "baseline scan", config, hosts)],
        params={"scan": "cluster", "set_ids": chosen, "scan_types": config["scan_types"], "account": account.alias},
    )
    return await launch(principal, plan)


async def start_iac_scan(principal: Principal, spec: IacScan) -> Task:
    file_ids = list(dict.fromkeys(spec.file_ids))
    if not 1 <= len(file_ids) <= MAX_SCAN_FILES:
        raise ValidationFailed(f"name 1–{MAX_SCAN_FILES} uploaded files", field="fileIds")
    # Files of a business the caller has no role on count as missing: the same SCAN_FILE_NOT_FOUND,
    # never a refusal that names (or, with businessId left out, is derived from) their business.
    rows = {
        r["id"]: r
        for r in await ScanFile.filter(id__in=file_ids).values("id", "business_id", "file_type", "name")
        if principal.can(int(r["business_id"]))
    }
    missing = [pk for pk in file_ids if pk not in rows]
    if missing:
        raise NotFound(f"uploaded file {missing[0]} does not exist", field="fileIds", code="SCAN_FILE_NOT_FOUND")
    owners = {int(r["business_id"]) for r in rows.values()}
    business_id = spec.business_id if spec.business_id is not None else min(owners)
    await get_business(principal, business_id, "operator")
    if owners != {business_id}:
        raise Conflict(
            f"every file must belong to business {business_id}", field="fileIds", code="FILE_NOT_IN_BUSINESS"
        )
    for pk in file_ids:
        declared = str(rows[pk]["file_type"] or "")
        if declared and declared != spec.file_type.value:
            raise ValidationFailed(
                f"file {pk} ({rows[pk]['name']}) was uploaded as {declared}, not {spec.file_type.value}",
                field="fileIds",
            )
    plan = TaskPlan(
        kind=TaskKind.SECURITY_SCAN,
        business_id=business_id,
        name=spec.name or f"IaC scan ({spec.file_type.value})",
        steps=[StepPlan(IAC_STEP, "IaC scan", {"file_type": spec.file_type.value, "file_ids": file_ids})],
        params={"scan": "iac", "file_type": spec.file_type.value, "file_ids": file_ids},
    )
    return await launch(principal, plan)


async def _business_of_sets(principal: Principal, set_ids: list[int] | None) -> int:
    """The business of the named sets; sets the caller may not see count as missing."""
    if not set_ids:
        raise ValidationFailed("name the business when no sets are named", field="businessId")
    rows = await Set.filter(id__in=set_ids).values("business_id")
    owners = {int(row["business_id"]) for row in rows if principal.can(int(row["business_id"]))}
    if not owners:
        raise NotFound(f"set {set_ids[0]} does not exist", field="setIds", code="SET_NOT_FOUND")
    if len(owners) > 1:
        raise Conflict("the sets belong to several businesses: scan one business at a time", field="setIds")
    return owners.pop()


async def _sets_in_business(principal: Principal, business_id: int, set_ids: list[int] | None) -> list[int]:
    """The named sets (all in the business), or every ordinary set (not the built-in idle pool).
    A set of a business the caller has no role on is answered like a missing one."""
    if set_ids is None:
        rows = await Set.filter(business_id=business_id, default=0).order_by("id").values("id")
        return [int(row["id"]) for row in rows]
    found = {
        int(r["id"]): int(r["business_id"])
        for r in await Set.filter(id__in=set_ids).values("id", "business_id")
        if principal.can(int(r["business_id"]))
    }
    for pk in set_ids:
        if pk not in found:
            raise NotFound(f"set {pk} does not exist", field="setIds", code="SET_NOT_FOUND")
        if found[pk] != business_id:
            raise Conflict(f"set {pk} is not in business {business_id}", field="setIds", code="SET_NOT_IN_BUSINESS")
    return set_ids


async def _hosts_of_sets(business_id: int, set_ids: list[int]) -> list[dict[str, object]]:
    if not set_ids:
        return []
    module_ids = await Module.filter(set_id__in=set_ids).values_list("id", flat=True)
    host_ids = set(await HostModule.filter(module_id__in=list(module_ids)).values_list("host_id", flat=True))
    if len(host_ids) > MAX_TARGETS:
        raise ValidationFailed(f"at most {MAX_TARGETS} hosts per scan", field="setIds")
    if not host_ids:
        return []
    query = Host.filter(id__in=list(host_ids), business_id=business_id).order_by("id")
    return list(await query.values("id", "inner_ip", "cloud_area_id"))

"""Hosts: import into the resource pool, update, delete, clone properties, locks.

A host is unique by (inner IP, cloud area), belongs to one business at a time and to one or more
of that business's modules. Moving hosts between modules and businesses is in `transfers`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, PermissionDenied, ValidationFailed
from opsgraph.models.topology import BuiltinModule, CloudArea, Host, HostLock, HostModule, Module
from opsgraph.resolvers.audit import operation_entry, record_operation, record_operations
from opsgraph.resolvers.cmdb.instance_values import Unknown
from opsgraph.resolvers.cmdb.mainline_attributes import custom_attribute_rules
from opsgraph.resolvers.cmdb_events.emit import (
    host_transfer_events,
    instance_events,
    record_events,
    record_new_memberships,
)
from opsgraph.resolvers.privileges.enforce import authorize
from opsgraph.resolvers.topology.bootstrap import resource_pool
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import by_address, check_writable, snapshot, write_transaction

MAX_HOSTS_PER_CALL = 2000
# Identity and placement are never cloned from one host to another.
_NOT_CLONED = frozenset(
    {"id", "inner_ip", "outer_ip", "cloud_area_id", "business_id", "created_at", "updated_at", "import_from"}
)


def normalise_ip(value: Any, field: str = "innerIp") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("an IP address is required", field=field)
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as exc:
        raise ValidationFailed(f"{value!r} is not an IP address", field=field) from exc


def _check_count(host_ids: list[int]) -> None:
    if not host_ids:
        raise ValidationFailed("no hosts given", field="hostIds")
    if len(host_ids) > MAX_HOSTS_PER_CALL:
        raise ValidationFailed(f"at most {MAX_HOSTS_PER_CALL} hosts per call", field="hostIds")


def require_pool_role(principal: Principal, pool_id: int) -> None:
    """Moving hosts into or out of the resource pool needs the operator role on it. The refusal
    names "the resource pool", not its business id, which a caller without a role there never sees."""
    if not principal.can(pool_id, "operator"):
        raise PermissionDenied(f"user {principal.username!r} needs the operator role on the resource pool")


async def load_hosts(principal: Principal, host_ids: Iterable[int], minimum_role: str = "viewer") -> list[Host]:
    """The hosts, in the order asked, each checked for existence and the caller's role.

    A host in a business the caller has no role on is answered exactly like a missing one, so its
    id reveals neither that it exists nor which business owns it."""
    ids = list(dict.fromkeys(host_ids))
    _check_count(ids)
    hosts = {h.id: h for h in await Host.filter(id__in=ids) if principal.can(h.business_id)}
    for pk in ids:
        if pk not in hosts:
            raise NotFound(f"host {pk} does not exist", field="hostIds")
    for business_id in {h.business_id for h in hosts.values()}:
        principal.require(business_id, minimum_role)
    return [hosts[pk] for pk in ids]


async def add_hosts_to_resource_pool(
    principal: Principal,
    hosts: list[tuple[dict[str, Any], dict[str, Any]]],
    business_id: int | None = None,
    *,
    unknown: Unknown = "refuse",
) -> list[Host]:
    """Import hosts into the resource pool's idle module, or straight into a business's idle module."""
    if not hosts:
        raise ValidationFailed("no hosts given", field="hosts")
    if len(hosts) > MAX_HOSTS_PER_CALL:
        raise ValidationFailed(f"at most {MAX_HOSTS_PER_CALL} hosts per call", field="hosts")
    if business_id:
        target = await get_business(principal, business_id, "operator", require_enabled=True)
    else:
        target = await resource_pool()
        require_pool_role(principal, target.id)
    await authorize(
        principal,
        business_ids=[target.id] if business_id else [],
        minimum_role="operator",
        model="host",
        action="create",
        system=None if business_id else "resource",
    )
    idle = await Module.get(business_id=target.id, default=BuiltinModule.IDLE)
    prepared: list[tuple[dict[str, Any], dict[str, Any]]] = []
    seen: set[tuple[str, int]] = set()
    rules = await custom_attribute_rules("host")
    for index, (columns, custom) in enumerate(hosts):
        columns = dict(columns)
        cloud_id = columns.pop("cloud_area_id", 0) or 0
        check_writable("host", columns)
        custom = rules.check(custom, unknown=unknown, creating=True, field=f"hosts[{index}].attributes")
        columns["inner_ip"] = normalise_ip(columns.get("inner_ip"), f"hosts[{index}].innerIp")
        if columns.get("outer_ip"):
            columns["outer_ip"] = normalise_ip(columns["outer_ip"], f"hosts[{index}].outerIp")
        key = (columns["inner_ip"], int(cloud_id))
        if key in seen:
            raise Duplicate(f"{key[0]} appears twice in cloud area {key[1]}", field="hosts")
        seen.add(key)
        columns["cloud_area_id"] = int(cloud_id)
        prepared.append((columns, custom))
    cloud_ids = {c["cloud_area_id"] for c, _ in prepared}
    known_clouds = set(await CloudArea.filter(id__in=cloud_ids).values_list("id", flat=True))
    if cloud_ids - known_clouds:
        raise NotFound(f"cloud area {sorted(cloud_ids - known_clouds)[0]} does not exist", field="cloudAreaId")
    existing = await Host.filter(by_address(seen)).first()
    if existing is not None:
        raise Duplicate(
            f"host {existing.inner_ip} already exists in cloud area {existing.cloud_area_id}", field="innerIp"
        )
    created: list[Host] = []
    async with write_transaction("host already exists (inner IP, cloud area)"):
        for columns, custom in prepared:
            host = await Host.create(**columns, business_id=target.id, attributes=custom)
            created.append(host)
        await HostModule.bulk_create(
            [HostModule(host_id=h.id, module_id=idle.id, business_id=target.id) for h in created]
        )
        await record_events(
            instance_events("host", "create", ((snapshot("host", h), None, target.id) for h in created)),
            principal.username,
        )
        await record_new_memberships([h.id for h in created], principal.username)
        await record_operations(
            [
                operation_entry(
                    principal,
                    op_type="create",
                    op_target="host",
                    op_desc=f"import host {host.inner_ip}",
                    business_id=target.id,
                    inst_id=host.id,
                    ext_key=host.inner_ip,
                    cur_data=snapshot("host", host),
                )
                for host in created
            ]
        )
    return created


async def update_hosts(
    principal: Principal,
    host_ids: list[int],
    columns: dict[str, Any],
    custom: dict[str, Any],
    *,
    unknown: Unknown = "refuse",
) -> list[Host]:
    hosts = await load_hosts(principal, host_ids, "operator")
    await authorize(
        principal,
        business_ids=[h.business_id for h in hosts],
        minimum_role="operator",
        function="hostupdate",
        model="host",
        action="update",
    )
    check_writable("host", columns)
    rules = await custom_attribute_rules("host")
    # Checked against each host's stored values: a non-editable attribute may be set on one
    # host that lacks it and refused on another that has it.
    checked = [rules.check(custom, unknown=unknown, creating=False, current=host.attributes) for host in hosts]
    if not columns and not custom:
        raise ValidationFailed("nothing to update", field="properties")
    for ip_field in ("inner_ip", "outer_ip"):
        if columns.get(ip_field):
            columns[ip_field] = normalise_ip(columns[ip_field], ip_field)
    if "inner_ip" in columns:
        if len(hosts) > 1:
            raise ValidationFailed("several hosts cannot share one inner IP", field="innerIp")
        clash = (
            await Host.filter(inner_ip=columns["inner_ip"], cloud_area_id=hosts[0].cloud_area_id)
            .exclude(id=hosts[0].id)
            .exists()
        )
        if clash:
            raise Duplicate(f"host {columns['inner_ip']} already exists in its cloud area", field="innerIp")
    async with write_transaction("host already exists (inner IP, cloud area)"):
        for host, attributes in zip(hosts, checked, strict=True):
            before = snapshot("host", host)
            host.update_from_dict({**columns, "attributes": {**host.attributes, **attributes}})
            await host.save()
            after = snapshot("host", host)
            changes = [(after, before, host.business_id)]
            await record_events(instance_events("host", "update", changes), principal.username)
            await record_operation(
                principal,
                op_type="update",
                op_target="host",
                op_desc=f"update host {host.inner_ip}",
                business_id=host.business_id,
                inst_id=host.id,
                ext_key=host.inner_ip,
                pre_data=before,
                cur_data=snapshot("host", host),
            )
    return hosts


async def refuse_locked_hosts(hosts: list[Host]) -> None:
    lock = await HostLock.filter(by_address((h.inner_ip, h.cloud_area_id) for h in hosts)).first()
    if lock is not None:
        raise Conflict(f"host {lock.inner_ip} is locked", field="hostIds", code="HOST_LOCKED")


async def delete_hosts(principal: Principal, host_ids: list[int]) -> None:
    """Only hosts in the resource pool may be deleted (as in bk-cmdb): return them first."""
    hosts = await load_hosts(principal, host_ids, "operator")
    pool = await resource_pool()
    for host in hosts:
        if host.business_id != pool.id:
            raise Conflict(
                f"host {host.id} is in business {host.business_id}; return it to the resource pool first",
                field="hostIds",
                code="HOST_NOT_IN_RESOURCE_POOL",
            )
    await refuse_locked_hosts(hosts)
    await authorize(principal, model="host", action="delete", system="resource")
    async with write_transaction():
        async with host_transfer_events([h.id for h in hosts], principal.username):
            await HostModule.filter(host_id__in=[h.id for h in hosts]).delete()
        await Host.filter(id__in=[h.id for h in hosts]).delete()
        await record_events(
            instance_events("host", "delete", ((None, snapshot("host", h), h.business_id) for h in hosts)),
            principal.username,
        )
        for host in hosts:
            await record_operation(
                principal,
                op_type="delete",
                op_target="host",
                op_desc=f"delete host {host.inner_ip}",
                business_id=host.business_id,
                inst_id=host.id,
                ext_key=host.inner_ip,
                pre_data=snapshot("host", host),
            )


async def clone_host_properties(
    principal: Principal, business_id: int, source_ip: str, target_ips: list[str], cloud_area_id: int = 0
) -> list[Host]:
    await get_business(principal, business_id, "operator")
    await authorize(
        principal,
        business_ids=[business_id],
        minimum_role="operator",
        function="hostupdate",
        model="host",
        action="update",
    )
    source_ip = normalise_ip(source_ip, "sourceIp")
    targets_wanted = [normalise_ip(ip, "targetIps") for ip in target_ips]
    if not targets_wanted:
        raise ValidationFailed("no target IPs given", field="targetIps")
    source = await Host.get_or_none(inner_ip=source_ip, cloud_area_id=cloud_area_id, business_id=business_id)
    if source is None:
        raise NotFound(f"host {source_ip} is not in business {business_id}", field="sourceIp")
    targets = await Host.filter(inner_ip__in=targets_wanted, cloud_area_id=cloud_area_id, business_id=business_id)
    missing = set(targets_wanted) - {t.inner_ip for t in targets}
    if missing:
        raise NotFound(f"host {sorted(missing)[0]} is not in business {business_id}", field="targetIps")
    copied = {c: getattr(source, c) for c in source._meta.db_fields if c not in _NOT_CLONED}
    async with write_transaction():
        for target in targets:
            before = snapshot("host", target)
            target.update_from_dict(copied)
            await target.save()
            after = snapshot("host", target)
            await record_events(instance_events("host", "update", [(after, before, business_id)]), principal.username)
            await record_operation(
                principal,
                op_type="update",
                op_target="host",
                op_desc=f"clone properties of {source_ip} to {target.inner_ip}",
                business_id=business_id,
                inst_id=target.id,
                ext_key=target.inner_ip,
                pre_data=before,
                cur_data=snapshot("host", target),
            )
    return targets


async def _hosts_by_ip(principal: Principal, ips: list[str], cloud_area_id: int, role: str) -> list[Host]:
    """Hosts of a business the caller has no role on count as missing: the same NOT_FOUND, never a
    refusal naming the business that owns the IP."""
    wanted = [normalise_ip(ip, "ipList") for ip in ips]
    if not wanted:
        raise ValidationFailed("ip_list must not be empty", field="ipList")
    found = await Host.filter(inner_ip__in=wanted, cloud_area_id=cloud_area_id)
    hosts = [h for h in found if principal.can(h.business_id)]
    missing = set(wanted) - {h.inner_ip for h in hosts}
    if missing:
        raise NotFound(f"host {sorted(missing)[0]} does not exist in cloud area {cloud_area_id}", field="ipList")
    for business_id in {h.business_id for h in hosts}:
        principal.require(business_id, role)
    return hosts


async def add_host_locks(principal: Principal, ips: list[str], cloud_area_id: int = 0) -> None:
    """Idempotent: locking a locked host is not an error."""
    hosts = await _hosts_by_ip(principal, ips, cloud_area_id, "operator")
    locked = set(
        await HostLock.filter(cloud_area_id=cloud_area_id, inner_ip__in=[h.inner_ip for h in hosts]).values_list(
            "inner_ip", flat=True
        )
    )
    async with write_transaction():
        for host in hosts:
            if host.inner_ip in locked:
                continue
            await HostLock.create(inner_ip=host.inner_ip, cloud_area_id=cloud_area_id, created_by=principal.username)
            await record_operation(
                principal,
                op_type="create",
                op_target="host_lock",
                op_desc=f"lock host {host.inner_ip}",
                business_id=host.business_id,
                inst_id=host.id,
                ext_key=host.inner_ip,
            )


async def delete_host_locks(principal: Principal, ips: list[str], cloud_area_id: int = 0) -> None:
    hosts = await _hosts_by_ip(principal, ips, cloud_area_id, "operator")
    async with write_transaction():
        await HostLock.filter(cloud_area_id=cloud_area_id, inner_ip__in=[h.inner_ip for h in hosts]).delete()
        for host in hosts:
            await record_operation(
                principal,
                op_type="delete",
                op_target="host_lock",
                op_desc=f"unlock host {host.inner_ip}",
                business_id=host.business_id,
                inst_id=host.id,
                ext_key=host.inner_ip,
            )


async def search_host_locks(principal: Principal, ips: list[str], cloud_area_id: int = 0) -> dict[str, bool]:
    hosts = await _hosts_by_ip(principal, ips, cloud_area_id, "viewer")
    locked = set(
        await HostLock.filter(cloud_area_id=cloud_area_id, inner_ip__in=[h.inner_ip for h in hosts]).values_list(
            "inner_ip", flat=True
        )
    )
    return {h.inner_ip: h.inner_ip in locked for h in hosts}

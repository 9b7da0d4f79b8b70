"""Moving hosts: between modules of a business, into its built-in modules, between the resource
pool and a business. Rules follow bk-cmdb (upstream_semantics.md §1):

- every target module must belong to the business (MODULE_NOT_IN_BUSINESS);
- with several targets, or when appending, no target may be a built-in module (BUILTIN_MODULE_MIXED);
- every host must already be in the business (HOST_NOT_IN_BUSINESS);
- replace (`append=False`) drops the host's other memberships in the business; append keeps them
  but leaves the built-in modules (a host is never idle and in an ordinary module at once);
- locked hosts are not moved (HOST_LOCKED).
"""

from __future__ import annotations

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.models.topology import BuiltinModule, Host, HostModule, Module
from opsgraph.resolvers.audit import operation_entry, record_operations
from opsgraph.resolvers.cmdb_events.emit import host_transfer_events
from opsgraph.resolvers.privileges.enforce import authorize
from opsgraph.resolvers.topology.bootstrap import resource_pool
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction
from opsgraph.resolvers.topology.hosts import load_hosts, refuse_locked_hosts, require_pool_role
from opsgraph.resolvers.topology.sets import get_set

MAX_TARGET_MODULES = 500


def _require_in_business(hosts: list[Host], business_id: int) -> None:
    # Naming the host's business is safe: load_hosts answered "does not exist" for hosts of
    # businesses the caller has no role on, so every host here is one the caller may see.
    for host in hosts:
        if host.business_id != business_id:
            raise Conflict(
                f"host {host.id} ({host.inner_ip}) belongs to business {host.business_id}, not {business_id}",
                field="hostIds",
                code="HOST_NOT_IN_BUSINESS",
            )


async def _replace_memberships(hosts: list[Host], business_id: int, module_ids: list[int]) -> None:
    host_ids = [h.id for h in hosts]
    await HostModule.filter(host_id__in=host_ids).exclude(module_id__in=module_ids).delete()
    await _add_missing(host_ids, business_id, module_ids)


async def _add_missing(host_ids: list[int], business_id: int, module_ids: list[int]) -> None:
    existing = {
        (row["host_id"], row["module_id"])
        for row in await HostModule.filter(host_id__in=host_ids, module_id__in=module_ids).values(
            "host_id", "module_id"
        )
    }
    await HostModule.bulk_create(
        [
            HostModule(host_id=h, module_id=m, business_id=business_id)
            for h in host_ids
            for m in module_ids
            if (h, m) not in existing
        ]
    )


async def _authorize_transfer(principal: Principal, business_id: int, *, resource_pool: bool = False) -> None:
    """The hosttrans role privilege on the business; moves to or from the pool also need `resource`."""
    await authorize(
        principal,
        business_ids=[business_id],
        minimum_role="operator",
        function="hosttrans",
        system="resource" if resource_pool else None,
    )


async def _audit_transfer(principal: Principal, hosts: list[Host], business_id: int, desc: str, to: object) -> None:
    await record_operations(
        [
            operation_entry(
                principal,
                op_type="transfer",
                op_target="host",
                op_desc=f"{desc}: {host.inner_ip}",
                business_id=business_id,
                inst_id=host.id,
                ext_key=host.inner_ip,
                cur_data={"to": to},
            )
            for host in hosts
        ]
    )


async def transfer_hosts_to_modules(
    principal: Principal, business_id: int, host_ids: list[int], module_ids: list[int], *, append: bool
) -> None:
    await get_business(principal, business_id, "operator")
    targets_wanted = list(dict.fromkeys(module_ids))
    if not targets_wanted:
        raise ValidationFailed("no target modules given", field="moduleIds")
    if len(targets_wanted) > MAX_TARGET_MODULES:
        raise ValidationFailed(f"at most {MAX_TARGET_MODULES} target modules", field="moduleIds")
    # A module of a business the caller has no role on is answered like a missing one.
    modules = {m.id: m for m in await Module.filter(id__in=targets_wanted) if principal.can(m.business_id)}
    for module_id in targets_wanted:
        module = modules.get(module_id)
        if module is None:
            raise NotFound(f"module {module_id} does not exist", field="moduleIds")
        if module.business_id != business_id:
            raise Conflict(
                f"module {module_id} is not in business {business_id}",
                field="moduleIds",
                code="MODULE_NOT_IN_BUSINESS",
            )
    if (len(targets_wanted) > 1 or append) and any(m.default != BuiltinModule.NORMAL for m in modules.values()):
        raise Conflict(
            "built-in modules (idle/fault/recycle) can only be a single, exclusive target",
            field="moduleIds",
            code="BUILTIN_MODULE_MIXED",
        )
    hosts = await load_hosts(principal, host_ids, "operator")
    _require_in_business(hosts, business_id)
    await refuse_locked_hosts(hosts)
    await _authorize_transfer(principal, business_id)
    async with write_transaction(), host_transfer_events([h.id for h in hosts], principal.username):
        if append:
            builtin_ids = list(
                await Module.filter(business_id=business_id)
                .exclude(default=BuiltinModule.NORMAL)
                .values_list("id", flat=True)
            )
            await HostModule.filter(host_id__in=[h.id for h in hosts], module_id__in=builtin_ids).delete()
            await _add_missing([h.id for h in hosts], business_id, targets_wanted)
        else:
            await _replace_memberships(hosts, business_id, targets_wanted)
        await _audit_transfer(
            principal,
            hosts,
            business_id,
            "append to modules" if append else "move to modules",
            targets_wanted,
        )


async def transfer_hosts_to_builtin_module(
    principal: Principal, business_id: int, host_ids: list[int], flag: BuiltinModule
) -> None:
    """Exclusive move into the business's idle, fault or recycle module."""
    await get_business(principal, business_id, "operator")
    hosts = await load_hosts(principal, host_ids, "operator")
    _require_in_business(hosts, business_id)
    await refuse_locked_hosts(hosts)
    module = await Module.get(business_id=business_id, default=flag)
    await _authorize_transfer(principal, business_id)
    async with write_transaction(), host_transfer_events([h.id for h in hosts], principal.username):
        await _replace_memberships(hosts, business_id, [module.id])
        await _audit_transfer(principal, hosts, business_id, f"move to {module.name}", [module.id])


async def assign_pool_hosts_to_business(
    principal: Principal, business_id: int, host_ids: list[int], module_id: int | None = None
) -> None:
    """Resource pool → the business's idle module (or a given module of it)."""
    pool = await resource_pool()
    if business_id == pool.id:
        raise ValidationFailed("hosts are already in the resource pool", field="businessId")
    await get_business(principal, business_id, "operator", require_enabled=True)
    require_pool_role(principal, pool.id)
    hosts = await load_hosts(principal, host_ids, "operator")
    for host in hosts:
        if host.business_id != pool.id:
            raise Conflict(
                f"host {host.id} ({host.inner_ip}) is not in the resource pool",
                field="hostIds",
                code="HOST_NOT_IN_RESOURCE_POOL",
            )
    await refuse_locked_hosts(hosts)
    if module_id is None:
        target = await Module.get(business_id=business_id, default=BuiltinModule.IDLE)
    else:
        found = await Module.get_or_none(id=module_id)
        if found is None or found.business_id != business_id:
            raise Conflict(f"module {module_id} is not in business {business_id}", code="MODULE_NOT_IN_BUSINESS")
        target = found
    await _authorize_transfer(principal, business_id, resource_pool=True)
    async with write_transaction(), host_transfer_events([h.id for h in hosts], principal.username):
        await HostModule.filter(host_id__in=[h.id for h in hosts]).delete()
        await Host.filter(id__in=[h.id for h in hosts]).update(business_id=business_id)
        await _add_missing([h.id for h in hosts], business_id, [target.id])
        await _audit_transfer(principal, hosts, business_id, "assign from resource pool", [target.id])


async def return_hosts_to_resource_pool(
    principal: Principal, business_id: int, host_ids: list[int], module_id: int | None = None
) -> None:
    """Only hosts that sit in the business's built-in modules may go back (bk-cmdb 1110056)."""
    pool = await resource_pool()
    if business_id == pool.id:
        raise ValidationFailed("the resource pool cannot return hosts to itself", field="businessId")
    await get_business(principal, business_id, "operator")
    require_pool_role(principal, pool.id)
    hosts = await load_hosts(principal, host_ids, "operator")
    _require_in_business(hosts, business_id)
    await refuse_locked_hosts(hosts)
    ordinary = await HostModule.filter(
        host_id__in=[h.id for h in hosts], module__default=BuiltinModule.NORMAL
    ).values_list("host_id", flat=True)
    if ordinary:
        busy = sorted({h.inner_ip for h in hosts if h.id in set(ordinary)})
        raise Conflict(
            f"hosts still in ordinary modules cannot be returned: {', '.join(busy)}",
            field="hostIds",
            code="HOST_NOT_IN_BUILTIN_MODULE",
        )
    if module_id is None:
        target = await Module.get(business_id=pool.id, default=BuiltinModule.IDLE)
    else:
        found = await Module.get_or_none(id=module_id)
        if found is None or found.business_id != pool.id:
            raise Conflict(f"module {module_id} is not in the resource pool", code="MODULE_NOT_IN_BUSINESS")
        target = found
    await _authorize_transfer(principal, business_id, resource_pool=True)
    async with write_transaction(), host_transfer_events([h.id for h in hosts], principal.username):
        await HostModule.filter(host_id__in=[h.id for h in hosts]).delete()
        await Host.filter(id__in=[h.id for h in hosts]).update(business_id=pool.id)
        await _add_missing([h.id for h in hosts], pool.id, [target.id])
        await _audit_transfer(principal, hosts, business_id, "return to resource pool", [target.id])


async def empty_to_idle_module(
    principal: Principal, business_id: int, set_id: int, module_id: int | None = None
) -> int:
    """Take every host out of a set (or one module of it); hosts left in no module become idle.

    Returns how many hosts were affected.
    """
    target_set = await get_set(principal, business_id, set_id, "operator")
    if target_set.default != 0:
        raise Conflict("the idle pool set is already idle", code="BUILTIN_OBJECT")
    modules = Module.filter(set_id=set_id)
    if module_id:
        found = await Module.get_or_none(id=module_id)
        if found is None or found.set_id != set_id:
            raise Conflict(f"module {module_id} is not in set {set_id}", field="moduleId", code="MODULE_NOT_IN_SET")
        modules = modules.filter(id=module_id)
    module_ids = list(await modules.values_list("id", flat=True))
    host_ids: list[int] = sorted(
        {row["host_id"] for row in await HostModule.filter(module_id__in=module_ids).values("host_id")}
    )
    if not host_ids:
        return 0
    hosts = await load_hosts(principal, host_ids, "operator")
    await refuse_locked_hosts(hosts)
    idle = await Module.get(business_id=business_id, default=BuiltinModule.IDLE)
    await _authorize_transfer(principal, business_id)
    async with write_transaction(), host_transfer_events(host_ids, principal.username):
        await HostModule.filter(host_id__in=host_ids, module_id__in=module_ids).delete()
        still_placed = set(await HostModule.filter(host_id__in=host_ids).values_list("host_id", flat=True))
        await _add_missing([h for h in host_ids if h not in still_placed], business_id, [idle.id])
        await _audit_transfer(principal, hosts, business_id, "empty set/module to idle", [idle.id])
    return len(host_ids)

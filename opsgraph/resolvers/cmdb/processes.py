"""Processes bound to modules. A process is an instance of the preset model `process` belonging to a
business (created like any instance); bk-cmdb v3.2 binds it to a module *name*, which covers every
module of that name in the business (proc_server BindModuleProcess). Binding and unbinding are
idempotent, as upstream's insert-if-absent / delete-matching are.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.cmdb_instances import Instance, ProcessModuleBinding
from opsgraph.models.topology import BuiltinModule, Module
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import READ_ROLE, WRITE_ROLE
from opsgraph.resolvers.cmdb.preset_data import PROCESS_OBJECT
from opsgraph.resolvers.cmdb_events.emit import EventRecord, record_events
from opsgraph.resolvers.privileges.enforce import authorize
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
MODULE_NAME_MAX = 256
PROCESS_MODULE = "processmodule"  # bk-cmdb's relation event for a process bound to or unbound from a module


def _relation(business_id: int, process_id: int, module_name: str) -> Row:
    return {
        "bk_biz_id": business_id,
        "bk_process_id": process_id,
        "bk_module_name": module_name,
        "bk_supplier_account": "0",
    }


async def _process(principal: Principal, business_id: int, process_id: int, role: str) -> Instance:
    # The role is checked before the lookup, so a caller cannot probe another business's processes.
    principal.require(business_id, role)
    if role == WRITE_ROLE:
        # Binding is process configuration: bk's "proconfig" role function and `update` on the model.
        await authorize(
            principal,
            business_ids=[business_id],
            minimum_role=role,
            function="proconfig",
            model=PROCESS_OBJECT,
            action="update",
        )
    process = await Instance.get_or_none(id=process_id, business_id=business_id, object__obj_id=PROCESS_OBJECT)
    if process is None:
        raise NotFound(f"business {business_id} has no process {process_id}", field="bk_process_id")
    return process


def _module_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MODULE_NAME_MAX:
        raise ValidationFailed("bk_module_name must be a module name", field="bk_module_name")
    return value.strip()


async def bind_process(principal: Principal, business_id: int, process_id: int, module_name: Any) -> None:
    process = await _process(principal, business_id, process_id, WRITE_ROLE)
    name = _module_name(module_name)
    if not await Module.exists(business_id=business_id, name=name, default=BuiltinModule.NORMAL):
        raise NotFound(f"business {business_id} has no module named {name!r}", field="bk_module_name")
    if await ProcessModuleBinding.exists(process_id=process.id, module_name=name):
        return
    async with write_transaction():
        await ProcessModuleBinding.create(process_id=process.id, business_id=business_id, module_name=name)
        data = _relation(business_id, process.id, name)
        await record_events(
            [EventRecord("relation", PROCESS_MODULE, "create", data, None, business_id)], principal.username
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="process_module",
            op_desc=f"bind process {process.name} to module {name}",
            business_id=business_id,
            inst_id=process.id,
            ext_key=name,
        )


async def unbind_process(principal: Principal, business_id: int, process_id: int, module_name: Any) -> None:
    process = await _process(principal, business_id, process_id, WRITE_ROLE)
    name = _module_name(module_name)
    async with write_transaction():
        deleted = await ProcessModuleBinding.filter(process_id=process.id, module_name=name).delete()
        if deleted:
            data = _relation(business_id, process.id, name)
            await record_events(
                [EventRecord("relation", PROCESS_MODULE, "delete", None, data, business_id)], principal.username
            )
            await record_operation(
                principal,
                op_type="delete",
                op_target="process_module",
                op_desc=f"unbind process {process.name} from module {name}",
                business_id=business_id,
                inst_id=process.id,
                ext_key=name,
            )


async def process_modules(principal: Principal, business_id: int, process_id: int) -> list[Row]:
    """Each ordinary module name of the business: how many sets have one, whether the process is bound."""
    process = await _process(principal, business_id, process_id, READ_ROLE)
    modules = await Module.filter(business_id=business_id, default=BuiltinModule.NORMAL).values("name", "set_id")
    sets: dict[str, set[int]] = {}
    for module in modules:
        sets.setdefault(module["name"], set()).add(module["set_id"])
    bound = set(await ProcessModuleBinding.filter(process_id=process.id).values_list("module_name", flat=True))
    return [
        {"bk_module_name": name, "set_num": len(sets[name]), "is_bind": 1 if name in bound else 0}
        for name in sorted(sets)
    ]


async def bound_module_names(process_ids: list[int]) -> dict[int, list[str]]:
    """For the DataLoader: the module names each process is bound to."""
    grouped: dict[int, list[str]] = {pk: [] for pk in process_ids}
    rows = (
        await ProcessModuleBinding.filter(process_id__in=process_ids)
        .order_by("module_name")
        .values("process_id", "module_name")
    )
    for row in rows:
        grouped[row["process_id"]].append(row["module_name"])
    return grouped

"""OpenC3's machine management (`nodelist`): placing a host on a tree node and taking it off.

- Adding to a module node puts the host in that module (too): an existing host of the business is
  appended to the module, a new address is first imported into the business. Adding to a business
  node imports a new address into its idle module. A set node holds hosts only through its
  modules, so adding there is refused with a pointer to a module.
- Removing from a module (or set) node moves the host to the business's idle module; removing from
  a business node returns it (from the idle pool) to the resource pool.
A host of another business is refused without naming it. Level 2 (write) on the node is needed.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.models.topology import BuiltinModule, Host
from opsgraph.resolvers.service_tree.access import WRITE, node_for
from opsgraph.resolvers.service_tree.ids import NodeKind
from opsgraph.resolvers.service_tree.tree import hosts_under
from opsgraph.resolvers.topology.hosts import add_hosts_to_resource_pool, normalise_ip
from opsgraph.resolvers.topology.transfers import (
    return_hosts_to_resource_pool,
    transfer_hosts_to_builtin_module,
    transfer_hosts_to_modules,
)

_NAME = re.compile(r"^[a-zA-Z0-9_\-\.]{1,128}$")


def parse_machine(text: Any) -> dict[str, str]:
    """ "ip", or "name::inner ip::outer ip" (OpenC3's two forms)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed('check format fail name: "ip" or "name::inip::exip"', field="name")
    parts = text.strip().split("::")
    if len(parts) == 1:
        return {"inner_ip": normalise_ip(parts[0], "name")}
    if len(parts) != 3 or not _NAME.match(parts[0]):
        raise ValidationFailed('check format fail name: "ip" or "name::inip::exip"', field="name")
    machine = {"host_name": parts[0], "inner_ip": normalise_ip(parts[1], "name")}
    if parts[2]:
        machine["outer_ip"] = normalise_ip(parts[2], "name")
    return machine


async def place_host(principal: Principal, tree_id: int, text: Any) -> int:
    """The host's bkHostId, now under the node."""
    node = await node_for(principal, tree_id, WRITE)
    if node.kind == NodeKind.SET:
        raise ValidationFailed("a set holds machines through its modules: add to a module node", field="treeid")
    machine = parse_machine(text)
    host = await Host.get_or_none(inner_ip=machine["inner_ip"], cloud_area_id=0)
    if host is None:
        created = await add_hosts_to_resource_pool(principal, [(machine, {})], node.business_id)
        host = created[0]
    elif host.business_id != node.business_id:
        raise Conflict(f"{machine['inner_ip']} belongs to another business", field="name", code="HOST_ELSEWHERE")
    if node.kind == NodeKind.MODULE:
        await transfer_hosts_to_modules(principal, node.business_id, [host.id], [node.pk], append=True)
    return host.id


async def remove_host(principal: Principal, tree_id: int, host_id: int) -> None:
    node = await node_for(principal, tree_id, WRITE)
    if not await hosts_under(node).filter(id=host_id).exists():
        raise NotFound(f"machine {host_id} is not on tree node {tree_id}", field="id")
    if node.kind == NodeKind.BUSINESS:
        await transfer_hosts_to_builtin_module(principal, node.business_id, [host_id], BuiltinModule.IDLE)
        await return_hosts_to_resource_pool(principal, node.business_id, [host_id])
        return
    await transfer_hosts_to_builtin_module(principal, node.business_id, [host_id], BuiltinModule.IDLE)

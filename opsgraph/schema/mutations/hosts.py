"""Host mutations: import, update, delete, clone properties, locks."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.topology import hosts as actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import IGNORE_UNKNOWN, columns_from_input, optional_pk, pk, pks, unknown_attributes
from opsgraph.schema.types.topology import HostType


@strawberry.input
class HostPropertiesInput:
    inner_ip: str | None = strawberry.UNSET
    outer_ip: str | None = strawberry.UNSET
    host_name: str | None = strawberry.UNSET
    os_type: str | None = strawberry.UNSET
    os_name: str | None = strawberry.UNSET
    os_version: str | None = strawberry.UNSET
    cpu: int | None = strawberry.UNSET
    mem: int | None = strawberry.UNSET
    disk: int | None = strawberry.UNSET
    sn: str | None = strawberry.UNSET
    operator: str | None = strawberry.UNSET
    bak_operator: str | None = strawberry.UNSET
    comment: str | None = strawberry.UNSET
    import_from: str | None = strawberry.UNSET
    ssh_port: int | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET


@strawberry.input
class NewHostInput(HostPropertiesInput):
    cloud_area_id: strawberry.ID | None = None


@strawberry.input
class AddHostsToResourcePoolInput:
    hosts: list[NewHostInput]
    business_id: strawberry.ID | None = strawberry.field(
        default=None, description="Import straight into this business's idle module instead of the pool."
    )
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class UpdateHostsInput:
    host_ids: list[strawberry.ID]
    properties: HostPropertiesInput
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class DeleteHostsInput:
    host_ids: list[strawberry.ID]


@strawberry.input
class CloneHostPropertiesInput:
    business_id: strawberry.ID
    source_ip: str
    target_ips: list[str]
    cloud_area_id: strawberry.ID | None = None


@strawberry.input
class HostLocksInput:
    ips: list[str]
    cloud_area_id: strawberry.ID | None = None


@strawberry.type
class HostsPayload:
    hosts: list[HostType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteHostsPayload:
    deleted_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class HostLocksPayload:
    ips: list[str] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _hosts_payload(info: Info, host_ids: list[int]) -> HostsPayload:
    loader = info.context.loaders.host
    for host_id in host_ids:
        loader.clear(host_id)
    return HostsPayload(hosts=[HostType.from_row(row) for row in await loader.load_many(host_ids)])


def _cloud_id(global_id: strawberry.ID | None) -> int:
    return optional_pk(global_id, "CloudArea") or 0


@strawberry.type
class HostMutations:
    @strawberry.mutation(description="Import hosts into the resource pool (bk add_host_to_resource).")
    @returns_user_errors(HostsPayload)
    async def add_hosts_to_resource_pool(self, info: Info, input: AddHostsToResourcePoolInput) -> HostsPayload:
        prepared = []
        for new_host in input.hosts:
            columns, custom = columns_from_input(new_host, exclude=frozenset({"cloud_area_id"}))
            columns["cloud_area_id"] = _cloud_id(new_host.cloud_area_id)
            prepared.append((columns, custom))
        created = await actions.add_hosts_to_resource_pool(
            info.context.caller,
            prepared,
            optional_pk(input.business_id, "Business"),
            unknown=unknown_attributes(input.ignore_unknown),
        )
        return await _hosts_payload(info, [h.id for h in created])

    @strawberry.mutation
    @returns_user_errors(HostsPayload)
    async def update_hosts(self, info: Info, input: UpdateHostsInput) -> HostsPayload:
        columns, custom = columns_from_input(input.properties)
        host_ids = pks(input.host_ids, "Host")
        await actions.update_hosts(
            info.context.caller, host_ids, columns, custom, unknown=unknown_attributes(input.ignore_unknown)
        )
        return await _hosts_payload(info, host_ids)

    @strawberry.mutation(description="Delete hosts; only hosts in the resource pool can be deleted.")
    @returns_user_errors(DeleteHostsPayload)
    async def delete_hosts(self, info: Info, input: DeleteHostsInput) -> DeleteHostsPayload:
        await actions.delete_hosts(info.context.caller, pks(input.host_ids, "Host"))
        return DeleteHostsPayload(deleted_ids=input.host_ids)

    @strawberry.mutation(description="Copy one host's properties (not its identity) onto others.")
    @returns_user_errors(HostsPayload)
    async def clone_host_properties(self, info: Info, input: CloneHostPropertiesInput) -> HostsPayload:
        targets = await actions.clone_host_properties(
            info.context.caller,
            pk(input.business_id, "Business"),
            input.source_ip,
            input.target_ips,
            _cloud_id(input.cloud_area_id),
        )
        return await _hosts_payload(info, [t.id for t in targets])

    @strawberry.mutation(description="Lock hosts by inner IP; locking a locked host is not an error.")
    @returns_user_errors(HostLocksPayload)
    async def lock_hosts(self, info: Info, input: HostLocksInput) -> HostLocksPayload:
        await actions.add_host_locks(info.context.caller, input.ips, _cloud_id(input.cloud_area_id))
        return HostLocksPayload(ips=input.ips)

    @strawberry.mutation
    @returns_user_errors(HostLocksPayload)
    async def unlock_hosts(self, info: Info, input: HostLocksInput) -> HostLocksPayload:
        await actions.delete_host_locks(info.context.caller, input.ips, _cloud_id(input.cloud_area_id))
        return HostLocksPayload(ips=input.ips)

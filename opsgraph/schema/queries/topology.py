"""Topology queries: `node`, connections (keyset) and the BlueKing-style searches (offset paged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import decode_global_id
from opsgraph.models.topology import CloudArea
from opsgraph.resolvers.topology import business as business_actions
from opsgraph.resolvers.topology import hosts as host_actions
from opsgraph.resolvers.topology import modules as module_actions
from opsgraph.resolvers.topology import sets as set_actions
from opsgraph.resolvers.topology.conditions import Condition
from opsgraph.resolvers.topology.host_search import (
    HostListFilter,
    IpFilter,
    ObjectClause,
    filtered_hosts,
    search_hosts,
)
from opsgraph.schema.connection import Connection, connection_from_query
from opsgraph.schema.inputs import optional_pk, pk, pks
from opsgraph.schema.queries.node_lookups import NODE_LOOKUPS
from opsgraph.schema.types.cmdb_events import EventSubscriptionType
from opsgraph.schema.types.cmdb_groups import DynamicGroupType
from opsgraph.schema.types.jobs import AccountType, CronType, JobTemplateType, ScriptType
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.security import ScanFileType
from opsgraph.schema.types.topology import BusinessType, CloudAreaType, HostType, ModuleType, SetType

Row = dict[str, Any]


@strawberry.input
class BusinessFilter:
    name: str | None = None
    name_contains: str | None = None
    include_disabled: bool = False


@strawberry.input
class HostFilter:
    business_id: strawberry.ID | None = None
    inner_ips: list[str] | None = None
    ip_contains: str | None = None
    host_name_contains: str | None = None
    os_type: str | None = None
    module_ids: list[strawberry.ID] | None = None
    set_ids: list[strawberry.ID] | None = None
    cloud_area_id: strawberry.ID | None = None
    attributes: JSON | None = strawberry.field(default=None, description="Custom attribute equality, e.g. {env: prod}")


@strawberry.input(description="Offset paging, for the BlueKing dialect's `page {start, limit, sort}`.")
class OffsetPageInput:
    start: int = 0
    limit: int = 20
    sort: str | None = strawberry.field(default=None, description="A property id; '-' prefix = descending.")


@strawberry.input(
    description="One condition; `field` is a property id, `operator` a bk operator ($eq, $ne/$neq, $in…)."
)
class ConditionInput:
    field: str
    operator: str
    value: JSON | None = None


@strawberry.input
class ObjectClauseInput:
    object: str = strawberry.field(description="biz, set, module or host")
    conditions: list[ConditionInput] = strawberry.field(default_factory=list)


@strawberry.input
class IpFilterInput:
    ips: list[str]
    exact: bool = True
    inner: bool = True
    outer: bool = False


@strawberry.input
class SearchHostsInput:
    business_id: strawberry.ID | None = None
    clauses: list[ObjectClauseInput] = strawberry.field(default_factory=list)
    ip: IpFilterInput | None = None
    page: OffsetPageInput = strawberry.field(default_factory=OffsetPageInput)
    pattern: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the IPs, host name, OS name, SN, comment or operators."
    )


@strawberry.input
class SearchInput:
    equals: JSON | None = strawberry.field(default=None, description="Property id → value; all must match.")
    page: OffsetPageInput = strawberry.field(default_factory=OffsetPageInput)
    business_id: strawberry.ID | None = None
    set_id: strawberry.ID | None = None
    include_disabled: bool = False


@strawberry.type
class BusinessSearchResult:
    count: int
    items: list[BusinessType]


@strawberry.type
class SetSearchResult:
    count: int
    items: list[SetType]


@strawberry.type
class ModuleSearchResult:
    count: int
    items: list[ModuleType]


@strawberry.type
class HostSearchResult:
    count: int
    items: list[HostType]


@strawberry.type
class HostLockStatus:
    ip: str
    locked: bool


@strawberry.type
class MainlineObject:
    obj_id: str
    obj_name: str
    pre_obj_id: str
    next_obj: str


_MAINLINE = [
    MainlineObject(obj_id="biz", obj_name="业务", pre_obj_id="", next_obj="set"),
    MainlineObject(obj_id="set", obj_name="集群", pre_obj_id="biz", next_obj="module"),
    MainlineObject(obj_id="module", obj_name="模块", pre_obj_id="set", next_obj="host"),
    MainlineObject(obj_id="host", obj_name="主机", pre_obj_id="module", next_obj=""),
]


def _equals(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("equals must be an object of property id → value", field="equals")
    return value


def _required_business(value: strawberry.ID | None) -> int:
    if value is None:
        raise ValidationFailed("businessId is required", field="businessId")
    return pk(value, "Business")


# Global id type → (loader attribute on Loaders, builder, the row's business column for the
# visibility check, or None when every caller may see it). A new node type is one more row, here
# or, when its visibility is more than a role on its business, in node_lookups.NODE_LOOKUPS.
NODE_TYPES: dict[str, tuple[str, Callable[[Row], Node], str | None]] = {
    "Business": ("business", BusinessType.from_row, "id"),
    "Set": ("set", SetType.from_row, "business_id"),
    "Module": ("module", ModuleType.from_row, "business_id"),
    "Host": ("host", HostType.from_row, "business_id"),
    "CloudArea": ("cloud_area", CloudAreaType.from_row, None),
    "Script": ("script", ScriptType.from_row, "business_id"),
    "Account": ("account", AccountType.from_row, "business_id"),
    "JobTemplate": ("job_template", JobTemplateType.from_row, "business_id"),
    "Cron": ("cron", CronType.from_row, "business_id"),
    "ScanFile": ("scan_file", ScanFileType.from_row, "business_id"),
    "DynamicGroup": ("dynamic_group", DynamicGroupType.from_row, "business_id"),
    "EventSubscription": ("event_subscription", EventSubscriptionType.from_row, "business_id"),
}


async def resolve_node(info: Info, type_name: str, key: int) -> Node | None:
    """The object, or None when it is missing or the caller has no role on its business."""
    principal = info.context.caller
    lookup = NODE_LOOKUPS.get(type_name)
    if lookup is not None:
        return await lookup(info, key)
    if type_name not in NODE_TYPES:
        return None
    loader_name, build, business_key = NODE_TYPES[type_name]
    row = await getattr(info.context.loaders, loader_name).load(key)
    business = None if business_key is None or row is None else row[business_key]
    if row is None or (business is not None and not principal.can(business)):
        return None
    return build(row)


@strawberry.type
class TopologyQuery:
    @strawberry.field(description="Any object by its global id; null when missing or not visible to you.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, key = decode_global_id(str(id))
        return await resolve_node(info, type_name, key)

    @strawberry.field
    async def business(self, info: Info, bk_biz_id: int) -> BusinessType | None:
        row = await info.context.loaders.business.load(bk_biz_id)
        if row is None or not info.context.caller.can(bk_biz_id):
            return None
        return BusinessType.from_row(row)

    @strawberry.field(description="Businesses you have a role in (all, for superusers).")
    async def businesses(
        self, info: Info, first: int, after: str | None = None, filter: BusinessFilter | None = None
    ) -> Connection[BusinessType]:
        spec = filter or BusinessFilter()
        query = business_actions.visible_businesses(
            info.context.caller,
            name=spec.name,
            name_contains=spec.name_contains,
            include_disabled=spec.include_disabled,
        )
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=BusinessType.from_row,
        )

    @strawberry.field
    async def hosts(
        self, info: Info, first: int, after: str | None = None, filter: HostFilter | None = None
    ) -> Connection[HostType]:
        spec = filter or HostFilter()
        attributes = _equals(spec.attributes)
        query = await filtered_hosts(
            info.context.caller,
            HostListFilter(
                business_id=optional_pk(spec.business_id, "Business"),
                inner_ips=spec.inner_ips,
                ip_contains=spec.ip_contains,
                host_name_contains=spec.host_name_contains,
                os_type=spec.os_type,
                module_ids=pks(spec.module_ids, "Module") if spec.module_ids else None,
                set_ids=pks(spec.set_ids, "Set") if spec.set_ids else None,
                cloud_area_id=optional_pk(spec.cloud_area_id, "CloudArea"),
                attributes=attributes,
            ),
        )
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=HostType.from_row,
        )

    @strawberry.field
    async def cloud_areas(self, info: Info, first: int, after: str | None = None) -> Connection[CloudAreaType]:
        info.context.caller  # noqa: B018 - any authenticated caller may list cloud areas
        return await connection_from_query(
            CloudArea.all(),
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=CloudAreaType.from_row,
        )

    @strawberry.field(description="bk search_business: equality conditions, offset paging.")
    async def search_businesses(self, info: Info, input: SearchInput) -> BusinessSearchResult:
        total, rows = await business_actions.search_businesses(
            info.context.caller,
            equals=_equals(input.equals),
            start=input.page.start,
            limit=input.page.limit,
            sort=input.page.sort,
            include_disabled=input.include_disabled,
        )
        return BusinessSearchResult(count=total, items=[BusinessType.from_row(r) for r in rows])

    @strawberry.field(description="bk search_set within one business.")
    async def search_sets(self, info: Info, input: SearchInput) -> SetSearchResult:
        total, rows = await set_actions.search_sets(
            info.context.caller,
            _required_business(input.business_id),
            equals=_equals(input.equals),
            start=input.page.start,
            limit=input.page.limit,
            sort=input.page.sort,
        )
        return SetSearchResult(count=total, items=[SetType.from_row(r) for r in rows])

    @strawberry.field(description="bk search_module within one business (optionally one set).")
    async def search_modules(self, info: Info, input: SearchInput) -> ModuleSearchResult:
        total, rows = await module_actions.search_modules(
            info.context.caller,
            _required_business(input.business_id),
            optional_pk(input.set_id, "Set"),
            equals=_equals(input.equals),
            start=input.page.start,
            limit=input.page.limit,
            sort=input.page.sort,
        )
        return ModuleSearchResult(count=total, items=[ModuleType.from_row(r) for r in rows])

    @strawberry.field(description="bk search_host: per-object clauses (ANDed), IP filter, offset paging.")
    async def search_hosts(self, info: Info, input: SearchHostsInput) -> HostSearchResult:
        clauses = [
            ObjectClause(c.object, [Condition(x.field, x.operator, x.value) for x in c.conditions])
            for c in input.clauses
        ]
        ip_filter = IpFilter(input.ip.ips, input.ip.exact, input.ip.inner, input.ip.outer) if input.ip else None
        total, rows = await search_hosts(
            info.context.caller,
            business_id=optional_pk(input.business_id, "Business"),
            clauses=clauses,
            ip_filter=ip_filter,
            start=input.page.start,
            limit=input.page.limit,
            sort=input.page.sort,
            pattern=input.pattern,
        )
        info.context.loaders.prime_many(info.context.loaders.host, rows)
        return HostSearchResult(count=total, items=[HostType.from_row(r) for r in rows])

    @strawberry.field(description="Whether each host (by inner IP) is locked.")
    async def host_locks(
        self, info: Info, ips: list[str], cloud_area_id: strawberry.ID | None = None
    ) -> list[HostLockStatus]:
        status = await host_actions.search_host_locks(
            info.context.caller, ips, optional_pk(cloud_area_id, "CloudArea") or 0
        )
        return [HostLockStatus(ip=ip, locked=locked) for ip, locked in status.items()]

    @strawberry.field(description="The mainline object chain: business → set → module → host.")
    def mainline_objects(self, info: Info) -> list[MainlineObject]:
        info.context.caller  # noqa: B018 - authentication required
        return _MAINLINE

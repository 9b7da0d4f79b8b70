"""`search_host`: hosts matched by per-object clauses (biz, set, module, host), an IP filter,
with offset paging for the BlueKing dialect. Clauses are ANDed (the doc implies it, bk-cmdb does it).

Example clause list (property ids, bk operators):
    [ObjectClause("set", [Condition("bk_set_name", "$eq", "web")]),
     ObjectClause("host", [Condition("bk_os_type", "$in", ["1"])])]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q, Subquery

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.topology import Business, Host, HostModule, Module, Set
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import check_page, sort_columns
from opsgraph.resolvers.topology.conditions import Condition, compile_conditions, lookup
from opsgraph.resolvers.topology.object_clauses import associated_object_q, mainline_object_q

MAINLINE_OBJECTS = ("biz", "set", "module", "host")
_MAX_IPS = 2000
# Substring matching cannot use an index or an IN list: each IP is its own LIKE term, and deep OR
# trees overflow SQLite's expression depth, so fuzzy search takes fewer IPs (a clear INVALID beyond).
_MAX_FUZZY_IPS = 100


@dataclass(frozen=True)
class ObjectClause:
    object: str
    conditions: list[Condition] = field(default_factory=list)


@dataclass(frozen=True)
class IpFilter:
    ips: list[str]
    exact: bool = True
    inner: bool = True
    outer: bool = False


def _ids_matching(model: Any, kind: str, conditions: list[Condition]) -> Subquery:
    compiled = compile_conditions(kind, model._meta.db_table, conditions)
    return Subquery(compiled.apply(model.all()).values("id"))


def _clause_q(clause: ObjectClause) -> Q:
    if clause.object == "host":
        return Q()  # applied directly on the host query (see search_hosts)
    if clause.object == "biz":
        return Q(business_id__in=_ids_matching(Business, "biz", clause.conditions))
    if clause.object == "set":
        module_ids = Subquery(Module.filter(set_id__in=_ids_matching(Set, "set", clause.conditions)).values("id"))
    elif clause.object == "module":
        module_ids = _ids_matching(Module, "module", clause.conditions)
    elif clause.object == "object":
        return mainline_object_q(clause.conditions)
    else:
        return associated_object_q(clause.object, clause.conditions)
    return Q(id__in=Subquery(HostModule.filter(module_id__in=module_ids).values("host_id")))


def _ip_q(ip_filter: IpFilter) -> Q:
    if len(ip_filter.ips) > _MAX_IPS:
        raise ValidationFailed(f"at most {_MAX_IPS} IPs per search", field="ip")
    if not ip_filter.exact and len(ip_filter.ips) > _MAX_FUZZY_IPS:
        raise ValidationFailed(f"at most {_MAX_FUZZY_IPS} IPs per fuzzy (exact: 0) search", field="ip")
    columns = [c for c, wanted in (("inner_ip", ip_filter.inner), ("outer_ip", ip_filter.outer)) if wanted]
    if not columns:
        raise ValidationFailed("ip.flag must name bk_host_innerip and/or bk_host_outerip", field="ip.flag")
    q = Q(join_type=Q.OR)
    for column in columns:
        if ip_filter.exact:
            q |= Q(**lookup(f"{column}__in", ip_filter.ips))
        else:
            for ip in ip_filter.ips:
                q |= Q(**{f"{column}__contains": ip})
    return q


async def search_hosts(
    principal: Principal,
    *,
    business_id: int | None,
    clauses: list[ObjectClause],
    ip_filter: IpFilter | None,
    start: int,
    limit: int,
    sort: str | None,
    pattern: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    check_page(start, limit)
    query = await host_query(principal, business_id=business_id, clauses=clauses, ip_filter=ip_filter, pattern=pattern)
    total = await query.count()
    rows = await query.order_by(*sort_columns("host", sort)).offset(start).limit(limit).values()
    return total, rows


# `pattern` ("按表达式搜索"): bk-cmdb declares the field and never reads it. Here it is what its
# name promises to a user: a case-insensitive substring of any of these host properties.
PATTERN_COLUMNS = ("inner_ip", "outer_ip", "host_name", "os_name", "sn", "comment", "operator", "bak_operator")
_MAX_PATTERN = 256


def pattern_q(pattern: str) -> Q:
    text = pattern.strip()
    if len(text) > _MAX_PATTERN:
        raise ValidationFailed(f"pattern is longer than {_MAX_PATTERN} characters", field="pattern")
    return Q(*(Q(**lookup(f"{column}__icontains", text)) for column in PATTERN_COLUMNS), join_type=Q.OR)


async def host_query(
    principal: Principal,
    *,
    business_id: int | None,
    clauses: list[ObjectClause],
    ip_filter: IpFilter | None,
    pattern: str | None = None,
) -> Any:
    """The (unpaged) host queryset of a search_host body, within the caller's businesses."""
    query = Host.all()
    if business_id is not None:
        await get_business(principal, business_id)
        query = query.filter(business_id=business_id)
    else:
        visible = principal.visible_business_ids()
        if visible is not None:
            query = query.filter(business_id__in=visible)
    host_conditions: list[Condition] = []
    for clause in clauses:
        if clause.object == "host":
            host_conditions.extend(clause.conditions)
        elif clause.conditions:
            query = query.filter(_clause_q(clause))
    if host_conditions:
        query = compile_conditions("host", Host._meta.db_table, host_conditions).apply(query)
    if ip_filter is not None and ip_filter.ips:
        query = query.filter(_ip_q(ip_filter))
    if pattern and pattern.strip():
        query = query.filter(pattern_q(pattern))
    return query


@dataclass
class HostListFilter:
    """The typed filter of the `hosts` connection; every given part narrows the result."""

    business_id: int | None = None
    inner_ips: list[str] | None = None
    ip_contains: str | None = None
    host_name_contains: str | None = None
    os_type: str | None = None
    module_ids: list[int] | None = None
    set_ids: list[int] | None = None
    cloud_area_id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


async def filtered_hosts(principal: Principal, spec: HostListFilter) -> Any:
    """A host queryset (unpaged) honouring the filter and the caller's businesses."""
    query = Host.all()
    if spec.business_id is not None:
        await get_business(principal, spec.business_id)
        query = query.filter(business_id=spec.business_id)
    else:
        visible = principal.visible_business_ids()
        if visible is not None:
            query = query.filter(business_id__in=visible)
    if spec.inner_ips:
        query = query.filter(inner_ip__in=spec.inner_ips)
    if spec.ip_contains:
        query = query.filter(Q(inner_ip__contains=spec.ip_contains) | Q(outer_ip__contains=spec.ip_contains))
    if spec.host_name_contains:
        query = query.filter(host_name__icontains=spec.host_name_contains)
    if spec.os_type is not None:
        query = query.filter(os_type=spec.os_type)
    if spec.cloud_area_id is not None:
        query = query.filter(cloud_area_id=spec.cloud_area_id)
    if spec.module_ids:
        query = query.filter(id__in=Subquery(HostModule.filter(module_id__in=spec.module_ids).values("host_id")))
    if spec.set_ids:
        in_sets = HostModule.filter(module__set_id__in=spec.set_ids).values("host_id")
        query = query.filter(id__in=Subquery(in_sets))
    if spec.attributes:
        conditions = [Condition(key, "$eq", value) for key, value in spec.attributes.items()]
        query = compile_conditions("host", Host._meta.db_table, conditions).apply(query)
    return query

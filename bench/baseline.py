"""The baseline: the same GraphQL shape built by hand with graphql-core over plain dicts.

No ORM, no DataLoaders, no extensions, no auth: every field resolves from a dict in memory, so
the figure is what graphql-core alone costs for the same query text and the same data. Field names
and argument shapes mirror OpsGraph's SDL for the parts the benchmark queries touch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
)

Row = dict[str, Any]

# bk property ids of the built-in columns the search touches → keys of the host dicts.
_HOST_PROPERTIES = {"bk_host_id": "bkHostId", "bk_host_innerip": "innerIp", "bk_os_type": "osType"}
_HOST_PROPERTIES |= {"bk_host_name": "hostName"}
_OBJECT_PROPERTIES = {("set", "bk_set_name"): "setName", ("module", "bk_module_name"): "moduleName"}


def _non_null(kind: Any) -> GraphQLNonNull[Any]:
    return GraphQLNonNull(kind)


def _list_of(kind: Any) -> GraphQLNonNull[Any]:
    return _non_null(GraphQLList(_non_null(kind)))


def _page_args() -> dict[str, GraphQLArgument]:
    return {"first": GraphQLArgument(_non_null(GraphQLInt)), "after": GraphQLArgument(GraphQLString)}


def _connection(name: str, node: GraphQLObjectType) -> GraphQLObjectType:
    return GraphQLObjectType(f"{name}Connection", {"nodes": GraphQLField(_list_of(node))})


def _children(key: str) -> Callable[..., Row]:
    """A connection over a dict's child list; cursors are not used by the benchmark queries."""

    def resolve(parent: Row, info: GraphQLResolveInfo[Any], first: int, after: str | None = None) -> Row:
        return {"nodes": parent[key][:first]}

    return resolve


def _topology_types() -> tuple[GraphQLObjectType, GraphQLObjectType]:
    """(Business, Host): Business → Set → Module → Host, leaf fields by the default (dict key) resolver."""
    host = GraphQLObjectType(
        "Host",
        {
            "bkHostId": GraphQLField(_non_null(GraphQLInt)),
            "innerIp": GraphQLField(_non_null(GraphQLString)),
            "osType": GraphQLField(_non_null(GraphQLString)),
            "hostName": GraphQLField(_non_null(GraphQLString)),
        },
    )
    module = GraphQLObjectType(
        "Module",
        {
            "name": GraphQLField(_non_null(GraphQLString)),
            "hosts": GraphQLField(_non_null(_connection("Host", host)), _page_args(), resolve=_children("hosts")),
        },
    )
    set_type = GraphQLObjectType(
        "Set",
        {
            "name": GraphQLField(_non_null(GraphQLString)),
            "modules": GraphQLField(_non_null(_connection("Module", module)), _page_args(), _children("modules")),
        },
    )
    business = GraphQLObjectType(
        "Business",
        {
            "name": GraphQLField(_non_null(GraphQLString)),
            "sets": GraphQLField(_non_null(_connection("Set", set_type)), _page_args(), _children("sets")),
        },
    )
    return business, host


def _search_input() -> GraphQLInputObjectType:
    json_scalar = GraphQLScalarType("JSON")  # identity in and out: values arrive as variables
    condition = GraphQLInputObjectType(
        "ConditionInput",
        {
            "field": GraphQLInputField(_non_null(GraphQLString)),
            "operator": GraphQLInputField(_non_null(GraphQLString)),
            "value": GraphQLInputField(json_scalar),
        },
    )
    clause = GraphQLInputObjectType(
        "ObjectClauseInput",
        {
            "object": GraphQLInputField(_non_null(GraphQLString)),
            "conditions": GraphQLInputField(_list_of(condition), default_value=[]),
        },
    )
    page = GraphQLInputObjectType(
        "OffsetPageInput",
        {
            "start": GraphQLInputField(_non_null(GraphQLInt), default_value=0),
            "limit": GraphQLInputField(_non_null(GraphQLInt), default_value=20),
            "sort": GraphQLInputField(GraphQLString),
        },
    )
    return GraphQLInputObjectType(
        "SearchHostsInput",
        {
            "businessId": GraphQLInputField(GraphQLID),
            "clauses": GraphQLInputField(_list_of(clause), default_value=[]),
            "page": GraphQLInputField(_non_null(page), default_value={"start": 0, "limit": 20}),
        },
    )


def _host_value(host: Row, obj: str, field: str) -> Any:
    if obj == "host":
        key = _HOST_PROPERTIES.get(field)
        return host[key] if key else host["attributes"].get(field)
    return host[_OBJECT_PROPERTIES[(obj, field)]]


def _matches(value: Any, operator: str, wanted: Any) -> bool:
    """bk semantics: `$ne`/`$nin` also match hosts that lack the property (value None)."""
    if operator == "$eq":
        return bool(value == wanted)
    if operator in {"$ne", "$neq"}:
        return bool(value != wanted)
    if operator == "$in":
        return value in wanted
    if operator == "$nin":
        return value not in wanted
    raise ValueError(f"baseline does not implement {operator}")


def search_hosts(hosts: list[Row], search: Mapping[str, Any]) -> Row:
    """Filter the host dicts (kept sorted by bkHostId) and cut one offset page."""
    checks = [
        (clause["object"], c["field"], c["operator"], c.get("value"))
        for clause in search["clauses"]
        for c in clause["conditions"]
    ]
    found = [h for h in hosts if all(_matches(_host_value(h, o, f), op, v) for o, f, op, v in checks)]
    start, limit = search["page"]["start"], search["page"]["limit"]
    return {"count": len(found), "items": found[start : start + limit]}


def _business_filter() -> GraphQLInputObjectType:
    return GraphQLInputObjectType(
        "BusinessFilter",
        {
            "name": GraphQLInputField(GraphQLString),
            "nameContains": GraphQLInputField(GraphQLString),
            "includeDisabled": GraphQLInputField(_non_null(GraphQLBoolean), default_value=False),
        },
    )


def _resolve_businesses(root: Row, info: GraphQLResolveInfo[Any], first: int, **args: Any) -> Row:
    wanted = (args.get("filter") or {}).get("name")
    return {"nodes": [b for b in root["businesses"] if wanted is None or b["name"] == wanted][:first]}


def _resolve_search(root: Row, info: GraphQLResolveInfo[Any], input: Mapping[str, Any]) -> Row:
    return search_hosts(root["searchHosts"], input)


def build_schema() -> GraphQLSchema:
    business, host = _topology_types()
    search_result = GraphQLObjectType(
        "HostSearchResult", {"count": GraphQLField(_non_null(GraphQLInt)), "items": GraphQLField(_list_of(host))}
    )
    page_args = _page_args() | {"filter": GraphQLArgument(_business_filter())}
    query = GraphQLObjectType(
        "Query",
        {
            "businesses": GraphQLField(_non_null(_connection("Business", business)), page_args, _resolve_businesses),
            "searchHosts": GraphQLField(
                _non_null(search_result),
                {"input": GraphQLArgument(_non_null(_search_input()))},
                _resolve_search,
            ),
        },
    )
    return GraphQLSchema(query)

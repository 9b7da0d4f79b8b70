"""Building topology through the public GraphQL API, for tests that need some estate to act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.support.server import GraphQLClient

CREATE_BUSINESS = """
mutation($name: String!) {
  createBusiness(input: {name: $name, maintainer: "admin"}) {
    business { id bkBizId idlePool { id bkSetId modules(first: 3) { nodes { id bkModuleId builtin } } } }
    errors { code field message }
  }
}"""
CREATE_SET = """
mutation($b: ID!, $name: String!) {
  createSet(input: {businessId: $b, name: $name}) { set { id bkSetId } errors { code message } }
}"""
CREATE_MODULE = """
mutation($b: ID!, $s: ID!, $name: String!) {
  createModule(input: {businessId: $b, setId: $s, name: $name}) { module { id bkModuleId } errors { code message } }
}"""
ADD_HOSTS = """
mutation($hosts: [NewHostInput!]!, $b: ID) {
  addHostsToResourcePool(input: {hosts: $hosts, businessId: $b}) {
    hosts { id bkHostId innerIp } errors { code message }
  }
}"""
TRANSFER = """
mutation($b: ID!, $h: [ID!]!, $m: [ID!]!, $append: Boolean!) {
  transferHostsToModules(input: {businessId: $b, hostIds: $h, moduleIds: $m, append: $append}) {
    hosts { id } errors { code field message }
  }
}"""


def _payload(data: dict[str, Any], name: str) -> dict[str, Any]:
    payload = data[name]
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


@dataclass
class Business:
    id: str
    bk_biz_id: int
    idle_module: str
    fault_module: str
    recycle_module: str
    idle_set: str
    sets: dict[str, str] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)


def create_business(gql: GraphQLClient, name: str) -> Business:
    business = _payload(gql.ok(CREATE_BUSINESS, {"name": name}), "createBusiness")["business"]
    builtin = {m["builtin"]: m["id"] for m in business["idlePool"]["modules"]["nodes"]}
    return Business(
        id=business["id"],
        bk_biz_id=business["bkBizId"],
        idle_module=builtin["IDLE"],
        fault_module=builtin["FAULT"],
        recycle_module=builtin["RECYCLE"],
        idle_set=business["idlePool"]["id"],
    )


def create_set(gql: GraphQLClient, business: Business, name: str) -> str:
    set_id: str = _payload(gql.ok(CREATE_SET, {"b": business.id, "name": name}), "createSet")["set"]["id"]
    business.sets[name] = set_id
    return set_id


def create_module(gql: GraphQLClient, business: Business, set_name: str, name: str) -> str:
    variables = {"b": business.id, "s": business.sets[set_name], "name": name}
    module_id: str = _payload(gql.ok(CREATE_MODULE, variables), "createModule")["module"]["id"]
    business.modules[name] = module_id
    return module_id


def add_hosts(gql: GraphQLClient, ips: list[str], business: Business | None = None, **properties: Any) -> list[str]:
    hosts = [{"innerIp": ip, **properties} for ip in ips]
    variables = {"hosts": hosts, "b": business.id if business else None}
    created = _payload(gql.ok(ADD_HOSTS, variables), "addHostsToResourcePool")["hosts"]
    return [h["id"] for h in created]


def place_hosts(gql: GraphQLClient, business: Business, host_ids: list[str], module_ids: list[str]) -> None:
    variables = {"b": business.id, "h": host_ids, "m": module_ids, "append": False}
    _payload(gql.ok(TRANSFER, variables), "transferHostsToModules")


@dataclass
class Estate:
    """A business built by `build_estate`: its sets/modules (in `business`) and hosts per module name."""

    business: Business
    name: str
    hosts_by_module: dict[str, list[str]] = field(default_factory=dict)
    ips_by_module: dict[str, list[str]] = field(default_factory=dict)

    @property
    def host_count(self) -> int:
        return sum(len(ids) for ids in self.hosts_by_module.values())


def build_estate(
    gql: GraphQLClient,
    name: str,
    ips: list[str],
    *,
    sets: int,
    modules_per_set: int,
    hosts_per_module: int,
    import_batch: int = 250,
    **host_properties: Any,
) -> Estate:
    """A business with `sets` × `modules_per_set` ordinary modules, each holding `hosts_per_module` hosts.

    Sets are named `<name>-s<i>`, modules `<name>-s<i>-m<j>` (unique in the business). Hosts are imported
    straight into the business, `import_batch` per call (larger single imports currently fail, see
    tests/graphql/test_limits.py::test_host_import_accepts_the_documented_batch_size), then moved module
    by module (each host in exactly one module).
    `ips` must hold exactly sets × modules_per_set × hosts_per_module unused addresses.
    """
    wanted = sets * modules_per_set * hosts_per_module
    assert len(ips) == wanted, f"need {wanted} IPs, got {len(ips)}"
    business = create_business(gql, name)
    module_names: list[str] = []
    for i in range(sets):
        set_name = f"{name}-s{i}"
        create_set(gql, business, set_name)
        for j in range(modules_per_set):
            module_name = f"{set_name}-m{j}"
            create_module(gql, business, set_name, module_name)
            module_names.append(module_name)
    host_ids: list[str] = []
    for start in range(0, len(ips), import_batch):
        host_ids += add_hosts(gql, ips[start : start + import_batch], business, **host_properties)
    estate = Estate(business=business, name=name)
    for index, module_name in enumerate(module_names):
        chunk = slice(index * hosts_per_module, (index + 1) * hosts_per_module)
        place_hosts(gql, business, host_ids[chunk], [business.modules[module_name]])
        estate.hosts_by_module[module_name] = host_ids[chunk]
        estate.ips_by_module[module_name] = ips[chunk]
    return estate


def global_id(type_name: str, pk: int) -> str:
    """A `Node` id as the server encodes it (unpadded base64url of "Type:pk"), for malformed-id tests."""
    import base64

    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def resource_pool(gql: GraphQLClient) -> Business:
    """The built-in resource-pool business (bk-cmdb `default=1`)."""
    document = """
    query { searchBusinesses(input: {equals: {default: 1}, includeDisabled: true}) {
      items { id bkBizId isResourcePool idlePool { id modules(first: 3) { nodes { id builtin } } } }
    } }"""
    (pool,) = gql.ok(document)["searchBusinesses"]["items"]
    assert pool["isResourcePool"] is True
    builtin = {m["builtin"]: m["id"] for m in pool["idlePool"]["modules"]["nodes"]}
    return Business(
        id=pool["id"],
        bk_biz_id=pool["bkBizId"],
        idle_module=builtin["IDLE"],
        fault_module=builtin["FAULT"],
        recycle_module=builtin["RECYCLE"],
        idle_set=pool["idlePool"]["id"],
    )


def run_mutation(gql: GraphQLClient, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The payload of a one-field mutation; a GraphQL-level error (not a UserError) fails the test."""
    (payload,) = gql.ok(document, variables).values()
    result: dict[str, Any] = payload
    return result


def mutate_ok(gql: GraphQLClient, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a one-field mutation and assert it reported no UserError."""
    payload = run_mutation(gql, document, variables)
    assert payload["errors"] == [], payload["errors"]
    return payload


def mutate_refused(
    gql: GraphQLClient, document: str, variables: dict[str, Any] | None, code: str | set[str]
) -> dict[str, Any]:
    """Run a one-field mutation that must fail with one UserError of `code` (or one of `code`) and no result."""
    payload = run_mutation(gql, document, variables)
    assert len(payload["errors"]) == 1, payload
    error: dict[str, Any] = payload["errors"][0]
    assert error["code"] in ({code} if isinstance(code, str) else code), error
    assert error["message"], error
    for key, value in payload.items():
        if key != "errors":
            assert value in (None, [], 0), f"refused mutation still returned {key}={value!r}"
    return error


def host_placements(gql: GraphQLClient, host_ids: list[str]) -> dict[str, tuple[int, list[str]] | None]:
    """host id → (bkBizId, sorted module ids), or None when the host no longer exists."""
    result: dict[str, tuple[int, list[str]] | None] = {}
    for offset in range(0, len(host_ids), 20):
        chunk = host_ids[offset : offset + 20]
        params = ", ".join(f"$h{i}: ID!" for i in range(len(chunk)))
        fields = " ".join(
            f"h{i}: node(id: $h{i}) {{ ... on Host {{ bkBizId modules {{ id }} }} }}" for i in range(len(chunk))
        )
        data = gql.ok(f"query({params}) {{ {fields} }}", {f"h{i}": h for i, h in enumerate(chunk)})
        for i, host_id in enumerate(chunk):
            node = data[f"h{i}"]
            result[host_id] = None if node is None else (node["bkBizId"], sorted(m["id"] for m in node["modules"]))
    return result


def operation_log(gql: GraphQLClient, **filter_: Any) -> list[dict[str, Any]]:
    """Operation-log entries matching `filter_` (OperationLogFilter fields), newest first."""
    document = """
    query($f: OperationLogFilter) { operationLog(filter: $f, limit: 500) {
      items { id opType opTarget opDesc operator bkBizId instId extKey preData curData }
    } }"""
    items: list[dict[str, Any]] = gql.ok(document, {"f": filter_})["operationLog"]["items"]
    return items

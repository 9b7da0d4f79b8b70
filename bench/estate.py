"""Building the benchmark estate through the public GraphQL API (as a client would), and keeping
what was built as plain records so the baselines serve exactly the same data.

Each business gets `sets × modules_per_set` ordinary modules; hosts are imported straight into the
business (≤ 2,000 per call, the API's limit) and then moved, an equal slice per module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.client import GraphQLError, HttpClient, Reply

HOSTS_PER_CALL = 2000  # MAX_HOSTS_PER_CALL of the host mutations
_SMALLEST_BATCH = 50

CREATE_BUSINESS = """
mutation($name: String!) {
  createBusiness(input: {name: $name, maintainer: "admin"}) { business { id bkBizId } errors { code message } }
}"""
CREATE_SET = """
mutation($b: ID!, $name: String!) {
  createSet(input: {businessId: $b, name: $name}) { set { id } errors { code message } }
}"""
CREATE_MODULE = """
mutation($b: ID!, $s: ID!, $name: String!) {
  createModule(input: {businessId: $b, setId: $s, name: $name}) { module { id } errors { code message } }
}"""
ADD_HOSTS = """
mutation($hosts: [NewHostInput!]!, $b: ID) {
  addHostsToResourcePool(input: {hosts: $hosts, businessId: $b}) {
    hosts { id bkHostId innerIp } errors { code message }
  }
}"""
ENV_ATTRIBUTES = 'query { objectAttributes(bkObjId: "host") { propertyId } }'
DECLARE_ENV = """
mutation {
  createObjectAttribute(input: {bkObjId: "host", propertyId: "env", name: "env", type: "singlechar"}) {
    attribute { propertyId } errors { code message }
  }
}"""
TRANSFER = """
mutation($b: ID!, $h: [ID!]!, $m: [ID!]!) {
  transferHostsToModules(input: {businessId: $b, hostIds: $h, moduleIds: $m, append: false}) {
    hosts { id } errors { code message }
  }
}"""


@dataclass(frozen=True)
class HostRecord:
    bk_host_id: int
    inner_ip: str
    host_name: str
    os_type: str
    env: str | None  # None: the host has no `env` attribute at all (bk `$ne` must still match it)
    set_name: str
    module_name: str


@dataclass
class Estate:
    name: str
    business_id: str = ""
    bk_biz_id: int = 0
    module_ids: list[tuple[str, str, str]] = field(default_factory=list)  # (set name, module name, id)
    hosts: list[HostRecord] = field(default_factory=list)
    host_batch: int = 0  # the largest addHostsToResourcePool call that succeeded
    notes: list[str] = field(default_factory=list)
    # Per mutation name: calls, seconds and SQL statements, the write-path figures of the set-up report.
    calls: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # X-SQL-Rows: a bulk insert counts each row

    def book(self, mutation: str, reply: Reply) -> None:
        self.calls[mutation] = self.calls.get(mutation, 0) + 1
        self.seconds[mutation] = self.seconds.get(mutation, 0.0) + reply.elapsed_ms / 1000
        self.statements[mutation] = self.statements.get(mutation, 0) + (reply.sql_count or 0)
        self.rows[mutation] = self.rows.get(mutation, 0) + (reply.sql_rows or 0)

    def timings(self) -> list[str]:
        lines = []
        for name, calls in self.calls.items():
            ms, sql, rows = 1000 * self.seconds[name] / calls, self.statements[name] / calls, self.rows[name] / calls
            lines.append(f"{name}: {calls}× {ms:.0f} ms, {sql:.0f} SQL statements ({rows:.0f} rows) per call")
        return lines


@dataclass(frozen=True)
class EstateSpec:
    name: str
    ip_block: int  # second octet of the 10.x.y.z addresses, distinct per estate
    sets: int = 10
    modules_per_set: int = 10
    hosts: int = 1000


def mutate(client: HttpClient, estate: Estate, document: str, mutation: str, variables: dict[str, Any]) -> Any:
    """Run one mutation, book its time under its name, and return its payload (no user errors)."""
    reply = client.graphql(document, variables)
    estate.book(mutation, reply)
    result = reply.body["data"][mutation]
    if result["errors"]:
        raise RuntimeError(f"{mutation} failed: {result['errors']}")
    return result


def host_input(spec: EstateSpec, index: int) -> dict[str, Any]:
    """Deterministic variety: two OS types, env prod/dev, and every fifth host without `env`."""
    env = None if index % 5 == 0 else ("prod" if index % 2 == 0 else "dev")
    return {
        "innerIp": f"10.{spec.ip_block}.{index >> 8}.{index & 255}",
        "hostName": f"{spec.name}-h{index:05d}",
        "osType": "1" if index % 3 else "2",
        "attributes": {"env": env} if env is not None else {},
    }


def create_topology(client: HttpClient, spec: EstateSpec) -> Estate:
    estate = Estate(spec.name)
    business = mutate(client, estate, CREATE_BUSINESS, "createBusiness", {"name": spec.name})["business"]
    estate.business_id, estate.bk_biz_id = business["id"], business["bkBizId"]
    for s in range(spec.sets):
        set_name = f"set-{s:02d}"
        variables = {"b": estate.business_id, "name": set_name}
        set_id = mutate(client, estate, CREATE_SET, "createSet", variables)["set"]["id"]
        for m in range(spec.modules_per_set):
            module_name = f"module-{s:02d}-{m:02d}"
            variables = {"b": estate.business_id, "s": set_id, "name": module_name}
            module_id = mutate(client, estate, CREATE_MODULE, "createModule", variables)["module"]["id"]
            estate.module_ids.append((set_name, module_name, module_id))
    return estate


def add_batch(client: HttpClient, estate: Estate, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    variables = {"hosts": inputs, "b": estate.business_id}
    created: list[dict[str, Any]] = mutate(client, estate, ADD_HOSTS, "addHostsToResourcePool", variables)["hosts"]
    return created


def import_hosts(client: HttpClient, spec: EstateSpec, estate: Estate) -> list[tuple[str, int, dict[str, Any]]]:
    """Returns (global id, bk_host_id, input) per host, in input order.

    Batches start at the API's limit. A batch the server fails on (an internal error; the mutation
    is one transaction, so nothing was written) is halved and retried, and that is noted: the
    benchmark still runs, and the report shows the product could not take its own limit.
    """
    imported: list[tuple[str, int, dict[str, Any]]] = []
    batch, start = HOSTS_PER_CALL, 0
    while start < spec.hosts:
        inputs = [host_input(spec, i) for i in range(start, min(start + batch, spec.hosts))]
        try:
            created = add_batch(client, estate, inputs)
        except GraphQLError as exc:
            if len(inputs) <= _SMALLEST_BATCH:
                raise
            estate.notes.append(f"{spec.name}: addHostsToResourcePool with {len(inputs)} hosts failed: {exc}")
            batch = len(inputs) // 2
            continue
        by_ip = {h["innerIp"]: h for h in created}
        imported.extend((by_ip[i["innerIp"]]["id"], by_ip[i["innerIp"]]["bkHostId"], i) for i in inputs)
        estate.host_batch = max(estate.host_batch, len(inputs))
        start += len(inputs)
    return imported


def place_hosts(client: HttpClient, estate: Estate, imported: list[tuple[str, int, dict[str, Any]]]) -> None:
    """Contiguous equal slices, one transfer call per module."""
    per_module = -(-len(imported) // len(estate.module_ids))
    for slot, (set_name, module_name, module_id) in enumerate(estate.module_ids):
        chunk = imported[slot * per_module : (slot + 1) * per_module]
        if not chunk:
            continue
        variables = {"b": estate.business_id, "h": [gid for gid, _, _ in chunk], "m": [module_id]}
        mutate(client, estate, TRANSFER, "transferHostsToModules", variables)
        estate.hosts.extend(
            HostRecord(
                bk_host_id=bk_id,
                inner_ip=given["innerIp"],
                host_name=given["hostName"],
                os_type=given["osType"],
                env=given["attributes"].get("env"),
                set_name=set_name,
                module_name=module_name,
            )
            for _, bk_id, given in chunk
        )


def declare_env(client: HttpClient) -> None:
    """Hosts carry the custom attribute `env`; the host model must declare it (once per database)."""
    declared = {row["propertyId"] for row in client.data(ENV_ATTRIBUTES)["objectAttributes"]}
    if "env" not in declared:
        errors = client.data(DECLARE_ENV)["createObjectAttribute"]["errors"]
        if errors:
            raise RuntimeError(f"declaring host.env failed: {errors}")


def build_estate(client: HttpClient, spec: EstateSpec) -> Estate:
    declare_env(client)
    estate = create_topology(client, spec)
    place_hosts(client, estate, import_hosts(client, spec, estate))
    return estate

"""GraphQL operations and helpers shared by the topology mutation tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.support.server import GraphQLClient
from tests.support.topology import (
    Business,
    mutate_ok,
    operation_log,
)

ERRORS = "errors { code field message }"
HOST_FIELDS = "id bkHostId innerIp outerIp hostName osType cpu attributes bkBizId modules { id }"

CREATE_BUSINESS = f"""
mutation($input: CreateBusinessInput!) {{ createBusiness(input: $input) {{
  business {{ id bkBizId name maintainer enabled isResourcePool attributes
    idlePool {{ id name isBuiltin modules(first: 10) {{ nodes {{ id name builtin }} }} }}
    sets(first: 10) {{ totalCount }} }}
  {ERRORS} }} }}"""
UPDATE_BUSINESS = f"""
mutation($input: UpdateBusinessInput!) {{ updateBusiness(input: $input) {{
  business {{ id name maintainer attributes }} {ERRORS} }} }}"""
SET_BUSINESS_ENABLED = f"""
mutation($input: SetBusinessEnabledInput!) {{ setBusinessEnabled(input: $input) {{
  business {{ id enabled }} {ERRORS} }} }}"""
DELETE_BUSINESS = f"""
mutation($input: DeleteBusinessInput!) {{ deleteBusiness(input: $input) {{ deletedId {ERRORS} }} }}"""
CREATE_SET = f"""
mutation($input: CreateSetInput!) {{ createSet(input: $input) {{
  set {{ id bkSetId bkBizId name isBuiltin setEnv capacity description attributes business {{ id }} }}
  {ERRORS} }} }}"""
UPDATE_SET = f"""
mutation($input: UpdateSetInput!) {{ updateSet(input: $input) {{
  set {{ id name capacity description attributes }} {ERRORS} }} }}"""
DELETE_SETS = f"""
mutation($input: DeleteSetsInput!) {{ deleteSets(input: $input) {{ deletedIds {ERRORS} }} }}"""
CREATE_MODULE = f"""
mutation($input: CreateModuleInput!) {{ createModule(input: $input) {{
  module {{ id bkModuleId name builtin moduleType operator attributes set {{ id }} business {{ id }} }}
  {ERRORS} }} }}"""
UPDATE_MODULE = f"""
mutation($input: UpdateModuleInput!) {{ updateModule(input: $input) {{
  module {{ id name operator attributes }} {ERRORS} }} }}"""
DELETE_MODULE = f"""
mutation($input: DeleteModuleInput!) {{ deleteModule(input: $input) {{ deletedId {ERRORS} }} }}"""
ADD_HOSTS = f"""
mutation($input: AddHostsToResourcePoolInput!) {{ addHostsToResourcePool(input: $input) {{
  hosts {{ {HOST_FIELDS} }} {ERRORS} }} }}"""
UPDATE_HOSTS = f"""
mutation($input: UpdateHostsInput!) {{ updateHosts(input: $input) {{ hosts {{ {HOST_FIELDS} }} {ERRORS} }} }}"""
DELETE_HOSTS = f"""
mutation($input: DeleteHostsInput!) {{ deleteHosts(input: $input) {{ deletedIds {ERRORS} }} }}"""
CLONE_HOST_PROPERTIES = f"""
mutation($input: CloneHostPropertiesInput!) {{ cloneHostProperties(input: $input) {{
  hosts {{ {HOST_FIELDS} }} {ERRORS} }} }}"""
LOCK_HOSTS = f"""
mutation($input: HostLocksInput!) {{ lockHosts(input: $input) {{ ips {ERRORS} }} }}"""
UNLOCK_HOSTS = f"""
mutation($input: HostLocksInput!) {{ unlockHosts(input: $input) {{ ips {ERRORS} }} }}"""
HOST_LOCKS = """query($ips: [String!]!) { hostLocks(ips: $ips) { ip locked } }"""
TRANSFER = f"""
mutation($input: TransferHostsToModulesInput!) {{ transferHostsToModules(input: $input) {{
  hosts {{ id bkBizId modules {{ id }} }} {ERRORS} }} }}"""
TO_BUILTIN = f"""
mutation($input: TransferHostsToBuiltinModuleInput!) {{ transferHostsToBuiltinModule(input: $input) {{
  hosts {{ id bkBizId modules {{ id builtin }} }} {ERRORS} }} }}"""
ASSIGN = f"""
mutation($input: MoveHostsBetweenPoolInput!) {{ assignHostsToBusiness(input: $input) {{
  hosts {{ id bkBizId modules {{ id }} }} {ERRORS} }} }}"""
RETURN = f"""
mutation($input: MoveHostsBetweenPoolInput!) {{ returnHostsToResourcePool(input: $input) {{
  hosts {{ id bkBizId modules {{ id }} }} {ERRORS} }} }}"""
EMPTY_TO_IDLE = f"""
mutation($input: EmptyHostsToIdleModuleInput!) {{ emptyHostsToIdleModule(input: $input) {{
  movedCount {ERRORS} }} }}"""

BUSINESS_STATE = """
query($id: ID!) { node(id: $id) { ... on Business {
  id name maintainer enabled attributes
  sets(first: 50) { nodes { id name isBuiltin setEnv capacity description attributes
    modules(first: 50) { nodes { id name builtin moduleType operator attributes } } } }
} } }"""
HOST_STATE = f"""query($id: ID!) {{ node(id: $id) {{ ... on Host {{ {HOST_FIELDS} }} }} }}"""
LEGACY_ID = """
query($id: ID!) { node(id: $id) {
  ... on Business { n: bkBizId } ... on Set { n: bkSetId } ... on Module { n: bkModuleId } ... on Host { n: bkHostId }
} }"""
BUSINESS_COUNT = """query { businesses(first: 1, filter: {includeDisabled: true}) { totalCount } }"""
HOST_COUNT = """query($ips: [String!]!) { hosts(first: 1, filter: {innerIps: $ips}) { totalCount } }"""


# --- helpers -------------------------------------------------------------------------------------


def business_state(gql: GraphQLClient, business_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = gql.ok(BUSINESS_STATE, {"id": business_id})["node"]
    return node


def host_state(gql: GraphQLClient, host_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = gql.ok(HOST_STATE, {"id": host_id})["node"]
    return node


def legacy_id(gql: GraphQLClient, node_id: str) -> int:
    number: int = gql.ok(LEGACY_ID, {"id": node_id})["node"]["n"]
    return number


def business_count(gql: GraphQLClient) -> int:
    total: int = gql.ok(BUSINESS_COUNT)["businesses"]["totalCount"]
    return total


def hosts_with_ips(gql: GraphQLClient, ips: list[str]) -> int:
    total: int = gql.ok(HOST_COUNT, {"ips": ips})["hosts"]["totalCount"]
    return total


def ips(allocator: Iterator[str], count: int) -> list[str]:
    return [next(allocator) for _ in range(count)]


def node_exists(gql: GraphQLClient, node_id: str) -> bool:
    return gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})["node"] is not None


def transfer(gql: GraphQLClient, business: Business, hosts: list[str], modules: list[str], append: bool) -> None:
    variables = {"businessId": business.id, "hostIds": hosts, "moduleIds": modules, "append": append}
    mutate_ok(gql, TRANSFER, {"input": variables})


def logged(gql: GraphQLClient, op_type: str, op_target: str, bk_biz_id: int, inst_id: int) -> list[dict[str, Any]]:
    entries = operation_log(gql, opType=op_type, opTarget=op_target, bkBizId=bk_biz_id, instId=inst_id)
    assert entries, f"no {op_type} {op_target} entry for business {bk_biz_id} instance {inst_id}"
    for entry in entries:
        assert entry["operator"] == "admin"
        assert (entry["opType"], entry["opTarget"], entry["bkBizId"], entry["instId"]) == (
            op_type,
            op_target,
            bk_biz_id,
            inst_id,
        )
    return entries

"""IP-type global variables of job templates (bk-job global variable type 2).

A template variable whose value is `{"ip_list": [{"ip": "10.0.0.1", "bk_cloud_id": 0}, …]}` is a
list of hosts rather than text. Script and file steps name it as their targets
(`config.target_variable`); a run may give it other hosts (`runJob(variables:)`, bk execute_job
`global_vars[].ip_list`), and the hosts are looked up when the run starts, duplicates merged.
`${name}` substitution in scripts applies to string variables only.

`custom_query_id` names dynamic groups (bk-cmdb custom queries) whose hosts the variable also
stands for; like `ip_list` hosts, they are resolved when the run starts, so a run follows the CMDB.

Example:
    value = check_ip_variable("web", {"ip_list": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.1", "bk_cloud_id": 0}]})
    variable_targets(value)  # ([HostAddress("10.0.0.1", 0)], None): one host, duplicates merged
    variable_targets(check_ip_variable("db", {"custom_query_id": ["bq4c8"]}))  # ([], ["bq4c8"])
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.tasks.targets import MAX_TARGETS, HostAddress

IP_LIST = "ip_list"
DYNAMIC_GROUPS = "custom_query_id"
MAX_DYNAMIC_GROUPS = 50


def is_ip_variable(value: Any) -> bool:
    return isinstance(value, dict) and (IP_LIST in value or DYNAMIC_GROUPS in value)


def check_ip_variable(name: str, value: Any, *, field: str = "variables") -> dict[str, Any]:
    """The stored form `{"ip_list": [{"ip", "bk_cloud_id"}, …]}`, duplicates merged; refusals name the variable."""
    if not is_ip_variable(value):
        shape = "{ip_list: [{ip, bk_cloud_id}]}"
        raise ValidationFailed(f"variable {name!r} is an IP variable: give {shape}", field=field)
    unknown = sorted(set(value) - {IP_LIST, DYNAMIC_GROUPS})
    if unknown:
        raise ValidationFailed(f"variable {name!r}: unknown key {unknown[0]!r} (ip_list)", field=field)
    groups = _dynamic_group_ids(name, value.get(DYNAMIC_GROUPS) or [], field)
    items = value.get(IP_LIST) or []
    if not isinstance(items, list) or len(items) > MAX_TARGETS:
        raise ValidationFailed(f"variable {name!r}: ip_list must be a list of at most {MAX_TARGETS} hosts", field=field)
    hosts: dict[tuple[str, int], dict[str, Any]] = {}
    for index, item in enumerate(items):
        ip = item.get("ip") if isinstance(item, dict) else None
        cloud = item.get("bk_cloud_id", 0) if isinstance(item, dict) else None
        if not isinstance(ip, str) or not ip.strip() or len(ip) > 64:
            raise ValidationFailed(f"variable {name!r}: ip_list[{index}] needs an ip", field=field)
        if isinstance(cloud, bool) or not isinstance(cloud, int) or not 0 <= cloud < 2**31:
            message = f"variable {name!r}: ip_list[{index}].bk_cloud_id must be a cloud area id"
            raise ValidationFailed(message, field=field)
        hosts.setdefault((ip.strip(), cloud), {"ip": ip.strip(), "bk_cloud_id": cloud})
    checked: dict[str, Any] = {IP_LIST: list(hosts.values())}
    if groups:
        checked[DYNAMIC_GROUPS] = groups
    return checked


def _dynamic_group_ids(name: str, ids: Any, field: str) -> list[str]:
    """Group ids as given (bk ids or global ids; whether each exists in the business is checked when
    the run resolves them), duplicates merged."""
    if not isinstance(ids, list) or len(ids) > MAX_DYNAMIC_GROUPS:
        message = f"variable {name!r}: custom_query_id must be a list of at most {MAX_DYNAMIC_GROUPS} group ids"
        raise ValidationFailed(message, field=field)
    for index, group_id in enumerate(ids):
        if not isinstance(group_id, str) or not group_id.strip() or len(group_id) > 64:
            raise ValidationFailed(f"variable {name!r}: custom_query_id[{index}] must be a group id", field=field)
    return list(dict.fromkeys(group_id.strip() for group_id in ids))


def variable_targets(value: dict[str, Any]) -> tuple[list[HostAddress], list[str] | None]:
    """(addresses, dynamic group ids) a checked IP variable stands for, resolved by the run when it
    starts (resolve_hosts merges duplicates, across addresses and groups)."""
    addresses = [HostAddress(str(item["ip"]), int(item["bk_cloud_id"])) for item in value.get(IP_LIST) or []]
    return list(dict.fromkeys(addresses)), list(value.get(DYNAMIC_GROUPS) or []) or None


def run_values(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """A run's variables over the template's defaults: IP variables take hosts, string ones text."""
    values = dict(defaults)
    for name, value in given.items():
        if is_ip_variable(defaults.get(name)):
            values[name] = check_ip_variable(name, value)
        elif is_ip_variable(value):
            message = f"variable {name!r} is a string variable: it takes a value, not ip_list"
            raise ValidationFailed(message, field="variables")
        else:
            values[name] = value
    return values


def text_values(values: dict[str, Any]) -> dict[str, Any]:
    """The variables `${name}` may stand for in scripts and paths: every one but the IP variables."""
    return {name: value for name, value in values.items() if not is_ip_variable(value)}

"""Host locks: add_host_lock, delete_host_lock, search_host_lock (the `bk_error_code` envelope).

Hosts are named by inner IP (`ip_list`) within a cloud area (`bk_cloud_id`, default 0). add and
delete answer `data: null`; search answers `{ip: locked}` for every IP asked, and, as in bk-cmdb,
an IP that names no host (or none the caller can see) is simply `false`, not an error. The
schema's `hostLocks` refuses unknown IPs, so search first asks which IPs are hosts.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.host_params import cloud_area_gid, mutation_data, text_list
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

_MAX_IPS = 2000  # the schema's per-call host limit
_PAGE = 500  # the schema's largest connection page


def ip_list(params: Params) -> list[str]:
    ips = text_list(params, "ip_list")
    if len(ips) > _MAX_IPS:
        raise ValidationFailed(f"ip_list takes at most {_MAX_IPS} IPs", field="ip_list")
    for ip in ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError as exc:
            raise ValidationFailed(f"{ip!r} in ip_list is not an IP address", field="ip_list") from exc
    return list(dict.fromkeys(ips))


def _lock_variables(params: Params, principal: Principal) -> dict[str, Any]:
    return {"input": {"ips": ip_list(params), "cloudAreaId": cloud_area_gid(params)}}


async def _known_ips(ips: list[str], cloud: str, principal: Principal, settings: Settings) -> list[str]:
    document = load_operation(__name__, "host_lock_known_ips.graphql")
    known: list[str] = []
    after: str | None = None
    while True:
        variables = {"first": _PAGE, "after": after, "ips": ips, "cloud": cloud}
        page = (await run_operation(document, variables, principal, settings))["hosts"]
        known.extend(node["innerIp"] for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return known
        after = page["pageInfo"]["endCursor"]


@BK_ROUTES.handler("cc", "search_host_lock", envelope="bk_error_code", success_message="success")
async def search_host_lock(params: Params, principal: Principal, settings: Settings) -> dict[str, bool]:
    """Whether each IP's host is locked: `{ip: bool}`."""
    ips = ip_list(params)
    cloud = cloud_area_gid(params)
    locked: dict[str, bool] = {}
    known = await _known_ips(ips, cloud, principal, settings)
    if known:
        document = load_operation(__name__, "host_lock_status.graphql")
        statuses = (await run_operation(document, {"ips": known, "cloud": cloud}, principal, settings))["hostLocks"]
        locked = {status["ip"]: status["locked"] for status in statuses}
    return {ip: locked.get(ip, False) for ip in ips}


for _name, _operation, _payload, _summary in (
    ("add_host_lock", "host_lock.graphql", "lockHosts", "Lock hosts by inner IP (idempotent)"),
    ("delete_host_lock", "host_unlock.graphql", "unlockHosts", "Release host locks by inner IP"),
):
    BK_ROUTES.add(
        BkRoute(
            system="cc",
            name=_name,
            operation=_operation,
            package=__name__,
            to_variables=_lock_variables,
            to_data=mutation_data(_payload, None),
            envelope="bk_error_code",
            success_message="success",  # the doc's bk_error_msg on success
            summary=_summary,
        )
    )

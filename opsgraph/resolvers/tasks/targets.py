"""Which hosts a run targets. (The account it logs in with: resolvers.jobs.accounts.resolve_account.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.models.topology import Host
from opsgraph.resolvers.cmdb_groups.groups import host_ids_of_groups
from opsgraph.resolvers.topology.common import by_address

MAX_TARGETS = 50_000  # bk-job's cap per script step


@dataclass(frozen=True)
class HostAddress:
    ip: str
    cloud_area_id: int = 0


async def resolve_hosts(
    principal: Principal,
    business_id: int,
    *,
    host_ids: list[int] | None = None,
    addresses: list[HostAddress] | None = None,
    dynamic_groups: list[str] | None = None,
) -> list[dict[str, object]]:
    """Rows (id, inner_ip, cloud_area_id) of the targets, all in `business_id`, deduplicated.

    A host of a business the caller has no role on is answered exactly like a host that does not
    exist (HOST_NOT_FOUND, same message), so a target list cannot be used to learn who owns an IP.
    Only a host the caller may see elsewhere gets the precise HOST_NOT_IN_BUSINESS."""
    wanted_ids = list(dict.fromkeys(host_ids or []))
    if dynamic_groups:
        # Resolved now, at run time: the hosts the groups match in the CMDB as it is at this moment.
        wanted_ids += await host_ids_of_groups(principal, business_id, dynamic_groups, MAX_TARGETS)
        wanted_ids = list(dict.fromkeys(wanted_ids))
    wanted_addresses = list(dict.fromkeys(addresses or []))
    if not wanted_ids and not wanted_addresses:
        raise ValidationFailed("no target hosts given", field="hostIds", code="NO_TARGETS")
    if len(wanted_ids) + len(wanted_addresses) > MAX_TARGETS:
        raise ValidationFailed(f"at most {MAX_TARGETS} target hosts", field="hostIds")
    rows: dict[int, dict[str, object]] = {}
    if wanted_ids:
        for row in await Host.filter(id__in=wanted_ids).values("id", "inner_ip", "cloud_area_id", "business_id"):
            if _visible(principal, row):
                rows[int(row["id"])] = row
        missing = [pk for pk in wanted_ids if pk not in rows]
        if missing:
            raise NotFound(f"host {missing[0]} does not exist", field="hostIds", code="HOST_NOT_FOUND")
    if wanted_addresses:
        pairs = ((a.ip, a.cloud_area_id) for a in wanted_addresses)
        found = [
            row
            for row in await Host.filter(by_address(pairs)).values("id", "inner_ip", "cloud_area_id", "business_id")
            if _visible(principal, row)
        ]
        known = {(str(r["inner_ip"]), int(r["cloud_area_id"])) for r in found}
        for address in wanted_addresses:
            if (address.ip, address.cloud_area_id) not in known:
                raise NotFound(
                    f"host {address.cloud_area_id}:{address.ip} is not in the CMDB",
                    field="ipList",
                    code="HOST_NOT_FOUND",
                )
        for row in found:
            rows[int(row["id"])] = row
    for row in rows.values():
        if row["business_id"] != business_id:
            raise Conflict(
                f"host {row['inner_ip']} belongs to business {row['business_id']}, not {business_id}",
                field="hostIds",
                code="HOST_NOT_IN_BUSINESS",
            )
    return sorted(rows.values(), key=lambda r: int(str(r["id"])))


def _visible(principal: Principal, row: dict[str, Any]) -> bool:
    return principal.can(int(row["business_id"]))

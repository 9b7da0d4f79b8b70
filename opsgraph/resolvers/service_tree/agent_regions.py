"""OpenC3's agent module on the tree: regions (our cloud areas) and the nodes they serve, the
addresses a region covers for a node (CIDR or /regex/ on host names), inheritance between nodes,
and the agent check switch.

- A region made through OpenC3 (`region/:treeid`) is a new cloud area (cloud areas span businesses:
  superusers make them) related to the node; deleting it there only unrelates it (the area may
  hold hosts). Relating an existing area to a node (`project_region_relation`) needs level 2.
- Coverage (`agent/:treeid/:regionid/subnet`) declares which of the node's machines are reached
  through which region's proxy; it installs nothing (as upstream). A region's proxies are the
  PROXY agents of its cloud area (installed with the agent installer).
- The check switch (`check/:treeid`): with it on, reading it checks the node's agents now (every
  host under the node has an agent that is alive): `last_check` is then, `last_success` the last
  time all were alive; `_x` flags mark a check older than 600 s, or a success more than 600 s
  before the last check (upstream's staleness rules). OpsGraph has no background checker for it.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Duplicate, NotFound, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.models.agents import AgentState
from opsgraph.models.service_tree_agents import AgentCheck, AgentCoverage, TreeInherit, TreeRegion
from opsgraph.models.topology import CloudArea
from opsgraph.resolvers.agents.status import is_alive
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.service_tree.access import READ, WRITE, TreeNode, node_for
from opsgraph.resolvers.service_tree.tree import hosts_under
from opsgraph.resolvers.topology.cloud_areas import create_cloud_area
from opsgraph.resolvers.topology.common import write_transaction

STALE = timedelta(seconds=600)
REGION_COLUMNS = ("id", "tree_id", "cloud_area_id", "owner", "created_by", "created_at")


async def _audit(
    principal: Principal, node: TreeNode, action: str, what: str, desc: str, inst: int | None = None
) -> None:
    await record_operation(
        principal, op_type=action, op_target=what, op_desc=desc, business_id=node.business_id, inst_id=inst
    )


async def tree_regions(principal: Principal, tree_id: int, *, owned_only: bool) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    query = TreeRegion.filter(tree_id=node.tree_id)
    if owned_only:
        query = query.filter(owner=True)
    return list(await query.order_by("id").values(*REGION_COLUMNS, name="cloud_area__name"))


async def create_region(principal: Principal, tree_id: int, name: Any) -> TreeRegion:
    node = await node_for(principal, tree_id, WRITE)
    if not isinstance(name, str) or not name.strip() or "'" in name:
        raise ValidationFailed("check format fail name: a region name", field="name")
    area = await create_cloud_area(principal, name)
    row = await TreeRegion.create(
        business_id=node.business_id,
        tree_id=node.tree_id,
        cloud_area_id=area.id,
        owner=True,
        created_by=principal.username,
    )
    await _audit(principal, node, "create", "tree_region", f"add region {name} to tree node {node.tree_id}", row.id)
    return row


async def relate_region(principal: Principal, tree_id: int, region_id: int) -> TreeRegion:
    node = await node_for(principal, tree_id, WRITE)
    if not await CloudArea.exists(id=region_id):
        raise NotFound(f"region {region_id} does not exist", field="regionid")
    try:
        row = await TreeRegion.create(
            business_id=node.business_id, tree_id=node.tree_id, cloud_area_id=region_id, created_by=principal.username
        )
    except IntegrityError as exc:
        raise Duplicate(f"region {region_id} already serves tree node {tree_id}", field="regionid") from exc
    await _audit(
        principal, node, "create", "tree_region", f"relate region {region_id} to tree node {node.tree_id}", row.id
    )
    return row


async def unrelate_region(principal: Principal, tree_id: int, region_id: int) -> None:
    """Removes the relation and its coverage; the cloud area itself stays."""
    node = await node_for(principal, tree_id, WRITE)
    row = await TreeRegion.get_or_none(tree_id=node.tree_id, cloud_area_id=region_id)
    if row is None:
        raise NotFound(f"region {region_id} does not serve tree node {tree_id}", field="regionid")
    await row.delete()
    await _audit(principal, node, "delete", "tree_region", f"unrelate region {region_id} from tree node {node.tree_id}")


async def _relation(node: TreeNode, region_id: int) -> TreeRegion:
    row = await TreeRegion.get_or_none(tree_id=node.tree_id, cloud_area_id=region_id)
    if row is None:
        raise NotFound(f"region {region_id} does not serve tree node {node.tree_id}", field="regionid")
    return row


def parse_coverage(text: Any) -> list[tuple[str, str]]:
    """(pattern, reason) for "10.0.0.0/8 /^web-/": CIDRs (subnet) and /regex/ on host names."""
    if not isinstance(text, str) or not re.match(r"^[\^\$a-zA-Z\-\*\d\./, \\\[\]\(\)\|\+\?]+$", text):
        raise ValidationFailed("check format fail subnet: CIDRs or /regex/, separated by , or spaces", field="subnet")
    found: list[tuple[str, str]] = []
    for item in re.split(r"[, ]+", text.strip()):
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", item):
            try:
                found.append((str(ipaddress.ip_network(item, strict=False)), "subnet"))
            except ValueError as exc:
                raise ValidationFailed(f"check format fail subnet: {item} is not a network", field="subnet") from exc
        elif len(item) > 2 and item.startswith("/") and item.endswith("/"):
            try:
                re.compile(item[1:-1])
            except re.error as exc:
                raise ValidationFailed(f"check format fail subnet: {item} is not a regex", field="subnet") from exc
            found.append((item, "regex"))
    if not found:
        raise ValidationFailed("No effective subnet or regx", field="subnet")
    return found


async def add_coverage(principal: Principal, tree_id: int, region_id: int, text: Any) -> int:
    node = await node_for(principal, tree_id, WRITE)
    relation = await _relation(node, region_id)
    entries = parse_coverage(text)
    async with write_transaction():
        for pattern, reason in entries:
            await AgentCoverage.get_or_create(
                relation_id=relation.id, pattern=pattern, defaults={"reason": reason, "created_by": principal.username}
            )
        await _audit(principal, node, "create", "agent_coverage", f"cover {text} through region {region_id}")
    return len(entries)


async def coverage(principal: Principal, tree_id: int, region_id: int | None = None) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    query = AgentCoverage.filter(relation__tree_id=node.tree_id)
    if region_id is not None:
        query = query.filter(relation__cloud_area_id=region_id)
    return list(
        await query.order_by("id").values(
            "id",
            "pattern",
            "reason",
            "created_at",
            region_id="relation__cloud_area_id",
            region="relation__cloud_area__name",
        )
    )


async def delete_coverage(principal: Principal, tree_id: int, coverage_id: int) -> None:
    node = await node_for(principal, tree_id, WRITE)
    deleted = await AgentCoverage.filter(id=coverage_id, relation__tree_id=node.tree_id).delete()
    if not deleted:
        raise NotFound(f"tree node {tree_id} has no agent entry {coverage_id}", field="agentid")
    await _audit(principal, node, "delete", "agent_coverage", f"remove agent entry {coverage_id}")


def covering_region(host: dict[str, Any], entries: list[dict[str, Any]]) -> int | None:
    """The region whose coverage reaches a host (first match, in the order entries were added)."""
    for entry in entries:
        if entry["reason"] == "subnet":
            try:
                if ipaddress.ip_address(host["inner_ip"]) in ipaddress.ip_network(entry["pattern"]):
                    return int(entry["region_id"])
            except ValueError:
                continue
        elif re.search(entry["pattern"][1:-1], host.get("host_name") or "") or re.search(
            entry["pattern"][1:-1], host["inner_ip"]
        ):
            return int(entry["region_id"])
    return None


async def inherit_of(principal: Principal, tree_id: int) -> dict[str, Any] | None:
    node = await node_for(principal, tree_id, READ)
    rows = await TreeInherit.filter(tree_id=node.tree_id).values("id", "tree_id", "inherit_tree_id")
    return rows[0] if rows else None


async def set_inherit(principal: Principal, tree_id: int, inherit_tree_id: int | None) -> None:
    node = await node_for(principal, tree_id, WRITE)
    if inherit_tree_id is None:
        await TreeInherit.filter(tree_id=node.tree_id).delete()
    else:
        source = await node_for(principal, inherit_tree_id, READ)
        await TreeInherit.update_or_create(
            tree_id=node.tree_id,
            defaults={
                "business_id": node.business_id,
                "inherit_tree_id": source.tree_id,
                "created_by": principal.username,
            },
        )
    await _audit(principal, node, "update", "tree_inherit", f"tree node {node.tree_id} inherits {inherit_tree_id}")


async def agent_check(principal: Principal, settings: Settings, tree_id: int) -> dict[str, Any]:
    node = await node_for(principal, tree_id, READ)
    row = await AgentCheck.get_or_none(tree_id=node.tree_id)
    if row is None or row.status != "on":
        return {"status": "off", "last_check": None, "last_success": None}
    now = datetime.now(tz=UTC)
    host_ids = await hosts_under(node).values_list("id", flat=True)
    states = {s["host_id"]: s for s in await AgentState.filter(host_id__in=list(host_ids)).values()}
    healthy = all(h in states and is_alive(states[h], settings.agent_alive_seconds, now) for h in host_ids)
    row.last_check = now
    if healthy:
        row.last_success = now
    await row.save(update_fields=["last_check", "last_success"])
    return {"status": "on", "last_check": row.last_check, "last_success": row.last_success}


def staleness(check: dict[str, Any], now: datetime | None = None) -> dict[str, int | None]:
    moment = now or datetime.now(tz=UTC)
    last_check, last_success = check.get("last_check"), check.get("last_success")
    return {
        "last_check_x": None if last_check is None else int(last_check + STALE <= moment),
        "last_success_x": None
        if last_check is None or last_success is None
        else int(last_success + STALE <= last_check),
    }


async def set_agent_check(principal: Principal, tree_id: int, status: Any) -> str:
    node = await node_for(principal, tree_id, WRITE)
    value = "on" if status == "on" else "off"  # upstream: anything but "on" is "off"
    await AgentCheck.update_or_create(
        tree_id=node.tree_id,
        defaults={"business_id": node.business_id, "status": value, "edited_by": principal.username},
    )
    await _audit(principal, node, "update", "agent_check", f"agent check {value} on tree node {node.tree_id}")
    return value

"""What several OpenC3 endpoints share: a tree node's hosts, time formats, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

PAGE = 500
MAX_NODE_HOSTS = 50_000


def unseen(tree_id: int) -> NotFound:
    return NotFound(f"tree node {tree_id} does not exist or you have no access to it", field="treeid")


async def node_hosts(
    tree_id: int, principal: Principal, settings: Settings, *, ip_contains: str | None = None
) -> list[dict[str, Any]]:
    """Every host under a node (pages of 500), with its agent state; NotFound when not visible."""
    hosts: list[dict[str, Any]] = []
    after: str | None = None
    document = load_operation(__name__, "tree_node_hosts.graphql")
    while True:
        variables = {"treeId": tree_id, "first": PAGE, "after": after, "ipContains": ip_contains}
        node = (await run_operation(document, variables, principal, settings))["serviceTreeNode"]
        if node is None:
            raise unseen(tree_id)
        page = node["hosts"]
        hosts.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"] or len(hosts) >= MAX_NODE_HOSTS:
            return hosts
        after = page["pageInfo"]["endCursor"]


def c3_time(value: Any) -> str | None:
    """OpenC3 shows times as "2024-05-01 12:00:00" (the server's zone; ours is UTC)."""
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


async def tree_business(tree_id: int, principal: Principal, settings: Settings) -> dict[str, Any]:
    """The node's business (`bkBizId`, global `businessId`), level and path; NotFound when not visible."""
    data = await run_operation(
        load_operation(__name__, "tree_business.graphql"), {"treeId": tree_id}, principal, settings
    )
    node = data["serviceTreeNode"]
    if node is None:
        raise unseen(tree_id)
    return dict(node)


async def releasable_text(ids: str, settings: Settings) -> str:
    """`true` / `false` as upstream's `/release` answers it (plain text, no envelope, no login)."""
    from opsgraph.compat_rest.openc3.auth import ANONYMOUS

    tree_ids = [int(part) for part in ids.split(",") if part.strip().isdigit()]
    data = await run_operation(
        load_operation(__name__, "releasable.graphql"), {"treeIds": tree_ids}, ANONYMOUS, settings
    )
    return "true" if data["treeReleasable"] else "false"


def metrics(principal: Principal, settings: Settings, module: str) -> dict[str, Any]:
    """What `/monitor/metrics/*` shows: the database backend and this module's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("opsgraph")
    except PackageNotFoundError:
        release = "unknown"
    backend = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"
    return {"module": module, "backend": backend, "version": release, "user": principal.username}

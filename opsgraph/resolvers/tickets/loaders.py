"""The ticket domain's per-request DataLoaders (`info.context.loaders.tickets`): every relationship
of catalogs, services, workflows and tickets is one query per request, whatever the row count."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aiodataloader import DataLoader
from tortoise.models import Model

from opsgraph.models.tickets import (
    Service,
    ServiceCatalog,
    Ticket,
    TicketLog,
    TicketNode,
    TicketSignature,
    Workflow,
)

Row = dict[str, Any]


def _by_id(model: type[Model]) -> DataLoader:
    async def batch(ids: list[int]) -> list[Row | None]:
        rows = {row["id"]: row for row in await model.filter(id__in=ids).values()}
        return [rows.get(pk) for pk in ids]

    return DataLoader(batch, max_batch_size=5000)


def _grouped(model: type[Model], key: str, order: str = "id", **where: Any) -> DataLoader:
    async def batch(keys: list[int]) -> list[list[Row]]:
        groups: dict[int, list[Row]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": keys}, **where).order_by(order).values():
            groups[row[key]].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(batch, max_batch_size=5000)


class TicketLoaders:
    def __init__(self) -> None:
        self.catalog = _by_id(ServiceCatalog)
        self.catalogs_by_parent = _grouped(ServiceCatalog, "parent_id")
        self.service = _by_id(Service)
        self.services_by_catalog = _grouped(Service, "catalog_id", is_builtin=False, enabled=True)
        self.workflow = _by_id(Workflow)
        self.ticket = _by_id(Ticket)
        self.nodes_by_ticket = _grouped(TicketNode, "ticket_id")
        self.signatures_by_node = _grouped(TicketSignature, "node_id")
        self.logs_by_ticket = _grouped(TicketLog, "ticket_id")

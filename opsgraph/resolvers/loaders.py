"""Per-request DataLoaders: every relationship in the graph is fetched through one of these,
so a query's SQL count does not grow with the number of rows it returns.

Loaders return `.values()` rows (plain dicts): model instances cost 3–4× more on big lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from aiodataloader import DataLoader
from tortoise.models import Model

from opsgraph.models.topology import Business, CloudArea, Host, HostModule, Module, Set

Row = dict[str, Any]
BatchFn = Callable[[list[int]], Awaitable[list[Any]]]


def _by_id_loader(model: type[Model]) -> DataLoader:
    async def batch(ids: list[int]) -> list[Row | None]:
        rows = {row["id"]: row for row in await model.filter(id__in=ids).values()}
        return [rows.get(pk) for pk in ids]

    return DataLoader(batch, max_batch_size=5000)


def _grouped_loader(model: type[Model], key: str, order: str = "id") -> DataLoader:
    async def batch(keys: list[int]) -> list[list[Row]]:
        groups: dict[int, list[Row]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": keys}).order_by(order).values():
            groups[row[key]].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(batch, max_batch_size=5000)


async def _hosts_by_module(module_ids: list[int]) -> list[list[Row]]:
    memberships = await HostModule.filter(module_id__in=module_ids).values("module_id", "host_id")
    host_ids = {m["host_id"] for m in memberships}
    hosts = {row["id"]: row for row in await Host.filter(id__in=host_ids).values()} if host_ids else {}
    groups: dict[int, list[Row]] = defaultdict(list)
    for membership in sorted(memberships, key=lambda m: m["host_id"]):
        groups[membership["module_id"]].append(hosts[membership["host_id"]])
    return [groups.get(pk, []) for pk in module_ids]


async def _module_ids_by_host(host_ids: list[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    rows = await HostModule.filter(host_id__in=host_ids).order_by("module_id").values("host_id", "module_id")
    for row in rows:
        groups[row["host_id"]].append(row["module_id"])
    return [groups.get(pk, []) for pk in host_ids]


class Loaders:
    """Created once per request (never shared between principals)."""

    def __init__(self) -> None:
        self.business = _by_id_loader(Business)
        self.set = _by_id_loader(Set)
        self.module = _by_id_loader(Module)
        self.host = _by_id_loader(Host)
        self.cloud_area = _by_id_loader(CloudArea)
        self.sets_by_business = _grouped_loader(Set, "business_id")
        self.modules_by_set = _grouped_loader(Module, "set_id")
        self.modules_by_business = _grouped_loader(Module, "business_id")
        self.hosts_by_business = _grouped_loader(Host, "business_id")
        self.hosts_by_module = DataLoader(_hosts_by_module, max_batch_size=5000)
        self.module_ids_by_host = DataLoader(_module_ids_by_host, max_batch_size=5000)

    def prime_many(self, loader: DataLoader, rows: Iterable[Row]) -> None:
        for row in rows:
            loader.prime(row["id"], row)

    async def modules_of_host(self, host_id: int) -> list[Row]:
        module_ids: Sequence[int] = await self.module_ids_by_host.load(host_id)
        return [row for row in await self.module.load_many(module_ids) if row is not None]

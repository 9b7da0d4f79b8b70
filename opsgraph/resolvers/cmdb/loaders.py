"""Per-request DataLoaders of the CMDB model layer, hung on the request's `Loaders` as `.cmdb`.

Every relationship of the model-layer types goes through one of these, so a query's SQL count does
not grow with the number of models, attributes, instances or links it returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from aiodataloader import DataLoader

from opsgraph.models.cmdb_instances import AssociationKind, Instance, ObjectAssociation
from opsgraph.models.cmdb_models import Attribute, AttributeGroup, Classification, ObjectModel, UniqueRule
from opsgraph.resolvers.cmdb.instance_associations import LINK_FIELDS, links_of
from opsgraph.resolvers.cmdb.processes import bound_module_names

Row = dict[str, Any]
_BATCH = 5000


def _by_key(model: Any, key: str, fields: tuple[str, ...] = (), **related: str) -> DataLoader:
    async def batch(keys: list[Any]) -> list[Row | None]:
        rows = {row[key]: row for row in await model.filter(**{f"{key}__in": keys}).values(*fields, **related)}
        return [rows.get(k) for k in keys]

    return DataLoader(batch, max_batch_size=_BATCH)


def _grouped(model: Any, key: str, *order: str) -> DataLoader:
    async def batch(keys: list[int]) -> list[list[Row]]:
        groups: dict[int, list[Row]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": keys}).order_by(*order).values():
            groups[row[key]].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(batch, max_batch_size=_BATCH)


async def _links(keys: list[tuple[str, int]]) -> list[list[Row]]:
    grouped = await links_of(keys)
    return [grouped[key] for key in keys]


async def _bound_modules(process_ids: list[int]) -> list[list[str]]:
    grouped = await bound_module_names(process_ids)
    return [grouped[pk] for pk in process_ids]


class CmdbLoaders:
    def __init__(self) -> None:
        self.classification = _by_key(Classification, "id")
        self.object = _by_key(ObjectModel, "id")
        self.object_by_obj_id = _by_key(ObjectModel, "obj_id")
        self.objects_by_classification = _grouped(ObjectModel, "classification_id", "id")
        self.attributes_by_object = _grouped(Attribute, "object_id", "index", "id")
        self.groups_by_object = _grouped(AttributeGroup, "object_id", "index", "id")
        self.rules_by_object = _grouped(UniqueRule, "object_id", "id")
        # Rows carry their model id (`obj_id`), so an instance met by global id knows its model.
        self.instance = _by_key(Instance, "id", tuple(Instance._meta.db_fields), obj_id="object__obj_id")
        self.kind = _by_key(AssociationKind, "id")
        self.object_association = _by_key(
            ObjectAssociation, "id", tuple(ObjectAssociation._meta.db_fields), asst_id="kind__asst_id"
        )
        self.links = DataLoader(_links, max_batch_size=1000)
        self.bound_modules = DataLoader(_bound_modules, max_batch_size=_BATCH)
        # The caller's `search` privilege by model (access.instance_search_rule), read once per request.
        self.search_rule: Callable[[str], bool] | None = None


__all__ = ["LINK_FIELDS", "CmdbLoaders"]

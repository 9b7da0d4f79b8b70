"""A model's definition as the write and search paths need it: the model row, its attributes as
`AttributeSpec`s and its unique rules by property id. Read fresh for each operation (three small
queries), so every process sees attribute changes at once.

Example:
    definition = await load_definition("bk_switch")
    definition.attributes["bk_asset_id"].required     # True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.errors import NotFound
from opsgraph.models.cmdb_models import Attribute, ObjectModel, UniqueRule
from opsgraph.resolvers.cmdb.attribute_types import AttributeSpec, unstored
from opsgraph.resolvers.cmdb.codes import MODEL_NOT_FOUND
from opsgraph.resolvers.cmdb.preset_data import PROCESS_OBJECT, TABLE_BACKED_OBJECTS

Row = dict[str, Any]

# The property that names an instance, and the one that carries its id, per model (bk-cmdb's
# GetInstNameField / GetInstIDField); every other model uses bk_inst_name / bk_inst_id.
NAME_PROPERTIES = {
    "biz": "bk_biz_name",
    "set": "bk_set_name",
    "module": "bk_module_name",
    "host": "bk_host_innerip",
    "plat": "bk_cloud_name",
    PROCESS_OBJECT: "bk_process_name",
}
ID_PROPERTIES = {
    "biz": "bk_biz_id",
    "set": "bk_set_id",
    "module": "bk_module_id",
    "host": "bk_host_id",
    "plat": "bk_cloud_id",
    PROCESS_OBJECT: "bk_process_id",
}


def name_property(obj_id: str) -> str:
    return NAME_PROPERTIES.get(obj_id, "bk_inst_name")


def id_property(obj_id: str) -> str:
    return ID_PROPERTIES.get(obj_id, "bk_inst_id")


@dataclass(frozen=True)
class RuleSpec:
    id: int
    keys: tuple[str, ...]  # property ids, in the rule's order
    is_preset: bool


@dataclass
class ModelDefinition:
    object: Row
    attributes: dict[str, AttributeSpec] = field(default_factory=dict)
    rules: list[RuleSpec] = field(default_factory=list)

    @property
    def obj_id(self) -> str:
        return str(self.object["obj_id"])

    @property
    def pk(self) -> int:
        return int(self.object["id"])

    @property
    def table_backed(self) -> bool:
        return self.obj_id in TABLE_BACKED_OBJECTS

    @property
    def name_property(self) -> str:
        return name_property(self.obj_id)

    @property
    def id_property(self) -> str:
        return id_property(self.obj_id)


def spec_from_row(row: Row) -> AttributeSpec:
    return AttributeSpec(
        property_id=row["property_id"],
        property_type=row["property_type"],
        option=unstored(row["option"]),
        required=row["required"],
        multiple=row["multiple"],
        editable=row["editable"],
        name=row["name"],
        id=row["id"],
        is_system=row["is_system"],
        is_preset=row["is_preset"],
        default=unstored(row.get("default")),
    )


async def load_object(obj_id: str) -> Row:
    rows = await ObjectModel.filter(obj_id=obj_id).values()
    if not rows:
        raise NotFound(f"model {obj_id!r} does not exist", field="bk_obj_id", code=MODEL_NOT_FOUND)
    return rows[0]


async def load_definition(obj_id: str) -> ModelDefinition:
    model = await load_object(obj_id)
    attribute_rows = await Attribute.filter(object_id=model["id"]).order_by("index", "id").values()
    specs = {row["property_id"]: spec_from_row(row) for row in attribute_rows}
    by_id = {spec.id: spec.property_id for spec in specs.values()}
    rules = [
        RuleSpec(rule["id"], tuple(by_id[k] for k in rule["keys"] if k in by_id), rule["is_preset"])
        for rule in await UniqueRule.filter(object_id=model["id"]).order_by("id").values()
    ]
    return ModelDefinition(object=model, attributes=specs, rules=rules)

"""Checking the values written to an instance against its model, and shaping stored rows as bk
property dicts.

What a write may carry (bk-cmdb instance_validate.go): every known attribute is checked for its
type and option; text is trimmed first; required attributes may not be missing or empty (1199010);
attributes that are not editable keep their value once set. Unknown keys are refused on GraphQL
(`unknown="refuse"`) and silently dropped on the REST path as upstream does (`unknown="drop"`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.cmdb_instances import INSTANCE_NAME_MAX_LENGTH, Instance
from opsgraph.resolvers.cmdb.attribute_types import ENUM, ENUMMULTI, MULTIASST, SINGLEASST, AttributeSpec
from opsgraph.resolvers.cmdb.attribute_values import check_value, is_empty
from opsgraph.resolvers.cmdb.codes import NOT_EDITABLE, REQUIRED, TARGET_INSTANCE_NOT_FOUND
from opsgraph.resolvers.cmdb.definitions import ModelDefinition

Row = dict[str, Any]
Unknown = Literal["drop", "refuse"]
# Request keys that address or scope a write rather than set a value; never stored as properties.
ADDRESSING_KEYS = frozenset(
    {"bk_obj_id", "bk_supplier_account", "bk_biz_id", "metadata", "bk_inst_id", "create_time", "last_time"}
    | {"creator", "modifier", "bk_process_id", "id"}
)
_NAME_SPEC = AttributeSpec(property_id="bk_inst_name", property_type="singlechar", required=True)


@dataclass
class CheckedValues:
    name: str | None = None  # the new name, when given
    properties: dict[str, Any] = field(default_factory=dict)  # property id → value (None: cleared)


def _name_spec(definition: ModelDefinition) -> AttributeSpec:
    return definition.attributes.get(definition.name_property) or _NAME_SPEC


def check_values(
    definition: ModelDefinition,
    data: Mapping[str, Any],
    *,
    creating: bool,
    unknown: Unknown,
    current: Row | None = None,
    prefix: str = "",
) -> CheckedValues:
    """`current` (for updates) is the stored row; errors name fields as `prefix + property id`."""
    checked = CheckedValues()
    name_key = definition.name_property
    for key, value in data.items():
        if key in ADDRESSING_KEYS or key == definition.id_property:
            continue
        where = prefix + key
        if key == name_key:
            name = check_value(_name_spec(definition), value, where)
            if name is None:
                raise ValidationFailed(f"{where} is required", field=where, code=REQUIRED)
            if len(name) > INSTANCE_NAME_MAX_LENGTH:
                raise ValidationFailed(f"{where} is longer than {INSTANCE_NAME_MAX_LENGTH}", field=where)
            checked.name = name
            continue
        spec = definition.attributes.get(key)
        if spec is None or spec.is_system:
            if unknown == "refuse":
                raise ValidationFailed(f"model {definition.obj_id!r} has no attribute {key!r}", field=where)
            continue
        stored = check_value(spec, value, where)
        if current is not None and not spec.editable:
            before = (current.get("properties") or {}).get(key)
            if before is not None and stored != before:
                raise ValidationFailed(f"{where} is not editable", field=where, code=NOT_EDITABLE)
        checked.properties[key] = stored
    if creating:
        _fill_defaults(definition, checked)
        if checked.name is None:
            raise ValidationFailed(f"{prefix}{name_key} is required", field=prefix + name_key, code=REQUIRED)
    _check_required(definition, checked, current, prefix)
    return checked


def _fill_defaults(definition: ModelDefinition, checked: CheckedValues) -> None:
    """Absent attributes take their `default`, or an enum its option marked is_default (upstream's
    FillLostedFieldValue)."""
    for key, spec in definition.attributes.items():
        if key in checked.properties or key == definition.name_property or spec.is_system:
            continue
        if spec.default is not None:
            checked.properties[key] = spec.default
        elif spec.property_type in (ENUM, ENUMMULTI) and isinstance(spec.option, list):
            chosen = next((o["id"] for o in spec.option if isinstance(o, dict) and o.get("is_default")), None)
            if chosen is not None:
                checked.properties[key] = chosen if spec.property_type == ENUM else [chosen]


def _check_required(definition: ModelDefinition, checked: CheckedValues, current: Row | None, prefix: str) -> None:
    stored = (current or {}).get("properties") or {}
    for key, spec in definition.attributes.items():
        if not spec.required or key == definition.name_property or spec.is_system or key == "bk_biz_id":
            continue
        value = checked.properties[key] if key in checked.properties else stored.get(key)
        if value is None or is_empty(spec, value):
            raise ValidationFailed(f"{prefix}{key} is required", field=prefix + key, code=REQUIRED)


async def check_references(definition: ModelDefinition, properties: Mapping[str, Any]) -> None:
    """singleasst/multiasst values must name existing instances of the target model."""
    for key, value in properties.items():
        spec = definition.attributes.get(key)
        if spec is None or spec.property_type not in (SINGLEASST, MULTIASST) or not value:
            continue
        target = (spec.option or {}).get("bk_asst_obj_id") if isinstance(spec.option, dict) else None
        found = await Instance.filter(object__obj_id=target, id__in=value).count() if target else 0
        if found != len(value):
            raise NotFound(
                f"{key} names instances of {target!r} that do not exist", field=key, code=TARGET_INSTANCE_NOT_FOUND
            )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def instance_properties(definition: ModelDefinition, row: Row) -> Row:
    """A stored instance as bk-cmdb answers it: id and name under the model's own property names,
    then every declared attribute (unset ones as null)."""
    stored = row.get("properties") or {}
    properties: Row = {
        definition.id_property: row["id"],
        definition.name_property: row["name"],
        "bk_obj_id": definition.obj_id,
        "bk_supplier_account": "0",
        "create_time": _plain(row.get("created_at")),
        "last_time": _plain(row.get("updated_at")),
        "creator": row.get("created_by", ""),
    }
    if row.get("business_id") is not None or "bk_biz_id" in definition.attributes:
        properties["bk_biz_id"] = row.get("business_id") or 0
    for key, spec in definition.attributes.items():
        if key in properties or spec.is_system:
            continue
        properties[key] = stored.get(key)
    return properties

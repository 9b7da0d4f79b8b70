"""Typed attribute values of an instance: one GraphQL type per kind of value behind the
`PropertyValue` interface, so a client reads `... on IntValue { int }` instead of guessing a JSON
shape. Built from a stored value and its attribute row; no database access.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, NewType

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.cmdb.attribute_types import unstored

if TYPE_CHECKING:
    from opsgraph.schema.types.cmdb_instances import InstanceType

Row = dict[str, Any]
InstanceRef = Annotated["InstanceType", strawberry.lazy("opsgraph.schema.types.cmdb_instances")]
_INT64 = range(-(2**63), 2**63)


def _parse_int64(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in _INT64:
        raise ValidationFailed("Int64 takes a 64-bit integer")
    return value


Int64 = NewType("Int64", int)
# Registered through StrawberryConfig.scalar_map (schema/__init__.py).
SCALARS: dict[object, Any] = {
    Int64: strawberry.scalar(
        name="Int64",
        serialize=int,
        parse_value=_parse_int64,
        description="A 64-bit integer, as a JSON number (bk-cmdb `int` attributes are int64).",
    )
}


@strawberry.type
class EnumOption:
    id: str
    name: str
    is_default: bool


@strawberry.interface(description="One attribute's value on an instance; the concrete type says its kind.")
class PropertyValue:
    property_id: str
    name: str = strawberry.field(description="The attribute's display name.")
    type: str = strawberry.field(description="bk_property_type: singlechar, int, enum, …")


@strawberry.type(description="singlechar, longchar, timezone and list values.")
class TextValue(PropertyValue):
    text: str


@strawberry.type
class IntValue(PropertyValue):
    int: Int64


@strawberry.type
class FloatValue(PropertyValue):
    float: float


@strawberry.type
class BoolValue(PropertyValue):
    bool: bool


@strawberry.type
class EnumValue(PropertyValue):
    option: EnumOption


@strawberry.type(description="enummulti values.")
class EnumListValue(PropertyValue):
    options: list[EnumOption]


@strawberry.type
class DateValue(PropertyValue):
    date: date


@strawberry.type(description="time values: as stored, and as a DateTime (text without a zone is UTC).")
class TimeValue(PropertyValue):
    text: str
    time: datetime | None


@strawberry.type(description="objuser values: user names.")
class UsersValue(PropertyValue):
    users: list[str]


@strawberry.type(description="organization values: organization ids.")
class OrganizationValue(PropertyValue):
    ids: list[Int64]


@strawberry.type(description="enumquote, singleasst and multiasst values: instances of another model.")
class InstanceRefsValue(PropertyValue):
    ids: list[int]

    @strawberry.field(description="The referenced instances you may see.")
    async def instances(self, info: Info) -> list[InstanceRef]:
        from opsgraph.schema.types.cmdb_instances import visible_instances

        return await visible_instances(info, self.ids)


@strawberry.type(description="A value of a type this API does not model; the stored JSON.")
class JsonValue(PropertyValue):
    json: JSON


VALUE_TYPES: list[type] = [
    TextValue,
    IntValue,
    FloatValue,
    BoolValue,
    EnumValue,
    EnumListValue,
    DateValue,
    TimeValue,
    UsersValue,
    OrganizationValue,
    InstanceRefsValue,
    JsonValue,
]


def _options(attribute: Row) -> dict[str, EnumOption]:
    return {
        item["id"]: EnumOption(id=item["id"], name=item["name"], is_default=bool(item.get("is_default")))
        for item in unstored(attribute.get("option")) or []
        if isinstance(item, dict) and "id" in item
    }


def _time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def property_value(attribute: Row, value: Any) -> PropertyValue:
    """The typed value of `attribute` (a cmdb_attribute row); values were checked when written."""
    common = {"property_id": attribute["property_id"], "name": attribute["name"], "type": attribute["property_type"]}
    kind = attribute["property_type"]
    if kind == "int" and isinstance(value, int):
        return IntValue(**common, int=Int64(value))
    if kind == "float" and isinstance(value, int | float):
        return FloatValue(**common, float=float(value))
    if kind == "bool" and isinstance(value, bool):
        return BoolValue(**common, bool=value)
    if kind == "enum" and value in _options(attribute):
        return EnumValue(**common, option=_options(attribute)[value])
    if kind == "enummulti" and isinstance(value, list):
        options = _options(attribute)
        return EnumListValue(**common, options=[options[v] for v in value if v in options])
    if kind == "date" and isinstance(value, str):
        return DateValue(**common, date=date.fromisoformat(value))
    if kind == "time" and isinstance(value, str):
        return TimeValue(**common, text=value, time=_time(value))
    if kind == "objuser" and isinstance(value, str):
        return UsersValue(**common, users=[name for name in value.split(",") if name])
    if kind == "organization" and isinstance(value, list):
        return OrganizationValue(**common, ids=list(value))
    if kind in ("enumquote", "singleasst", "multiasst") and isinstance(value, list):
        return InstanceRefsValue(**common, ids=[int(v) for v in value])
    if isinstance(value, str):
        return TextValue(**common, text=value)
    return JsonValue(**common, json=value)

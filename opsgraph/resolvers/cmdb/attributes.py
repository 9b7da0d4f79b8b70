"""Model attributes: create, update, delete, search; attribute groups.

Refusals follow bk-cmdb (attribute_curd.go, bk-cmdb#2988/#4362): ids match the id rule and user
attributes may not start with `bk_`/`_bk`; the type and id never change; preset attributes are
not deleted and keep their type, option and flags; no new required attribute on a preset model;
an attribute in a unique rule is not deleted (1101165); a duplicate name is 1101107.
`isonly` adds (or drops) a single-attribute unique rule, as v3.2 callers mean it.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.cmdb_models import Attribute, AttributeGroup, ObjectModel, UniqueRule
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import require_model_admin
from opsgraph.resolvers.cmdb.attribute_types import (
    MULTIASST,
    SINGLEASST,
    SUPPORTED_TYPES,
    AttributeSpec,
    check_multiple,
    normalize_option,
    stored,
    unstored,
)
from opsgraph.resolvers.cmdb.attribute_values import check_value
from opsgraph.resolvers.cmdb.codes import (
    ATTRIBUTE_IN_UNIQUE_RULE,
    ATTRIBUTE_NAME_DUPLICATE,
    ATTRIBUTE_NOT_FOUND,
    BUILTIN_OBJECT,
    INVALID_ID,
)
from opsgraph.resolvers.cmdb.definitions import load_object, spec_from_row
from opsgraph.resolvers.cmdb.identifiers import RESERVED_PROPERTY_PREFIXES, check_id, check_name
from opsgraph.resolvers.cmdb.json_columns import remove_key_everywhere_statement, remove_key_statement
from opsgraph.resolvers.cmdb.preset_data import TABLE_BACKED_OBJECTS
from opsgraph.resolvers.cmdb.unique_rules import create_unique_rule, delete_unique_rule
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
TEXT_FIELDS = {"unit": 64, "placeholder": 2000, "description": 2000}
FLAG_FIELDS = {"editable": "editable", "isrequired": "required", "isreadonly": "readonly"}
_TOPOLOGY_TABLES = {"biz": "business", "set": "set", "module": "module", "host": "host"}


def snapshot(row: Attribute, obj_id: str) -> Row:
    return {
        "id": row.id,
        "bk_obj_id": obj_id,
        "bk_property_id": row.property_id,
        "bk_property_name": row.name,
        "bk_property_type": row.property_type,
        "isrequired": row.required,
        "editable": row.editable,
        "option": unstored(row.option),
    }


async def get_attribute(pk: int) -> tuple[Attribute, ObjectModel]:
    found = await Attribute.get_or_none(id=pk).prefetch_related("object")
    if found is None:
        raise NotFound(f"attribute {pk} does not exist", field="id", code=ATTRIBUTE_NOT_FOUND)
    return found, found.object


async def _group(object_pk: int, group_id: Any) -> str:
    if group_id in (None, ""):
        return "default"
    group_id = check_id(group_id, "bk_property_group")
    if not await AttributeGroup.exists(object_id=object_pk, group_id=group_id):
        raise NotFound(f"the model has no attribute group {group_id!r}", field="bk_property_group")
    return str(group_id)


async def _check_name_free(object_pk: int, name: str, exclude: int | None = None) -> None:
    query = Attribute.filter(object_id=object_pk, name=name)
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise Duplicate(
            f"the model already has an attribute named {name!r}",
            field="bk_property_name",
            code=ATTRIBUTE_NAME_DUPLICATE,
        )


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ValidationFailed(f"{field} must be a boolean", field=field)


async def _association_target(property_type: str, asst_obj_id: Any) -> dict[str, str] | None:
    """singleasst/multiasst keep their target model in `option` (they take no other option)."""
    if property_type not in (SINGLEASST, MULTIASST):
        return None
    target = check_id(asst_obj_id, "bk_asst_obj_id")
    await load_object(target)
    if target in TABLE_BACKED_OBJECTS:
        raise ValidationFailed(f"{target!r} instances cannot be referenced by an attribute", field="bk_asst_obj_id")
    return {"bk_asst_obj_id": target}


async def create_attribute(principal: Principal, obj_id: str, data: dict[str, Any]) -> Attribute:
    """`data` by bk name: bk_property_id*, bk_property_name*, bk_property_type*, bk_property_group,
    option, default, ismultiple, isonly, isrequired, editable, isreadonly, unit, placeholder,
    description, bk_asst_obj_id."""
    require_model_admin(principal, "creating an attribute")
    model = await load_object(obj_id)
    property_id = check_id(data.get("bk_property_id"), "bk_property_id")
    if property_id.startswith(RESERVED_PROPERTY_PREFIXES):
        raise ValidationFailed(
            f"bk_property_id {property_id!r}: the bk_ and _bk prefixes are reserved for preset attributes",
            field="bk_property_id",
            code=INVALID_ID,
        )
    name = check_name(data.get("bk_property_name"), "bk_property_name")
    property_type = data.get("bk_property_type")
    if property_type not in SUPPORTED_TYPES:
        raise ValidationFailed(
            f"bk_property_type must be one of {', '.join(sorted(SUPPORTED_TYPES))}", field="bk_property_type"
        )
    multiple = _flag(data.get("ismultiple", False), "ismultiple")
    check_multiple(property_type, multiple)
    required = _flag(data.get("isrequired", False), "isrequired")
    if required and model["is_preset"]:
        raise Conflict("a preset model takes no new required attribute", field="isrequired", code=BUILTIN_OBJECT)
    option = await _association_target(property_type, data.get("bk_asst_obj_id"))
    if option is None:
        option = normalize_option(property_type, data.get("option"))
    spec = AttributeSpec(property_id=property_id, property_type=property_type, option=option, multiple=multiple)
    default = check_value(spec, data["default"], "default") if data.get("default") is not None else None
    if await Attribute.exists(object_id=model["id"], property_id=property_id):
        raise Duplicate(f"model {obj_id!r} already has attribute {property_id!r}", field="bk_property_id")
    await _check_name_free(model["id"], name)
    group = await _group(model["id"], data.get("bk_property_group"))
    texts = {key: _text(data, key) for key in TEXT_FIELDS}
    last = await Attribute.filter(object_id=model["id"]).order_by("-index").first().values("index")
    async with write_transaction(f"attribute {property_id!r} already exists"):
        attribute = await Attribute.create(
            object_id=model["id"],
            property_id=property_id,
            name=name,
            property_type=property_type,
            group_id=group,
            index=(last["index"] + 1) if last else 0,
            editable=_flag(data.get("editable", True), "editable"),
            required=required,
            readonly=_flag(data.get("isreadonly", False), "isreadonly"),
            multiple=multiple,
            option=stored(option),
            default=stored(default),
            creator=principal.username,
            unit=texts["unit"] or "",
            placeholder=texts["placeholder"] or "",
            description=texts["description"] or "",
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="attribute",
            op_desc=f"create attribute {property_id} of {obj_id}",
            inst_id=attribute.id,
            ext_key=f"{obj_id}.{property_id}",
            cur_data=snapshot(attribute, obj_id),
        )
        if _flag(data.get("isonly", False), "isonly"):
            await create_unique_rule(principal, obj_id, [property_id])
    return attribute


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > TEXT_FIELDS[key]:
        raise ValidationFailed(f"{key} must be a string of at most {TEXT_FIELDS[key]} characters", field=key)
    return value


async def _single_rule_of(object_pk: int, attribute_pk: int) -> UniqueRule | None:
    rules = await UniqueRule.filter(object_id=object_pk)
    return next((rule for rule in rules if rule.keys == [attribute_pk]), None)


async def update_attribute(principal: Principal, pk: int, data: dict[str, Any]) -> Attribute:
    """Partial; bk_property_type may be repeated but not changed (upstream sends the whole record)."""
    require_model_admin(principal, "changing an attribute")
    attribute, model = await get_attribute(pk)
    before = snapshot(attribute, model.obj_id)
    given_type = data.get("bk_property_type")
    if given_type not in (None, "", attribute.property_type):
        raise ValidationFailed("the type of an attribute cannot change", field="bk_property_type")
    structural = {"option", "isrequired", "ismultiple", "isonly", "editable", "isreadonly", "default"}
    if attribute.is_preset and structural & {k for k, v in data.items() if v is not None}:
        raise Conflict("preset attributes keep their option and flags", field="id", code=BUILTIN_OBJECT)
    if data.get("bk_property_name") is not None:
        attribute.name = check_name(data["bk_property_name"], "bk_property_name")
        await _check_name_free(model.id, attribute.name, exclude=pk)
    if data.get("bk_property_group") not in (None, ""):
        attribute.group_id = await _group(model.id, data["bk_property_group"])
    for key in TEXT_FIELDS:
        if (text := _text(data, key)) is not None:
            setattr(attribute, key, text)
    for key, column in FLAG_FIELDS.items():
        if data.get(key) is not None:
            setattr(attribute, column, _flag(data[key], key))
    if attribute.required and not before["isrequired"] and model.is_preset:
        raise Conflict("a preset model takes no new required attribute", field="isrequired", code=BUILTIN_OBJECT)
    if data.get("ismultiple") is not None:
        attribute.multiple = _flag(data["ismultiple"], "ismultiple")
        check_multiple(attribute.property_type, attribute.multiple)
    if data.get("option") is not None and attribute.property_type not in (SINGLEASST, MULTIASST):
        attribute.option = stored(normalize_option(attribute.property_type, data["option"]))
    if data.get("default") is not None:
        attribute.default = stored(check_value(spec_from_row(_row(attribute)), data["default"], "default"))
    async with write_transaction():
        await attribute.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="attribute",
            op_desc=f"update attribute {attribute.property_id} of {model.obj_id}",
            inst_id=pk,
            ext_key=f"{model.obj_id}.{attribute.property_id}",
            pre_data=before,
            cur_data=snapshot(attribute, model.obj_id),
        )
        if data.get("isonly") is not None:
            await _set_isonly(principal, model, attribute, _flag(data["isonly"], "isonly"))
    return attribute


def _row(attribute: Attribute) -> Row:
    return {name: getattr(attribute, name) for name in attribute._meta.db_fields}


async def _set_isonly(principal: Principal, model: ObjectModel, attribute: Attribute, wanted: bool) -> None:
    rule = await _single_rule_of(model.id, attribute.id)
    if wanted and rule is None:
        await create_unique_rule(principal, model.obj_id, [attribute.property_id])
    elif not wanted and rule is not None:
        await delete_unique_rule(principal, model.obj_id, rule.id)


async def delete_attribute(principal: Principal, pk: int) -> None:
    require_model_admin(principal, "deleting an attribute")
    attribute, model = await get_attribute(pk)
    if attribute.is_preset or attribute.is_system:
        raise Conflict("preset attributes cannot be deleted", field="id", code=BUILTIN_OBJECT)
    if any(pk in rule.keys for rule in await UniqueRule.filter(object_id=model.id)):
        raise Conflict(
            f"attribute {attribute.property_id!r} is part of a unique rule", field="id", code=ATTRIBUTE_IN_UNIQUE_RULE
        )
    before = snapshot(attribute, model.obj_id)
    async with write_transaction():
        await attribute.delete()
        await _forget_values(model, attribute.property_id)
        await record_operation(
            principal,
            op_type="delete",
            op_target="attribute",
            op_desc=f"delete attribute {attribute.property_id} of {model.obj_id}",
            inst_id=pk,
            ext_key=f"{model.obj_id}.{attribute.property_id}",
            pre_data=before,
        )


async def _forget_values(model: ObjectModel, property_id: str) -> None:
    """Drop the deleted attribute's stored values, so a later attribute of that id starts empty."""
    connection = connections.get("default")
    if model.obj_id in _TOPOLOGY_TABLES:
        await connection.execute_query(
            remove_key_everywhere_statement(_TOPOLOGY_TABLES[model.obj_id], "attributes", property_id)
        )
    elif model.obj_id not in TABLE_BACKED_OBJECTS:
        await connection.execute_query(
            remove_key_statement("cmdb_instance", "properties", property_id, "object_id"), [model.id]
        )


async def search_attributes(principal: Principal, obj_id: str | None) -> list[Row]:
    """Attributes in model and display order, each with `isonly` and its group's name; any
    authenticated caller may read the model layer."""
    return await attribute_rows(obj_id)


async def attribute_rows(obj_id: str | None) -> list[Row]:
    query = Attribute.all()
    if obj_id:
        model = await ObjectModel.get_or_none(obj_id=obj_id)
        if model is None:
            return []
        query = query.filter(object_id=model.id)
    rows = await query.order_by("object_id", "index", "id").values(*Attribute._meta.db_fields, obj_id="object__obj_id")
    object_ids = {row["object_id"] for row in rows}
    singles = {
        rule["keys"][0]
        for rule in await UniqueRule.filter(object_id__in=object_ids).values("keys")
        if len(rule["keys"]) == 1
    }
    groups = {
        (g["object_id"], g["group_id"]): g["name"]
        for g in await AttributeGroup.filter(object_id__in=object_ids).values("object_id", "group_id", "name")
    }
    for row in rows:
        row["isonly"] = row["id"] in singles
        row["group_name"] = groups.get((row["object_id"], row["group_id"]), "")
    return list(rows)


async def attribute_row(pk: int) -> Row:
    """One attribute as `search_attributes` shapes it (with obj_id, isonly, group_name)."""
    _, model = await get_attribute(pk)
    rows = await attribute_rows(model.obj_id)
    return next(row for row in rows if row["id"] == pk)

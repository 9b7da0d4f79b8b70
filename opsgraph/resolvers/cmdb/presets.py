"""Seeding the preset model layer (preset_data.py) at start-up: idempotent, and additive, so a later
release that presets one more attribute adds it to existing estates without touching user data.

On an estate that has everything this costs five small SELECTs.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from opsgraph.models.cmdb_instances import AssociationKind, ObjectAssociation
from opsgraph.models.cmdb_models import Attribute, AttributeGroup, Classification, ObjectModel, UniqueRule
from opsgraph.resolvers.cmdb.attribute_types import normalize_option, stored
from opsgraph.resolvers.cmdb.preset_data import (
    ASSOCIATION_KINDS,
    CLASSIFICATIONS,
    MODEL_ASSOCIATIONS,
    MODELS,
    TABLE_BACKED_OBJECTS,
    PresetModel,
)
from opsgraph.resolvers.properties import PROPERTY_COLUMNS

SYSTEM_USER = "cc_system"
PLAT_COLUMNS = {"bk_cloud_id": "id", "bk_cloud_name": "name"}


def system_properties(obj_id: str) -> frozenset[str]:
    """Properties of a table-backed model that are columns of its table (not JSON attributes)."""
    if obj_id == "plat":
        return frozenset(PLAT_COLUMNS)
    return frozenset(PROPERTY_COLUMNS.get(obj_id, {}))


async def ensure_cmdb_presets() -> None:
    async with in_transaction():
        await _classifications()
        classification_pks = {row["classification_id"]: row["id"] for row in await Classification.all().values()}
        existing = {row["obj_id"]: row["id"] for row in await ObjectModel.all().values("obj_id", "id")}
        for preset in MODELS:
            if preset.obj_id not in existing:
                existing[preset.obj_id] = await _create_model(preset, classification_pks[preset.classification])
            elif preset.is_preset:
                await _add_missing_attributes(preset, existing[preset.obj_id])
        await _association_kinds()
        await _model_associations(existing)


async def _classifications() -> None:
    known = set(await Classification.all().values_list("classification_id", flat=True))
    for classification_id, name, icon in CLASSIFICATIONS:
        if classification_id not in known:
            await Classification.create(classification_id=classification_id, name=name, icon=icon, kind="inner")


async def _create_model(preset: PresetModel, classification_pk: int) -> int:
    model = await ObjectModel.create(
        obj_id=preset.obj_id,
        name=preset.name,
        classification_id=classification_pk,
        icon=preset.icon,
        position=preset.position,
        is_preset=preset.is_preset,
        creator=SYSTEM_USER,
    )
    for index, (group_id, name) in enumerate(preset.groups, start=1):
        await AttributeGroup.create(
            object_id=model.id, group_id=group_id, name=name, index=index, is_default=True, is_preset=True
        )
    await _add_missing_attributes(preset, model.id)
    return model.id


async def _add_missing_attributes(preset: PresetModel, object_pk: int) -> None:
    known = set(await Attribute.filter(object_id=object_pk).values_list("property_id", flat=True))
    columns = system_properties(preset.obj_id) if preset.obj_id in TABLE_BACKED_OBJECTS else frozenset()
    unique_ids: list[int] = []
    for index, item in enumerate(preset.attributes):
        if item.property_id in known:
            continue
        attribute = await Attribute.create(
            object_id=object_pk,
            property_id=item.property_id,
            name=item.name,
            property_type=item.property_type,
            group_id=item.group,
            index=index,
            unit=item.unit,
            placeholder=item.placeholder,
            editable=item.editable,
            required=item.required,
            is_preset=preset.is_preset or item.required,
            is_system=item.property_id in columns,
            option=stored(normalize_option(item.property_type, item.option)),
            creator=SYSTEM_USER,
        )
        if item.unique:
            unique_ids.append(attribute.id)
    if unique_ids and not await UniqueRule.exists(object_id=object_pk):
        await UniqueRule.create(object_id=object_pk, keys=unique_ids, is_preset=True)


async def _association_kinds() -> None:
    known = set(await AssociationKind.all().values_list("asst_id", flat=True))
    for asst_id, name, src_des, dest_des in ASSOCIATION_KINDS:
        if asst_id not in known:
            await AssociationKind.create(
                asst_id=asst_id, name=name, src_des=src_des, dest_des=dest_des, direction="src_to_dest", is_preset=True
            )


async def _model_associations(objects: dict[str, int]) -> None:
    known = set(await ObjectAssociation.all().values_list("obj_asst_id", flat=True))
    kinds = {row["asst_id"]: row["id"] for row in await AssociationKind.all().values("asst_id", "id")}
    for source, kind, target, mapping in MODEL_ASSOCIATIONS:
        obj_asst_id = f"{source}_{kind}_{target}"
        if obj_asst_id not in known:
            await ObjectAssociation.create(
                obj_asst_id=obj_asst_id,
                source_id=objects[source],
                target_id=objects[target],
                kind_id=kinds[kind],
                mapping=mapping,
                on_delete="none",
                is_preset=True,
            )

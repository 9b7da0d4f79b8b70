"""Unique rules (single and joint) and their enforcement on instance writes.

Each instance whose key values are all non-empty gets one `InstanceUniqueKey` row per rule holding a
digest of those values; a unique index on (rule, digest) makes the database refuse a duplicate even
between two concurrent writes. An instance with an empty key value is not checked by that rule (the
old non-must-check semantics, bk-cmdb recheckUniqueForExistsInstances).

Refusals (bk-cmdb errInfo.go): 1101085 rules on mainline models, 1101166 a key type a rule may not
use, 1113050 a rule identical to another, 1113039 existing instances that already collide,
1101167 preset rules, 1101069 the model's last rule.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.cmdb_instances import Instance, InstanceUniqueKey
from opsgraph.models.cmdb_models import UniqueRule
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import require_model_admin
from opsgraph.resolvers.cmdb.attribute_types import JOINT_UNIQUE_TYPES, SINGLE_UNIQUE_TYPES
from opsgraph.resolvers.cmdb.attribute_values import is_empty
from opsgraph.resolvers.cmdb.codes import (
    ATTRIBUTE_NOT_FOUND,
    LAST_UNIQUE_RULE,
    MAINLINE_UNIQUE_RULE,
    PRESET_UNIQUE_RULE,
    UNIQUE_KEY_KIND,
    UNIQUE_RECHECK_FAILED,
    UNIQUE_RULE_EXISTS,
    UNIQUE_VIOLATION,
)
from opsgraph.resolvers.cmdb.definitions import ModelDefinition, RuleSpec, load_definition
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
MAX_RULE_KEYS = 10


async def create_rule_row(object_pk: int, key_ids: list[int], *, is_preset: bool) -> UniqueRule:
    return await UniqueRule.create(object_id=object_pk, keys=key_ids, is_preset=is_preset)


def key_values(definition: ModelDefinition, row: Row) -> dict[str, Any]:
    """An instance's values by property id as rules see them: its properties plus name and business."""
    values = dict(row.get("properties") or {})
    values[definition.name_property] = row.get("name")
    values["bk_biz_id"] = row.get("business_id")
    return values


def rule_digest(definition: ModelDefinition, rule: RuleSpec, values: dict[str, Any]) -> str | None:
    parts = []
    for key in rule.keys:
        value = values.get(key)
        spec = definition.attributes.get(key)
        if value is None or (spec is not None and is_empty(spec, value)):
            return None
        parts.append(value)
    if not parts:
        return None
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _describe(rule: RuleSpec) -> str:
    return " + ".join(rule.keys)


async def write_instance_keys(definition: ModelDefinition, instance_id: int, values: dict[str, Any]) -> None:
    """(Re)write the instance's keys; a collision is UNIQUE_VIOLATION naming the rule's properties."""
    wanted = [(rule, rule_digest(definition, rule, values)) for rule in definition.rules]
    present = [(rule, digest) for rule, digest in wanted if digest is not None]
    if present:
        taken = (
            await InstanceUniqueKey.filter(
                rule_id__in=[rule.id for rule, _ in present], digest__in=[digest for _, digest in present]
            )
            .exclude(instance_id=instance_id)
            .values("rule_id", "digest")
        )
        clashes = {(row["rule_id"], row["digest"]) for row in taken}
        for rule, digest in present:
            if (rule.id, digest) in clashes:
                raise Duplicate(
                    f"another {definition.obj_id} instance has the same {_describe(rule)}",
                    field=rule.keys[0],
                    code=UNIQUE_VIOLATION,
                )
    await InstanceUniqueKey.filter(instance_id=instance_id).delete()
    try:
        await InstanceUniqueKey.bulk_create(
            [InstanceUniqueKey(rule_id=rule.id, instance_id=instance_id, digest=digest) for rule, digest in present]
        )
    except IntegrityError as exc:  # a concurrent write took the key between the check and the insert
        raise Duplicate(
            f"another {definition.obj_id} instance has the same unique values", code=UNIQUE_VIOLATION
        ) from exc


async def write_keys_for_new(definition: ModelDefinition, items: list[tuple[int, dict[str, Any]]]) -> None:
    """Keys of freshly created instances, a whole batch at once: one SELECT, one INSERT."""
    if not definition.rules or not items:
        return
    rows: list[InstanceUniqueKey] = []
    seen: dict[tuple[int, str], int] = {}
    for instance_id, values in items:
        for rule in definition.rules:
            digest = rule_digest(definition, rule, values)
            if digest is None:
                continue
            if (rule.id, digest) in seen:
                raise Duplicate(
                    f"two new {definition.obj_id} instances share {_describe(rule)}",
                    field=rule.keys[0],
                    code=UNIQUE_VIOLATION,
                )
            seen[(rule.id, digest)] = instance_id
            rows.append(InstanceUniqueKey(rule_id=rule.id, instance_id=instance_id, digest=digest))
    by_rule = {rule.id: rule for rule in definition.rules}
    for chunk_start in range(0, len(rows), 500):
        chunk = rows[chunk_start : chunk_start + 500]
        taken = await InstanceUniqueKey.filter(
            rule_id__in=list({r.rule_id for r in chunk}), digest__in=[r.digest for r in chunk]
        ).values("rule_id", "digest")
        for row in taken:
            if (row["rule_id"], row["digest"]) in seen:
                rule = by_rule[row["rule_id"]]
                raise Duplicate(
                    f"another {definition.obj_id} instance has the same {_describe(rule)}",
                    field=rule.keys[0],
                    code=UNIQUE_VIOLATION,
                )
    try:
        await InstanceUniqueKey.bulk_create(rows, batch_size=1000)
    except IntegrityError as exc:
        raise Duplicate(
            f"another {definition.obj_id} instance has the same unique values", code=UNIQUE_VIOLATION
        ) from exc


async def _rebuild_rule_keys(definition: ModelDefinition, rule: RuleSpec) -> None:
    """Key rows of every existing instance for `rule`; refused when two instances already collide."""
    await InstanceUniqueKey.filter(rule_id=rule.id).delete()
    seen: dict[str, int] = {}
    rows: list[InstanceUniqueKey] = []
    instances = await Instance.filter(object_id=definition.pk).values("id", "name", "business_id", "properties")
    for instance in instances:
        digest = rule_digest(definition, rule, key_values(definition, instance))
        if digest is None:
            continue
        if digest in seen:
            raise Conflict(
                f"instances {seen[digest]} and {instance['id']} already share {_describe(rule)}",
                field="keys",
                code=UNIQUE_RECHECK_FAILED,
            )
        seen[digest] = instance["id"]
        rows.append(InstanceUniqueKey(rule_id=rule.id, instance_id=instance["id"], digest=digest))
    await InstanceUniqueKey.bulk_create(rows, batch_size=1000)


def _check_keys(definition: ModelDefinition, property_ids: Iterable[str]) -> list[int]:
    keys = list(property_ids)
    if not keys:
        raise ValidationFailed("a unique rule needs at least one attribute", field="keys")
    if len(keys) > MAX_RULE_KEYS:
        raise ValidationFailed(f"a unique rule takes at most {MAX_RULE_KEYS} attributes", field="keys")
    if len(set(keys)) != len(keys):
        raise ValidationFailed("a unique rule names an attribute twice", field="keys")
    allowed = SINGLE_UNIQUE_TYPES if len(keys) == 1 else JOINT_UNIQUE_TYPES
    ids = []
    for key in keys:
        spec = definition.attributes.get(key)
        if spec is None:
            raise NotFound(
                f"model {definition.obj_id!r} has no attribute {key!r}", field="keys", code=ATTRIBUTE_NOT_FOUND
            )
        if spec.property_type not in allowed:
            kind = "a single-attribute" if len(keys) == 1 else "a joint"
            raise ValidationFailed(
                f"{spec.property_type} attribute {key!r} cannot be part of {kind} unique rule",
                field="keys",
                code=UNIQUE_KEY_KIND,
            )
        ids.append(spec.id)
    if any(set(rule.keys) == set(keys) for rule in definition.rules):
        raise Duplicate("an identical unique rule exists", field="keys", code=UNIQUE_RULE_EXISTS)
    return ids


def _refuse_table_backed(definition: ModelDefinition) -> None:
    if definition.table_backed:
        raise Conflict(
            f"the unique rules of {definition.obj_id!r} are fixed by the topology",
            field="bk_obj_id",
            code=MAINLINE_UNIQUE_RULE,
        )


async def create_unique_rule(principal: Principal, obj_id: str, property_ids: list[str]) -> UniqueRule:
    require_model_admin(principal, "creating a unique rule")
    definition = await load_definition(obj_id)
    _refuse_table_backed(definition)
    key_ids = _check_keys(definition, property_ids)
    async with write_transaction("an identical unique rule exists"):
        rule = await create_rule_row(definition.pk, key_ids, is_preset=False)
        await _rebuild_rule_keys(definition, RuleSpec(rule.id, tuple(property_ids), False))
        await record_operation(
            principal,
            op_type="create",
            op_target="unique",
            op_desc=f"create unique rule {'+'.join(property_ids)} on {obj_id}",
            inst_id=rule.id,
            ext_key=obj_id,
            cur_data={"bk_obj_id": obj_id, "keys": property_ids},
        )
    return rule


async def _editable_rule(obj_id: str, rule_id: int) -> tuple[ModelDefinition, RuleSpec]:
    definition = await load_definition(obj_id)
    rule = next((r for r in definition.rules if r.id == rule_id), None)
    if rule is None:
        raise NotFound(f"model {obj_id!r} has no unique rule {rule_id}", field="id")
    _refuse_table_backed(definition)
    if rule.is_preset:
        raise Conflict("preset unique rules cannot be changed or deleted", field="id", code=PRESET_UNIQUE_RULE)
    return definition, rule


async def update_unique_rule(principal: Principal, obj_id: str, rule_id: int, property_ids: list[str]) -> UniqueRule:
    require_model_admin(principal, "changing a unique rule")
    definition, rule = await _editable_rule(obj_id, rule_id)
    others = ModelDefinition(definition.object, definition.attributes, [r for r in definition.rules if r.id != rule_id])
    key_ids = _check_keys(others, property_ids)
    async with write_transaction():
        await UniqueRule.filter(id=rule_id).update(keys=key_ids)
        await _rebuild_rule_keys(definition, RuleSpec(rule_id, tuple(property_ids), False))
        await record_operation(
            principal,
            op_type="update",
            op_target="unique",
            op_desc=f"update unique rule {rule_id} on {obj_id}",
            inst_id=rule_id,
            ext_key=obj_id,
            pre_data={"keys": list(rule.keys)},
            cur_data={"keys": property_ids},
        )
    return await UniqueRule.get(id=rule_id)


async def delete_unique_rule(principal: Principal, obj_id: str, rule_id: int) -> None:
    require_model_admin(principal, "deleting a unique rule")
    definition, rule = await _editable_rule(obj_id, rule_id)
    if len(definition.rules) == 1:
        raise Conflict("a model keeps at least one unique rule", field="id", code=LAST_UNIQUE_RULE)
    async with write_transaction():
        await UniqueRule.filter(id=rule_id).delete()  # its key rows go with it (CASCADE)
        await record_operation(
            principal,
            op_type="delete",
            op_target="unique",
            op_desc=f"delete unique rule {rule_id} on {obj_id}",
            inst_id=rule_id,
            ext_key=obj_id,
            pre_data={"keys": list(rule.keys)},
        )

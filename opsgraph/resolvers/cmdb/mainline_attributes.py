"""Custom attributes of businesses, sets, modules and hosts, governed by their model.

A custom attribute is one the model declares and no column of the topology tables holds: a user
attribute added with create_object_attribute, or a preset one kept in the JSON `attributes`
column (host.bk_sla). Every write checks it like any instance value (bk-cmdb instance_validate.go):
type and option with the same codes, text trimmed, `required` (missing on create or emptied on
update: REQUIRED), `editable` (a set value of a non-editable attribute may not change:
NOT_EDITABLE), and on create the declared `default` (or an enum's is_default option) fills what is
absent. Unique rules cannot be declared on these models (unique_rules.py, 1101085); their preset
identities (names, inner IP + cloud area) are enforced by the tables themselves.

A key the model does not declare:
- GraphQL (`unknown="refuse"`): refused, naming the attribute, and nothing is stored;
- the BlueKing REST path (`unknown="drop"`): dropped silently, as modern bk-cmdb's coreservice does
  (validateCreateInstValue / validOneUpdateInstKeyVal delete unknown keys). v3.2's topo server
  refused them instead (validator.ValidMap, 1199006); dropping accepts what either version's
  callers send, which is why the REST rows ask for it.

Example:
    custom = await checked_custom_attributes("host", {"bk_sla": "1"}, unknown="refuse", creating=True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.cmdb.attribute_types import ENUM, ENUMMULTI, AttributeSpec
from opsgraph.resolvers.cmdb.attribute_values import check_value
from opsgraph.resolvers.cmdb.codes import NOT_EDITABLE, REQUIRED
from opsgraph.resolvers.cmdb.definitions import load_definition
from opsgraph.resolvers.cmdb.instance_values import Unknown
from opsgraph.resolvers.properties import PROPERTY_COLUMNS

Attributes = dict[str, Any]


@dataclass(frozen=True)
class CustomAttributeRules:
    """The declared custom attributes of one mainline model, read once per write (or batch)."""

    kind: str
    specs: Mapping[str, AttributeSpec]

    def check(
        self,
        custom: Mapping[str, Any],
        *,
        unknown: Unknown,
        creating: bool,
        current: Mapping[str, Any] | None = None,
        field: str = "attributes",
    ) -> Attributes:
        """The attributes to store; `current` (updates) is the record's stored attributes."""
        checked: Attributes = {}
        for key, value in custom.items():
            where = f"{field}.{key}"
            spec = self.specs.get(key)
            if spec is None:
                if unknown == "refuse":
                    raise ValidationFailed(f"model {self.kind!r} has no attribute {key!r}", field=where)
                continue
            stored = check_value(spec, value, where)
            if stored is None and spec.required:
                raise ValidationFailed(f"{where} is required", field=where, code=REQUIRED)
            if current is not None and not spec.editable:
                before = current.get(key)
                if before is not None and stored != before:
                    raise ValidationFailed(f"{where} is not editable", field=where, code=NOT_EDITABLE)
            checked[key] = stored
        if creating:
            self._complete(checked, field)
        return checked

    def _complete(self, checked: Attributes, field: str) -> None:
        """Defaults for what a new record lacks (upstream's FillLostFieldValue), then required ones."""
        for key, spec in self.specs.items():
            if key in checked:
                continue
            default = _default_of(spec)
            if default is not None:
                checked[key] = default
            elif spec.required:
                raise ValidationFailed(f"{field}.{key} is required", field=f"{field}.{key}", code=REQUIRED)


def _default_of(spec: AttributeSpec) -> Any:
    if spec.default is not None:
        return spec.default
    if spec.property_type in (ENUM, ENUMMULTI) and isinstance(spec.option, list):
        chosen = next((o["id"] for o in spec.option if isinstance(o, dict) and o.get("is_default")), None)
        if chosen is not None:
            return chosen if spec.property_type == ENUM else [chosen]
    return None


async def custom_attribute_rules(kind: str) -> CustomAttributeRules:
    """One model read; then `check` is synchronous (for batches such as adding hosts)."""
    definition = await load_definition(kind)
    columns = PROPERTY_COLUMNS[kind]
    specs = {key: spec for key, spec in definition.attributes.items() if not spec.is_system and key not in columns}
    return CustomAttributeRules(kind, specs)


async def checked_custom_attributes(
    kind: str,
    custom: Mapping[str, Any],
    *,
    unknown: Unknown,
    creating: bool,
    current: Mapping[str, Any] | None = None,
    field: str = "attributes",
) -> Attributes:
    rules = await custom_attribute_rules(kind)
    return rules.check(custom, unknown=unknown, creating=creating, current=current, field=field)

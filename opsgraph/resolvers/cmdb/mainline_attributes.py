"""Custom attributes of businesses, sets, modules and hosts, checked against their model: a value of
an attribute the model declares (a user attribute added with create_object_attribute, or a preset
one kept in the JSON `attributes` column such as host.bk_sla) is checked, trimmed and coerced like
any instance value, with the same codes.

Keys the model does not declare are still stored as given: refusing them (GraphQL) and dropping
them (REST) as bk-cmdb does would break every caller that writes free-form attributes today,
including the dynamic-group conditions that read them; see the README's CMDB section.

Example:
    custom = await checked_custom_attributes("host", {"bk_sla": "1", "rack": "A1"})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsgraph.resolvers.cmdb.attribute_values import check_value
from opsgraph.resolvers.cmdb.definitions import load_definition

Checker = Callable[[dict[str, Any], str], dict[str, Any]]


async def custom_attribute_checker(kind: str) -> Checker:
    """One model read, then a synchronous check per record (for batches such as adding hosts)."""
    definition = await load_definition(kind)
    specs = {key: spec for key, spec in definition.attributes.items() if not spec.is_system}

    def check(custom: dict[str, Any], field: str = "attributes") -> dict[str, Any]:
        checked = dict(custom)
        for key, value in custom.items():
            spec = specs.get(key)
            if spec is not None and value is not None:
                checked[key] = check_value(spec, value, f"{field}.{key}")
        return checked

    return check


async def checked_custom_attributes(kind: str, custom: dict[str, Any], field: str = "attributes") -> dict[str, Any]:
    if not custom:
        return custom
    return (await custom_attribute_checker(kind))(custom, field)

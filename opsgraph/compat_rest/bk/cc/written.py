"""`to_data` adapters for the cc write endpoints: fail on a payload's UserError, else answer as documented.

CMDB's documented `data` for a write is a constant (`{}`, `"success"`…) or the new object's id, so
the adapters only differ in what they answer.

Example:
    BkRoute(..., to_data=constant("updateSet", {}))
    BkRoute(..., to_data=created_id("createSet", "set", "bkSetId", "bk_set_id"))  # → {"bk_set_id": 12}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import raise_user_errors

DataAdapter = Callable[[dict[str, Any], Params], Any]


def constant(mutation: str, answer: Any) -> DataAdapter:
    def to_data(data: dict[str, Any], params: Params) -> Any:
        raise_user_errors(data[mutation])
        return answer

    return to_data


def created_id(mutation: str, node: str, id_field: str, bk_name: str) -> DataAdapter:
    def to_data(data: dict[str, Any], params: Params) -> dict[str, Any]:
        payload = data[mutation]
        raise_user_errors(payload)
        return {bk_name: payload[node][id_field]}

    return to_data

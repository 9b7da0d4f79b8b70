"""bk `cc` model-topology endpoints: search_object_topo → edges, search_object_topo_graphics → nodes,
update_object_topo_graphics → `"success"` (with message "success", as documented).

update_object_topo_graphics's example gives `scope_id` as the number 0 where the table says a string:
both are accepted.

Example (bkapi-component-open):
    client.cc.search_object_topo(data={"bk_classification_id": "bk_network"})
    # data: [{"arrows": "to", "from": {...}, "to": {...}, "label": "...", "label_name": "...", ...}]
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import Params
from opsgraph.compat_rest.bk.cc.model_codes import add_model_route
from opsgraph.compat_rest.bk.cc.written import constant
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed


def _scope(params: Params) -> dict[str, Any]:
    return {"scopeType": params.get_str("scope_type"), "scopeId": params.get_str("scope_id")}


def _graphics(params: Params, principal: Principal) -> dict[str, Any]:
    nodes = params.get_list("data", [], required=False)
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise ValidationFailed(f"data[{index}] must be an object", field=f"data[{index}]")
    return {"input": {**_scope(params), "action": params.get_str("action"), "nodes": nodes}}


add_model_route(
    __name__,
    name="search_object_topo",
    operation="search_object_topo.graphql",
    to_variables=lambda params, principal: {"classification": params.get_str("bk_classification_id")},
    to_data=lambda data, params: data["objectTopology"],
    summary="Association edges among the models of a classification",
)
add_model_route(
    __name__,
    name="search_object_topo_graphics",
    operation="search_object_topo_graphics.graphql",
    to_variables=lambda params, principal: _scope(params),
    to_data=lambda data, params: data["topoGraphics"],
    summary="The nodes of a topology graph, with saved positions",
)
add_model_route(
    __name__,
    name="update_object_topo_graphics",
    operation="update_object_topo_graphics.graphql",
    to_variables=_graphics,
    to_data=constant("updateTopoGraphics", "success"),
    success_message="success",
    summary='Save node positions (update = upsert, override = replace) → "success"',
)

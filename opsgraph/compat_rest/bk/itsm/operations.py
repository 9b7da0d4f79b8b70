"""bk `itsm` operate_node and operate_ticket → `data: []` on success.

operate_node `{sn, operator, state_id, action_type, fields, processors_type, processors,
action_message}`: TRANSITION submits or approves with `fields: [{key, value}]` (an approval step
takes `approve_result` "true"/"false" and `approve_remark`), CLAIM, DISTRIBUTE and DELIVER
(`processors_type` PERSON|GENERAL + comma-joined `processors`), TERMINATE (`action_message`).
operate_ticket `{sn, operator, action_type, action_message}`: SUSPEND, UNSUSPEND, WITHDRAW and
TERMINATE — the doc calls TERMINATE "not supported yet", bk-itsm's code supports it, so do we.
An unknown action is bk-itsm's 3900004.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.itsm.common import POST, itsm_route, mutate, ticket_by_sn
from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

NODE_ACTIONS = frozenset({"TRANSITION", "CLAIM", "DISTRIBUTE", "DELIVER", "TERMINATE"})
TICKET_ACTIONS = frozenset({"SUSPEND", "UNSUSPEND", "WITHDRAW", "TERMINATE"})


def _action(params: Params, allowed: frozenset[str]) -> str:
    action = params.get_str("action_type").strip().upper()
    if action not in allowed:
        raise ValidationFailed(
            f"不支持的操作类型 {action!r}: one of {', '.join(sorted(allowed))}",
            field="action_type",
            code="UNSUPPORTED_ACTION",
        )
    return action


@itsm_route("operate_node", methods=POST, summary="Process a ticket's current step")
async def operate_node(params: Params, principal: Principal, settings: Settings) -> list[Any]:
    action = _action(params, NODE_ACTIONS)
    operator = params.get_str("operator").strip()
    state_id = params.get_int("state_id")
    fields = params.get_list("fields", [], required=False)
    if not all(isinstance(f, dict) and isinstance(f.get("key"), str) for f in fields):
        raise ValidationFailed("fields must be a list of {key, value}", field="fields")
    if action == "TRANSITION" and not fields:
        raise ValidationFailed("TRANSITION needs the step's fields", field="fields", code="FIELD_REQUIRED")
    raw_processors = params.get("processors")
    names = raw_processors if isinstance(raw_processors, list) else str(raw_processors or "").split(",")
    ticket = await ticket_by_sn(params, principal, settings)
    node_input = {
        "ticketId": ticket["id"],
        "stateId": state_id,
        "action": action,
        "fields": [{"key": f["key"], "value": f.get("value")} for f in fields],
        "processorsType": params.get_str("processors_type", required=False) or None,
        "processors": [str(n).strip() for n in names if str(n).strip()] or None,
        "comment": params.get_str("action_message", required=False) or None,
        "operator": operator,
    }
    await mutate("operate_node.graphql", "operateTicketNode", {"input": node_input}, principal, settings)
    return []


@itsm_route("operate_ticket", methods=POST, summary="Suspend, resume, withdraw or terminate a ticket")
async def operate_ticket(params: Params, principal: Principal, settings: Settings) -> list[Any]:
    action = _action(params, TICKET_ACTIONS)
    operator = params.get_str("operator").strip()
    ticket = await ticket_by_sn(params, principal, settings)
    ticket_input = {
        "ticketId": ticket["id"],
        "action": action,
        "comment": params.get_str("action_message", required=False) or None,
        "operator": operator,
    }
    await mutate("operate_ticket.graphql", "operateTicket", {"input": ticket_input}, principal, settings)
    return []

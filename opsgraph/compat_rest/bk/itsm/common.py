"""What the `itsm` rows share: registration with bk-itsm's codes, "YYYY-MM-DD hh:mm:ss" times,
looking a ticket up by `sn`, and the shapes of steps and operations bk-itsm answers with.

Example:
    @itsm_route("get_ticket_logs", methods=ANY)
    async def get_ticket_logs(params: Params, principal: Principal, settings: Settings) -> dict: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsgraph.compat_rest.bk.common import bk_time
from opsgraph.compat_rest.bk.itsm.errors import ITSM_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.routes import BK_ROUTES, Handler
from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

# The doc gives GET for the reads and POST for the writes (and get_tickets); bk clients of other
# generations send reads as POST too, so reads take both.
ANY = frozenset({"GET", "POST"})
POST = frozenset({"POST"})
# get_ticket_status current_steps[].action_type: what the step waits for.
ACTION_TYPES = {"RECEIVING": "CLAIM", "DISTRIBUTING": "DISTRIBUTE"}
OPERATION_NAMES = {
    "SUSPEND": "挂起",
    "UNSUSPEND": "恢复",
    "WITHDRAW": "撤单",
    "TERMINATE": "终止",
    "TRANSITION": "提交",
    "CLAIM": "认领",
    "DISTRIBUTE": "派单",
    "DELIVER": "转单",
}


def itsm_route(name: str, *, methods: frozenset[str] = ANY, summary: str = "") -> Callable[[Handler], Handler]:
    return BK_ROUTES.handler("itsm", name, methods=methods, error_codes=ITSM_CODES, summary=summary)


def itsm_time(value: str | None) -> str | None:
    return bk_time(value, offset=False)


def operations(keys: list[str]) -> list[dict[str, Any]]:
    """bk-itsm's operation objects; `can_operate` is documented as always true."""
    return [{"can_operate": True, "name": OPERATION_NAMES.get(key, key), "key": key} for key in keys]


def field_definition(item: dict[str, Any], index: int) -> dict[str, Any]:
    """A form field as get_service_detail / get_ticket_status show it (ids are positions)."""
    return {
        "id": index + 1,
        "key": item["key"],
        "type": item["type"],
        "name": item["name"],
        "desc": item["desc"],
        "choice": item["choices"],
        "validate_type": "REQUIRE" if item["required"] else "OPTION",
        "regex": item["regex"] or "EMPTY",
        "meta": item["meta"],
    }


def step(node: dict[str, Any], *, detailed: bool) -> dict[str, Any]:
    """One current step; get_ticket_status adds its operations and form."""
    shaped: dict[str, Any] = {
        "name": node["name"],
        "state_id": node["stateId"],
        "status": node["status"],
        "action_type": ACTION_TYPES.get(node["status"], "TRANSITION"),
        "processors_type": node["processorsType"],
        "processors": ",".join(node["processors"]),
    }
    if detailed:
        shaped["operations"] = operations(node["operations"])
        shaped["fields"] = [field_definition(f, i) for i, f in enumerate(node["fields"])]
    return shaped


def ticket_url(ticket_id: int) -> str:
    return f"/graphql#ticket/{ticket_id}"


def summary_of(ticket: dict[str, Any]) -> dict[str, Any]:
    """The ticket fields get_tickets items and get_ticket_info share."""
    biz = ticket["bkBizId"]
    return {
        "id": ticket["ticketId"],
        "sn": ticket["sn"],
        "title": ticket["title"],
        "catalog_id": ticket["service"]["catalogId"],
        "service_id": ticket["serviceId"],
        "service_type": ticket["service"]["serviceType"],
        "flow_id": ticket["flowId"],
        "current_status": ticket["status"],
        "current_steps": [step(s, detailed=False) for s in ticket["currentSteps"]],
        "comment_id": "",
        "is_commented": False,
        "updated_by": ticket["updatedBy"],
        "update_at": itsm_time(ticket["updatedAt"]),
        "end_at": itsm_time(ticket["endAt"]),
        "creator": ticket["creator"],
        "create_at": itsm_time(ticket["createdAt"]),
        "is_biz_need": biz is not None,
        "bk_biz_id": biz if biz is not None else -1,  # bk-itsm's "no business"
        "ticket_url": ticket_url(ticket["ticketId"]),
    }


async def ticket_by_sn(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    sn = params.get_str("sn").strip()
    found = (await run_operation(load_operation(__name__, "ticket.graphql"), {"sn": sn}, principal, settings))["ticket"]
    if found is None:
        raise NotFound(f"ticket {sn!r} does not exist", field="sn", code="TICKET_NOT_FOUND")
    ticket: dict[str, Any] = found
    return ticket


async def mutate(document: str, name: str, variables: dict[str, Any], principal: Principal, settings: Settings) -> Any:
    payload = (await run_operation(load_operation(__name__, document), variables, principal, settings))[name]
    raise_user_errors(payload)
    return payload

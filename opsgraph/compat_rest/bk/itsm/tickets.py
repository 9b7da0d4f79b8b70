"""bk `itsm` tickets: create_ticket, get_tickets, get_ticket_info, get_ticket_status, get_ticket_logs.

- create_ticket `{service_id, creator, fields: [{key, value}], fast_approval, meta: {callback_url,
  state_processors}}` → `{sn, id, ticket_url}` (bk-itsm's v2 doc; the 001 seed shows only `sn`).
  A `bk_biz_id` field binds the ticket to that business. `creator` other than the caller needs a
  superuser, as every "act as" here. `fast_approval` opens it in the built-in approval service
  (fields APPROVER = comma-joined approvers, APPROVAL_CONTENT).
- get_tickets pages with `page` (from 1) and `page_size` (default 10, at most 10000), newest
  first. The doc's descriptions of `create_at__lte` / `__gte` are swapped; the names win
  (lte: created at or before). Markdown ate the underscores in the doc, so `create_atlte`,
  `create_at_lte` and `create_at__lte` are all accepted.
- Tickets without a business answer `bk_biz_id: -1`, `is_biz_need: false`, as bk-itsm does.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from opsgraph.compat_rest.bk.itsm.common import (
    POST,
    field_definition,
    itsm_route,
    itsm_time,
    mutate,
    operations,
    step,
    summary_of,
    ticket_by_sn,
    ticket_url,
)
from opsgraph.compat_rest.bk.itsm.services import service_id
from opsgraph.compat_rest.bk.job.common import MAX_ID
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

MAX_PAGE_SIZE = 10_000


def _fields(params: Params) -> list[dict[str, Any]]:
    items = params.get_list("fields")
    fields: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise ValidationFailed(f"fields[{index}] must be {{key, value}}", field="fields")
        fields.append({"key": item["key"], "value": item.get("value")})
    return fields


def _business(fields: list[dict[str, Any]]) -> str | None:
    raw = next((f["value"] for f in fields if f["key"] == "bk_biz_id"), None)
    if raw in (None, "", -1, "-1"):
        return None
    try:
        biz = int(str(raw))
    except ValueError as exc:
        raise ValidationFailed("the bk_biz_id field must be a business id", field="fields") from exc
    if not 0 < biz <= MAX_ID:
        raise ValidationFailed(f"business {biz} does not exist", field="fields", code="BUSINESS_NOT_FOUND")
    return encode_global_id("Business", biz)


def _meta(params: Params) -> tuple[str | None, list[dict[str, Any]]]:
    meta = params.get("meta") or {}
    if not isinstance(meta, dict):
        raise ValidationFailed("meta must be an object {callback_url, state_processors}", field="meta")
    processors = meta.get("state_processors") or {}
    if not isinstance(processors, dict):
        raise ValidationFailed("meta.state_processors must map state ids to processors", field="meta")
    chosen = []
    for state, names in processors.items():
        if not str(state).isdigit():
            raise ValidationFailed(f"meta.state_processors: {state!r} is not a state id", field="meta")
        people = names if isinstance(names, list) else str(names or "").split(",")
        chosen.append({"stateId": int(state), "processors": [str(p).strip() for p in people if str(p).strip()]})
    callback = meta.get("callback_url")
    return (str(callback) if callback else None), chosen


@itsm_route("create_ticket", methods=POST, summary="Open a ticket → {sn, id, ticket_url}")
async def create_ticket(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    fast = params.get_bool("fast_approval", False, required=False)
    creator = params.get_str("creator").strip()
    fields = _fields(params)
    callback, processors = _meta(params)
    ticket_input: dict[str, Any] = {
        "fields": fields,
        "operator": creator,
        "fastApproval": fast,
        "businessId": _business(fields),
        "callbackUrl": callback,
        "stateProcessors": processors,
    }
    if not fast:
        ticket_input["serviceId"] = encode_global_id("Service", service_id(params))
    payload = await mutate("create_ticket.graphql", "createTicket", {"input": ticket_input}, principal, settings)
    ticket = payload["ticket"]
    return {"sn": ticket["sn"], "id": ticket["ticketId"], "ticket_url": ticket_url(ticket["ticketId"])}


def _moment(params: Params, *names: str) -> str | None:
    for name in names:
        raw = params.get_str(name, required=False)
        if raw:
            try:
                moment = datetime.strptime(raw.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            except ValueError as exc:
                raise ValidationFailed(f"{name} must be YYYY-MM-DD hh:mm:ss", field=name) from exc
            return moment.isoformat()
    return None


@itsm_route("get_tickets", methods=frozenset({"GET", "POST"}), summary="A page of tickets, newest first")
async def get_tickets(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    page = params.get_int("page", 1, required=False)
    size = params.get_int("page_size", 10, required=False)
    if page < 1:
        raise ValidationFailed("page starts at 1", field="page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"page_size must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    ticket_filter: dict[str, Any] = {
        "sns": [str(sn) for sn in params.get_list("sns", required=False) or []] or None,
        "creator": params.get_str("creator", required=False) or None,
        "createdBefore": _moment(params, "create_at__lte", "create_at_lte", "create_atlte"),
        "createdAfter": _moment(params, "create_at__gte", "create_at_gte", "create_atgte"),
    }
    end = page * size
    document = load_operation(__name__, "tickets.graphql")
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        # Keyset pages up to the one asked for: a legacy offset is walked, never sent to SQL.
        variables = {"first": min(settings.max_page_size, end - len(nodes)), "after": after, "filter": ticket_filter}
        connection = (await run_operation(document, variables, principal, settings))["tickets"]
        count = connection["totalCount"]
        nodes.extend(connection["nodes"])
        if len(nodes) >= end or not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    items = [summary_of(t) for t in nodes[end - size : end]]
    total_page = math.ceil(count / size) if count else 0
    return {
        "page": page,
        "total_page": total_page,
        "count": count,
        "next": f"?page={page + 1}&page_size={size}" if page < total_page else None,
        "previous": f"?page={page - 1}&page_size={size}" if page > 1 else None,
        "items": items,
    }


@itsm_route("get_ticket_info", summary="One ticket with its submitted fields")
async def get_ticket_info(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    ticket = await ticket_by_sn(params, principal, settings)
    info = summary_of(ticket)
    info["fields"] = [
        {
            "id": index + 1,
            "key": f["key"],
            "type": f["type"],
            "name": f["name"],
            "value": f["value"],
            "display_value": f["displayValue"],
            "desc": "",
        }
        for index, f in enumerate(ticket["fields"])
    ]
    return info


@itsm_route("get_ticket_status", summary="A ticket's status, current steps and the operations they take")
async def get_ticket_status(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    ticket = await ticket_by_sn(params, principal, settings)
    return {
        "current_status": ticket["status"],
        "current_steps": [step(s, detailed=True) for s in ticket["currentSteps"]],
        "operations": operations(ticket["operations"]),
        "is_commented": False,
        "ticket_url": ticket_url(ticket["ticketId"]),
    }


@itsm_route("get_ticket_logs", summary="What happened to a ticket")
async def get_ticket_logs(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    ticket = await ticket_by_sn(params, principal, settings)
    return {
        "sn": ticket["sn"],
        "title": ticket["title"],
        "create_at": itsm_time(ticket["createdAt"]),
        "creator": ticket["creator"],
        "logs": [
            {
                "operator": log["operator"],
                "message": log["message"],
                "source": log["source"],
                "operate_at": itsm_time(log["operateAt"]),
            }
            for log in ticket["logs"]["nodes"]
        ],
    }


__all__ = ["field_definition"]

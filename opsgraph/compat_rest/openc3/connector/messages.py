"""connectorx's bridges: `notify` (through OpsGraph's messaging channels and their outbox) and
`approval` (a ticket of the built-in approval service), and the audit log (our operation log)."""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.checks import fail, text
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.settings import Settings

CHANNELS = {"email": "MAIL", "mail": "MAIL", "sms": "SMS"}
PERSON = re.compile(r"^[a-zA-Z0-9@_\.\-]+$")
UUID = re.compile(r"^[a-zA-Z0-9]+$")


def _receivers(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,;\s]+", value) if isinstance(value, str) else None
    if not items or not all(isinstance(item, str) and PERSON.match(item) for item in items if item):
        raise fail(f"{where}.to", "list the receivers: user names, mail addresses or phone numbers")
    return [item for item in items if item]


@C3_ROUTES.route("connector", "POST", "/connectorx/notify")
async def notify(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Send each `data[]` item (`type` email or sms, `to`, `title`, `content`); say which failed."""
    items = request.get("data")
    if not isinstance(items, list) or not items:
        raise fail("data", "no data: send a list of {type, to, title, content}")
    errors: list[str] = []
    document = load_operation(__name__, "send_message.graphql")
    for index, item in enumerate(items, start=1):
        where = f"data[{index - 1}]"
        if not isinstance(item, dict):
            errors.append(f"format error [idx:{index}]")
            continue
        channel = CHANNELS.get(str(item.get("type") or ""))
        if channel is None:
            errors.append(f"nofind plugin {item.get('type')} [idx:{index}]")
            continue
        receivers = _receivers(item.get("to") or item.get("user"), where)
        spec = {
            "channel": channel,
            "title": str(item.get("title") or item.get("subject") or ""),
            "content": str(item.get("content") or item.get("mesg") or ""),
            "contacts": [],
            "receivers": [r for r in receivers if "@" in r or r.isdigit()],
            "receiverUsernames": [r for r in receivers if not ("@" in r or r.isdigit())],
            "origin": "openc3.connectorx",
        }
        payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["sendMessage"]
        if payload["errors"]:
            errors.append(f"{payload['errors'][0]['message']} [idx:{index}]")
            continue
        errors += [f"{r['receiver']}: {r['reason']} [idx:{index}]" for r in payload["receivers"] if not r["ok"]]
    if errors:
        return C3Reply(stat=False, info=f"Err: {';'.join(errors)}")
    return C3Reply(info="ok")


@C3_ROUTES.route("connector", "POST", "/connectorx/approval")
async def start_approval(request: C3Request, caller: C3Caller, settings: Settings) -> str:
    """An approval ticket (`content`, `submitter`, `approver`); its sn is the uuid to poll."""
    content = text(request, "content", required=True, max_length=4096)
    submitter = text(request, "submitter", required=True, pattern=PERSON, max_length=128)
    approver = text(request, "approver", required=True, pattern=PERSON, max_length=128)
    fields = [
        {"key": "title", "value": content[:120]},
        {"key": "APPROVER", "value": approver},
        {"key": "APPROVAL_CONTENT", "value": content},
    ]
    spec = {
        "fastApproval": True,
        "fields": fields,
        "operator": submitter,
        "stateProcessors": [{"stateId": 2, "processors": [approver]}],
    }
    payload = (
        await run_operation(
            load_operation(__name__, "create_approval_ticket.graphql"), {"input": spec}, caller.principal, settings
        )
    )["createTicket"]
    raise_user_errors(payload)
    return str(payload["ticket"]["sn"])


@C3_ROUTES.route("connector", "GET", "/connectorx/approval")
async def approval_status(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """`status`: agree, refuse, or wait; `reason` when refused."""
    sn = text(request, "uuid", required=True, pattern=UUID, max_length=64)
    ticket = (
        await run_operation(load_operation(__name__, "approval_ticket.graphql"), {"sn": sn}, caller.principal, settings)
    )["ticket"]
    if ticket is None:
        raise fail("uuid", "no such approval")
    if ticket["status"] == "RUNNING" or ticket["status"] == "SUSPENDED":
        return {"status": "wait", "reason": "null"}
    agreed = ticket["status"] == "FINISHED" and ticket["approveResult"]
    return {"status": "agree" if agreed else "refuse", "reason": "null" if agreed else ticket["endReason"]}


@C3_ROUTES.route("connector", "POST", "/connectorx/auditlog")
async def write_audit(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Add an entry (`user`, `title`, `content`) to the audit log; the caller is its operator."""
    variables = {
        "user": text(request, "user", required=True, pattern=PERSON, max_length=128),
        "title": text(request, "title", required=True, max_length=4096),
        "content": text(request, "content", required=True, max_length=4096),
    }
    payload = (
        await run_operation(
            load_operation(__name__, "write_audit_entry.graphql"), variables, caller.principal, settings
        )
    )["writeAuditEntry"]
    raise_user_errors(payload)
    return C3Reply(info="ok")


@C3_ROUTES.route("connector", "GET", "/connectorx/auditlog")
async def read_audit(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The newest 1000 entries the caller may see: `time`/`user` by prefix, `title`/`content` contained."""
    spec = {key: text(request, key, max_length=256) or None for key in ("time", "user", "title", "content")}
    data = await run_operation(
        load_operation(__name__, "audit_log.graphql"), {"filter": spec}, caller.principal, settings
    )
    return [{**row, "time": c3_time(row["time"])} for row in data["treeAuditLog"]]

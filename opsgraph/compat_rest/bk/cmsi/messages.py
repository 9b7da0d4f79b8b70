"""The cmsi rows: each send becomes one `sendMessage` (the outbox), get_msg_type reads the channels.

Receivers: `receiver` (addresses) wins over `receiver__username`, and `cc` over `cc__username`, as
upstream; a malformed address refuses the whole call; unknown users or users without the channel's
address fail alone (partial failure, see common.reply). Success is `code: 0` with message "OK": the
doc's examples say `"00"`, but ESB answers 0 (it fills the code in itself).

Example (bkapi-component-open):
    client.cmsi.send_mail({"receiver__username": "alice", "title": "hi", "content": "<b>hello</b>"})
    # {"result": true, "code": 0, "message": "OK",
    #  "data": {"message_id": 7, "receivers": [{"receiver": "alice", "ok": true, ...}]}, ...}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES
from opsgraph.compat_rest.bk.cmsi.common import (
    CC,
    CC_USERNAME,
    RECEIVER_USERNAME,
    SUCCESS_MESSAGE,
    maybe_base64,
    outcome_rows,
    receivers,
    reply,
    send,
)
from opsgraph.compat_rest.bk.cmsi.errors import CMSI_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import OpsGraphError, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.resolvers.messaging.attachments import parse_attachments

WHAT = {"mail": "email", "sms": "sms", "weixin": "weixin", "voice": "voice message"}
MSG_TYPES = ("weixin", "mail", "sms", "voice")


def _route(name: str, summary: str) -> Any:
    return BK_ROUTES.handler("cmsi", name, error_codes=CMSI_CODES, success_message=SUCCESS_MESSAGE, summary=summary)


def _require_receivers(addresses: list[str], usernames: list[str]) -> None:
    if not addresses and not usernames:
        raise ValidationFailed(
            "receiver and receiver__username shall not be empty at the same time",
            field="receiver__username",
            code="MISSING_FIELD",
        )


def _targets(params: Params, *, cc: bool = False) -> dict[str, Any]:
    """`receiver` wins over `receiver__username` (and `cc` over `cc__username`) when both are given."""
    addresses = receivers(params, ("receiver",))
    usernames = [] if addresses else receivers(params, RECEIVER_USERNAME)
    _require_receivers(addresses, usernames)
    targets: dict[str, Any] = {"receivers": addresses, "receiverUsernames": usernames}
    if cc:
        cc_addresses = receivers(params, CC)
        targets["cc"] = cc_addresses
        targets["ccUsernames"] = [] if cc_addresses else receivers(params, CC_USERNAME)
    return targets


def _mail_fields(params: Params) -> dict[str, Any]:
    body_format = (params.get_str("body_format", "Html") or "Html").strip().lower()
    if body_format not in ("html", "text"):
        raise ValidationFailed("body_format must be Html or Text", field="body_format")
    attachments = parse_attachments(params.get("attachments"))
    return {
        "sender": params.get_str("sender", required=False) or None,
        "bodyFormat": body_format.upper(),
        "attachments": [
            {
                "filename": item["filename"],
                "contentBase64": item["content"],
                "type": item["mime_type"],
                "disposition": item["disposition"],
                "contentId": item["content_id"] or None,
            }
            for item in attachments
        ],
    }


def _weixin_extra(params: Params, data: Params | None = None) -> dict[str, Any]:
    source = data if data is not None else params
    extra = {
        "date": source.get_str("date", "") or datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M"),
        "remark": source.get_str("remark", ""),
        "wx_qy_agentid": params.get_str("wx_qy_agentid", ""),
        "wx_qy_corpsecret": params.get_str("wx_qy_corpsecret", ""),
        "wx_type": params.get_str("wx_type", ""),
    }
    return {key: value for key, value in extra.items() if value}


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": payload.get("messageId"), "receivers": outcome_rows(payload)}


@_route("send_mail", "Send an email (SMTP) to addresses or users")
async def send_mail(params: Params, principal: Principal, settings: Settings) -> Any:
    content = maybe_base64(params.get_str("content"), params.get_bool("is_content_base64", False))
    input = {
        "channel": "MAIL",
        "title": params.get_str("title"),
        "content": content,
        "origin": "cmsi.send_mail",
        **_targets(params, cc=True),
        **_mail_fields(params),
    }
    payload = await send(input, principal, settings)
    return reply(payload, WHAT["mail"], _data(payload))


@_route("send_sms", "Send an SMS through the site's webhook")
async def send_sms(params: Params, principal: Principal, settings: Settings) -> Any:
    # Upstream send_sms accepts an empty receiver list (and sends nothing); refused here with the
    # message send_mail gives, since a send to nobody is a caller's mistake.
    content = maybe_base64(params.get_str("content"), params.get_bool("is_content_base64", False))
    input = {"channel": "SMS", "content": content, "origin": "cmsi.send_sms", **_targets(params)}
    payload = await send(input, principal, settings)
    return reply(payload, WHAT["sms"], _data(payload))


@_route("send_weixin", "Send a WeChat (WeCom / official account) message through the site's webhook")
async def send_weixin(params: Params, principal: Principal, settings: Settings) -> Any:
    data = params.sub("data", required=True)
    message = maybe_base64(data.get_str("message"), data.get_bool("is_message_base64", False))
    input = {
        "channel": "WEIXIN",
        "title": data.get_str("heading"),
        "content": message,
        "origin": "cmsi.send_weixin",
        "extra": _weixin_extra(params, data),
        **_targets(params),
    }
    payload = await send(input, principal, settings)
    return reply(payload, WHAT["weixin"], _data(payload))


@_route("send_voice_msg", "Voice call notification through the site's webhook")
async def send_voice_msg(params: Params, principal: Principal, settings: Settings) -> Any:
    text = params.get_str("auto_read_message")
    contacts = _voice_contacts(params)
    usernames = [] if contacts else receivers(params, RECEIVER_USERNAME)
    if not contacts and not usernames:
        raise ValidationFailed(
            "user_list_information and receiver__username shall not be empty at the same time",
            field="receiver__username",
            code="MISSING_FIELD",
        )
    input = {
        "channel": "VOICE",
        "content": text,
        "origin": "cmsi.send_voice_msg",
        "contacts": contacts,
        "receiverUsernames": usernames,
    }
    payload = await send(input, principal, settings)
    data = {"instance_id": str(payload.get("messageId")), **_data(payload)}
    return reply(payload, WHAT["voice"], data)


def _voice_contacts(params: Params) -> list[dict[str, Any]]:
    """`user_list_information` wins over `receiver__username`."""
    contacts = []
    for index, item in enumerate(params.get_list("user_list_information", [])):
        if not isinstance(item, dict):
            raise ValidationFailed(
                "each user_list_information entry is an object {username, mobile_phone}",
                field=f"user_list_information[{index}]",
            )
        entry = Params(item, prefix=f"user_list_information[{index}].")
        contacts.append({"username": entry.get_str("username"), "address": entry.get_str("mobile_phone", "") or None})
    return contacts


@_route("send_msg", "Send a message on any channel (msg_type) to users")
async def send_msg(params: Params, principal: Principal, settings: Settings) -> Any:
    msg_type = params.get_str("msg_type").strip().lower()
    if msg_type not in MSG_TYPES:
        raise OpsGraphError(
            f"Unsupported type of msg type: {msg_type!r} (use {', '.join(MSG_TYPES)})",
            field="msg_type",
            code="UNSUPPORTED_MSG_TYPE",
        )
    usernames = receivers(params, RECEIVER_USERNAME)
    if not usernames:
        raise ValidationFailed("receiver__username is required", field="receiver__username", code="MISSING_FIELD")
    title = params.get_str("title")
    content = maybe_base64(params.get_str("content"), params.get_bool("is_content_base64", False))
    input: dict[str, Any] = {
        "channel": msg_type.upper(),
        "title": title,
        "content": content,
        "origin": "cmsi.send_msg",
        "receiverUsernames": usernames,
    }
    if msg_type == "mail":
        input.update(ccUsernames=receivers(params, CC_USERNAME), **_mail_fields(params))
    elif msg_type == "weixin":
        input["extra"] = _weixin_extra(params)
    payload = await send(input, principal, settings)
    # send_msg documents `data` as a list: one outcome per receiver.
    return reply(payload, WHAT[msg_type], outcome_rows(payload))

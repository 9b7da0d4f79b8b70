"""What the cmsi endpoints share: reading receivers as cmsi writes them, base64 content, running the
send operation and shaping upstream's answer (with every receiver's outcome in `data`)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from opsgraph.compat_rest.bk.cmsi.errors import COMPONENT_FAILED
from opsgraph.compat_rest.bk.envelope import BkReply
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.settings import Settings
from opsgraph.resolvers.messaging.receivers import split_receivers

# The doc's tables lost Markdown's double underscore ("receiverusername"); its examples say
# "receiver__username" and "receiver_username". All spellings are accepted, the canonical one first.
RECEIVER_USERNAME = ("receiver__username", "receiver_username", "receiverusername")
CC_USERNAME = ("cc__username", "cc_username", "ccusername")
# send_mail's table spells `cc` with Cyrillic letters ("сс"); accepted too.
CC = ("cc", "\u0441\u0441")
SUCCESS_MESSAGE = "OK"


def first_present(params: Params, names: Sequence[str]) -> tuple[str, Any]:
    for name in names:
        if params.has(name):
            return name, params[name]
    return names[0], None


def receivers(params: Params, names: Sequence[str]) -> list[str]:
    name, value = first_present(params, names)
    return split_receivers(value, name)


def maybe_base64(text: str, encoded: bool) -> str:
    """`is_content_base64`: decoded when it decodes, else the raw text (upstream ignores the failure)."""
    if not encoded:
        return text
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return text


def outcome_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    message_id = payload.get("messageId")
    return [
        {
            "receiver": item["receiver"],
            "username": item["username"],
            "ok": item["ok"],
            "reason": item["reason"],
            "role": item["role"].lower(),
            "message_id": message_id,
        }
        for item in payload["receivers"]
    ]


async def send(input: dict[str, Any], principal: Principal, settings: Settings) -> dict[str, Any]:
    document = load_operation(__name__, "send_message.graphql")
    payload: dict[str, Any] = (await run_operation(document, {"input": input}, principal, settings))["sendMessage"]
    raise_user_errors(payload)
    return payload


def reply(payload: dict[str, Any], what: str, data: Any) -> BkReply | Any:
    """Upstream's partial-failure answer (result false, the failed users named) or plain success."""
    failed = [item for item in payload["receivers"] if not item["ok"]]
    if not failed:
        return data
    if len(failed) == len(payload["receivers"]):
        message = f"All users message failed to be sent. {_details(failed, what)}"
    else:
        message = f"Some users failed to send {what}. {_details(failed, what)}"
    return BkReply(data=data, result=False, code=COMPONENT_FAILED, message=message.strip())


def _details(failed: list[dict[str, Any]], what: str) -> str:
    not_users = [item["receiver"] for item in failed if item["problem"] in ("not_a_user", "invalid_address")]
    no_address = [item["receiver"] for item in failed if item["problem"] == "no_address"]
    other = [item for item in failed if item["problem"] not in ("not_a_user", "invalid_address", "no_address")]
    parts = []
    if not_users:
        parts.append(f"The following users are not blueking users: {';'.join(not_users)}")
    if no_address:
        parts.append(f"The following users have no contact for {what}: {';'.join(no_address)}")
    if other:
        parts.append(f"{other[0]['reason']}: {';'.join(item['receiver'] for item in other)}")
    return ". ".join(parts)

"""cmsi get_msg_type: `[{type, label, is_active}]` in upstream's order (weixin, mail, sms, voice).

Upstream picks the label's language from the `Blueking-Language` request header (English unless
"zh-cn"); route handlers here see parameters, not headers, so the caller's directory language
decides (`language` of the user; English for a name that is no user).
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES
from opsgraph.compat_rest.bk.cmsi.errors import CMSI_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.settings import Settings


@BK_ROUTES.handler(
    "cmsi",
    "get_msg_type",
    methods=frozenset({"GET", "POST"}),
    error_codes=CMSI_CODES,
    success_message="OK",
    summary="The message channels and whether each can send now",
)
async def get_msg_type(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    document = load_operation(__name__, "msg_types.graphql")
    data = await run_operation(document, {"username": principal.username}, principal, settings)
    chinese = (data.get("user") or {}).get("language") == "zh-cn"
    return [
        {
            "type": channel["kind"].lower(),
            "label": channel["labelZh"] if chinese else channel["labelEn"],
            "is_active": channel["active"],
        }
        for channel in data["messageChannels"]
    ]

"""OpenC3's platform settings: the job module's `environment` (notification switches and message
templates) and the connector's `config`. Anyone signed in reads the environment; superusers
(upstream's root level) change either and read the connector config.

The environment's switches are the doc's 24 `is<Source><Event><Channel>` booleans with its
defaults; its templates are the doc's 9 texts. Unknown keys are refused by name.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.service_tree import PlatformSetting
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.topology.common import write_transaction

ENVIRONMENT_SWITCHES: dict[str, bool] = {
    "isCiSuccessSms": True,
    "isCiFailSms": True,
    "isCrontabWaitingSms": True,
    "isPageFailSms": True,
    "isPageWaitingEmail": True,
    "isCiSuccessEmail": True,
    "isApiSuccessEmail": False,
    "isApiFailEmail": True,
    "isPageWaitingSms": True,
    "isPageSuccessEmail": False,
    "isApprovalSuccessSms": True,
    "isCrontabFailEmail": True,
    "isCrontabWaitingEmail": True,
    "isCiFailEmail": True,
    "isPageFailEmail": True,
    "isApiWaitingSms": True,
    "isCrontabSuccessEmail": False,
    "isApiWaitingEmail": True,
    "isPageSuccessSms": False,
    "isApiFailSms": True,
    "isCrontabFailSms": True,
    "isApprovalSuccessEmail": True,
    "isCrontabSuccessSms": False,
    "isApiSuccessSms": False,
}
ENVIRONMENT_TEMPLATES = (
    "notifyTemplateEmailContent",
    "notifyTemplateEmailTitle",
    "ciTemplateEmailContent",
    "ciTemplateEmailTitle",
    "approvalTemplateEmailContent",
    "approvalTemplateEmailTitle",
    "ciTemplateSmsContent",
    "notifyTemplateSmsContent",
    "approvalTemplateSmsContent",
)
SCOPES = ("environment", "connector")
MAX_VALUE = 64 * 1024
MAX_KEYS = 200


def _defaults(scope: str) -> dict[str, Any]:
    if scope == "environment":
        return {**ENVIRONMENT_SWITCHES, **dict.fromkeys(ENVIRONMENT_TEMPLATES, "")}
    return {}


def _check(scope: str, values: Any) -> dict[str, Any]:
    if not isinstance(values, dict) or not values:
        raise ValidationFailed("check format fail data: an object of setting → value", field="data")
    if len(values) > MAX_KEYS:
        raise ValidationFailed(f"check format fail data: at most {MAX_KEYS} settings", field="data")
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if scope == "environment":
            if key in ENVIRONMENT_SWITCHES:
                if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                    value = value.lower() in ("true", "1")
                if not isinstance(value, bool):
                    raise ValidationFailed(f"check format fail {key}: true or false", field=key)
            elif key in ENVIRONMENT_TEMPLATES:
                if not isinstance(value, str) or len(value) > MAX_VALUE:
                    raise ValidationFailed(f"check format fail {key}: a text template", field=key)
            else:
                raise ValidationFailed(f"check format fail {key}: not an environment setting", field=key)
        elif not isinstance(key, str) or not key or len(key) > 128 or len(str(value)) > MAX_VALUE:
            raise ValidationFailed(
                f"check format fail {key}: a name of 1..128 characters and a short value", field="data"
            )
        checked[key] = value
    return checked


async def read_settings(principal: Principal, scope: str) -> dict[str, Any]:
    if scope not in SCOPES:
        raise ValidationFailed(f"unknown settings scope {scope!r}", field="scope")
    if scope == "connector":
        principal.require_superuser("reading the connector configuration")
    return await stored_settings(scope)


async def stored_settings(scope: str) -> dict[str, Any]:
    """The scope's settings over their defaults, for the server's own use (no caller to check)."""
    stored = {
        key: _unwrap(value) for key, value in await PlatformSetting.filter(scope=scope).values_list("key", "value")
    }
    return {**_defaults(scope), **stored}


def _unwrap(value: Any) -> Any:
    """Values are kept as {"v": value}: a bare string would be read back as JSON text."""
    return value.get("v") if isinstance(value, dict) else value


async def write_settings(principal: Principal, scope: str, values: Any) -> dict[str, Any]:
    if scope not in SCOPES:
        raise ValidationFailed(f"unknown settings scope {scope!r}", field="scope")
    principal.require_superuser(f"changing the {scope} settings")
    checked = _check(scope, values)
    before = await read_settings(principal, scope)
    async with write_transaction():
        for key, value in checked.items():
            await PlatformSetting.update_or_create(
                scope=scope, key=key, defaults={"value": {"v": value}, "edited_by": principal.username}
            )
        await record_operation(
            principal,
            op_type="update",
            op_target=f"{scope}_settings",
            op_desc=f"change {len(checked)} {scope} settings",
            pre_data={k: before.get(k) for k in checked},
            cur_data=checked,
        )
    return await read_settings(principal, scope)

"""bk `cc` event subscriptions (CMDB v3.0–v3.9 event push): subscribe_event,
update_event_subscribe, unsubcribe_event (the path keeps its historical misspelling),
search_subscription and testing_connection.

- The timeout: the doc sends `timeout`, bk-cmdb's struct reads `time_out` (the documented key was
  silently ignored upstream). Both are read here; `time_out` wins when both are given.
- `subscription_form` is a comma-separated string (a list is accepted too).
- subscribe_event has no `bk_biz_id` in its doc while update and search require one: absent means
  0, the estate-wide scope (superusers); a business id scopes the subscription to that business.
- Missing required fields answer 1199010 (CCErrCommParamsNeedSet, as the event server does); an
  unreachable callback in testing_connection answers 1103005 (CCErrEventSubscribeTelnetFailed).
- Pushes are signed (X-OpsGraph-Signature, HMAC-SHA256 of "timestamp.body") with the subscribing
  app's secret.

Example (bkapi-component-open):
    client.cc.subscribe_event(data={"subscription_name": "hosts", "system_name": "cmdb-sync",
        "callback_url": "http://10.0.0.9:8080/cb", "confirm_mode": "httpstatus", "confirm_pattern": "200",
        "subscription_form": "hostcreate,hostupdate", "timeout": 10})
    # data: {"subscription_id": 1}
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES, BkRoute, Params
from opsgraph.compat_rest.bk.cc.host_rows import SUPPLIER_ACCOUNT
from opsgraph.compat_rest.bk.cc.written import constant
from opsgraph.compat_rest.bk.error_codes import CMDB_CODES
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import encode_global_id

MAX_INT = 2**31 - 1
MAX_LIMIT = 200
EVENT_CODES = {
    **CMDB_CODES,
    "MISSING_FIELD": 1199010,  # CCErrCommParamsNeedSet
    "CALLBACK_UNREACHABLE": 1103005,  # CCErrEventSubscribeTelnetFailed
}


def _business(params: Params) -> int:
    """`bk_biz_id`, absent = 0 (the estate-wide scope)."""
    value = params.get_int("bk_biz_id", 0, required=False)
    if not 0 <= value <= MAX_INT:
        raise NotFound(f"business {value} does not exist", field="bk_biz_id")
    return value


def _subscription_id(params: Params) -> str:
    value = params.get_int("subscription_id")
    if not 0 < value <= MAX_INT:
        raise NotFound(f"subscription {value} does not exist", field="subscription_id")
    return encode_global_id("EventSubscription", value)


def _form(params: Params) -> list[str]:
    raw = params.get("subscription_form")
    if isinstance(raw, list):
        return [str(item) for item in raw]
    text = params.get_str("subscription_form", required=False) or ""
    return [part for part in text.replace(" ", "").split(",") if part]


def _timeout(params: Params) -> int | None:
    for key in ("time_out", "timeout"):
        if params.has(key):
            return int(params.get_int(key))
    return None


def _spec(params: Params) -> dict[str, Any]:
    mode = params.get_str("confirm_mode", required=False)
    if mode is None:
        raise ValidationFailed("confirm_mode is required", field="confirm_mode", code="MISSING_FIELD")
    return {
        "name": params.get_str("subscription_name"),
        "systemName": params.get_str("system_name", "", required=False),
        "callbackUrl": params.get_str("callback_url"),
        "confirmMode": mode,
        "confirmPattern": params.get_str("confirm_pattern", "", required=False),
        "subscriptionForm": _form(params),
        "timeout": _timeout(params),
    }


def _subscribe(params: Params, principal: Principal) -> dict[str, Any]:
    return {"input": {**_spec(params), "bkBizId": _business(params)}}


def _subscribed(data: dict[str, Any], params: Params) -> dict[str, Any]:
    payload = data["subscribeEvents"]
    raise_user_errors(payload)
    return {"subscription_id": payload["subscription"]["subscriptionId"]}


def _update(params: Params, principal: Principal) -> dict[str, Any]:
    update = {**_spec(params), "subscriptionId": _subscription_id(params)}
    if params.has("bk_biz_id"):
        update["bkBizId"] = _business(params)
    return {"input": update}


def _search(params: Params, principal: Principal) -> dict[str, Any]:
    page = params.sub("page")
    start = page.get_int("start", 0, required=False)
    limit = page.get_int("limit", 0, required=False) or MAX_LIMIT
    if not 0 <= start <= MAX_INT:
        raise ValidationFailed(f"page.start must be between 0 and {MAX_INT}", field="page.start")
    if not 0 < limit <= MAX_LIMIT:
        raise ValidationFailed(f"page.limit must be between 1 and {MAX_LIMIT}", field="page.limit", code="PAGE_LIMIT")
    sort = page.get_str("sort", "", required=False)
    # Only subscription fields sort; the doc's example sorts by "HostName", which is read as none.
    sort = sort if sort.lstrip("-") in ("subscription_id", "subscription_name", "last_time") else ""
    name = params.sub("condition").get_str("subscription_name", required=False) or None
    return {"bkBizId": _business(params), "name": name, "page": {"start": start, "limit": limit, "sort": sort or None}}


def _row(item: dict[str, Any]) -> dict[str, Any]:
    stats = item["statistics"]
    return {
        "subscription_id": item["subscriptionId"],
        "subscription_name": item["name"],
        "system_name": item["systemName"],
        "callback_url": item["callbackUrl"],
        "confirm_mode": item["confirmMode"],
        "confirm_pattern": item["confirmPattern"],
        "subscription_form": ",".join(item["subscriptionForm"]),
        # Both keys, as the doc's table (timeout) and bk-cmdb's answers (time_out) spell it.
        "timeout": item["timeout"],
        "time_out": item["timeout"],
        "operator": item["operator"],
        "bk_biz_id": item["bkBizId"],
        "bk_supplier_account": SUPPLIER_ACCOUNT,
        "last_time": item["lastTime"],
        "statistics": {
            "total": stats["total"],
            "failure": stats["failure"],
            "delivered": stats["delivered"],
            "pending": stats["pending"],
            "given_up": stats["givenUp"],
        },
    }


def _searched(data: dict[str, Any], params: Params) -> dict[str, Any]:
    result = data["eventSubscriptions"]
    return {"count": result["count"], "info": [_row(item) for item in result["items"]]}


def _testing(params: Params, principal: Principal) -> dict[str, Any]:
    return {"input": {"callbackUrl": params.get_str("callback_url")}}


_ROWS: list[tuple[str, str, Any, Any, str]] = [
    (
        "subscribe_event",
        "event_subscribe.graphql",
        _subscribe,
        _subscribed,
        "Subscribe a callback to event types → {subscription_id}",
    ),
    (
        "update_event_subscribe",
        "event_subscription_update.graphql",
        _update,
        constant("updateEventSubscription", "success"),
        'Replace a subscription → "success"',
    ),
    (
        "unsubcribe_event",
        "event_unsubscribe.graphql",
        lambda p, _: {"input": {"subscriptionId": _subscription_id(p)}},
        constant("unsubscribeEvents", "success"),
        'Delete a subscription → "success"',
    ),
    (
        "search_subscription",
        "event_subscriptions.graphql",
        _search,
        _searched,
        "A business's subscriptions with statistics → {count, info}",
    ),
    (
        "testing_connection",
        "event_testing_connection.graphql",
        _testing,
        constant("testEventCallback", "success"),
        'TCP reachability of a callback URL → "success"',
    ),
]

for name, operation, to_variables, to_data, summary in _ROWS:
    BK_ROUTES.add(
        BkRoute(
            system="cc",
            name=name,
            operation=operation,
            package=__name__,
            to_variables=to_variables,
            to_data=to_data,
            error_codes=EVENT_CODES,
            summary=summary,
        )
    )

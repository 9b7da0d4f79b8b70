"""The unmodified published BlueKing client `bkapi-component-open` (`Client(...).cc`), as apps use
it, plus the few cc operations it does not declare, declared with `bkapi-client-core`."""

from __future__ import annotations

from typing import Any

from bkapi_client_core.esb import Operation, OperationGroup, bind_property
from bkapi_component.open.client import Client

from tests.support.server import APP_CODE, APP_SECRET

# cc operations of the catalogue that bkapi-component-open 2.1.0 does not declare (methods as documented).
UNDECLARED = {
    "create_user_group": "POST",
    "update_user_group": "POST",
    "delete_user_group": "POST",
    "search_user_group": "POST",
    "search_group_privilege": "POST",
    "get_user_privilege": "POST",
    "get_role_privilege": "GET",
    "testing_connection": "POST",
}


def _undeclared_group() -> type[OperationGroup]:
    attributes: dict[str, Any] = {
        name: bind_property(Operation, name=name, method=method, path=f"/api/c/compapi{{bk_api_ver}}/cc/{name}/")
        for name, method in UNDECLARED.items()
    }
    return type("CcPrivilegeGroup", (OperationGroup,), attributes)


class CoreClient(Client):  # type: ignore[misc]
    """`Client` unchanged; `cc_extra` carries the operations it lacks."""

    cc_extra = bind_property(_undeclared_group(), name="cc_extra")


def component_client(base_url: str, username: str) -> CoreClient:
    client = CoreClient(endpoint=base_url, bk_api_ver="v2")
    client.update_bkapi_authorization(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET, bk_username=username)
    return client

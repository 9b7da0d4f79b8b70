"""The published BlueKing ESB client (`bkapi-component-open`), unmodified, pointed at a test server.
Its `Client` declares cmsi and bk_login (get_user, is_login); operations it lacks (the other bk_login
calls, bk_paas) go through `bkapi-client-core` declared the same way, in `extra_client`."""

from __future__ import annotations

from typing import Any

from bkapi_client_core.esb import ESBClient, Operation, OperationGroup, bind_property
from bkapi_component.open.client import Client

from tests.support.server import APP_CODE, APP_SECRET


def open_client(base_url: str, *, username: str | None = "admin", bk_token: str | None = None) -> Client:
    client = Client(endpoint=base_url, bk_api_ver="v2")
    auth: dict[str, str] = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET}
    if username:
        auth["bk_username"] = username
    if bk_token:
        auth["bk_token"] = bk_token
    client.update_bkapi_authorization(**auth)
    return client


def _operation(system: str, name: str, method: str) -> Any:
    return bind_property(Operation, name=name, method=method, path=f"/api/c/compapi{{bk_api_ver}}/{system}/{name}/")


class _BkLoginExtra(OperationGroup):
    get_all_users = _operation("bk_login", "get_all_users", "GET")
    get_batch_users = _operation("bk_login", "get_batch_users", "POST")
    get_batch_users_platform_role = _operation("bk_login", "get_batch_users_platform_role", "POST")


class _BkPaas(OperationGroup):
    get_app_info = _operation("bk_paas", "get_app_info", "GET")


class ExtraClient(ESBClient):
    bk_login = bind_property(_BkLoginExtra, name="bk_login")
    bk_paas = bind_property(_BkPaas, name="bk_paas")


def extra_client(base_url: str, *, username: str | None = "admin", bk_token: str | None = None) -> ExtraClient:
    client = ExtraClient(endpoint=base_url, bk_api_ver="v2")
    auth: dict[str, str] = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET}
    if username:
        auth["bk_username"] = username
    if bk_token:
        auth["bk_token"] = bk_token
    client.update_bkapi_authorization(**auth)
    return client

"""Clients for the model-layer `cc` tests: the unmodified published `bkapi-component-open` Client (it
declares nearly every endpoint), and `bkapi-client-core` for the four it lacks
(bind_process_module, delete_process_module_bind, get_process_bind_module,
search_object_topo_graphics).
"""

from __future__ import annotations

import uuid
from typing import Any

from bkapi_client_core.esb import ESBClient, Operation, OperationGroup, bind_property
from bkapi_component.open.client import Client

from tests.support.server import APP_CODE, APP_SECRET, Server

# Documented as POST except get_process_bind_module (GET).
_MISSING = {
    "bind_process_module": "POST",
    "delete_process_module_bind": "POST",
    "get_process_bind_module": "GET",
    "search_object_topo_graphics": "POST",
}


_MissingCcGroup = type(
    "MissingCcGroup",
    (OperationGroup,),
    {
        name: bind_property(Operation, name=name, method=method, path=f"/api/c/compapi{{bk_api_ver}}/cc/{name}/")
        for name, method in _MISSING.items()
    },
)


class CoreClient(ESBClient):  # type: ignore[misc]
    cc = bind_property(_MissingCcGroup, name="cc")


def open_client(server: Server, username: str = "admin") -> Client:
    client = Client(endpoint=server.url, bk_api_ver="v2")
    client.update_bkapi_authorization(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET, bk_username=username)
    return client


def core_client(server: Server, username: str = "admin") -> CoreClient:
    client = CoreClient(endpoint=server.url, bk_api_ver="v2")
    client.update_bkapi_authorization(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET, bk_username=username)
    return client


def ok(answer: dict[str, Any]) -> Any:
    assert answer["result"] is True, answer
    assert answer.get("code", answer.get("bk_error_code")) == 0, answer
    return answer["data"]


def refused(answer: dict[str, Any], code: int) -> str:
    """The refusal's message, after checking the envelope carries `code` and no data."""
    assert answer["result"] is False, answer
    assert answer.get("code", answer.get("bk_error_code")) == code, answer
    assert answer["data"] is None
    return str(answer.get("message", answer.get("bk_error_msg")))


def tag() -> str:
    return uuid.uuid4().hex[:10]


def new_model(client: Client, obj_id: str, *attributes: dict[str, Any]) -> int:
    """A model in its own classification, with attributes (bk create_object_attribute bodies)."""
    classification = f"c{obj_id}"
    ok(
        client.cc.create_classification(
            data={"bk_classification_id": classification, "bk_classification_name": classification}
        )
    )
    created = ok(
        client.cc.create_object(
            data={
                "bk_classification_id": classification,
                "bk_obj_id": obj_id,
                "bk_obj_name": obj_id,
                "bk_obj_icon": "icon-cc-default",
                "bk_supplier_account": "0",
            }
        )
    )
    for attribute in attributes:
        body = {"bk_obj_id": obj_id, "bk_property_name": attribute["bk_property_id"], "bk_supplier_account": "0"}
        ok(client.cc.create_object_attribute(data={**body, **attribute}))
    return int(created["id"])

"""User-group privileges are enforced on instances of any model, through the one authorization
decision the topology uses: with the default group restricted, an operator whose groups lack
`update` on a model cannot change its instances (GraphQL or REST), and a group granting it lets
the same operator through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bkapi_component.open.client import Client

from tests.cmdb.support import UPDATE_INSTANCES, create_instances, new_classification, new_model, payload, user_client
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import create_business

ERRORS = "errors { code field message }"
SET_PRIVILEGES = f"""
mutation($g: String!, $m: JSON!) {{
  setGroupPrivileges(input: {{groupId: $g, modelConfig: $m, sysConfig: {{}}}}) {{ {ERRORS} }}
}}"""
CREATE_GROUP = f"""
mutation($name: String!, $members: [String!]!) {{
  createUserGroup(input: {{name: $name, members: $members}}) {{ group {{ groupId }} {ERRORS} }}
}}"""
UNRESTRICT = "mutation { unrestrictDefaultUserGroup { group { unrestricted } } }"


@pytest.fixture
def model(gql: GraphQLClient, unique: str) -> Iterator[tuple[str, str]]:
    """A model whose default-group privileges are search + create only (restored afterwards)."""
    classification = new_classification(gql, unique)
    obj = f"priv{unique}"
    new_model(gql, obj, classification, {"propertyId": "size", "type": "int"})
    config = {classification: {obj: ["search", "create"]}}
    assert gql.ok(SET_PRIVILEGES, {"g": "default", "m": config})["setGroupPrivileges"]["errors"] == []
    try:
        yield obj, classification
    finally:
        assert gql.ok(UNRESTRICT)["unrestrictDefaultUserGroup"]["group"]["unrestricted"] is True


def test_a_group_without_update_cannot_change_instances(
    server: Server, gql: GraphQLClient, unique: str, model: tuple[str, str]
) -> None:
    obj, classification = model
    business = create_business(gql, f"priv-{unique}")
    name = f"privop{unique}"
    operator = user_client(server, name, business=business.bk_biz_id, role="operator")
    created = payload(
        operator.ok(
            "mutation($o: String!, $b: ID) { createInstance(input: {objectId: $o, businessId: $b,"
            ' properties: {bk_inst_name: "mine", size: 1}}) { instances { id bkInstId } ' + ERRORS + " } }",
            {"o": obj, "b": business.id},
        ),
        "createInstance",
    )
    assert created["errors"] == []  # `create` is granted
    [instance] = created["instances"]
    update = {"obj": obj, "updates": [{"id": instance["id"], "properties": {"size": 2}}]}
    denied = operator.execute(UPDATE_INSTANCES, update)
    assert denied.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    rest = Client(endpoint=server.url, bk_api_ver="v2")
    rest.update_bkapi_authorization(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET, bk_username=name)
    answer = rest.cc.update_inst(data={"bk_obj_id": obj, "bk_inst_id": instance["bkInstId"], "size": 3})
    assert (answer["result"], answer["code"]) == (False, 9900403)
    [other] = create_instances(gql, obj, {"bk_inst_name": "other"}, business=business.id)
    assert other["bkProperties"]["size"] is None
    stored = gql.ok("query($id: ID!) { node(id: $id) { ... on Instance { bkProperties } } }", {"id": instance["id"]})
    assert stored["node"]["bkProperties"]["size"] == 1  # neither path changed it

    group = gql.ok(CREATE_GROUP, {"name": f"writers{unique}", "members": [name]})["createUserGroup"]["group"]
    granted = {classification: {obj: ["search", "create", "update"]}}
    assert gql.ok(SET_PRIVILEGES, {"g": group["groupId"], "m": granted})["setGroupPrivileges"]["errors"] == []
    assert payload(operator.ok(UPDATE_INSTANCES, update), "updateInstances")["errors"] == []

"""User-group privileges are enforced on instances of any model, through the one authorization
decision the topology uses: with the default group restricted, an operator whose groups lack
`update` on a model cannot change its instances (GraphQL or REST), and a group granting it lets
the same operator through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bkapi_component.open.client import Client

from tests.cmdb.support import (
    CREATE_ASSOCIATION,
    LINK,
    UPDATE_INSTANCES,
    create_instances,
    new_classification,
    new_model,
    payload,
    user_client,
)
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


INSTANCES = "query($o: String!) { instances(objectId: $o, first: 20) { nodes { name } } }"
SEARCH = "query($o: String!) { searchInstances(input: {objectId: $o}) { count items { name } } }"
LINKS = "query($a: String!) { instanceAssociations(filter: {bkObjAsstId: $a}) { bkId } }"


def test_a_group_without_search_does_not_see_instances(
    server: Server, gql: GraphQLClient, unique: str, model: tuple[str, str]
) -> None:
    """The default group grants search on `obj` only: a viewer sees obj's instances, and none of
    `hidden`'s, through lists, searches (GraphQL and REST), links and node(id), as if there were none;
    a group granting `search` on `hidden` shows them."""
    obj, classification = model
    hidden = f"hid{unique}"
    new_model(gql, hidden, classification)
    business = create_business(gql, f"srch-{unique}")
    [shown] = create_instances(gql, obj, {"bk_inst_name": "shown"}, business=business.id)
    [secret] = create_instances(gql, hidden, {"bk_inst_name": "secret"}, business=business.id)
    link = {"input": {"bkObjId": obj, "bkAsstId": "connect", "bkAsstObjId": hidden, "mapping": "n:n"}}
    association = payload(gql.ok(CREATE_ASSOCIATION, link), "createObjectAssociation")["association"]["bkObjAsstId"]
    variables = {"asst": association, "src": shown["bkInstId"], "dst": secret["bkInstId"]}
    assert payload(gql.ok(LINK, variables), "linkInstances")["errors"] == []
    name = f"privview{unique}"
    viewer = user_client(server, name, business=business.bk_biz_id, role="viewer")
    rest = Client(endpoint=server.url, bk_api_ver="v2")
    rest.update_bkapi_authorization(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET, bk_username=name)

    def seen() -> tuple[list[str], int, int, int, bool]:
        listed = [n["name"] for n in viewer.ok(INSTANCES, {"o": hidden})["instances"]["nodes"]]
        searched = viewer.ok(SEARCH, {"o": hidden})["searchInstances"]["count"]
        answer = rest.cc.search_inst(data={"bk_obj_id": hidden, "condition": {}, "page": {"start": 0, "limit": 10}})
        assert answer["result"] is True, answer
        links = len(viewer.ok(LINKS, {"a": association})["instanceAssociations"])
        by_id = viewer.ok("query($id: ID!) { node(id: $id) { id } }", {"id": secret["id"]})["node"] is not None
        return listed, searched, answer["data"]["count"], links, by_id

    assert [n["name"] for n in viewer.ok(INSTANCES, {"o": obj})["instances"]["nodes"]] == ["shown"]
    assert seen() == ([], 0, 0, 0, False)  # no refusal either: that would tell they exist
    assert len(gql.ok(LINKS, {"a": association})["instanceAssociations"]) == 1  # the superuser sees it

    group = gql.ok(CREATE_GROUP, {"name": f"seers{unique}", "members": [name]})["createUserGroup"]["group"]
    granted = {classification: {hidden: ["search"]}}
    assert gql.ok(SET_PRIVILEGES, {"g": group["groupId"], "m": granted})["setGroupPrivileges"]["errors"] == []
    assert seen() == (["secret"], 1, 1, 1, True)

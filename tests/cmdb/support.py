"""Building CMDB models, attributes and instances through the public GraphQL API, for the tests."""

from __future__ import annotations

from typing import Any

from tests.support.server import GraphQLClient, GraphQLResponse, Server

ERRORS = "errors { code field message }"

CREATE_CLASSIFICATION = f"""
mutation($input: CreateClassificationInput!) {{
  createClassification(input: $input) {{ classification {{ bkId classificationId }} {ERRORS} }}
}}"""
CREATE_MODEL = f"""
mutation($input: CreateObjectModelInput!) {{
  createObjectModel(input: $input) {{
    model {{ bkId bkObjId isPreset groups {{ groupId name index isDefault }}
      attributes {{ bkId propertyId type isRequired isUnique isPreset }} uniqueRules {{ bkId keys isPreset }} }}
    {ERRORS}
  }}
}}"""
UPDATE_MODEL = f"""
mutation($input: UpdateObjectModelInput!) {{
  updateObjectModel(input: $input) {{ model {{ bkId name position isPaused }} {ERRORS} }}
}}"""
DELETE_MODEL = f"mutation($id: Int!) {{ deleteObjectModel(input: {{bkId: $id}}) {{ ok {ERRORS} }} }}"
CREATE_ATTRIBUTE = f"""
mutation($input: CreateObjectAttributeInput!) {{
  createObjectAttribute(input: $input) {{
    attribute {{ bkId propertyId type option default isUnique isRequired isMultiple groupId groupName }} {ERRORS}
  }}
}}"""
UPDATE_ATTRIBUTE = f"""
mutation($input: UpdateObjectAttributeInput!) {{
  updateObjectAttribute(input: $input) {{ attribute {{ bkId name option isUnique isRequired }} {ERRORS} }}
}}"""
DELETE_ATTRIBUTE = f"mutation($id: Int!) {{ deleteObjectAttribute(input: {{bkId: $id}}) {{ ok {ERRORS} }} }}"
CREATE_UNIQUE = f"""
mutation($obj: String!, $keys: [String!]!) {{
  createUniqueRule(input: {{bkObjId: $obj, keys: $keys}}) {{ rule {{ bkId keys isPreset }} {ERRORS} }}
}}"""
INSTANCE_FIELDS = "id bkObjId bkInstId name bkBizId bkProperties"
CREATE_INSTANCES = f"""
mutation($obj: String!, $items: [JSON!]!, $b: ID) {{
  createInstances(input: {{objectId: $obj, items: $items, businessId: $b}}) {{
    instances {{ {INSTANCE_FIELDS} }} {ERRORS}
  }}
}}"""
UPDATE_INSTANCES = f"""
mutation($obj: String!, $updates: [InstanceUpdateInput!]!) {{
  updateInstances(input: {{objectId: $obj, updates: $updates}}) {{ instances {{ {INSTANCE_FIELDS} }} {ERRORS} }}
}}"""
DELETE_INSTANCES = f"""
mutation($obj: String!, $ids: [ID!]!) {{
  deleteInstances(input: {{objectId: $obj, ids: $ids}}) {{ deletedIds {ERRORS} }}
}}"""
CREATE_ASSOCIATION = f"""
mutation($input: CreateObjectAssociationInput!) {{
  createObjectAssociation(input: $input) {{ association {{ bkId bkObjAsstId mapping onDelete }} {ERRORS} }}
}}"""
LINK = f"""
mutation($asst: String!, $src: Int!, $dst: Int!) {{
  linkInstances(input: {{bkObjAsstId: $asst, bkInstId: $src, bkAsstInstId: $dst}}) {{ association {{ bkId }} {ERRORS} }}
}}"""
INSTANCE = "query($id: ID!) { node(id: $id) { ... on Instance { name bkInstId bkProperties } } }"


def payload(response: dict[str, Any] | GraphQLResponse, name: str) -> dict[str, Any]:
    data = response.ok() if isinstance(response, GraphQLResponse) else response
    result: dict[str, Any] = data[name]
    return result


def ok(gql: GraphQLClient, document: str, variables: dict[str, Any], name: str) -> dict[str, Any]:
    result = payload(gql.ok(document, variables), name)
    assert result["errors"] == [], result["errors"]
    return result


def refused(gql: GraphQLClient, document: str, variables: dict[str, Any], name: str) -> dict[str, Any]:
    """The one UserError a refused mutation answers."""
    result = payload(gql.ok(document, variables), name)
    assert len(result["errors"]) == 1, result
    error: dict[str, Any] = result["errors"][0]
    return error


def new_classification(gql: GraphQLClient, tag: str) -> str:
    classification_id = f"cls_{tag}"
    ok(
        gql,
        CREATE_CLASSIFICATION,
        {"input": {"classificationId": classification_id, "name": f"C {tag}"}},
        "createClassification",
    )
    return classification_id


def new_model(gql: GraphQLClient, obj_id: str, classification: str, *attributes: dict[str, Any]) -> dict[str, Any]:
    """A model with `attributes` ({propertyId, type, …} as CreateObjectAttributeInput)."""
    model = ok(
        gql,
        CREATE_MODEL,
        {"input": {"bkObjId": obj_id, "name": f"M {obj_id}", "classificationId": classification, "icon": "icon-cc-x"}},
        "createObjectModel",
    )["model"]
    for attribute in attributes:
        ok(
            gql,
            CREATE_ATTRIBUTE,
            {"input": {"bkObjId": obj_id, "name": attribute["propertyId"], **attribute}},
            "createObjectAttribute",
        )
    return model


def create_instances(
    gql: GraphQLClient, obj_id: str, *items: dict[str, Any], business: str | None = None
) -> list[dict[str, Any]]:
    result = ok(gql, CREATE_INSTANCES, {"obj": obj_id, "items": list(items), "b": business}, "createInstances")
    return list(result["instances"])


def user_client(server: Server, username: str, *, business: int | None = None, role: str = "viewer") -> GraphQLClient:
    """A fresh non-superuser, optionally with `role` on `business`, logged in with a token."""
    server.cli("admin", "create-user", username, "--password", "user-password-123")
    if business is not None:
        server.cli("admin", "grant-role", username, "--biz", str(business), "--role", role)
    return GraphQLClient(server.url, server.cli("admin", "issue-token", username).stdout)

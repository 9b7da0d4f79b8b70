"""Declaring custom attributes of businesses, sets, modules and hosts through the public GraphQL API.

Their model governs those attributes (an undeclared one is refused), and the model is shared by the
whole test session, so tests declare what they write with `declare_attributes`, which creates
what is missing and checks that what exists has the type asked for.

Example:
    declare_attributes(gql, "host", env="singlechar", rack="int")
"""

from __future__ import annotations

from typing import Any

from tests.support.server import GraphQLClient

ATTRIBUTES = "query($obj: String!) { objectAttributes(bkObjId: $obj) { propertyId type } }"
CREATE_ATTRIBUTE = """
mutation($input: CreateObjectAttributeInput!) {
  createObjectAttribute(input: $input) { attribute { propertyId type } errors { code field message } }
}"""


def declare_attributes(gql: GraphQLClient, obj_id: str, **types: str) -> None:
    """Make sure model `obj_id` declares each `property_id=type` (no option, optional, editable)."""
    existing: dict[str, Any] = {
        row["propertyId"]: row["type"] for row in gql.ok(ATTRIBUTES, {"obj": obj_id})["objectAttributes"]
    }
    for property_id, property_type in types.items():
        if property_id in existing:
            assert existing[property_id] == property_type, (obj_id, property_id, existing[property_id])
            continue
        attribute = {"bkObjId": obj_id, "propertyId": property_id, "name": property_id, "type": property_type}
        errors = gql.ok(CREATE_ATTRIBUTE, {"input": attribute})["createObjectAttribute"]["errors"]
        assert errors == [], errors

"""Every attribute type's good and bad values on instance writes, with the documented codes
(upstream_semantics_wave2.md §6.2), through createInstance and updateInstances, and what a good
value reads back as (typed `properties` and bk `bkProperties`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.cmdb.support import (
    CREATE_INSTANCES,
    UPDATE_INSTANCES,
    create_instances,
    new_classification,
    new_model,
    payload,
)
from tests.support.server import GraphQLClient

ENUM = [{"id": "a", "name": "Alpha", "is_default": True}, {"id": "b", "name": "Beta"}]
ATTRIBUTES: list[dict[str, Any]] = [
    {"propertyId": "short", "type": "singlechar", "option": "^[a-z0-9 ]*$"},
    {"propertyId": "long", "type": "longchar"},
    {"propertyId": "count", "type": "int", "option": {"min": "1", "max": "100"}},
    {"propertyId": "ratio", "type": "float", "option": {"min": 0, "max": 1}},
    {"propertyId": "choice", "type": "enum", "option": ENUM},
    {"propertyId": "choices", "type": "enummulti", "option": ENUM, "isMultiple": True},
    {"propertyId": "one_choice", "type": "enummulti", "option": ENUM},
    {"propertyId": "day", "type": "date"},
    {"propertyId": "moment", "type": "time"},
    {"propertyId": "owner", "type": "objuser"},
    {"propertyId": "owners", "type": "objuser", "isMultiple": True},
    {"propertyId": "org", "type": "organization", "isMultiple": True},
    {"propertyId": "zone", "type": "timezone"},
    {"propertyId": "flag", "type": "bool"},
    {"propertyId": "tier", "type": "list", "option": ["gold", "silver"]},
    {"propertyId": "must", "type": "singlechar", "isRequired": True},
]
TYPED = """query($id: ID!) { node(id: $id) { ... on Instance { bkProperties properties {
  propertyId type
  ... on TextValue { text } ... on IntValue { int } ... on FloatValue { float } ... on BoolValue { bool }
  ... on EnumValue { option { id name } } ... on EnumListValue { options { id } } ... on DateValue { date }
  ... on TimeValue { text time } ... on UsersValue { users } ... on OrganizationValue { ids }
} } } }"""

GOOD: list[tuple[str, Any, Any]] = [
    ("short", "  web 01  ", "web 01"),  # trimmed first
    ("short", 42, "42"),  # numbers where text is expected are text
    ("long", "x" * 2000, "x" * 2000),
    ("count", 7, 7),
    ("count", "8", 8),  # the doc's examples send numbers as strings
    ("ratio", 0.25, 0.25),
    ("choice", "b", "b"),
    ("choices", ["a", "b"], ["a", "b"]),
    ("day", "2024-02-29", "2024-02-29"),
    ("moment", "2024-02-29 13:14:15", "2024-02-29 13:14:15"),
    ("moment", "2024-02-29T13:14:15+08:00", "2024-02-29T13:14:15+08:00"),
    ("owner", "alice", "alice"),
    ("owners", "alice, bob", "alice,bob"),
    ("org", [3, 4], [3, 4]),
    ("zone", "Asia/Shanghai", "Asia/Shanghai"),
    ("flag", False, False),
    ("tier", "gold", "gold"),
]
BAD: list[tuple[str, Any, str]] = [
    ("short", "UPPER", "PATTERN_MISMATCH"),
    ("short", "x" * 257, "OVER_LIMIT"),
    ("short", {"a": 1}, "INVALID"),
    ("long", "x" * 2001, "OVER_LIMIT"),
    ("count", 0, "INVALID"),  # below the option's min
    ("count", 101, "INVALID"),
    ("count", "seven", "NEED_INT"),
    ("count", 1.5, "NEED_INT"),
    ("count", True, "NEED_INT"),
    ("ratio", 2, "INVALID"),
    ("ratio", "much", "INVALID"),
    ("choice", "c", "INVALID"),  # not an option id
    ("choice", "Alpha", "INVALID"),  # a name is not an id
    ("choices", ["a", "zz"], "INVALID"),
    ("choices", "a", "INVALID"),
    ("one_choice", ["a", "b"], "NOT_MULTIPLE"),
    ("day", "2023-02-29", "INVALID"),
    ("day", "29/02/2024", "INVALID"),
    ("moment", "2024-02-29T13:14:15", "INVALID"),  # RFC 3339 needs a zone
    ("moment", "yesterday", "INVALID"),
    ("owner", "alice,bob", "NOT_MULTIPLE"),
    ("owner", "-alice", "PATTERN_MISMATCH"),
    ("owners", "a" * 2001, "OVER_LIMIT"),
    ("org", ["x"], "NEED_INT"),
    ("zone", "Asia Shanghai", "NEED_TIMEZONE"),
    ("flag", "true", "NEED_BOOL"),  # JSON booleans only
    ("flag", 1, "NEED_BOOL"),
    ("tier", "bronze", "INVALID"),
    ("must", "   ", "REQUIRED"),
]


@pytest.fixture(scope="module")
def model(gql: GraphQLClient) -> str:
    tag = uuid.uuid4().hex[:8]
    obj_id = f"types{tag}"
    new_model(gql, obj_id, new_classification(gql, tag), *ATTRIBUTES)
    return obj_id


def _create(gql: GraphQLClient, model: str, **values: Any) -> dict[str, Any]:
    item = {"bk_inst_name": f"i{uuid.uuid4().hex[:10]}", "must": "yes", **values}
    return payload(gql.ok(CREATE_INSTANCES, {"obj": model, "items": [item]}), "createInstances")


@pytest.mark.parametrize(("field", "value", "stored"), GOOD, ids=[f"{f}={v!r}"[:40] for f, v, _ in GOOD])
def test_good_values_are_stored_as_checked(gql: GraphQLClient, model: str, field: str, value: Any, stored: Any) -> None:
    result = _create(gql, model, **{field: value})
    assert result["errors"] == []
    [instance] = result["instances"]
    assert instance["bkProperties"][field] == stored


@pytest.mark.parametrize(("field", "value", "code"), BAD, ids=[f"{f}={v!r}"[:40] for f, v, _ in BAD])
def test_bad_values_are_refused_with_their_code_on_create_and_update(
    gql: GraphQLClient, model: str, field: str, value: Any, code: str
) -> None:
    result = _create(gql, model, **{field: value})
    # A list value's error names the element: choices[1].
    assert [(e["code"], e["field"].split("[")[0]) for e in result["errors"]] == [(code, field)]
    [existing] = create_instances(gql, model, {"bk_inst_name": f"u{uuid.uuid4().hex[:10]}", "must": "kept"})
    update = {"id": existing["id"], "properties": {field: value}}
    refused = payload(gql.ok(UPDATE_INSTANCES, {"obj": model, "updates": [update]}), "updateInstances")
    assert [e["code"] for e in refused["errors"]] == [code]
    after = gql.ok(TYPED, {"id": existing["id"]})["node"]["bkProperties"]
    assert after["must"] == "kept"  # nothing changed
    assert after[field] == existing["bkProperties"][field]


def test_missing_required_values_and_undeclared_attributes_are_refused(gql: GraphQLClient, model: str) -> None:
    missing = payload(
        gql.ok(CREATE_INSTANCES, {"obj": model, "items": [{"bk_inst_name": "no-must"}]}), "createInstances"
    )
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("REQUIRED", "must")]
    no_name = payload(gql.ok(CREATE_INSTANCES, {"obj": model, "items": [{"must": "x"}]}), "createInstances")
    assert [(e["code"], e["field"]) for e in no_name["errors"]] == [("REQUIRED", "bk_inst_name")]
    unknown = _create(gql, model, undeclared=1)
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("INVALID", "undeclared")]


def test_values_read_back_typed(gql: GraphQLClient, model: str) -> None:
    values = {
        "short": "abc",
        "count": 9,
        "ratio": 0.5,
        "choice": "b",
        "choices": ["a", "b"],
        "day": "2024-01-02",
        "moment": "2024-01-02 03:04:05",
        "owners": "alice,bob",
        "org": [7],
        "flag": True,
        "tier": "silver",
    }
    [instance] = _create(gql, model, **values)["instances"]
    typed = {p["propertyId"]: p for p in gql.ok(TYPED, {"id": instance["id"]})["node"]["properties"]}
    assert typed["short"]["text"] == "abc"
    assert typed["count"]["int"] == 9
    assert typed["ratio"]["float"] == 0.5
    assert typed["choice"]["option"] == {"id": "b", "name": "Beta"}
    assert [o["id"] for o in typed["choices"]["options"]] == ["a", "b"]
    assert typed["day"]["date"] == "2024-01-02"
    assert typed["moment"]["time"].startswith("2024-01-02T03:04:05")
    assert typed["owners"]["users"] == ["alice", "bob"]
    assert typed["org"]["ids"] == [7]
    assert typed["flag"]["bool"] is True
    assert typed["tier"]["text"] == "silver"
    assert typed["one_choice"]["options"][0]["id"] == "a"  # the enum's default option filled the gap


def test_quote_and_association_values(gql: GraphQLClient, unique: str) -> None:
    """enumquote (instances named by the option), v3.1's singleasst / multiasst (instances of the
    target model that exist): good values stored as id lists, bad ones refused with their code."""
    classification = new_classification(gql, f"q{unique}")
    target = f"qt{unique}"
    new_model(gql, target, classification)
    first, second, outside = (
        int(i["bkInstId"]) for i in create_instances(gql, target, *({"bk_inst_name": n} for n in ("a", "b", "c")))
    )
    holder = f"qh{unique}"
    option = [{"bk_obj_id": target, "bk_inst_id": first}, {"bk_obj_id": target, "bk_inst_id": second}]
    new_model(
        gql,
        holder,
        classification,
        {"propertyId": "picks", "type": "enumquote", "option": option, "isMultiple": True},
        {"propertyId": "pick", "type": "enumquote", "option": option},
        {"propertyId": "one", "type": "singleasst", "targetObjectId": target},
        {"propertyId": "many", "type": "multiasst", "targetObjectId": target},
    )

    def create(**values: Any) -> dict[str, Any]:
        item = {"bk_inst_name": f"h{uuid.uuid4().hex[:8]}", **values}
        return payload(gql.ok(CREATE_INSTANCES, {"obj": holder, "items": [item]}), "createInstances")

    good = create(picks=[first, second], pick=[second], one=first, many=f"{first},{second}")
    assert good["errors"] == []
    stored = good["instances"][0]["bkProperties"]
    assert (stored["picks"], stored["pick"], stored["one"], stored["many"]) == (
        [first, second],
        [second],
        [first],
        [first, second],
    )
    refusals = [
        ({"picks": [outside]}, "INVALID", "picks"),  # not among the option's instances
        ({"pick": [first, second]}, "NOT_MULTIPLE", "pick"),
        ({"one": [first, second]}, "NOT_MULTIPLE", "one"),
        ({"one": 2_000_000_000}, "TARGET_INSTANCE_NOT_FOUND", "one"),
        ({"many": ["x"]}, "NEED_INT", "many"),
        ({"many": [first, 2_000_000_000]}, "TARGET_INSTANCE_NOT_FOUND", "many"),
    ]
    for values, code, field in refusals:
        refused = create(**values)
        assert [(e["code"], e["field"].split("[")[0]) for e in refused["errors"]] == [(code, field)], values
        assert refused["instances"] == []

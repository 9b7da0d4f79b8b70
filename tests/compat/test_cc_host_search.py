"""cc search_host and find_host_by_module through bkapi-client-core, on one estate per backend:

business A: set web {nginx: web1, web2; php: web2}, set db {mysql: db1}, idle module: idle1;
business B: other1 (same custom attribute as web1, to show the business filter works).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.compat.bk_client import LegacyClient
from tests.compat.cc_host_support import bk_id, ok, refused, take_ips
from tests.support.custom_attributes import declare_attributes
from tests.support.server import GraphQLClient
from tests.support.topology import Business, add_hosts, create_business, create_module, create_set, place_hosts

# Keys of the doc's search_host response example (配置平台 search_host, repaired in cc_endpoints.json).
DOC_HOST_KEYS = {
    "bk_cpu", "bk_os_name", "bk_host_id", "import_from", "bk_os_version", "bk_disk", "operator", "create_time",
    "bk_mem", "bk_host_name", "bk_host_innerip", "bk_comment", "bk_os_bit", "bk_outer_mac", "bk_childid",
    "bk_input_from", "bk_asset_id", "bk_service_term", "bk_cloud_id", "bk_sla", "bk_cpu_mhz", "bk_host_outerip",
    "bk_os_type", "bk_mac", "bk_bak_operator", "bk_sn", "bk_cpu_module",
}  # fmt: skip
# Agent-collected host attributes OpsGraph does not model (they would be custom attributes here).
NOT_MODELLED_HOST_KEYS = {
    "bk_os_bit", "bk_outer_mac", "bk_childid", "bk_input_from", "bk_asset_id", "bk_service_term", "bk_sla",
    "bk_cpu_mhz", "bk_mac", "bk_cpu_module",
}  # fmt: skip
DOC_SET_KEYS = {
    "bk_biz_id", "bk_service_status", "description", "bk_set_env", "default", "bk_parent_id", "bk_capacity",
    "bk_set_id", "create_time", "bk_supplier_account", "bk_set_name", "bk_set_desc", "last_time",
}  # fmt: skip
DOC_BIZ_KEYS = {
    "bk_biz_id",
    "language",
    "life_cycle",
    "bk_biz_developer",
    "bk_biz_maintainer",
    "bk_biz_tester",
    "time_zone",
    "default",
    "create_time",
    "bk_biz_productor",
    "bk_supplier_account",
    "operator",
    "bk_biz_name",
    "last_time",
}  # fmt: skip  (the example's bk_supplier_id is a multi-supplier leftover, not modelled)
DOC_MODULE_KEYS = {
    "bk_biz_id", "bk_module_id", "default", "bk_bak_operator", "create_time", "bk_module_name",
    "bk_supplier_account", "operator", "bk_set_id", "bk_parent_id", "last_time", "bk_module_type",
}  # fmt: skip
DOC_PLAT_KEYS = {"bk_obj_name", "id", "bk_obj_id", "bk_obj_icon", "bk_inst_id", "bk_inst_name"}


@dataclass
class Estate:
    a: Business
    b: Business
    a_name: str
    ips: dict[str, str] = field(default_factory=dict)
    outer: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    modules: dict[str, int] = field(default_factory=dict)

    def names(self, data: dict[str, Any]) -> set[str]:
        by_id = {pk: name for name, pk in self.ids.items()}
        return {by_id[row["host"]["bk_host_id"]] for row in data["info"]}


@pytest.fixture(scope="module")
def estate(gql: GraphQLClient, ip_allocator: Any) -> Estate:
    declare_attributes(gql, "host", slot="singlechar", tier="singlechar")
    tag = uuid.uuid4().hex[:8]
    a = create_business(gql, f"search-a-{tag}")
    b = create_business(gql, f"search-b-{tag}")
    found = Estate(a=a, b=b, a_name=f"search-a-{tag}")
    create_set(gql, a, "web")
    create_set(gql, a, "db")
    for set_name, module in (("web", "nginx"), ("web", "php"), ("db", "mysql")):
        found.modules[module] = bk_id(create_module(gql, a, set_name, module))
    hosts: list[tuple[str, Business, dict[str, Any]]] = [
        ("web1", a, {"osType": "1", "attributes": {"slot": "A1", "tier": "gold"}}),
        ("web2", a, {"osType": "1", "attributes": {"slot": "B2"}}),
        ("db1", a, {"osType": "2", "attributes": {"slot": "A1"}}),
        ("idle1", a, {"osType": "2"}),
        ("other1", b, {"osType": "1", "attributes": {"slot": "A1"}}),
    ]
    global_ids: dict[str, str] = {}
    for name, business, properties in hosts:
        inner, outer = take_ips(ip_allocator, 2)
        found.ips[name], found.outer[name] = inner, outer
        (global_ids[name],) = add_hosts(gql, [inner], business, hostName=f"{name}-{tag}", outerIp=outer, **properties)
        found.ids[name] = bk_id(global_ids[name])
    place_hosts(gql, a, [global_ids["web1"]], [a.modules["nginx"]])
    place_hosts(gql, a, [global_ids["web2"]], [a.modules["nginx"], a.modules["php"]])
    place_hosts(gql, a, [global_ids["db1"]], [a.modules["mysql"]])
    return found


def search(bk: LegacyClient, estate: Estate, *clauses: dict[str, Any], **body: Any) -> dict[str, Any]:
    """search_host within business A (unless bk_biz_id is given) → data."""
    request = {"bk_biz_id": estate.a.bk_biz_id, "condition": list(clauses), **body}
    return ok(bk.cc.search_host(request))


def host_clause(*conditions: tuple[str, str, Any]) -> dict[str, Any]:
    return {
        "bk_obj_id": "host",
        "fields": [],
        "condition": [{"field": f, "operator": o, "value": v} for f, o, v in conditions],
    }


def test_search_host_answers_the_documented_shape(bk: LegacyClient, estate: Estate) -> None:
    # The doc's (repaired) request example, minus its `object` clause (tested below) and scoped to A.
    request = {
        "bk_biz_id": estate.a.bk_biz_id,
        "ip": {"data": [], "exact": 1, "flag": "bk_host_innerip|bk_host_outerip"},
        "condition": [{"bk_obj_id": obj, "fields": [], "condition": []} for obj in ("host", "module", "set", "biz")],
        "page": {"start": 0, "limit": 10, "sort": "bk_host_id"},
        "pattern": "",
    }
    response = bk.cc.search_host(request)
    data = ok(response)
    assert response["message"] == "success"
    assert set(data) == {"count", "info"}
    assert data["count"] == 4
    assert [row["host"]["bk_host_id"] for row in data["info"]] == sorted(
        estate.ids[n] for n in ("web1", "web2", "db1", "idle1")
    )
    for row in data["info"]:
        assert set(row) == {"host", "biz", "set", "module"}
        assert set(row["host"]) >= DOC_HOST_KEYS - NOT_MODELLED_HOST_KEYS
        assert [set(b) >= DOC_BIZ_KEYS for b in row["biz"]] == [True]
        assert all(set(s) >= DOC_SET_KEYS for s in row["set"])
        assert row["set"]
        assert all(set(m) >= DOC_MODULE_KEYS for m in row["module"])
        assert row["module"]
        (plat,) = row["host"]["bk_cloud_id"]  # an array of plat references, as in the doc
        assert set(plat) == DOC_PLAT_KEYS
        assert plat["bk_obj_id"] == "plat"
        assert plat["id"] == "0"
        assert plat["bk_inst_id"] == 0
        assert row["biz"][0]["bk_biz_id"] == estate.a.bk_biz_id
        assert row["biz"][0]["bk_supplier_account"] == "0"
    web2 = next(r for r in data["info"] if r["host"]["bk_host_id"] == estate.ids["web2"])
    assert {m["bk_module_name"] for m in web2["module"]} == {"nginx", "php"}
    assert [s["bk_set_name"] for s in web2["set"]] == ["web"]  # one set, though two of its modules
    assert web2["host"]["slot"] == "B2"
    assert web2["host"]["bk_host_innerip"] == estate.ips["web2"]
    idle = next(r for r in data["info"] if r["host"]["bk_host_id"] == estate.ids["idle1"])
    assert [(m["bk_module_name"], m["default"]) for m in idle["module"]] == [("空闲机", 1)]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (("bk_os_type", "$eq", "1"), {"web1", "web2"}),
        (("bk_os_type", "$ne", "1"), {"db1", "idle1"}),
        (("bk_os_type", "$neq", "1"), {"db1", "idle1"}),  # the doc table's spelling
        (("bk_os_type", "$in", ["2", "9"]), {"db1", "idle1"}),
        (("bk_os_type", "$nin", ["2"]), {"web1", "web2"}),
        (("slot", "$eq", "A1"), {"web1", "db1"}),  # custom attribute
        (("slot", "$ne", "A1"), {"web2", "idle1"}),  # a host without the attribute is "not A1"
        (("slot", "$in", ["B2", "Z9"]), {"web2"}),
        (("slot", "$nin", ["A1", "B2"]), {"idle1"}),
        (("bk_host_name", "$regex", "web"), {"web1", "web2"}),
    ],
)
def test_search_host_operators(
    bk: LegacyClient, estate: Estate, condition: tuple[str, str, Any], expected: set[str]
) -> None:
    data = search(bk, estate, host_clause(condition))
    assert estate.names(data) == expected
    assert data["count"] == len(expected)


def test_search_host_clauses_are_anded_across_objects(bk: LegacyClient, estate: Estate) -> None:
    web_set = {
        "bk_obj_id": "set",
        "fields": [],
        "condition": [{"field": "bk_set_name", "operator": "$eq", "value": "web"}],
    }
    php = {
        "bk_obj_id": "module",
        "fields": [],
        "condition": [{"field": "bk_module_name", "operator": "$eq", "value": "php"}],
    }
    assert estate.names(search(bk, estate, web_set)) == {"web1", "web2"}
    assert estate.names(search(bk, estate, php)) == {"web2"}
    assert estate.names(search(bk, estate, web_set, host_clause(("slot", "$eq", "A1")))) == {"web1"}
    assert estate.names(search(bk, estate, web_set, php, host_clause(("slot", "$eq", "A1")))) == set()
    modules = [estate.modules["nginx"], estate.modules["mysql"]]
    in_modules = {"bk_obj_id": "module", "condition": [{"field": "bk_module_id", "operator": "$in", "value": modules}]}
    assert estate.names(search(bk, estate, in_modules)) == {"web1", "web2", "db1"}
    # A biz clause instead of bk_biz_id: every business named so, ANDed with a host condition.
    biz = {"bk_obj_id": "biz", "condition": [{"field": "bk_biz_name", "operator": "$eq", "value": estate.a_name}]}
    both = ok(bk.cc.search_host({"condition": [biz, host_clause(("slot", "$eq", "A1"))]}))
    assert estate.names(both) == {"web1", "db1"}  # other1 has rack A1 too, but is in business B


def test_search_host_ip_filter_exact_fuzzy_and_both_flag_separators(bk: LegacyClient, estate: Estate) -> None:
    def by_ip(ips: list[str], exact: int, flag: str | None, **extra: Any) -> set[str]:
        ip = {"data": ips, "exact": exact} | ({"flag": flag} if flag is not None else {})
        return estate.names(ok(bk.cc.search_host({"ip": ip, **extra})))

    inner, outer = estate.ips, estate.outer
    assert by_ip([inner["web1"], inner["other1"]], 1, "bk_host_innerip") == {"web1", "other1"}
    assert by_ip([inner["web1"]], 1, None) == {"web1"}  # no flag: the inner IP
    assert by_ip([outer["web1"]], 1, "bk_host_innerip") == set()
    assert by_ip([outer["web1"]], 1, "bk_host_outerip") == {"web1"}
    assert by_ip([inner["db1"], outer["web1"]], 1, "bk_host_innerip|bk_host_outerip") == {"db1", "web1"}
    assert by_ip([inner["db1"], outer["web1"]], 1, "bk_host_innerip,bk_host_outerip") == {"db1", "web1"}
    # Fuzzy: a substring of the inner IP, within business A.
    prefix = inner["web1"].rsplit(".", 1)[0] + "."
    expected = {name for name in ("web1", "web2", "db1", "idle1") if inner[name].startswith(prefix)}
    assert by_ip([prefix], 0, "bk_host_innerip", bk_biz_id=estate.a.bk_biz_id) == expected
    assert by_ip([prefix], 1, "bk_host_innerip", bk_biz_id=estate.a.bk_biz_id) == set()


def test_search_host_paging_and_sort(bk: LegacyClient, estate: Estate) -> None:
    a_ids = sorted(estate.ids[n] for n in ("web1", "web2", "db1", "idle1"))

    def page(start: int, limit: int, sort: str) -> tuple[int, list[int]]:
        data = search(bk, estate, page={"start": start, "limit": limit, "sort": sort})
        return data["count"], [row["host"]["bk_host_id"] for row in data["info"]]

    assert page(0, 2, "bk_host_id") == (4, a_ids[:2])
    assert page(2, 2, "bk_host_id") == (4, a_ids[2:])
    assert page(0, 3, "-bk_host_id") == (4, a_ids[::-1][:3])
    assert page(4, 2, "bk_host_id") == (4, [])
    assert page(0, 200, "") == (4, a_ids)  # the documented maximum


def test_search_host_fields_select_columns_per_object(bk: LegacyClient, estate: Estate) -> None:
    request = {
        "bk_biz_id": estate.a.bk_biz_id,
        "ip": {"data": [estate.ips["web2"]], "exact": 1, "flag": "bk_host_innerip"},
        "condition": [
            {"bk_obj_id": "host", "fields": ["bk_host_id", "bk_host_innerip", "slot", "bk_cloud_id"], "condition": []},
            {"bk_obj_id": "module", "fields": ["bk_module_name"], "condition": []},
            {"bk_obj_id": "set", "fields": ["bk_set_name", "bk_set_id"], "condition": []},
            {"bk_obj_id": "biz", "fields": ["bk_biz_name"], "condition": []},
        ],
    }
    (row,) = ok(bk.cc.search_host(request))["info"]
    assert set(row["host"]) == {"bk_host_id", "bk_host_innerip", "slot", "bk_cloud_id"}
    assert row["host"]["slot"] == "B2"
    assert row["host"]["bk_cloud_id"][0]["bk_obj_id"] == "plat"
    assert sorted(row["module"], key=lambda m: m["bk_module_name"]) == [
        {"bk_module_name": "nginx"},
        {"bk_module_name": "php"},
    ]
    assert [set(s) for s in row["set"]] == [{"bk_set_name", "bk_set_id"}]
    assert row["biz"] == [{"bk_biz_name": estate.a_name}]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"page": {"start": 0, "limit": 1000}}, 1199059),
        ({"page": {"start": 0, "limit": 201}}, 1199059),
        ({"page": {"start": -1, "limit": 10}}, 1199006),
        ({"page": {"start": 0, "limit": 10, "sort": "no_such_property"}}, 1199006),
        (
            {
                "condition": [
                    {"bk_obj_id": "object", "condition": [{"field": "bk_obj_name", "operator": "$eq", "value": "x"}]}
                ]
            },
            1110058,  # an "object" (mainline instance) clause needs bk_inst_id
        ),
        ({"condition": [{"bk_obj_id": "cluster", "condition": []}]}, 1199006),
        (
            {
                "condition": [
                    {"bk_obj_id": "host", "condition": [{"field": "bk_os_type", "operator": "$like", "value": "1"}]}
                ]
            },
            1199006,
        ),
        (
            {
                "condition": [
                    {"bk_obj_id": "host", "condition": [{"field": "bk_os_type", "operator": "$in", "value": "1"}]}
                ]
            },
            1199006,
        ),
        ({"condition": [{"bk_obj_id": "host", "condition": [{"operator": "$eq", "value": "1"}]}]}, 1199008),
        ({"condition": "host"}, 1199006),
        (
            {
                "condition": [
                    {"bk_obj_id": "host", "condition": [{"field": "bk_host_id", "operator": "$eq", "value": 2**40}]}
                ]
            },
            1199006,
        ),
        (
            {
                "condition": [
                    {
                        "bk_obj_id": "module",
                        "condition": [{"field": "bk_module_id", "operator": "$in", "value": [1, "99999999999"]}],
                    }
                ]
            },
            1199006,
        ),
        ({"page": {"start": 10**12, "limit": 10}}, 1199006),
        ({"ip": {"data": ["10.0.0.1"], "flag": "bk_host_lanip"}}, 1199006),
        ({"pattern": "w" * 300}, 1199006),
        ({"bk_biz_id": "abc"}, 1199006),
        ({"bk_biz_id": 2_000_000_000}, 1199019),
    ],
)
def test_search_host_refuses_bad_input(bk: LegacyClient, body: dict[str, Any], code: int) -> None:
    refused(bk.cc.search_host(body), code)


def test_search_host_empty_body_searches_every_host(bk: LegacyClient, estate: Estate) -> None:
    data = ok(bk.cc.search_host({}))  # bkapi-client-core sends no body at all for {}
    assert data["count"] >= 5
    assert len(data["info"]) == min(data["count"], 200)


def test_find_host_by_module_answers_the_documented_shape(bk: LegacyClient, estate: Estate) -> None:
    request = {
        "metadata": {"label": {"bk_biz_id": str(estate.a.bk_biz_id)}},
        "bk_module_ids": [estate.modules["nginx"], estate.modules["php"]],
        "page": {"start": 0, "limit": 10},
    }
    response = bk.cc.find_host_by_module(request)
    data = ok(response, style="bk_error_code")
    assert response["bk_error_msg"] == "success"
    assert "code" not in response
    assert data["count"] == 2
    assert estate.names(data) == {"web1", "web2"}
    for row in data["info"]:
        assert set(row) == {"biz", "host", "module", "set"}
        assert row["host"]["bk_cloud_id"][0]["bk_obj_id"] == "plat"
        assert all(s["TopSetName"] == f"{estate.a_name}##web" for s in row["set"])
        assert {m["TopModuleName"] for m in row["module"]} <= {
            f"{estate.a_name}##web##nginx",
            f"{estate.a_name}##web##php",
        }
    # The later bk-cmdb spelling (top-level bk_biz_id) is accepted too.
    again = {"bk_biz_id": estate.a.bk_biz_id, "bk_module_ids": [estate.modules["mysql"]], "page": {"limit": 5}}
    assert estate.names(ok(bk.cc.find_host_by_module(again), style="bk_error_code")) == {"db1"}
    # Modules of another business hold none of business B's hosts.
    other = {"metadata": {"label": {"bk_biz_id": str(estate.b.bk_biz_id)}}, "bk_module_ids": [estate.modules["nginx"]]}
    assert ok(bk.cc.find_host_by_module(other), style="bk_error_code") == {"count": 0, "info": []}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"bk_module_ids": [1], "page": {"start": 0, "limit": 10}}, 1199008),
        ({"metadata": {"label": {"bk_biz_id": "{biz}"}}, "page": {"start": 0, "limit": 10}}, 1199008),
        ({"metadata": {"label": {"bk_biz_id": "{biz}"}}, "bk_module_ids": ["x"]}, 1199006),
        ({"metadata": {"label": {"bk_biz_id": "{biz}"}}, "bk_module_ids": [1], "page": {"limit": 1000}}, 1199059),
        ({"metadata": {"label": {"bk_biz_id": "two"}}, "bk_module_ids": [1]}, 1199006),
    ],
)
def test_find_host_by_module_refuses_bad_input(
    bk: LegacyClient, estate: Estate, body: dict[str, Any], code: int
) -> None:
    body = copy.deepcopy(body)  # the parameters are shared by both backends' runs
    if body.get("metadata"):
        label = body["metadata"]["label"]
        label["bk_biz_id"] = label["bk_biz_id"].replace("{biz}", str(estate.a.bk_biz_id))
    refused(bk.cc.find_host_by_module(body), code, style="bk_error_code")

"""cc get_operation_log: the audit trail of the topology writes, in the bk_error_code envelope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.compat.bk_client import LegacyClient
from tests.compat.cc_topology_support import DOC_OPLOG_KEYS, new_business, new_set, ok, refused

STYLE = "bk_error_code"


def log(bk: LegacyClient, **body: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(bk.cc.get_operation_log(data=body), style=STYLE)
    return data


def test_operation_log_records_topology_writes(bk: LegacyClient, unique: str) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    biz = new_business(bk, f"audit-{unique}")
    set_id = new_set(bk, biz, "web")
    ok(bk.cc.update_set(data={"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_set_name": "www"}}))
    ok(bk.cc.delete_set(data={"bk_biz_id": biz, "bk_set_id": set_id}))

    data = log(bk, condition={"bk_biz_id": biz, "op_target": "set"})
    assert data["count"] == 3
    entries = data["info"]
    assert [e["op_type"] for e in entries] == [3, 2, 1]  # newest first; bk's numeric op types
    for entry in entries:
        assert DOC_OPLOG_KEYS | {"id"} == set(entry)
        assert (entry["bk_biz_id"], entry["inst_id"], entry["operator"]) == (biz, set_id, "admin")
        assert entry["bk_supplier_account"] == "0"
        assert datetime.fromisoformat(entry["op_time"]) >= started
    update = entries[1]
    assert set(update["content"]) == {"pre_data", "cur_data", "header"}
    assert (update["content"]["pre_data"]["bk_set_name"], update["content"]["cur_data"]["bk_set_name"]) == (
        "web",
        "www",
    )
    names = {h["bk_property_id"]: h["bk_property_name"] for h in update["content"]["header"]}
    assert names["bk_set_name"] == "集群名"

    # op_type as bk's int, as a numeric string, or as our word; other filters narrow further.
    for op_type in (2, "2", "update", {"$eq": 2}):
        assert [e["id"] for e in log(bk, condition={"bk_biz_id": biz, "op_type": op_type})["info"]] == [update["id"]]
    assert log(bk, condition={"bk_biz_id": biz, "op_type": 100})["count"] == 0
    assert log(bk, condition={"bk_biz_id": biz, "inst_id": set_id, "operator": "admin"})["count"] == 3
    assert log(bk, condition={"bk_biz_id": biz, "op_target": {"$in": ["biz"]}})["info"][0]["op_type"] == 1

    # op_time [from, to], bk's "2006-01-02 15:04:05" or ISO; paging and ascending sort.
    now = datetime.now(UTC)
    window = [(now - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S"), (now + timedelta(minutes=1)).isoformat()]
    assert log(bk, condition={"bk_biz_id": biz, "op_time": window})["count"] == 4  # + the business's creation
    future = [(now + timedelta(hours=1)).isoformat(), None]
    assert log(bk, condition={"bk_biz_id": biz, "op_time": future})["count"] == 0
    oldest = log(bk, condition={"bk_biz_id": biz}, sort="op_time", start=1, limit=2)
    assert oldest["count"] == 4
    assert [(e["op_target"], e["op_type"]) for e in oldest["info"]] == [("set", 1), ("set", 2)]
    assert len(log(bk, condition={"bk_biz_id": biz}, limit=0)["info"]) == 4  # 0 = bk's default page (20)


def test_operation_log_refusals(bk: LegacyClient, unique: str) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"condition": {"op_type": 7}}, 1199006, "condition.op_type"),
        ({"condition": {"op_type": True}}, 1199006, "condition.op_type"),
        ({"condition": {"bk_biz_id": "abc"}}, 1199006, "condition.bk_biz_id"),
        ({"condition": {"content": "x"}}, 1199006, "condition.content"),
        ({"condition": {"op_time": ["2024-01-01 00:00:00"]}}, 1199006, "condition.op_time"),
        ({"condition": {"op_time": ["yesterday", None]}}, 1199006, "condition.op_time[0]"),
        ({"condition": {"ext_key": {"$in": ["a", "b"]}}}, 1199006, "condition.ext_key"),
        ({"condition": "all"}, 1199006, "condition"),
        ({"limit": 501}, 1199059, "limit"),
        ({"start": "first"}, 1199006, "start"),
        ({"sort": "-content"}, 1199006, "content"),
    ]
    for body, code, field in cases:
        assert field in refused(bk.cc.get_operation_log(data=body), code, style=STYLE), body
    # An id no record can have is simply an empty answer (as bk-cmdb's Mongo query would be).
    assert log(bk, condition={"bk_biz_id": 2**40}) == {"count": 0, "info": []}
    refused(bk.cc.get_operation_log__get(data={}), 1306405, style=STYLE)  # documented as POST only

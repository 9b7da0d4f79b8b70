"""bk monitor v2 alarm reads through bkapi-client-core: alarm_instance, get_alarms (page/page_size
→ {total, result}, Django-style lookups) and list_alarm_instance / list_component_instance (DRF
`_meta` at the top level), all with `code: "0"`; alarms here come from the ingestion webhook."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.compat.monitor_client import MonitorClient, monitor_client
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import Business, create_business

CREATE_SOURCE = """
mutation($input: CreateAlarmIngestSourceInput!) { createAlarmIngestSource(input: $input) { token errors { code } } }"""


@pytest.fixture(scope="session")
def mon(server: Server) -> MonitorClient:
    return monitor_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")


@pytest.fixture(scope="module")
def alarmed(server: Server, gql: GraphQLClient) -> tuple[Business, list[int]]:
    business = create_business(gql, f"mon-alarms-{uuid.uuid4().hex[:8]}")
    token = gql.ok(CREATE_SOURCE, {"input": {"businessId": business.id, "name": "ext"}})["createAlarmIngestSource"][
        "token"
    ]
    body = {
        "alarms": [
            {"name": "cpu high", "level": 1, "alarm_type": "cpu", "ip": "10.9.9.1", "content": "PING lost 5%"},
            {"name": "mem high", "level": 2, "alarm_type": "mem", "ip": "10.9.9.2", "content": "usage 91%"},
            {"name": "disk", "level": 3, "alarm_type": "disk", "ip": "10.9.9.3", "content": "/var 95%"},
        ]
    }
    result = httpx.post(f"{server.url}/api/monitor/alarms", json=body, headers={"Authorization": f"Bearer {token}"})
    return business, [r["alarm_id"] for r in result.json()["result"]]


def test_get_alarms_pages_and_filters(mon: MonitorClient, alarmed: tuple[Business, list[int]]) -> None:
    business, ids = alarmed
    biz = business.bk_biz_id
    page = mon.monitor.get_alarms(
        data={
            "bk_biz_id": biz,
            "page": 1,
            "page_size": 2,
            "ordering": "-id",
            "source_time__gte": "2020-01-01 00:00:00+0800",
        }
    )
    assert page["result"] is True
    assert page["code"] == "0"
    assert page["message"] == "OK"
    assert page["data"]["total"] == 3
    assert [a["id"] for a in page["data"]["result"]] == [ids[2], ids[1]]
    first = page["data"]["result"][0]
    assert set(first) >= {
        "id",
        "bk_biz_id",
        "ip",
        "level",
        "status",
        "user_status",
        "alarm_type",
        "source_time",
        "alarm_content",
        "match_dimension",
        "bk_cloud_id",
        "bk_supplier_id",
        "comment",
    }
    assert first["source_time"].endswith("+0000")
    assert first["status"] == "success"
    assert first["user_status"] == "unnotified"
    assert first["alarm_content"]["title"].endswith("disk")
    types = mon.monitor.get_alarms(data={"bk_biz_id": biz, "alarm_type__in": "cpu,mem", "extend_fields": "end_time"})
    assert sorted(a["alarm_type"] for a in types["data"]["result"]) == ["cpu", "mem"]
    assert all("end_time" in a for a in types["data"]["result"])
    content = mon.monitor.get_alarms(data={"bk_biz_id": biz, "level": 1, "alarm_content__contains": "PING"})
    assert [a["id"] for a in content["data"]["result"]] == [ids[0]]
    future = mon.monitor.get_alarms(data={"bk_biz_id": biz, "source_time__gte": "2999-01-01 00:00:00"})
    assert future["data"] == {"total": 0, "result": []}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"bogus__in": "x"}, "bogus__in"),
        ({"ordering": "password"}, "ordering"),
        ({"page": 0}, "page"),
        ({"page_size": 999999}, "page_size"),
        ({"source_time__gte": "last tuesday"}, "source_time__gte"),
        ({"level": "fatal"}, "level"),
        ({"status": "burning"}, "status"),
    ],
)
def test_get_alarms_refusals(
    mon: MonitorClient, alarmed: tuple[Business, list[int]], params: dict[str, Any], words: str
) -> None:
    business, _ = alarmed
    answer = mon.monitor.get_alarms(data={"bk_biz_id": business.bk_biz_id, **params})
    assert answer["result"] is False, answer
    assert answer["code"] == 1306406, answer
    assert words in answer["message"], answer


def test_alarm_instance_and_the_drf_list(
    mon: MonitorClient, alarmed: tuple[Business, list[int]], server: Server
) -> None:
    business, ids = alarmed
    one = mon.monitor.alarm_instance(data={"id": ids[1]})
    assert one["result"] is True
    assert one["code"] == "0"
    assert one["data"]["id"] == ids[1]
    assert one["data"]["source_type"] == "INGEST"
    assert one["data"]["raw"] == "usage 91%"
    assert one["data"]["event_id"] == f"INGEST{ids[1]}"
    missing = mon.monitor.alarm_instance(data={"id": 2147483000})
    assert missing["result"] is False
    assert "does not exist" in missing["message"]
    listed = mon.monitor.list_alarm_instance(data={"bk_biz_id": business.bk_biz_id, "limit": 2})
    assert listed["result"] is True
    assert listed["code"] == "0"
    assert listed["_meta"] == {"count": 3, "previous": None, "next": {"offset": 2, "limit": 2}}
    assert [a["id"] for a in listed["data"]] == ids[:2]
    rest = mon.monitor.list_alarm_instance(data={"bk_biz_id": business.bk_biz_id, "limit": 2, "offset": 2})
    assert [a["id"] for a in rest["data"]] == ids[2:]
    assert rest["_meta"]["next"] is None
    by_event = mon.monitor.list_alarm_instance(data={"event_id": f"INGEST{ids[2]}"})
    assert [a["id"] for a in by_event["data"]] == [ids[2]]
    components = mon.monitor.list_component_instance(data={"bk_biz_id": business.bk_biz_id})
    assert components["result"] is True
    assert components["data"] == []
    assert components["_meta"]["count"] == 0
    nothing = mon.monitor.component_instance(data={"id": 2147483000})
    assert nothing["result"] is False
    assert "does not exist" in nothing["message"]


def test_a_user_without_a_role_sees_nothing(
    mon: MonitorClient, alarmed: tuple[Business, list[int]], server: Server
) -> None:
    business, ids = alarmed
    name = f"norole{uuid.uuid4().hex[:8]}"
    server.cli("admin", "create-user", name, "--password", "no-role-password-1")
    outsider = monitor_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username=name)
    hidden = outsider.monitor.alarm_instance(data={"id": ids[0]})
    missing = outsider.monitor.alarm_instance(data={"id": 2147483000})
    assert hidden["result"] is False
    assert hidden["message"].replace(str(ids[0]), "N") == missing["message"].replace("2147483000", "N")
    listed = outsider.monitor.list_alarm_instance(data={"bk_biz_id": business.bk_biz_id})
    assert listed["data"] == []
    assert listed["_meta"]["count"] == 0
    refused = outsider.monitor.get_alarms(data={"bk_biz_id": business.bk_biz_id})
    assert refused["result"] is False

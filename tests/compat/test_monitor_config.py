"""bk monitor v2 configuration endpoints through bkapi-client-core: strategies (export/import, code
200, partial success), uptime nodes and tasks (code "0", `error_mes`), script and log collectors,
deploy_script_collector's per-host partition, and query_data over uptime results. Bad input gets
`result: false` with the ESB parameter-error code and changes nothing."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.monitor_client import MonitorClient, monitor_client
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server, free_port
from tests.support.topology import Business, add_hosts, create_business

PARAMETER_ERROR = 1306406


@pytest.fixture(scope="session")
def mon(server: Server) -> MonitorClient:
    return monitor_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")


@pytest.fixture(scope="module")
def estate(gql: GraphQLClient, ip_allocator: Iterator[str]) -> tuple[Business, list[str]]:
    business = create_business(gql, f"mon-compat-{uuid.uuid4().hex[:8]}")
    ips = [next(ip_allocator), next(ip_allocator)]
    add_hosts(gql, ips, business)
    return business, ips


def _strategy(biz: int, title: str, threshold: Any = 32) -> dict[str, Any]:
    info = {
        "where_sql": "",
        "monitor_result_table_id": f"{biz}_system_cpu_summary",
        "count_freq": 60,
        "unit_conversion": 1.0,
        "aggregator": "avg",
        "monitor_field": "usage",
        "unit": "%",
        "dimensions": ["ip"],
    }
    level = {
        "notice_end_time": "23:59",
        "phone_receiver": [],
        "monitor_level": 2,
        "is_recovery": False,
        "notify_way": ["wechat"],
        "role_list": ["other"],
        "responsible": ["laymanmlai"],
        "notice_start_time": "00:00",
        "detect_algorithm": [
            {
                "config": {"threshold": threshold, "message": "", "method": "gte"},
                "algorithm_id": 1000,
                "name": "静态阈值",
                "display": "当前值≥阈值:32",
            }
        ],
    }
    return {
        "is_enabled": True,
        "stat_source_info": json.dumps(info),
        "description": "",
        "scenario": "os",
        "title": title,
        "monitor_target": "usage",
        "biz_id": biz,
        "src_type": "BKMONITOR",
        "stat_source_type": "BKDATA",
        "monitor_type": "",
        "alarm_strategy": [
            {
                "is_enabled": True,
                "bk_biz_id": biz,
                "alarm_level_config": {"2": level},
                "display_name": title,
                "scenario": "os",
                "is_classify_notice": False,
                "rules": {"count": 1, "alarm_window": 60, "check_window": 5},
                "nodata_alarm": 0,
                "cc_biz_id": biz,
                "condition": [[]],
            }
        ],
    }


def test_strategies_round_trip_in_the_documented_shape(mon: MonitorClient, estate: tuple[Business, list[str]]) -> None:
    business, _ = estate
    biz = business.bk_biz_id
    title = f"cpu-{uuid.uuid4().hex[:6]}"
    imported = mon.monitor.import_alarm_strategy(
        data={"bk_biz_id": biz, "conf_list": [_strategy(biz, title), _strategy(biz, "x", threshold="high")]}
    )
    assert imported["result"] is True
    assert imported["code"] == 200
    assert imported["message"] == "OK"
    assert len(imported["data"]["success"]) == 1
    assert len(imported["data"]["fail"]) == 1
    assert "threshold" in imported["data"]["fail"][0]["message"]
    created = imported["data"]["success"][0]
    strategy = created["alarm_strategy"][0]
    assert strategy["converge_display"] == "5个周期内,满足1次检测算法,且告警产生后未恢复,1小时内不再告警"
    assert strategy["condition_display"] == "当前所有维度"
    monitor_id = created["monitor_id"]
    exported = mon.monitor.export_alarm_strategy(
        data={"bk_biz_id": str(biz), "monitor_ids": f"2147483000,{monitor_id}"}
    )
    assert exported["result"] is True
    assert exported["code"] == 200
    assert exported["data"]["fail"] == [{"monitor_id": 2147483000, "message": "can't find monitor"}]
    item = exported["data"]["success"][0]
    assert isinstance(item["stat_source_info"], str)  # a JSON string, as documented
    info = json.loads(item["stat_source_info"])
    assert info["monitor_result_table_id"] == f"{biz}_system_cpu_summary"
    assert info["monitor_field"] == "usage"
    level = item["alarm_strategy"][0]["alarm_level_config"]["2"]
    assert level["detect_algorithm"][0]["display"] == "当前值≥阈值:32%"
    # What export gives, import takes back (with monitor_id: the same source, updated).
    again = mon.monitor.import_alarm_strategy(data={"bk_biz_id": biz, "conf_list": [item]})
    assert again["data"]["fail"] == []
    assert again["data"]["success"][0]["monitor_id"] == monitor_id


def test_strategy_refusals(mon: MonitorClient, estate: tuple[Business, list[str]]) -> None:
    business, _ = estate
    missing = mon.monitor.export_alarm_strategy(data={"bk_biz_id": business.bk_biz_id})
    assert missing["result"] is False
    assert missing["code"] == PARAMETER_ERROR
    assert "monitor_ids" in missing["message"]
    empty = mon.monitor.import_alarm_strategy(data={"bk_biz_id": business.bk_biz_id, "conf_list": []})
    assert empty["result"] is False
    assert "conf_list" in empty["message"]
    nobody = mon.monitor.import_alarm_strategy(data={"bk_biz_id": 2147483000, "conf_list": [_strategy(1, "t")]})
    assert nobody["result"] is False


def _tcp_listener() -> tuple[socket.socket, int]:
    port = free_port()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)

    def accept() -> None:
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            client.close()

    threading.Thread(target=accept, daemon=True).start()
    return sock, port


NODE = {
    "carrieroperator": "内网",
    "location": {"country": "中国", "city": "广东"},
    "name": "中国广东内网",
    "is_common": False,
}


def test_uptime_import_export_and_query_data(mon: MonitorClient, estate: tuple[Business, list[str]]) -> None:
    business, ips = estate
    biz = business.bk_biz_id
    nodes = mon.monitor.import_uptime_check_node(
        data={
            "conf_list": [
                {"target_conf": {"bk_biz_id": biz, "bk_cloud_id": 0, "ip": ips[0]}, "node_conf": NODE},
                {"target_conf": {"bk_biz_id": biz, "bk_cloud_id": 0, "ip": "10.253.1.1"}, "node_conf": NODE},
            ]
        }
    )
    assert nodes["result"] is True
    assert nodes["code"] == "0"
    assert nodes["data"]["success"]["total"] == 1
    assert nodes["data"]["failed"]["detail"][0]["error_mes"]
    sock, port = _tcp_listener()
    name = f"tcp-{uuid.uuid4().hex[:6]}"
    # The example's node with an empty ip: the OpsGraph server itself probes.
    server_node = {"node_conf": NODE, "target_conf": {"bk_biz_id": 0, "ip": "", "bk_cloud_id": 0}}
    conf = {
        "target_conf": {"bk_biz_id": 0, "node_id_list": [], "node_list": [server_node]},
        "collector_conf": {
            "config": {
                "ip_list": ["127.0.0.1"],
                "period": 1,
                "period_seconds": 1,
                "response_format": "in",
                "port": port,
                "timeout": 2900,
                "response": None,
            },
            "protocol": "TCP",
            "name": name,
            "groups": "未分类",
            "location": {"bk_state_name": "中国", "bk_province_name": "北京"},
        },
        "monitor_conf": [
            {
                "alarm_level_config": {
                    "2": {
                        "notify_way": ["mail"],
                        "role_list": ["Tester"],
                        "monitor_level": 2,
                        "alarm_end_time": "23:59",
                        "responsible": [],
                        "phone_receiver": [],
                        "alarm_start_time": "00:00",
                        "is_recovery": False,
                        "detect_algorithm": [
                            {"config": {"threshold": 10, "message": "", "method": "gte"}, "algorithm_id": 1000},
                            {"config": {"message": "", "ceil": 10, "floor": 10}, "algorithm_id": 1001},
                        ],
                    }
                },
                "monitor_target": "available",
                "unit": "%",
                "display_name": f'"{name}"节点平均值可用率',
                "node_count": 0,
                "is_enabled": True,
                "nodata_alarm": 0,
                "rules": {"count": 1, "alarm_window": 1440, "check_window": 5},
                "is_classify_notice": False,
                "where_sql": "",
                "condition": [[]],
                "bk_biz_id": biz,
                "scenario": "uptimecheck",
                "monitor_id": 0,
                "alarm_strategy_id": 0,
                "is_recovery": False,
            }
        ],
    }
    bad = {**conf, "collector_conf": {**conf["collector_conf"], "name": f"bad-{name}", "protocol": "ICMP"}}
    try:
        tasks = mon.monitor.import_uptime_check_task(data={"bk_biz_id": biz, "conf_list": [conf, bad]})
        assert tasks["result"] is True
        assert tasks["code"] == "0"
        assert tasks["data"]["success"]["detail"][0]["task_name"] == name
        assert tasks["data"]["failed"]["detail"] == [
            {"task_name": f"bad-{name}", "error_mes": "conf_list[1].collector_conf.protocol must be TCP, UDP or HTTP"}
        ]
        sql = f'select avg(available) as a from {biz}_uptimecheck_tcp where time >= "1m" group by task_id, minute1'
        deadline = time.monotonic() + 30
        while True:
            answer = mon.monitor.query_data(data={"sql": sql, "prefer_storage": "tsdb"})
            assert answer["result"] is True, answer
            assert answer["code"] == "0", answer
            if answer["data"]["list"]:
                break
            assert time.monotonic() < deadline, answer
            time.sleep(0.5)
        row = answer["data"]["list"][0]
        assert row["a"] == 1.0
        assert row["time"] == row["minute1"]
        assert row["time"] % 60000 == 0
        assert answer["data"]["select_fields_order"] == ["a", "task_id", "minute1"]
    finally:
        sock.close()
    exported = mon.monitor.export_uptime_check_task(data={"biz_id": biz, "protocol": "TCP"})
    assert exported["result"] is True
    assert exported["code"] == 200
    task = next(t for t in exported["data"] if t["collector_conf"]["name"] == name)
    assert task["collector_conf"]["config"]["port"] == port
    assert task["target_conf"]["node_list"][0]["target_conf"]["ip"] == ""
    assert task["monitor_conf"][0]["alarm_level_config"]["2"]["detect_algorithm"][1]["algorithm_id"] == 1001
    bad_sql = mon.monitor.query_data(
        data={"sql": f"select max(available) from {biz}_uptimecheck_tcp; drop table alarm"}
    )
    assert bad_sql["result"] is False
    assert bad_sql["code"] == PARAMETER_ERROR
    assert "statement" in bad_sql["message"]


def test_collectors_import_export_and_deploy_partition(mon: MonitorClient, estate: tuple[Business, list[str]]) -> None:
    business, ips = estate
    biz = business.bk_biz_id
    name = f"shell_{uuid.uuid4().hex[:6]}"
    conf = {
        "fields": [{"name": "size", "description": "大小", "type": "long", "monitor_type": "metric", "unit": ""}],
        "charset": "UTF8",
        "name": name,
        "description": "测试",
        "bk_biz_id": str(biz),
        "script_type": "file",
        "script_content_base64": base64.b64encode(b"echo size 1\n").decode(),
        "script_ext": "shell",
        "script_run_cmd": "${bk_script_name}",
        "collect_interval": 1,
        "raw_data_interval": 30,
    }
    imported = mon.monitor.import_script_collector(data={"collector_conf_list": [conf, {**conf, "name": "bad name"}]})
    assert imported["result"] is True
    assert imported["code"] == 200
    assert imported["data"]["success"][0]["name"] == name
    assert imported["data"]["failed"][0]["name"] == "bad name"
    config_id = imported["data"]["success"][0]["id"]
    exported = mon.monitor.export_script_collector(data={"bk_biz_id": biz, "ids": str(config_id)})
    assert exported["code"] == "0"
    assert exported["data"][0]["name"] == name
    assert exported["data"][0]["script_content_base64"] == conf["script_content_base64"]
    # No agent on these hosts: every target fails, with the reason, as a per-host partition.
    deployed = mon.monitor.deploy_script_collector(
        data={
            "config_id": config_id,
            "target_conf": [{"ip": ips[0], "bk_cloud_id": 0, "params": {}}, {"ip": "10.253.9.9", "bk_cloud_id": 0}],
        }
    )
    assert deployed["result"] is True
    assert deployed["code"] == 200
    assert deployed["data"]["success"] == []
    assert {f["ip"]: f["message"] for f in deployed["data"]["failed"]} == {
        ips[0]: "no OpsGraph agent on the host",
        "10.253.9.9": "host is not in the business",
    }
    unknown = mon.monitor.deploy_script_collector(
        data={"config_id": 2147483000, "target_conf": [{"ip": ips[0], "bk_cloud_id": 0}]}
    )
    assert unknown["result"] is False
    assert "does not exist" in unknown["message"]
    log_conf = {
        "collector_conf": {
            "data_set": f"log_{name}",
            "data_desc": "d",
            "data_encode": "UTF-8",
            "sep": "|",
            "log_path": "/tmp/x.log",
            "conditions": [],
            "fields": [],
        },
        "target_conf": {"bk_biz_id": biz, "ips": [ips[1]]},
    }
    logs = mon.monitor.import_log_collector(data={"conf_list": [log_conf, {**log_conf, "collector_conf": {}}]})
    assert logs["result"] is True
    assert logs["code"] == "0"
    assert logs["data"]["successed"]["total"] == 0
    assert logs["data"]["failed"]["total"] == 2
    assert "no OpsGraph agent" in logs["data"]["failed"]["detail"][0]["message"]
    exported_logs = mon.monitor.export_log_collector(data={"bk_biz_id": biz})
    assert exported_logs["code"] == 200
    assert [e["collector_conf"]["data_set"] for e in exported_logs["data"]] == [f"log_{name}"]

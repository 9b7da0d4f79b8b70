"""query_data over the real metrics the agents report: the documented example's shape (epoch ms,
select_fields_order), dimension filters and time buckets; every malformed, unknown or hostile query
is refused with an error naming the part it cannot honour."""

from __future__ import annotations

from typing import Any

import pytest

from tests.monitoring.support import MonitorLab, wait_for

QUERY = """
query($sql: String!) { queryData(sql: $sql) { rows selectFieldsOrder totalRecords timetaken cluster device } }"""


def _run(lab: MonitorLab, sql: str) -> dict[str, Any]:
    data: dict[str, Any] = lab.gql.ok(QUERY, {"sql": sql})["queryData"]
    return data


def test_the_documented_example(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    sql = (
        f'select max(in_use) as _in_use from {lab.biz}_system_disk where time >= "1m" '
        "group by ip, plat_id, company_id, device_name, minute1 order by time desc limit 1"
    )
    data = wait_for("disk data", lambda: _run(lab, sql) if _run(lab, sql)["rows"] else None)
    assert data["selectFieldsOrder"] == ["_in_use", "ip", "plat_id", "company_id", "device_name", "minute1"]
    assert data["totalRecords"] == 1
    assert data["cluster"] == "default"
    row = data["rows"][0]
    assert row["ip"] in lab.ips
    assert row["plat_id"] == "0"
    assert row["company_id"] == "0"
    assert row["time"] == row["minute1"]
    assert row["time"] % 60_000 == 0
    assert 0 < row["_in_use"] < 100


def test_filters_groups_and_ordering(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    table = f"{lab.biz}_system_env"
    one = lab.ips[0]
    rows = wait_for(
        "procs per host",
        lambda: (
            (r := _run(lab, f'select max(procs) as p from {table} where time >= "2m" group by ip')["rows"])
            and len(r) == 3
            and r
        ),
    )
    assert {r["ip"] for r in rows} == set(lab.ips)
    assert all(r["p"] > 1 for r in rows)
    only = _run(lab, f"select count(procs) as n from {table} where time >= '2m' and ip = '{one}' group by ip")
    assert [r["ip"] for r in only["rows"]] == [one]
    assert only["rows"][0]["n"] >= 1
    some = _run(
        lab,
        f"select avg(uptime) from {table} where time >= \"5m\" and ip in ('{one}', '{lab.ips[1]}') "
        "and not ip like '10.%' group by ip order by ip desc",
    )
    assert [r["ip"] for r in some["rows"]] == sorted([one, lab.ips[1]], reverse=True)
    assert "avg_uptime" in some["selectFieldsOrder"]
    buckets = _run(lab, f"select max(procs) as p from {table} where time >= \"3m\" and ip = '{one}' group by minute1")
    assert all(r["time"] % 60_000 == 0 for r in buckets["rows"])


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("selec max(in_use) fro", "parse"),
        ("select max(in_use) from {biz}_no_such_table", "no_such_table"),
        ("select max(nope) from {biz}_system_disk", "nope"),
        ("select max(in_use) from system_disk", "<bk_biz_id>_<table>"),
        ("select max(in_use) from 999999_system_disk", "999999"),
        ("select max(in_use) from {biz}_system_disk; drop table alarm", "more than one statement"),
        ("drop table alarm", "DROP"),
        ("select max(in_use) from {biz}_system_disk where ip = '1' or 1=1", "expected a column"),
        ("select max(in_use) from {biz}_system_disk where sleep(5)", "SLEEP"),
        ("select load_file('/etc/passwd') from {biz}_system_disk", "load_file"),
        ("select * from {biz}_system_disk", "select *"),
        ("select in_use from {biz}_system_disk", "without an aggregate"),
        ("select max(in_use) from {biz}_system_disk union select max(in_use) from {biz}_system_disk", "UNION"),
        ("select max(in_use) from (select 1) t", "FROM"),
        ("select max(in_use) from {biz}_system_disk a join {biz}_system_mem b on a.ip = b.ip", "JOIN"),
        ("select max(in_use) from {biz}_system_disk where password = 'x'", "password"),
        ("select max(in_use) from {biz}_system_disk group by secret", "secret"),
        ("select max(in_use) from {biz}_system_disk where time >= 'yesterday'", "time"),
        ("select max(in_use) from {biz}_system_disk having max(in_use) > 1", "HAVING"),
        ("select max(in_use) from {biz}_system_disk limit 999999999", "LIMIT"),
        # Not in the documented dialect: refused by name, with the documented way instead.
        ("select last(in_use) as x from {biz}_system_disk group by ip", "no last()"),
        ("select first(in_use) from {biz}_system_disk", "first()"),
        ("select max(in_use) from {biz}_system_disk group by minute1 limit 5 offset 10", "OFFSET"),
        ("select max(in_use) from {biz}_system_disk group by minute1 limit 10, 5", "OFFSET"),
    ],
)
def test_bad_queries_name_what_is_wrong(monitor_lab: MonitorLab, sql: str, words: str) -> None:
    lab = monitor_lab
    response = lab.gql.execute(QUERY, {"sql": sql.format(biz=lab.biz)})
    assert response.status == 200, response.body
    assert response.data is None, response.body
    assert response.errors, response.body
    error = response.errors[0]
    assert error["extensions"]["code"] in {
        "INVALID",
        "UNSUPPORTED_SQL",
        "BAD_SQL",
        "UNKNOWN_TABLE",
        "UNKNOWN_FIELD",
        "NOT_FOUND",
        "PERMISSION_DENIED",
    }, error
    assert words.lower() in error["message"].lower(), error["message"]

"""Bad input of every kind gets `stat: false` with a clear `info` (HTTP 200; the size caps answer
413 / 431 in the same envelope), and changes nothing."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from tests.executors.support import create_account
from tests.openc3.support import C3Client
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

STEP = {
    "plugin_type": "cmd",
    "name": "x",
    "user": "ops",
    "node_type": "buildin",
    "node_cont": "10.9.9.9",
    "scripts_type": "content",
    "scripts_cont": "date",
}


@pytest.fixture
def tree(gql: GraphQLClient, unique: str) -> int:
    business = create_business(gql, f"c3bad{unique}")
    create_account(gql, business, "ops", "ops", password="ops-password-1", is_default=True)
    return business.bk_biz_id


def raw_response(server: Server, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, str]:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    connection.putrequest(method, path)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders(body)
    response = connection.getresponse()
    return response.status, response.read().decode()


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "expected"),
    [
        ("GET", "/api/job/jobs/abc", {}, "check format fail treeid"),
        ("GET", "/api/job/jobs/999999", {}, "does not exist or you have no access"),
        ("GET", "/api/job/jobs/1000999999", {}, "does not exist or you have no access"),
        (
            "GET",
            "/api/job/jobs/{tree}",
            {"params": {"create_time_start": "2024-13-01"}},
            "check format fail create_time_start",
        ),
        ("GET", "/api/job/jobs/{tree}", {"params": {"edit_time_end": "yesterday"}}, "check format fail edit_time_end"),
        ("GET", "/api/job/task/{tree}/not-alnum!", {}, "check format fail uuid"),
        ("POST", "/api/job/jobs/{tree}", {"json": {"name": "j"}}, "check format fail data"),
        ("POST", "/api/job/jobs/{tree}", {"json": {"name": "j", "data": "steps"}}, "check format fail data"),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"json": {"name": "j", "data": [{**STEP, "plugin_type": "ssh"}]}},
            "check format fail data[0].plugin_type",
        ),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"json": {"name": "j", "data": [{**STEP, "timeout": "soon"}]}},
            "check format fail data[0].timeout",
        ),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"json": {"name": "j", "data": [{**STEP, "user": "no such"}]}},
            "check format fail data[0].user",
        ),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"json": {"name": "j", "data": [{**STEP, "user": "nobody"}]}},
            "has no OS account 'nobody'",
        ),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"json": {"name": "j", "data": [{**STEP, "node_type": "group", "node_cont": "x"}]}},
            "check format fail data[0].node_cont",
        ),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"json": {"name": "j", "data": [{**STEP, "scripts_type": "php"}]}},
            "php scripts cannot run here",
        ),
        ("POST", "/api/job/task/{tree}/job", {"json": {"jobuuid": "nosuchjob001"}}, "projectid, jobuuid nomatch"),
        ("POST", "/api/job/task/{tree}/job/byname", {"json": {"jobname": "none", "uuid": "short"}}, "nomatch"),
        (
            "POST",
            "/api/job/task/{tree}/job",
            {"json": {"jobuuid": "abc", "variable": [1, 2]}},
            "check format fail variable",
        ),
        (
            "POST",
            "/api/job/task/{tree}/plugin_cmd",
            {"json": {"name": "x", "node_type": "rack"}},
            "check format fail node_type",
        ),
        ("POST", "/api/job/task/{tree}/redo", {"json": {}}, "check format fail taskuuid: is required"),
        (
            "POST",
            "/api/job/subtask/{tree}",
            {"json": {"taskuuid": "a", "subtaskuuid": "b", "control": "jump"}},
            "check format fail control",
        ),
        (
            "POST",
            "/api/job/crontab/{tree}",
            {"json": {"name": "c", "jobuuid": "nosuchjob001", "cron": "* * * * *"}},
            "has no job nosuchjob001",
        ),
        ("POST", "/api/job/nodegroup/{tree}", {"json": {"name": "g", "plugin": "type", "params": "web"}}, "use node"),
        (
            "POST",
            "/api/job/nodegroup/{tree}",
            {"json": {"name": "g", "plugin": "node", "params": "10.0.0.1,web"}},
            "not both",
        ),
        ("POST", "/api/job/nodelist/{tree}", {"json": {"name": "a::b"}}, "check format fail name"),
        ("POST", "/api/job/variable/{tree}", {"json": {"jobuuid": "x", "name": "v"}}, "has no job x"),
        ("POST", "/api/job/token/{tree}", {"json": {"token": "short"}}, "check format fail token"),
        ("POST", "/api/job/token/{tree}", {"json": {"token": "t" * 32, "isjob": 1}}, "check format fail jobname"),
        ("GET", "/api/job/fileserver/{tree}/download", {"params": {"name": "nothing.txt"}}, "has no file"),
        (
            "POST",
            "/api/job/fileserver/{tree}",
            {"content": b"x", "headers": {"content-type": "multipart/form-data; boundary=zz"}},
            "malformed multipart body",
        ),
        ("GET", "/api/job/sendile/list/{tree}", {"params": {"path": "no-slash"}}, "check format fail path"),
        ("POST", "/api/job/approval/control", {"json": {"uuid": "1z2z3z4", "opinion": "agree"}}, "no such approval"),
        ("GET", "/api/job/task/{tree}/total_count", {}, "check format fail time_start"),
        ("GET", "/api/connector/connectorx/point", {"params": {"point": "root"}}, "unknown permission point"),
        (
            "GET",
            "/api/connector/connectorx/setcookie",
            {"params": {"c3redirect": "//evil.example/"}},
            "check format fail c3redirect",
        ),
        ("POST", "/api/agent/agent/{tree}/1/subnet", {"json": {"subnet": "10.0.0.0/8"}}, "does not serve tree node"),
        (
            "POST",
            "/api/agent/project_region_relation/{tree}",
            {"json": {"regionid": 987654}},
            "region 987654 does not exist",
        ),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            "not valid JSON",
        ),
        (
            "POST",
            "/api/job/jobs/{tree}",
            {"content": b"[1, 2]", "headers": {"content-type": "application/json"}},
            "must be a JSON object",
        ),
    ],
)
def test_bad_input_is_refused_in_the_dialect(
    c3: C3Client, tree: int, method: str, path: str, kwargs: dict[str, object], expected: str
) -> None:
    info = c3.refused(method, path.format(tree=tree), **kwargs)
    assert expected in info, info
    assert c3.ok("GET", f"/api/job/jobs/{tree}") == []  # nothing was made


def test_size_caps_answer_in_the_envelope(server: Server, admin_token: str) -> None:
    cookie = {"Cookie": f"bk_token={admin_token}"}
    status, body = raw_response(server, "POST", "/api/job/jobs/1", {**cookie, "Content-Length": str(10**10)})
    assert status == 413
    assert '"stat":false' in body
    assert "larger than" in body
    status, body = raw_response(server, "GET", "/api/job/jobs/1", {**cookie, "X-Padding": "x" * 20_000})
    assert status == 431
    assert '"stat":false' in body

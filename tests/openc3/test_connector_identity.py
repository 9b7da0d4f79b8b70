"""The dialect and identity: envelope, not-logged-in, cookie and appname/appkey, usertree,
treemap, permission points, unknown paths and format refusals."""

from __future__ import annotations

import httpx

from tests.openc3.support import C3Client, module_tree, set_tree, user_with_role
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server
from tests.support.topology import create_business, create_module, create_set

BK_IDS = """
query($b: Int!) {
  business(bkBizId: $b) { sets(first: 5) { nodes { bkSetId name modules(first: 5) { nodes { bkModuleId name } } } } }
}"""


def test_not_logged_in_is_code_10000_in_the_envelope(server: Server) -> None:
    anonymous = C3Client(server.url)
    for path in ("/api/job/jobs/1", "/api/job/task/1/abc", "/api/connector/connectorx/usertree"):
        body = anonymous.envelope("GET", path)
        assert body["stat"] is False, body
        assert body["code"] == 10000, body
    forged = C3Client(server.url, token="not-a-token")
    assert forged.envelope("GET", "/api/connector/connectorx/usertree")["code"] == 10000
    wrong_app = C3Client(server.url, app=(APP_CODE, "wrong-secret"))
    assert wrong_app.envelope("GET", "/api/job/jobs/1")["code"] == 10000
    # The cookie's name is public, as upstream's front end needs it before logging in.
    assert anonymous.ok("GET", "/api/connector/connectorx/cookiekey") == "bk_token"


def test_unknown_paths_and_methods_answer_in_the_envelope(c3: C3Client) -> None:
    for method, path, status in (
        ("GET", "/api/job/no/such/thing", 404),
        ("PUT", "/api/job/jobs/1", 405),
        ("GET", "/api/connector/", 404),
    ):
        response = c3.call(method, path)
        assert response.status_code == status, response.text
        assert response.json()["stat"] is False, response.text
        assert response.json()["info"], response.text


def test_the_cookie_user_sees_its_tree_with_dotted_paths(
    server: Server, gql: GraphQLClient, c3: C3Client, unique: str
) -> None:
    business = create_business(gql, f"c3shop{unique}")
    create_set(gql, business, "web")
    create_module(gql, business, "web", "nginx")
    ids = gql.ok(BK_IDS, {"b": business.bk_biz_id})["business"]["sets"]["nodes"]
    web = next(s for s in ids if s["name"] == "web")
    nginx = web["modules"]["nodes"][0]
    assert c3.ok("GET", "/api/connector/connectorx/username") == {"user": "admin", "company": ""}
    tree = c3.ok("GET", "/api/connector/connectorx/usertree")
    root = next(node for node in tree if node["id"] == business.bk_biz_id)
    assert root["name"] == f"c3shop{unique}"
    web_node = next(child for child in root["children"] if child["name"] == "web")
    assert web_node["id"] == set_tree(web["bkSetId"])
    assert web_node["children"] == [{"id": module_tree(nginx["bkModuleId"]), "name": "nginx"}]
    assert (tree[-1]["id"], tree[-1]["name"]) == (4000000000, "private")
    treemap = c3.ok("GET", "/api/connector/connectorx/usertree/treemap")
    assert treemap[str(module_tree(nginx["bkModuleId"]))] == f"c3shop{unique}.web.nginx"
    assert c3.ok("GET", "/api/connector/connectorx/treemap") == treemap


def test_levels_follow_roles_and_apps_get_no_bypass(
    server: Server, gql: GraphQLClient, c3: C3Client, unique: str
) -> None:
    business = create_business(gql, f"c3roles{unique}")
    tree = business.bk_biz_id
    viewer = user_with_role(server, gql, f"c3view{unique}", business, "viewer")
    operator = user_with_role(server, gql, f"c3op{unique}", business, "operator")
    point = "/api/connector/connectorx/point"
    assert viewer.ok("GET", point, params={"point": "openc3_job_read", "treeid": tree}) == 1
    assert viewer.ok("GET", point, params={"point": "openc3_job_control", "treeid": tree}) == 0
    assert operator.ok("GET", point, params={"point": "openc3_job_control", "treeid": tree}) == 1
    assert operator.ok("GET", point, params={"point": "openc3_job_write", "treeid": tree}) == 0
    assert c3.ok("GET", point, params={"point": "openc3_job_root"}) == 1
    assert operator.ok("GET", point, params={"point": "openc3_job_root"}) == 0
    assert "check format fail point" in c3.refused("GET", point)
    # A node the caller has no role on: the point is simply not held, and its tree is not shown.
    outsider = user_with_role(server, gql, f"c3out{unique}", create_business(gql, f"c3other{unique}"), "viewer")
    assert outsider.ok("GET", point, params={"point": "openc3_job_read", "treeid": tree}) == 0
    assert tree not in [node["id"] for node in outsider.ok("GET", "/api/connector/connectorx/usertree")]
    # An app acts as "<app>@app" with that user's roles; without them it sees nothing.
    app = C3Client(server.url, app=(APP_CODE, APP_SECRET))
    assert app.ok("GET", "/api/connector/connectorx/username") == {"user": f"{APP_CODE}@app", "company": "@app"}
    assert app.ok("GET", point, params={"point": "openc3_job_read", "treeid": tree}) == 0
    assert app.ok("GET", "/api/connector/connectorx/usertree")[:-1] == [] or all(
        node["id"] != tree for node in app.ok("GET", "/api/connector/connectorx/usertree")
    )


def test_sso_pages_redirect_within_the_site_and_logout_revokes(server: Server, gql: GraphQLClient) -> None:
    from tests.openc3.support import login_token

    token = login_token(server, "admin", "admin-password-1")
    browser = C3Client(server.url, token=token)
    info = browser.call("GET", "/api/connector/connectorx/sso/userinfo").json()
    assert (info["email"], info["admin"]) == ("admin", "1")
    redirect = browser.http.get("/api/connector/connectorx/sso/loginredirect", params={"callback": "/#/home"})
    assert redirect.status_code == 302
    assert redirect.headers["location"].startswith("/graphql?callback=")
    assert browser.refused("GET", "/api/connector/connectorx/setcookie", params={"c3redirect": "https://evil.example"})
    plain = httpx.Client(base_url=server.url)
    moved = plain.get("/api/connector/connectorx/setcookie", params={"cookie": token, "c3redirect": "/#/x"})
    assert moved.status_code == 302
    assert moved.cookies.get("bk_token") == token
    out = browser.call("GET", "/api/connector/connectorx/ssologout").json()
    assert out["stat"] is True
    assert browser.envelope("GET", "/api/connector/connectorx/usertree")["code"] == 10000

"""`/api/agent`: regions (cloud areas) serving a node, relations, coverage by CIDR and /regex/,
proxies, the check switch with its staleness flags, inheritance, node info, installs."""

from __future__ import annotations

from tests.openc3.support import C3Client, user_with_role
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

INHERIT = "mutation($t: Int!, $i: Int) { setTreeInherit(treeId: $t, inheritTreeId: $i) { errors { message } } }"


def test_regions_coverage_check_and_inheritance(
    server: Server, gql: GraphQLClient, c3: C3Client, ip_allocator: object, unique: str
) -> None:
    business = create_business(gql, f"c3agent{unique}")
    tree = business.bk_biz_id
    ip = next(ip_allocator)  # type: ignore[call-overload]
    c3.ok("POST", f"/api/job/nodelist/{tree}", json={"name": f"web-{unique}::{ip}::"})
    region = c3.ok("POST", f"/api/agent/region/{tree}", json={"name": f"idc-{unique}"})
    assert [r["name"] for r in c3.ok("GET", f"/api/agent/region/{tree}")] == [f"idc-{unique}"]
    assert [(r["projectid"], r["regionid"]) for r in c3.ok("GET", f"/api/agent/project_region_relation/{tree}")] == [
        (tree, region)
    ]
    assert "already serves" in c3.refused(
        "POST", f"/api/agent/project_region_relation/{tree}", json={"regionid": region}
    )
    assert c3.envelope("POST", f"/api/agent/agent/{tree}/{region}/subnet", json={"subnet": "10.0.0.0/8 /^web-/"})[
        "stat"
    ]
    entries = c3.ok("GET", f"/api/agent/agent/{tree}")
    assert [(e["ip"], e["reason"]) for e in entries] == [("10.0.0.0/8", "subnet"), ("/^web-/", "regex")]
    assert c3.ok("GET", f"/api/agent/agent/{tree}/{region}") == entries
    assert "No effective subnet" in c3.refused(
        "POST", f"/api/agent/agent/{tree}/{region}/subnet", json={"subnet": "abc"}
    )
    assert c3.ok("DELETE", f"/api/agent/agent/{tree}/{entries[1]['id']}") == 1
    active = c3.ok("GET", f"/api/agent/region/{tree}/active")
    assert (active[0]["id"], active[0]["agent"], active[0]["proxy"]) == (region, {"success": 1}, None)
    # No proxy is installed in the new region yet.
    assert c3.ok("GET", f"/api/agent/proxy/{tree}/{region}") == []
    proxies = c3.envelope("GET", f"/api/agent/proxy/{tree}")
    assert (proxies["data"], proxies["info"]) == ([{}], f"id:{tree}")
    assert "give password or private_key" in c3.refused("POST", f"/api/agent/proxy/{tree}/{region}", json={"ip": ip})
    assert "ip format error" in c3.refused(
        "POST", f"/api/agent/proxy/{tree}/{region}", json={"ip": "web-1", "password": "x"}
    )

    assert c3.ok("GET", f"/api/agent/check/{tree}") == {"status": "off", "slave": "opsgraph"}
    assert c3.envelope("POST", f"/api/agent/check/{tree}", json={"status": "yes"})["stat"] is True
    assert c3.ok("GET", f"/api/agent/check/{tree}")["status"] == "off"  # anything but "on" is off
    c3.ok("POST", f"/api/agent/check/{tree}", json={"status": "on"})
    check = c3.ok("GET", f"/api/agent/check/{tree}")
    assert (check["status"], check["last_check_x"]) == ("on", 0)
    assert "last_success" not in check  # the host has no live agent: never all alive yet

    info = c3.ok("GET", f"/api/agent/nodeinfo/{tree}")
    assert [(n["inip"], n["name"], n["agent"]) for n in info] == [(ip, f"web-{unique}", "none")]
    assert c3.ok("GET", f"/api/agent/nodeinfo/{tree}/count") == {"node": 1}
    assert c3.ok("GET", f"/api/agent/nodeinfo/{tree}/check", params={"node": ip}) is None

    assert c3.ok("GET", f"/api/agent/inherit/{tree}") == {}
    other = create_business(gql, f"c3agent2{unique}")
    assert gql.ok(INHERIT, {"t": other.bk_biz_id, "i": tree})["setTreeInherit"]["errors"] == []
    inherited = c3.ok("GET", f"/api/agent/inherit/{other.bk_biz_id}")
    assert (inherited["inheritid"], inherited["fullname"]) == (tree, f"c3agent{unique}")
    assert c3.envelope("GET", f"/api/agent/proxy/{other.bk_biz_id}")["info"] == f"id:{other.bk_biz_id},{tree}"

    maintainer = user_with_role(server, gql, f"c3agm{unique}", business, "maintainer")
    assert "superuser" in maintainer.refused("POST", f"/api/agent/region/{tree}", json={"name": f"x-{unique}"})
    viewer = user_with_role(server, gql, f"c3agv{unique}", business, "viewer")
    assert viewer.refused("POST", f"/api/agent/check/{tree}", json={"status": "off"}).startswith("Unauthorized")
    assert c3.ok("DELETE", f"/api/agent/region/{tree}/{region}") == 1
    assert c3.ok("GET", f"/api/agent/agent/{tree}") == []
    assert "give password or private_key" in c3.refused("POST", f"/api/agent/install/{tree}/0", json={"ip": ip})
    assert c3.ok("GET", f"/api/agent/install/{tree}") == []
    # An install goes through the agent installer (this address answers nobody: it will fail).
    started = c3.envelope("POST", f"/api/agent/install/{tree}/0", json={"ip": ip, "password": "root-password"})
    install = c3.ok("GET", f"/api/agent/install/{tree}/{started['uuid']}")
    assert install["status"] in ("init", "running", "fail")
    assert [d["ip"] for d in install["detail"]] == [ip]
    assert [i["uuid"] for i in c3.ok("GET", f"/api/agent/install/{tree}")] == [started["uuid"]]
    assert c3.ok("GET", "/api/agent/monitor/metrics/app")["module"] == "agent"

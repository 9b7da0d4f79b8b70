"""The smaller OpenC3 resources on the graph: crontabs, notify (a real SMTP server), the file store
and its upload tokens, environment and connector settings, light apps, the audit log, the address
book, private nodes, release and version."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import md5

import httpx
import pytest

from tests.executors.support import create_account
from tests.openc3.support import C3Client, user_with_role
from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business, create_business


@dataclass
class Estate:
    business: Business
    ip: str

    @property
    def tree(self) -> int:
        return self.business.bk_biz_id


@pytest.fixture
def estate(gql: GraphQLClient, c3: C3Client, ip_allocator: object, unique: str) -> Estate:
    business = create_business(gql, f"c3rec{unique}")
    ip = next(ip_allocator)  # type: ignore[call-overload]
    assert isinstance(c3.ok("POST", f"/api/job/nodelist/{business.bk_biz_id}", json={"name": f"web1::{ip}::"}), int)
    create_account(gql, business, "ops", "ops", password="ops-password-1", is_default=True)
    return Estate(business, ip)


def cmd(ip: str, node_type: str = "buildin") -> dict[str, object]:
    return {
        "plugin_type": "cmd",
        "name": "x",
        "user": "ops",
        "node_type": node_type,
        "node_cont": ip,
        "scripts_type": "content",
        "scripts_cont": "date",
    }


def test_crontabs_schedule_jobs_paused_first(c3: C3Client, estate: Estate) -> None:
    tree = estate.tree
    job = c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": "nightly", "data": [cmd(estate.ip)]})["uuid"]
    created = c3.ok("POST", f"/api/job/crontab/{tree}", json={"name": "n", "jobuuid": job, "cron": "0 3 * * *"})
    assert c3.ok("GET", f"/api/job/crontab/{tree}/count") == {"available": 0, "unavailable": 1}
    assert c3.ok("POST", f"/api/job/crontab/{tree}/{created}/status", json={"status": "available"}) == 1
    row = c3.ok("GET", f"/api/job/crontab/{tree}/{created}")
    assert (row["status"], row["jobuuid"], row["cron"]) == ("available", job, "0 3 * * *")
    assert "check format fail status" in c3.refused(
        "POST", f"/api/job/crontab/{tree}/{created}/status", json={"status": "on"}
    )
    assert "cron expression" in c3.refused(
        "POST",
        f"/api/job/crontab/{tree}/{created}",
        json={
            "name": "n",
            "jobuuid": job,
            "cron": "0 3 * *",
        },
    )
    # The release check: a node with a running schedule may not be released yet (plain text, no login).
    anonymous = httpx.Client(base_url=c3.http.base_url)
    assert anonymous.get("/api/job/release", params={"id": f"{tree},999999"}).text == "false"
    assert "TEMPLATE_HAS_CRONS" not in c3.refused("DELETE", f"/api/job/jobs/{tree}/{job}")
    assert c3.ok("DELETE", f"/api/job/crontab/{tree}/{created}") == 1
    assert anonymous.get("/api/connector/release", params={"id": str(tree)}).text == "true"
    grouped = c3.ok("POST", f"/api/job/nodegroup/{tree}", json={"name": "g", "plugin": "node", "params": estate.ip})
    by_group = c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": "grp", "data": [cmd(str(grouped), "group")]})
    info = c3.refused(
        "POST", f"/api/job/crontab/{tree}", json={"name": "g", "jobuuid": by_group["uuid"], "cron": "* * * * *"}
    )
    assert "node group" in info


def test_notify_goes_through_the_messaging_channels(
    c3: C3Client, estate: Estate, mail_channel: SmtpSink, unique: str
) -> None:
    tree = estate.tree
    assert c3.ok("POST", f"/api/job/notify/{tree}", json={"user": f"ops{unique}@example.com"}) == 1
    subscribers = c3.ok("GET", f"/api/job/notify/{tree}")
    assert [s["user"] for s in subscribers] == [f"ops{unique}@example.com"]
    assert "already notified" in c3.refused(
        "POST", f"/api/job/notify/{tree}", json={"user": f"ops{unique}@example.com"}
    )
    assert c3.ok("DELETE", f"/api/job/notify/{tree}/{subscribers[0]['id']}") == 1
    body = {"data": [{"type": "email", "to": [f"dev{unique}@example.com"], "title": "deploy done", "content": "ok"}]}
    assert c3.envelope("POST", "/api/connector/connectorx/notify", json=body) == {"stat": True, "info": "ok"}
    mail = mail_channel.next_mail()
    assert mail.envelope_to == [f"dev{unique}@example.com"]
    assert mail.message["Subject"] == "deploy done"
    assert "nofind plugin fax" in c3.refused(
        "POST", "/api/connector/connectorx/notify", json={"data": [{"type": "fax"}]}
    )
    assert "no data" in c3.refused("POST", "/api/connector/connectorx/notify", json={})


def test_the_file_store_and_upload_tokens(c3: C3Client, server: Server, estate: Estate, unique: str) -> None:
    tree = estate.tree
    files = {"file": ("app.tar", b"release-1\n", "application/octet-stream")}
    stored = c3.http.post(f"/api/job/fileserver/{tree}", files=files).json()
    assert stored["stat"] is True, stored
    listing = c3.ok("GET", f"/api/job/fileserver/{tree}")
    assert [(f["name"], f["size"], f["md5"]) for f in listing] == [("app.tar", 10, md5(b"release-1\n").hexdigest())]
    downloaded = c3.http.get(f"/api/job/fileserver/{tree}/download", params={"name": "app.tar"})
    assert downloaded.content == b"release-1\n"
    token = f"tok{unique}".ljust(32, "x")
    assert isinstance(c3.ok("POST", f"/api/job/token/{tree}", json={"token": token, "describe": "ci"}), int)
    shown = c3.ok("GET", f"/api/job/token/{tree}/info")
    assert shown[0]["token"] == f"{token[:4]}…"  # never the token itself
    assert c3.ok("POST", f"/api/job/token/{tree}/info") == shown
    uploader = httpx.Client(base_url=server.url)
    wrong = uploader.post(f"/api/job/fileserver/{tree}/upload", files=files, headers={"token": "no" * 16}).json()
    assert (wrong["stat"], wrong["code"]) == (False, 10000)
    bad_md5 = uploader.post(
        f"/api/job/fileserver/{tree}/upload", params={"checkmd5": "0" * 32}, files=files, headers={"token": token}
    ).json()
    assert bad_md5["stat"] is False
    assert "checkmd5" in bad_md5["info"]
    good = uploader.post(
        f"/api/job/fileserver/{tree}/upload", files={"file": ("b.txt", b"b", "text/plain")}, headers={"token": token}
    ).json()
    assert good["stat"] is True, good
    assert {f["name"] for f in c3.ok("GET", f"/api/job/fileserver/{tree}")} == {"app.tar", "b.txt"}
    first = c3.ok("GET", f"/api/job/fileserver/{tree}")[-1]
    # The doc's typo path finds the file by its id alone.
    assert c3.ok("DELETE", f"/api/job/fileserver/treeid/{first['id']}") == 1
    assert "no file" in c3.refused("DELETE", f"/api/job/fileserver/{tree}/{first['id']}")


def test_settings_light_apps_audit_address_book_private_version(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: Estate, unique: str
) -> None:
    environment = c3.ok("GET", "/api/job/environment")
    assert (environment["isApiSuccessEmail"], environment["isApiFailEmail"]) == (False, True)
    assert c3.ok("POST", "/api/job/environment", json={"isApiSuccessEmail": True, "notifyTemplateEmailTitle": "t"}) == 1
    assert c3.ok("GET", "/api/job/environment")["isApiSuccessEmail"] is True
    assert "check format fail isNothing" in c3.refused("POST", "/api/job/environment", json={"isNothing": True})
    viewer = user_with_role(server, gql, f"c3env{unique}", estate.business, "maintainer")
    assert "superuser" in viewer.refused("POST", "/api/job/environment", json={"isApiSuccessEmail": False})
    assert c3.ok("POST", "/api/connector/config", json={"sso.cookie": "bk_token"}) == 1
    assert c3.ok("GET", "/api/connector/config") == {"sso.cookie": "bk_token"}
    assert c3.ok("GET", "/api/connector/config/list") == [{"name": "sso.cookie", "value": "bk_token"}]
    assert "superuser" in viewer.refused("GET", "/api/connector/config")

    job = c3.envelope("POST", f"/api/job/jobs/{estate.tree}", json={"name": "app", "data": [cmd(estate.ip)]})["uuid"]
    # Jobs: update, copy by name, delete by name; the accounts steps may run as (userlist).
    changed = {"name": "app", "data": [cmd(estate.ip), {**cmd(estate.ip), "name": "y"}]}
    assert c3.envelope("POST", f"/api/job/jobs/{estate.tree}/{job}", json=changed)["uuid"] == job
    assert [s["name"] for s in c3.ok("GET", f"/api/job/jobs/{estate.tree}/{job}")["data"]] == ["x", "y"]
    copied = c3.envelope("POST", f"/api/job/jobs/{estate.tree}/copy/byname", json={"fromname": "app", "toname": "app2"})
    assert copied["uuid"] != job
    assert c3.ok("GET", f"/api/job/jobs/{estate.tree}/byname", params={"name": "app2"})["uuid"] == copied["uuid"]
    assert c3.ok("DELETE", f"/api/job/jobs/{estate.tree}/app2/byname") == 1
    assert [j["name"] for j in c3.ok("GET", f"/api/job/jobs/{estate.tree}")] == ["app"]
    assert [a["username"] for a in c3.ok("GET", f"/api/job/userlist/{estate.tree}")] == ["ops"]
    deployer = c3.ok(
        "POST", f"/api/job/userlist/{estate.tree}", json={"username": "deploy", "password": "deploy-pass-1"}
    )
    assert "password or its private_key" in c3.refused(
        "POST", f"/api/job/userlist/{estate.tree}", json={"username": "x"}
    )
    assert c3.ok("DELETE", f"/api/job/userlist/{estate.tree}/{deployer}") == 1
    app = c3.ok("POST", "/api/job/smallapplication", json={"jobid": job, "title": "restart", "type": "ops"})
    assert c3.ok("GET", f"/api/job/smallapplication/{app}")["jobuuid"] == job
    assert [a["id"] for a in c3.ok("GET", f"/api/job/smallapplication/bytreeid/{estate.tree}")] == [app]
    assert c3.ok("POST", f"/api/job/smallapplication/{app}", json={"jobid": job, "title": "restart all"}) == 1
    assert c3.ok("DELETE", f"/api/job/smallapplication/{app}") == 1
    assert "no job" in c3.refused("POST", "/api/job/smallapplication", json={"jobid": "nosuchjob123", "title": "x"})

    assert (
        c3.envelope(
            "POST",
            "/api/connector/connectorx/auditlog",
            json={
                "user": "deployer",
                "title": f"DEPLOY{unique}",
                "content": "shop v2",
            },
        )["stat"]
        is True
    )
    entries = c3.ok("GET", "/api/connector/connectorx/auditlog", params={"title": f"DEPLOY{unique}"})
    assert [(e["user"], e["title"], e["content"]) for e in entries] == [("deployer", f"DEPLOY{unique}", "shop v2")]
    assert c3.ok("GET", "/api/connector/connectorx/auditlog", params={"title": "tree_job", "user": "adm"})
    assert "check format fail time" in c3.refused("GET", "/api/connector/connectorx/auditlog", params={"time": "May"})

    name = f"c3env{unique}"
    assert c3.envelope(
        "POST", "/api/connector/useraddr", json={"user": name, "email": f"{name}@example.com", "phone": "555"}
    )["stat"]
    entry = next(e for e in c3.ok("GET", "/api/connector/useraddr") if e["user"] == name)
    assert (entry["email"], entry["phone"]) == (f"{name}@example.com", "555")
    assert c3.ok("DELETE", f"/api/connector/useraddr/{entry['id']}") == 1
    assert c3.ok("GET", f"/api/connector/useraddr/{entry['id']}")["email"] == ""
    assert "superuser" in viewer.refused("GET", "/api/connector/useraddr")

    assert c3.envelope("POST", "/api/connector/private", json={"user": f"{name}@example.com"})["stat"] is True
    assert f"{name}@example_com" in [p["user"] for p in c3.ok("GET", "/api/connector/private")]
    assert c3.ok("GET", "/api/connector/version/name")["name"]
    assert c3.ok("GET", "/api/connector/version/log")

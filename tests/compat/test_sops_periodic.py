"""bk `sops` periodic tasks through the unmodified `bkapi-component-open` client: created disabled,
listed, read with its form and tree, cron and constants changed, enabled and (by omission) disabled.
(A periodic task firing is tests/pipelines/test_zz_periodic_firing.py.)"""

from __future__ import annotations

from tests.compat.sops_support import NOT_EXIST, PARAM_INVALID, ok, refused, sops_client
from tests.compat.test_sops_tasks import template_number
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business


def test_periodic_task_lifecycle(server: Server, gql: GraphQLClient, unique: str) -> None:
    client = sops_client(server.url)
    business = create_business(gql, f"sops-periodic-{unique}")
    biz = business.bk_biz_id
    t = TreeBuilder()
    t.constant("bk_timing", "2")
    t.constant("hidden", "x", show_type="hide")
    optional = t.sleep("0", name="optional", optional=True)
    t.chain(t.start, t.sleep("${bk_timing}", name="wait"), optional, t.end)
    template = template_number(gql, business, t.tree(), f"periodic-{unique}")

    created = ok(
        client.sops.create_periodic_task(
            data={
                "bk_biz_id": biz,
                "template_id": template,
                "name": f"nightly-{unique}",
                "cron": {"minute": "*/5", "hour": "2"},
                "constants": {"${bk_timing}": "100", "${not_there}": "ignored"},
                "exclude_task_nodes_id": [optional],
            }
        )
    )
    periodic = created["id"]
    assert created["cron"] == "*/5 2 * * * (m/h/d/dM/MY)"
    assert (created["enabled"], created["total_run_count"], created["last_run_at"]) == (False, 0, "")
    assert (created["template_id"], created["creator"]) == (str(template), "admin")
    assert set(created["form"]) == {"${bk_timing}"}  # hidden constants are not in the form
    assert created["pipeline_tree"]["constants"]["${bk_timing}"]["value"] == "100"
    assert "${not_there}" not in created["pipeline_tree"]["constants"]
    assert [a["name"] for a in created["pipeline_tree"]["activities"].values()] == ["wait"]

    listed = ok(client.sops.get_periodic_task_list(params={"bk_biz_id": biz}))
    assert [p["id"] for p in listed] == [periodic]
    assert "pipeline_tree" not in listed[0]
    info = ok(client.sops.get_periodic_task_info(params={"bk_biz_id": biz, "task_id": periodic}))
    assert info == created

    # The doc's example wraps a key over two lines ("mo\\nnth_of_year"): it still reads as month_of_year.
    cron = ok(
        client.sops.modify_cron_for_periodic_task(
            data={
                "bk_biz_id": biz,
                "task_id": periodic,
                "cron": {
                    "minute": "*/1",
                    "hour": "15",
                    "day_of_week": "*",
                    "day_of_month": "*",
                    "mo\nnth_of_year": "*",
                },
            }
        )
    )
    assert cron == {"cron": "*/1 15 * * * (m/h/d/dM/MY)"}
    constants = ok(
        client.sops.modify_constants_for_periodic_task(
            data={
                "bk_biz_id": biz,
                "task_id": periodic,
                "constants": {"${bk_timing}": "15"},
            }
        )
    )
    assert constants["${bk_timing}"]["value"] == "15"
    assert constants["${bk_timing}"]["key"] == "${bk_timing}"

    assert ok(client.sops.set_periodic_task_enabled(data={"bk_biz_id": biz, "task_id": periodic, "enabled": True})) == {
        "enabled": True
    }
    # Omitting `enabled` disables, as documented.
    assert ok(client.sops.set_periodic_task_enabled(data={"bk_biz_id": biz, "task_id": periodic})) == {"enabled": False}

    refused(
        client.sops.modify_cron_for_periodic_task(
            data={
                "bk_biz_id": biz,
                "task_id": periodic,
                "cron": {"minute": "61"},
            }
        ),
        PARAM_INVALID,
        "cron",
    )
    refused(
        client.sops.create_periodic_task(
            data={
                "bk_biz_id": biz,
                "template_id": template,
                "name": "x",
                "cron": {"hour": "25"},
            }
        ),
        PARAM_INVALID,
    )
    other = create_business(gql, f"sops-periodic-other-{unique}")
    refused(client.sops.get_periodic_task_info(params={"bk_biz_id": other.bk_biz_id, "task_id": periodic}), NOT_EXIST)
    refused(client.sops.get_periodic_task_info(params={"bk_biz_id": biz, "task_id": 99999999}), NOT_EXIST)
    assert ok(client.sops.get_periodic_task_info(params={"bk_biz_id": biz, "task_id": periodic}))["cron"] == (
        "*/1 15 * * * (m/h/d/dM/MY)"
    )

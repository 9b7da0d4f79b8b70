"""bk `job` crons: save_cron creates a cron paused, update_cron_status starts and pauses it, and
get_cron_list reports it (Quartz expression, status 1/2, filters)."""

from __future__ import annotations

from tests.compat.bk_client import LegacyClient
from tests.compat.job_support import ILLEGAL, MISSING, NO_CRON, NO_PERMISSION, ok, refused
from tests.support.server import GraphQLClient
from tests.support.topology import Business, create_business, global_id, mutate_ok

CREATE_TEMPLATE = """
mutation($input: CreateJobTemplateInput!) {
  createJobTemplate(input: $input) { jobTemplate { bkJobId } errors { code field message } }
}"""
CRON = "query($id: ID!) { cron(id: $id) { expression enabled nextRunAt } }"


def template(gql: GraphQLClient, business: Business, name: str) -> int:
    step = {"kind": "script", "name": "tick", "config": {"content": "date"}}
    variables = {"input": {"businessId": business.id, "name": name, "steps": [step]}}
    job_id: int = mutate_ok(gql, CREATE_TEMPLATE, variables)["jobTemplate"]["bkJobId"]
    return job_id


def crons(bk: LegacyClient, biz: int, **filters: object) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = ok(bk.job.get_cron_list(params={"bk_biz_id": biz, **filters}))
    return listed


def test_cron_is_created_paused_then_started(bk: LegacyClient, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"job-cron-{unique}")
    biz = business.bk_biz_id
    job_id = template(gql, business, f"tick-{unique}")

    body = {"bk_biz_id": biz, "bk_job_id": job_id, "cron_name": f"every-5-{unique}", "cron_expression": "0 0/5 * * * ?"}
    cron_id = ok(bk.job.save_cron(data=body))["cron_id"]

    (row,) = crons(bk, biz, cron_id=cron_id)
    assert (row["cron_status"], row["cron_name"], row["bk_job_id"], row["job_name"]) == (
        2,
        f"every-5-{unique}",
        job_id,
        f"tick-{unique}",
    )
    assert (row["cron_expression"], row["creator"], row["bk_biz_id"]) == ("0 0/5 * * * ?", "admin", biz)
    stored = gql.ok(CRON, {"id": _cron_gid(cron_id)})["cron"]
    assert (stored["expression"], stored["enabled"], stored["nextRunAt"]) == ("0-59/5 * * * *", False, None)

    assert ok(bk.job.update_cron_status(data={"bk_biz_id": biz, "cron_id": cron_id, "cron_status": 1})) == {
        "cron_id": cron_id
    }
    assert [r["cron_id"] for r in crons(bk, biz, cron_status=1)] == [cron_id]
    assert crons(bk, biz, cron_status=2) == []
    assert gql.ok(CRON, {"id": _cron_gid(cron_id)})["cron"]["nextRunAt"] is not None

    # save_cron with a cron_id updates it: a Linux 5-field expression is taken as it is.
    update = {"bk_biz_id": biz, "bk_job_id": job_id, "cron_id": cron_id, "cron_expression": "30 2 * * 1-5"}
    assert ok(bk.job.save_cron(data=update)) == {"cron_id": cron_id}
    (row,) = crons(bk, biz, cron_name=f"5-{unique}")
    assert (row["cron_expression"], row["cron_status"]) == ("0 30 2 ? * 2-6", 1)

    ok(bk.job.update_cron_status(data={"bk_biz_id": biz, "cron_id": cron_id, "cron_status": 2}))
    assert [r["cron_status"] for r in crons(bk, biz)] == [2]
    assert crons(bk, biz, creator="someone-else") == []
    assert crons(bk, biz, create_time_start="2001-01-01", create_time_end="2001-01-02") == []


def test_cron_refusals(bk: LegacyClient, roleless_bk: LegacyClient, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"job-cron-bad-{unique}")
    biz = business.bk_biz_id
    job_id = template(gql, business, f"tick-{unique}")
    save = bk.job.save_cron

    def body(expression: str) -> dict[str, object]:
        return {"bk_biz_id": biz, "bk_job_id": job_id, "cron_name": f"c-{unique}", "cron_expression": expression}

    for expression, reason in [
        ("0/30 * * * * ?", "seconds"),
        ("0 0 12 L * ?", "Quartz-only"),
        ("0 0 0 1 1 ? 2030", "year"),
        ("* * *", "fields"),
        ("0 0 99 * * ?", "invalid"),
    ]:
        assert reason in refused(save(data=body(expression)), ILLEGAL), expression
    refused(save(data={"bk_biz_id": biz, "bk_job_id": job_id, "cron_expression": "0 0 1 * * ?"}), MISSING)
    refused(roleless_bk.job.save_cron(data=body("0 0 1 * * ?")), NO_PERMISSION)
    assert crons(bk, biz) == []  # nothing was created

    cron_id = ok(save(data=body("0 0 1 * * ?")))["cron_id"]
    other = create_business(gql, f"job-cron-other-{unique}")
    status = bk.job.update_cron_status
    refused(status(data={"bk_biz_id": other.bk_biz_id, "cron_id": cron_id, "cron_status": 1}), NO_CRON)
    refused(status(data={"bk_biz_id": biz, "cron_id": 2_000_000_000, "cron_status": 1}), NO_CRON)
    refused(status(data={"bk_biz_id": biz, "cron_id": cron_id, "cron_status": 3}), ILLEGAL)
    refused(
        roleless_bk.job.update_cron_status(data={"bk_biz_id": biz, "cron_id": cron_id, "cron_status": 1}), NO_PERMISSION
    )
    refused(roleless_bk.job.get_cron_list(params={"bk_biz_id": biz}), NO_PERMISSION)
    assert [r["cron_status"] for r in crons(bk, biz)] == [2]


def _cron_gid(cron_id: int) -> str:
    return global_id("Cron", cron_id)

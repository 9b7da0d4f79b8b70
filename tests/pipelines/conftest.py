"""Pipeline test fixtures: the real OpenSSH sshd of the executor tests (for job nodes), and one
periodic task per backend started when the first pipeline test runs, so that by the time
test_zz_periodic_firing.py checks that it fired, its (minute-grained) schedule has come round
without a test sitting idle for a minute."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tests.executors.conftest import ssh_user, sshd_pool  # noqa: F401
from tests.pipelines.support import create_template
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient
from tests.support.topology import Business, create_business, mutate_ok

CREATE_PERIODIC = """
mutation($input: CreatePeriodicTaskInput!) {
  createPeriodicTask(input: $input) { periodicTask { id enabled } errors { code field message } }
}"""
ENABLE = """
mutation($p: ID!) {
  setPeriodicTaskEnabled(input: {periodicTaskId: $p, enabled: true}) {
    periodicTask { enabled nextRunAt } errors { code field message }
  }
}"""


@dataclass
class FiringPeriodic:
    business: Business
    periodic_id: str
    enabled_at: float  # time.monotonic()


@pytest.fixture(scope="session")
def firing_periodic(gql: GraphQLClient) -> FiringPeriodic:
    business = create_business(gql, f"pipe-periodic-{time.time_ns()}")
    t = TreeBuilder()
    t.constant("message", "from the template")
    t.chain(t.start, t.activity("sleep_timer", {"bk_timing": "0", "note": "${message}"}, name="tick"), t.end)
    template = create_template(gql, business, t.tree(), "every minute")
    fields = {
        "businessId": business.id,
        "pipelineTemplateId": template,
        "name": "every minute",
        "cron": {},  # every field `*`: every minute
        "constants": {"${message}": "from the periodic task"},
    }
    periodic = mutate_ok(gql, CREATE_PERIODIC, {"input": fields})["periodicTask"]
    assert periodic["enabled"] is False  # created disabled, as in bk-sops
    assert mutate_ok(gql, ENABLE, {"p": periodic["id"]})["periodicTask"]["enabled"] is True
    return FiringPeriodic(business, periodic["id"], time.monotonic())


@pytest.fixture(autouse=True)
def _periodic_started_early(firing_periodic: FiringPeriodic) -> None:
    """Every pipeline test asks for it, so it exists from the first one on (once per backend)."""

"""OpenC3 tasks across a server killed (SIGKILL) and started again on the same database:

- an approval's deadline is stored, so an approval whose timeout passed while the server was down
  times out as soon as the server is back (the task ends `fail`, as upstream's plugin_approval);
- a task that ended while its notice could not be queued (the window between the task's end and
  its notice, kept open here by a trigger refusing inserts into the message outbox, then the
  server killed in it) has its notice mailed by the start-up sweep, exactly once, and not again
  on the next start.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import time
from pathlib import Path

from tests.executors.support import dedicated_server
from tests.messaging.support import configure_mail
from tests.openc3.support import C3Client, user_with_role, wait_status, wait_task
from tests.openc3.test_approvals import approval_step
from tests.support.mail_sink import SmtpSink
from tests.support.server import Server, free_port
from tests.support.topology import create_business

HOLD = "opsgraph_test_hold_notices"
SQLITE_HOLD = f"CREATE TRIGGER {HOLD} BEFORE INSERT ON message BEGIN SELECT RAISE(ABORT, 'held by the test'); END"
PG_HOLD = f"""
CREATE FUNCTION {HOLD}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'held by the test'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER {HOLD} BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION {HOLD}();
"""
PG_RELEASE = f"DROP TRIGGER {HOLD} ON message; DROP FUNCTION {HOLD}();"


def _sql(server: Server, sqlite_statement: str, pg_statement: str) -> None:
    """Run DDL on the server's own database (the test's scaffolding, not a way into the app)."""
    url = server.database_url
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite://"), timeout=10)
        try:
            connection.execute(sqlite_statement)
            connection.commit()
        finally:
            connection.close()
        return

    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(url, timeout=5)
        try:
            await connection.execute(pg_statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _drain(sink: SmtpSink) -> None:
    while True:
        try:
            sink.inbox.get_nowait()
        except queue.Empty:
            return


def test_approval_deadline_and_missed_notice_survive_a_kill(
    server: Server, smtp_sink: SmtpSink, tmp_path: Path, unique: str
) -> None:
    with dedicated_server(server, tmp_path) as (instance, gql):
        configure_mail(gql, smtp_sink.port)
        _drain(smtp_sink)
        business = create_business(gql, f"c3restart{unique}")
        tree = business.bk_biz_id
        token = gql.token
        assert token is not None
        c3 = C3Client(instance.url, token=token)
        watcher = f"watch{unique}@example.com"
        assert c3.ok("POST", f"/api/job/notify/{tree}", json={"user": watcher}) == 1
        approver = f"away{unique}"  # no mail address: the only mail is the task's notice
        user_with_role(instance, gql, approver, business, "viewer")
        run = c3.ok(
            "POST",
            f"/api/job/task/{tree}/plugin_approval",
            json={**approval_step(approver), "name": "gate", "timeout": 3},
        )["uuid"]
        wait_status(c3, tree, run, "waiting")
        started = time.monotonic()

        # Killed while the approval waits; back after its deadline, which was stored: it times out.
        _sql(instance, SQLITE_HOLD, PG_HOLD)
        assert instance.process is not None
        instance.process.kill()
        instance.process.wait(10)
        time.sleep(max(0.0, 4 - (time.monotonic() - started)))
        instance.port = free_port()
        instance.start()
        c3 = C3Client(instance.url, token=token)
        task = wait_task(c3, tree, run, timeout=30)
        assert task["status"] == "fail", task
        assert "approval timed out after 3 s" in task["reason"], task
        assert [s["status"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")] == ["fail"]

        # Its end was committed, its notice could not be queued: killed in that window, started
        # again with the outbox open.
        smtp_sink.assert_empty(wait=2)
        instance.process.kill()
        instance.process.wait(10)
        _sql(instance, f"DROP TRIGGER {HOLD}", PG_RELEASE)
        instance.port = free_port()
        instance.start()
        mail = smtp_sink.next_mail()
        assert mail.envelope_to == [watcher]
        assert str(mail.message["Subject"]) == f"projectid: {tree} job fail"
        smtp_sink.assert_empty(wait=3)

        # Another start sweeps again and finds the notice sent: nothing twice.
        instance.stop()
        instance.port = free_port()
        instance.start()
        c3 = C3Client(instance.url, token=token)
        assert c3.ok("GET", f"/api/job/task/{tree}/{run}")["status"] == "fail"
        smtp_sink.assert_empty(wait=3)
